"""Convoso's tables in the reference server's store, its rows and its seed data.

``ConvosoStore`` wraps the generic :class:`~optout_conformance.reference.store.Store` with the
queries of the three operations; the service (``reference.ConvosoService``) declares the tables
(``TABLES``) and seeds them (``seed``). Deep pages stay fast (offset 1,000,000 over 1,000,000
records): counts are cached by the store; an unfiltered page uses ``id >= min_id + offset`` when
the ids are dense; a filtered page is a deferred join (the offset is walked on a covering index,
then only ``limit`` rows are read from the table).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from optout_conformance.reference.config import PURPOSE, ReferenceConfig
from optout_conformance.reference.seed import MAX_SEED, SEED_DAYS, fictional_number
from optout_conformance.reference.store import NO_FILTER, Store, Where

TABLE = "convoso_records"
COLUMNS = "id, phone_number, phone_code, campaign_id, reason, purpose, insert_date"
REASONS = ("User Request", "Complaint", "", "Unsubscribe", "STOP Reply", "Regulatory", "")
PURPOSES = ("Marketing", "", "Promotional", "Transactional", "Reminder", "", "Survey", "Notification", "")


class ConvosoTables:
    """The table and its indexes (duplicate key: phone_number, phone_code, campaign_id)."""

    NAMES = (TABLE,)
    SCHEMA = """
CREATE TABLE IF NOT EXISTS convoso_records (
    id INTEGER PRIMARY KEY,
    phone_number TEXT NOT NULL,
    phone_code TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    insert_date TEXT NOT NULL,
    UNIQUE (phone_number, phone_code, campaign_id)
);
"""
    # One per filter; each implicitly ends with the rowid (a filter ORDER BY id needs no sort).
    INDEXES = {
        "convoso_by_campaign": "convoso_records (campaign_id)",
        "convoso_by_phone_code": "convoso_records (phone_code)",
        "convoso_by_reason": "convoso_records (reason)",
        "convoso_by_purpose": "convoso_records (purpose)",
        "convoso_by_insert_date": "convoso_records (insert_date)",
    }


class ConvosoRecord(NamedTuple):
    """One Convoso SMS opt-out record as stored; insert_date is ``YYYY-MM-DD HH:MM:SS`` (UTC).

    A named tuple rather than a dataclass: a page builds up to 1000 of them per request."""

    id: int
    phone_number: str
    phone_code: str
    campaign_id: int
    reason: str
    purpose: str
    insert_date: str


class ConvosoStore:
    """The Convoso records of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def insert_convoso(
        self,
        phone_number: str,
        phone_code: str,
        campaign_id: int,
        reason: str,
        purpose: str,
        insert_date: str,
    ) -> int:
        """Insert one record and return its id; DuplicateRecord when the unique key exists."""
        cursor = self.store.write(
            "INSERT INTO convoso_records (phone_number, phone_code, campaign_id, reason, purpose,"
            " insert_date) VALUES (?, ?, ?, ?, ?, ?)",
            (phone_number, phone_code, campaign_id, reason, purpose, insert_date), duplicate=phone_number,
        )
        return int(cursor.lastrowid or 0)

    def get_convoso(self, record_id: int) -> ConvosoRecord | None:
        row = self.store.fetchone(f"SELECT {COLUMNS} FROM convoso_records WHERE id = ?", (record_id,))
        return ConvosoRecord(*row) if row else None

    def update_convoso(self, record_id: int, changes: dict[str, Any]) -> None:
        """Set the given columns of one record; DuplicateRecord when the new key exists."""
        allowed = {"phone_number", "phone_code", "campaign_id", "reason", "purpose"}
        columns = [name for name in changes if name in allowed]
        if not columns:
            return
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.store.write(f"UPDATE convoso_records SET {assignments} WHERE id = ?",
                         (*[changes[name] for name in columns], record_id),
                         duplicate=str(changes.get("phone_number", "")))

    def delete_other_convoso(self, phone_number: str, phone_code: str, campaign_id: int, *,
                             keep: int) -> None:
        """Remove the record holding this key unless it is ``keep`` (an open-point realization
        that replaces a colliding record deletes; the API itself has no delete)."""
        self.store.write(
            "DELETE FROM convoso_records WHERE phone_number = ? AND phone_code = ? AND campaign_id = ?"
            " AND id != ?", (phone_number, phone_code, campaign_id, keep),
        )

    def count_convoso(self, where: Where = NO_FILTER) -> int:
        return self.store.count(TABLE, where)

    def page_convoso(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        """Records matching ``where``, ordered by id ascending, from ``offset``, at most ``limit``."""
        sql, params = where
        with self.store.lock:
            if offset >= self.store.count(TABLE, where):
                return []  # past the end: no index walk at all
            if not sql:
                dense_start = self.store.dense_start(TABLE, offset)
                if dense_start is not None:
                    rows = self.store.fetchall(
                        f"SELECT {COLUMNS} FROM convoso_records WHERE id >= ? ORDER BY id LIMIT ?",
                        (dense_start, limit),
                    )
                    return list(map(ConvosoRecord._make, rows))
            clause = f" WHERE {sql}" if sql else ""
            rows = self.store.fetchall(
                f"SELECT {COLUMNS} FROM convoso_records WHERE id IN"
                f" (SELECT id FROM convoso_records{clause} ORDER BY id LIMIT ? OFFSET ?) ORDER BY id",
                (*params, limit, offset),
            )
        return list(map(ConvosoRecord._make, rows))

    def bulk_insert_convoso(self, rows: Iterable[tuple[str, str, int, str, str, str]]) -> int:
        """Insert many (phone_number, phone_code, campaign_id, reason, purpose, insert_date) rows
        in one transaction (used by seeding); returns how many were inserted.

        Into an empty table the secondary indexes are dropped first and built after the load
        (one sort each instead of a million random index inserts); the unique key stays.
        """
        with self.store.lock:
            before = self.store.changes()
            rebuild = self.store.count(TABLE) == 0
            with self.store.transaction() as db:
                if rebuild:
                    for name in ConvosoTables.INDEXES:
                        db.execute(f"DROP INDEX IF EXISTS {name}")
                db.executemany(
                    "INSERT INTO convoso_records (phone_number, phone_code, campaign_id, reason, purpose,"
                    " insert_date) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                if rebuild:
                    for name, target in ConvosoTables.INDEXES.items():
                        db.execute(f"CREATE INDEX {name} ON {target}")
            return self.store.changes() - before


def convoso_rows(config: ReferenceConfig, n: int) -> Iterator[tuple[str, str, int, str, str, str]]:
    """n Convoso rows (phone_number, phone_code, campaign_id, reason, purpose, insert_date) over
    every configured campaign, blank and non-blank reasons and purposes, SEED_DAYS dates;
    purpose-type records always have a purpose."""
    if n > MAX_SEED:
        raise ValueError(f"at most {MAX_SEED} records can be seeded, asked for {n}")
    campaigns = config.campaigns
    base = int(config.now().timestamp())
    day_names: dict[int, str] = {}
    for index in range(n):
        campaign = campaigns[index % len(campaigns)]
        purpose = PURPOSES[index % len(PURPOSES)]
        if campaign.type == PURPOSE and not purpose:
            purpose = "Marketing"
        # Inserted 1 minute to SEED_DAYS days ago; dates formatted by arithmetic (strftime per row
        # would dominate a million-row seed).
        day, second = divmod(base - ((index * 7) % SEED_DAYS) * 86400 - (index * 37) % 86400 - 60, 86400)
        if day not in day_names:
            day_names[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
        hour, rest = divmod(second, 3600)
        yield (
            fictional_number(index),
            "44" if index % 10 == 9 else "1",
            campaign.id,
            REASONS[index % len(REASONS)],
            purpose,
            f"{day_names[day]} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}",
        )


def seed(store: Store, config: ReferenceConfig, n: int) -> None:
    """n seeded records."""
    ConvosoStore(store).bulk_insert_convoso(convoso_rows(config, n))
