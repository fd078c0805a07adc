"""WhatCounts' table in the reference server's store: the stops (never seeded; the API only
writes, and nothing reads them back but the tests)."""

from __future__ import annotations

from optout_conformance.reference.store import Store

TABLE = "whatcounts_stops"


class WhatCountsTables:
    """The stops table; a stop is unique per (phone, sender_code, realm)."""

    NAMES = (TABLE,)
    SCHEMA = """
CREATE TABLE IF NOT EXISTS whatcounts_stops (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    sender_code TEXT NOT NULL,
    realm TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (phone, sender_code, realm)
);
"""
    INDEXES: dict[str, str] = {}


class WhatCountsStore:
    """The WhatCounts stops of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_whatcounts_stop(self, phone: str, sender_code: str, realm: str, created: str) -> bool:
        """Record a stop; True when it is new, False when the same stop already existed."""
        cursor = self.store.write(
            "INSERT OR IGNORE INTO whatcounts_stops (phone, sender_code, realm, created) VALUES (?, ?, ?, ?)",
            (phone, sender_code, realm, created),
        )
        return cursor.rowcount == 1

    def whatcounts_stops(self) -> list[tuple[str, str, str, str]]:
        """Every stop as (phone, sender_code, realm, created), oldest first."""
        rows = self.store.fetchall(
            "SELECT phone, sender_code, realm, created FROM whatcounts_stops ORDER BY id")
        return [tuple(row) for row in rows]
