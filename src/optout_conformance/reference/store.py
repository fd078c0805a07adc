"""The reference server's storage engine: one SQLite database (standard library) for every API.

The engine names no API: each API's reference service declares its tables (``TABLES``, a class
with ``SCHEMA``, the ``CREATE TABLE IF NOT EXISTS`` statements, and ``INDEXES``, index name ->
``table (columns)``) and reads and writes them through the primitives below (``write``,
``fetchall``, ``count``, ``transaction``, ``dense_start``); its table module (``apis/<name>/store.py``)
holds its rows' types and queries. A Store opened without ``tables`` creates every API's tables,
found through the definitions.

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from optout_conformance.core.apis import APIS
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


class Tables(Protocol):
    """One API's tables as its reference service declares them (``TABLES``)."""

    # The tables SCHEMA creates.
    NAMES: tuple[str, ...]
    # CREATE TABLE IF NOT EXISTS statements (one script).
    SCHEMA: str
    # Secondary indexes: name -> "table (columns)". Each implicitly ends with the rowid, so
    # "filter ORDER BY id" needs no sort and an offset walk never touches the table.
    INDEXES: Mapping[str, str]


def declared_tables() -> list[Tables]:
    """The tables of every API's reference service (services without ``TABLES`` keep no rows)."""
    found: list[Tables] = []
    for definition in APIS.values():
        tables = getattr(definition.service_class(), "TABLES", None)
        if tables is not None and tables not in found:
            found.append(tables)
    return found


class DuplicateRecord(Exception):
    """A write collided with a table's unique key."""


# A filter as the services build it: an SQL boolean expression over the table's columns
# (never containing user text) and its positional parameters.
Where = tuple[str, Sequence[Any]]
NO_FILTER: Where = ("", ())


class Store:
    """The database of the reference server; thread-safe (one connection behind a lock).

    ``tables``: the tables to create (default: every API's, :func:`declared_tables`).
    """

    def __init__(self, path: str = MEMORY_DB, *, synchronous: str = "FULL",
                 tables: Iterable[Tables] | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        if path != MEMORY_DB:
            check_database_path(path)
        self.tables = list(tables) if tables is not None else declared_tables()
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
            for table in self.tables:
                self._db.executescript(table.SCHEMA)
            for table in self.tables:
                self.create_indexes(table.INDEXES, if_not_exists=True)
        except sqlite3.Error as exc:
            self._db.close()
            raise UsageError(f"cannot use database {path}: {exc}",
                             hint="--db names an SQLite file (created when missing)") from None
        self._count_cache: dict[tuple[str, str, tuple[Any, ...]], int] = {}
        self._cache_version: int | None = None

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

    def count(self, table: str, where: Where = NO_FILTER) -> int:
        """Rows of ``table`` matching ``where`` (cached until the next write, ours or another
        connection's)."""
        with self._lock:
            return self._count(table, where)

    # -- reading and writing -----------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The store's lock: hold it to make several reads one consistent view."""
        return self._lock

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchone()

    def write(self, sql: str, params: Sequence[Any] = (), *, duplicate: str = "") -> sqlite3.Cursor:
        """One write statement; a unique-key collision is DuplicateRecord(``duplicate``)."""
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params))
            except sqlite3.IntegrityError:
                raise DuplicateRecord(duplicate) from None
            finally:
                self._wrote()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the connection (committed, or rolled back on any exception)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._wrote()

    def changes(self) -> int:
        """Rows changed on this connection so far (``total_changes``)."""
        return self._db.total_changes

    def create_indexes(self, indexes: Mapping[str, str], *, if_not_exists: bool = False) -> None:
        clause = "IF NOT EXISTS " if if_not_exists else ""
        with self._lock:
            for name, target in indexes.items():
                self._db.execute(f"CREATE INDEX {clause}{name} ON {target}")

    def drop_indexes(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._db.execute(f"DROP INDEX IF EXISTS {name}")

    def dense_start(self, table: str, offset: int) -> int | None:
        """The id at ``offset`` of ``table`` when its ids are 1-step dense (no gaps), else None
        (there is no delete API, so they are unless a file was edited by hand)."""
        with self._lock:
            # Two statements: SQLite answers a lone min() or max() from the b-tree edge, both at
            # once would scan the table.
            low = self._db.execute(f"SELECT min(id) FROM {table}").fetchone()[0]
            high = self._db.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            if low is None:
                return None
            if self._count(table, NO_FILTER) != high - low + 1:
                return None
            return int(low) + offset

    def has_rows(self, tables: Iterable[str]) -> bool:
        """Whether any of ``tables`` has a row."""
        with self._lock:
            return any(self._db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in tables)
