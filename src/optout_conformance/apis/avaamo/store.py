"""Avaamo's table in the reference server's store, its entries and its seed data.

Avaamo has no write API, so its entries only come from seeding; ``current_status`` is derived
(the status of the latest entry of the same (to_phone, from_phone) pair) when entries are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.seed import SEED_DAYS, fictional_number
from optout_conformance.reference.store import NO_FILTER, Store, Where

TABLE = "avaamo_entries"
COLUMNS = "id, to_phone, from_phone, created_at, status, current_status"
# Capped to keep starts fast.
AVAAMO_MAX = 5000
AVAAMO_SENDERS = ("+15555550100", "+15555550101", "+15555550102")


class AvaamoTables:
    """The entries table and its indexes."""

    NAMES = (TABLE,)
    SCHEMA = """
CREATE TABLE IF NOT EXISTS avaamo_entries (
    id INTEGER PRIMARY KEY,
    to_phone TEXT NOT NULL,
    from_phone TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    -- derived: status of the latest entry of the same (to_phone, from_phone) pair
    current_status TEXT NOT NULL DEFAULT ''
);
"""
    INDEXES = {
        "avaamo_by_pair": "avaamo_entries (to_phone, from_phone, created_at)",
        "avaamo_by_from": "avaamo_entries (from_phone)",
        "avaamo_by_created": "avaamo_entries (created_at)",
        "avaamo_by_status": "avaamo_entries (status)",
        "avaamo_by_current_status": "avaamo_entries (current_status)",
    }


class AvaamoEntry(NamedTuple):
    """One Avaamo opt-status entry; created_at is UNIX epoch seconds."""

    id: int
    to_phone: str
    from_phone: str
    created_at: int
    status: str
    current_status: str


class AvaamoStore:
    """The Avaamo entries of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def bulk_insert_avaamo(self, rows: Iterable[tuple[str, str, int, str]]) -> int:
        """Insert many (to_phone, from_phone, created_at, status) entries, then recompute every
        entry's current_status; returns how many were inserted."""
        with self.store.lock:
            before = self.store.changes()
            with self.store.transaction() as db:
                db.executemany(
                    "INSERT INTO avaamo_entries (to_phone, from_phone, created_at, status)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
                inserted = self.store.changes() - before
                db.execute(
                    "UPDATE avaamo_entries SET current_status = (SELECT latest.status FROM avaamo_entries AS"
                    " latest WHERE latest.to_phone = avaamo_entries.to_phone AND latest.from_phone ="
                    " avaamo_entries.from_phone ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1)"
                )
            return inserted

    def count_avaamo(self, where: Where = NO_FILTER) -> int:
        return self.store.count(TABLE, where)

    def page_avaamo(self, where: Where, offset: int, limit: int) -> list[AvaamoEntry]:
        """Entries matching ``where``, newest first (created_at, then id, descending)."""
        sql, params = where
        clause = f" WHERE {sql}" if sql else ""
        rows = self.store.fetchall(
            f"SELECT {COLUMNS} FROM avaamo_entries WHERE id IN (SELECT id FROM avaamo_entries"
            f"{clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?)"
            " ORDER BY created_at DESC, id DESC",
            (*params, limit, offset),
        )
        return list(map(AvaamoEntry._make, rows))


def avaamo_rows(now: datetime, n: int) -> Iterator[tuple[str, str, int, str]]:
    """n Avaamo entries (to_phone, from_phone, created_at, status) within the last SEED_DAYS
    days; pair k has k % 3 + 1 entries alternating opt-out / opt-in, so some numbers opted out
    and back in (their first entry's status differs from their current_status)."""
    base = int(now.timestamp())
    produced = 0
    pair = 0
    while produced < n:
        to_phone = "+1" + fictional_number(pair)
        from_phone = AVAAMO_SENDERS[pair % len(AVAAMO_SENDERS)]
        first = base - SEED_DAYS * 86400 + (pair * 613) % (SEED_DAYS * 86400 // 2)
        for step in range(pair % 3 + 1):
            if produced >= n:
                return
            status = "opt-out" if step % 2 == 0 else "opt-in"
            yield (to_phone, from_phone, first + step * 86400 + step * 11, status)
            produced += 1
        pair += 1


def seed(store: Store, config: ReferenceConfig, n: int) -> None:
    """min(n, AVAAMO_MAX) seeded entries."""
    AvaamoStore(store).bulk_insert_avaamo(avaamo_rows(config.now(), min(n, AVAAMO_MAX)))
