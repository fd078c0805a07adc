"""The reference server's storage: one SQLite database (standard library) for all three APIs.

Uniqueness is a database constraint, so concurrent duplicate inserts give exactly one success
whatever the interleaving. File databases use WAL with ``synchronous=FULL``: every committed
opt-out is on disk when the reply is sent, power loss included (``NORMAL`` in WAL mode may lose
the last commits). Measured with ``python benchmarks/bench_synchronous.py`` (2 cores, load ~10):
300 sequential inserts over HTTP, 106/s with NORMAL and 77/s with FULL (FULL costs ~28 %);
straight into the store 2,688/s and 183/s (the fsync per commit dominates).

Deep pages stay fast (offset 1,000,000 over 1,000,000 records) through three means:
- counts are cached per filter and invalidated by any write (ours or another connection's,
  seen through ``PRAGMA data_version``);
- an unfiltered page uses ``id >= min_id + offset`` when the ids are dense (there is no delete
  API, so they are unless a file was edited by hand), checked as ``count == max - min + 1``;
- a filtered page is a deferred join: the offset is walked on a covering index (every secondary
  index ends with the rowid), then only ``limit`` rows are read from the table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from optout_conformance.core.errors import UsageError
from optout_conformance.reference.config import MEMORY_DB

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
SQLITE_HEADER = b"SQLite format 3\x00"


def check_database_path(path: str) -> None:
    """A database path must be an SQLite file or a new file in an existing directory (UsageError)."""
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"cannot use database {path}: it is a directory",
                         hint="--db names an SQLite file (created when missing)")
    if not file.exists():
        if not file.parent.is_dir():
            raise UsageError(f"cannot create database {path}: directory {file.parent} does not exist")
        return
    try:
        with file.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"cannot read database {path}: {exc.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise UsageError(f"cannot use database {path}: not an SQLite database",
                         hint="--db names an SQLite file (created when missing)")

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
CREATE TABLE IF NOT EXISTS whatcounts_stops (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    sender_code TEXT NOT NULL,
    realm TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (phone, sender_code, realm)
);
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

# Secondary indexes: one per filter. Each implicitly ends with the rowid, so "filter ORDER BY id"
# needs no sort and the offset walk never touches the table.
CONVOSO_INDEXES = {
    "convoso_by_campaign": "convoso_records (campaign_id)",
    "convoso_by_phone_code": "convoso_records (phone_code)",
    "convoso_by_reason": "convoso_records (reason)",
    "convoso_by_purpose": "convoso_records (purpose)",
    "convoso_by_insert_date": "convoso_records (insert_date)",
}
AVAAMO_INDEXES = {
    "avaamo_by_pair": "avaamo_entries (to_phone, from_phone, created_at)",
    "avaamo_by_from": "avaamo_entries (from_phone)",
    "avaamo_by_created": "avaamo_entries (created_at)",
    "avaamo_by_status": "avaamo_entries (status)",
    "avaamo_by_current_status": "avaamo_entries (current_status)",
}

CONVOSO_COLUMNS = "id, phone_number, phone_code, campaign_id, reason, purpose, insert_date"
AVAAMO_COLUMNS = "id, to_phone, from_phone, created_at, status, current_status"


class DuplicateRecord(Exception):
    """A write collided with the (phone_number, phone_code, campaign_id) unique key."""


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


class AvaamoEntry(NamedTuple):
    """One Avaamo opt-status entry; created_at is UNIX epoch seconds."""

    id: int
    to_phone: str
    from_phone: str
    created_at: int
    status: str
    current_status: str


# A filter as the services build it: an SQL boolean expression over the table's columns
# (never containing user text) and its positional parameters.
Where = tuple[str, Sequence[Any]]
NO_FILTER: Where = ("", ())


class Store:
    """The database of the reference server; thread-safe (one connection behind a lock)."""

    def __init__(self, path: str = MEMORY_DB, *, synchronous: str = "FULL") -> None:
        self.path = path
        self._lock = threading.RLock()
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        if path != MEMORY_DB:
            check_database_path(path)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        except sqlite3.Error as exc:
            raise UsageError(f"cannot open database {path}: {exc}") from None
        try:
            if path != MEMORY_DB:
                self._db.execute("PRAGMA journal_mode=WAL")
                # FULL: a committed opt-out survives power loss (NORMAL in WAL mode may lose the
                # last transactions); the cost is measured in benchmarks/README.md.
                self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(SCHEMA)
            self._create_indexes()
        except sqlite3.Error as exc:
            self._db.close()
            raise UsageError(f"cannot use database {path}: {exc}",
                             hint="--db names an SQLite file (created when missing)") from None
        self._count_cache: dict[tuple[str, str, tuple[Any, ...]], int] = {}
        self._cache_version: int | None = None

    def _create_indexes(self) -> None:
        for name, target in {**CONVOSO_INDEXES, **AVAAMO_INDEXES}.items():
            self._db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- counting with a cache -------------------------------------------------------------

    def _wrote(self) -> None:
        """Forget every cached count (called after each write)."""
        self._count_cache.clear()

    def _count(self, table: str, where: Where) -> int:
        sql, params = where
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._cache_version:
            self._count_cache.clear()
            self._cache_version = version
        key = (table, sql, tuple(params))
        if key not in self._count_cache:
            clause = f" WHERE {sql}" if sql else ""
            row = self._db.execute(f"SELECT count(*) FROM {table}{clause}", tuple(params)).fetchone()
            self._count_cache[key] = int(row[0])
        return self._count_cache[key]

    # -- Convoso -----------------------------------------------------------------------------

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
        with self._lock:
            try:
                cursor = self._db.execute(
                    "INSERT INTO convoso_records (phone_number, phone_code, campaign_id, reason, purpose,"
                    " insert_date) VALUES (?, ?, ?, ?, ?, ?)",
                    (phone_number, phone_code, campaign_id, reason, purpose, insert_date),
                )
            except sqlite3.IntegrityError:
                raise DuplicateRecord(phone_number) from None
            finally:
                self._wrote()
            return int(cursor.lastrowid or 0)

    def get_convoso(self, record_id: int) -> ConvosoRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {CONVOSO_COLUMNS} FROM convoso_records WHERE id = ?", (record_id,)
            ).fetchone()
        return ConvosoRecord(*row) if row else None

    def update_convoso(self, record_id: int, changes: dict[str, Any]) -> None:
        """Set the given columns of one record; DuplicateRecord when the new key exists."""
        allowed = {"phone_number", "phone_code", "campaign_id", "reason", "purpose"}
        columns = [name for name in changes if name in allowed]
        if not columns:
            return
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._lock:
            try:
                self._db.execute(
                    f"UPDATE convoso_records SET {assignments} WHERE id = ?",
                    (*[changes[name] for name in columns], record_id),
                )
            except sqlite3.IntegrityError:
                raise DuplicateRecord(str(changes.get("phone_number", ""))) from None
            finally:
                self._wrote()

    def count_convoso(self, where: Where = NO_FILTER) -> int:
        with self._lock:
            return self._count("convoso_records", where)

    def page_convoso(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        """Records matching ``where``, ordered by id ascending, from ``offset``, at most ``limit``."""
        sql, params = where
        with self._lock:
            if offset >= self._count("convoso_records", where):
                return []  # past the end: no index walk at all
            if not sql:
                dense_start = self._dense_start(offset)
                if dense_start is not None:
                    rows = self._db.execute(
                        f"SELECT {CONVOSO_COLUMNS} FROM convoso_records WHERE id >= ? ORDER BY id LIMIT ?",
                        (dense_start, limit),
                    ).fetchall()
                    return list(map(ConvosoRecord._make, rows))
            clause = f" WHERE {sql}" if sql else ""
            rows = self._db.execute(
                f"SELECT {CONVOSO_COLUMNS} FROM convoso_records WHERE id IN"
                f" (SELECT id FROM convoso_records{clause} ORDER BY id LIMIT ? OFFSET ?) ORDER BY id",
                (*params, limit, offset),
            ).fetchall()
        return list(map(ConvosoRecord._make, rows))

    def _dense_start(self, offset: int) -> int | None:
        """The id at ``offset`` when ids are 1-step dense (no gaps), else None."""
        # Two statements: SQLite answers a lone min() or max() from the b-tree edge, both at once
        # would scan the table.
        low = self._db.execute("SELECT min(id) FROM convoso_records").fetchone()[0]
        high = self._db.execute("SELECT max(id) FROM convoso_records").fetchone()[0]
        if low is None:
            return None
        if self._count("convoso_records", NO_FILTER) != high - low + 1:
            return None
        return int(low) + offset

    def bulk_insert_convoso(self, rows: Iterable[tuple[str, str, int, str, str, str]]) -> int:
        """Insert many (phone_number, phone_code, campaign_id, reason, purpose, insert_date) rows
        in one transaction (used by seeding); returns how many were inserted.

        Into an empty table the secondary indexes are dropped first and built after the load
        (one sort each instead of a million random index inserts); the unique key stays.
        """
        with self._lock:
            before = self._db.total_changes
            rebuild = self._count("convoso_records", NO_FILTER) == 0
            self._db.execute("BEGIN")
            try:
                if rebuild:
                    for name in CONVOSO_INDEXES:
                        self._db.execute(f"DROP INDEX IF EXISTS {name}")
                self._db.executemany(
                    "INSERT INTO convoso_records (phone_number, phone_code, campaign_id, reason, purpose,"
                    " insert_date) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                if rebuild:
                    for name, target in CONVOSO_INDEXES.items():
                        self._db.execute(f"CREATE INDEX {name} ON {target}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._wrote()
            return self._db.total_changes - before

    # -- WhatCounts --------------------------------------------------------------------------

    def add_whatcounts_stop(self, phone: str, sender_code: str, realm: str, created: str) -> bool:
        """Record a stop; True when it is new, False when the same stop already existed."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO whatcounts_stops (phone, sender_code, realm, created)"
                " VALUES (?, ?, ?, ?)",
                (phone, sender_code, realm, created),
            )
            self._wrote()
            return cursor.rowcount == 1

    def whatcounts_stops(self) -> list[tuple[str, str, str, str]]:
        """Every stop as (phone, sender_code, realm, created), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT phone, sender_code, realm, created FROM whatcounts_stops ORDER BY id"
            ).fetchall()
        return [tuple(row) for row in rows]

    # -- Avaamo ------------------------------------------------------------------------------

    def bulk_insert_avaamo(self, rows: Iterable[tuple[str, str, int, str]]) -> int:
        """Insert many (to_phone, from_phone, created_at, status) entries, then recompute every
        entry's current_status; returns how many were inserted."""
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO avaamo_entries (to_phone, from_phone, created_at, status)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
                inserted = self._db.total_changes - before
                self._db.execute(
                    "UPDATE avaamo_entries SET current_status = (SELECT latest.status FROM avaamo_entries AS"
                    " latest WHERE latest.to_phone = avaamo_entries.to_phone AND latest.from_phone ="
                    " avaamo_entries.from_phone ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1)"
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._wrote()
            return inserted

    def count_avaamo(self, where: Where = NO_FILTER) -> int:
        with self._lock:
            return self._count("avaamo_entries", where)

    def page_avaamo(self, where: Where, offset: int, limit: int) -> list[AvaamoEntry]:
        """Entries matching ``where``, newest first (created_at, then id, descending)."""
        sql, params = where
        clause = f" WHERE {sql}" if sql else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {AVAAMO_COLUMNS} FROM avaamo_entries WHERE id IN (SELECT id FROM avaamo_entries"
                f"{clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?)"
                " ORDER BY created_at DESC, id DESC",
                (*params, limit, offset),
            ).fetchall()
        return list(map(AvaamoEntry._make, rows))
