"""Deterministic seed data for the reference server: same n and same clock -> same data.

The engine names no API: each API's reference service that keeps seeded rows has a static
``seed_store(store, config, n)`` (its rows live in its package, ``apis/<name>/store.py``) and
declares its tables (``TABLES.NAMES``); :func:`seed` calls every one, in the definitions' order.

Numbers are fictional: ``NPA-555-XXXX`` with XXXX outside 0100..0199, so seeded numbers never
collide with the ``NPA-555-01XX`` numbers the checks write (``RunContext.fictional_phone``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optout_conformance.core.apis import APIS
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.store import Store

# Lines per area code (10000 minus the 100 reserved for the checks' writes) and area codes 200..999.
LINES_PER_AREA = 9900
MAX_SEED = LINES_PER_AREA * 800
SEED_DAYS = 30


def fictional_number(index: int) -> str:
    """The index-th seeded 10-digit number: area 200..999, exchange 555, line not 01XX."""
    area = 200 + (index // LINES_PER_AREA) % 800
    line = index % LINES_PER_AREA
    if line >= 100:
        line += 100
    return f"{area}555{line:04d}"


def seeders() -> list[tuple[Callable[[Store, ReferenceConfig, int], Any], tuple[str, ...]]]:
    """(seed function, the tables it fills) of every API's reference service that seeds."""
    found = []
    for definition in APIS.values():
        service = definition.service_class()
        seed_store = getattr(service, "seed_store", None)
        if seed_store is not None:
            found.append((seed_store, tuple(getattr(getattr(service, "TABLES", None), "NAMES", ()))))
    return found


def seed(store: Store, config: ReferenceConfig, n: int) -> None:
    """Fill an empty store: each seeding API's rows for ``n`` (an API may cap its share)."""
    for seed_store, _ in seeders():
        seed_store(store, config, n)


def seed_if_empty(store: Store, config: ReferenceConfig) -> bool:
    """Seed ``config.seed_records`` records unless a seeded table already has rows (a restart on
    the same file keeps its data as is); True when it seeded."""
    if config.seed_records == 0:
        return False
    found = seeders()
    if store.has_rows(table for _, tables in found for table in tables):
        return False
    for seed_store, _ in found:
        seed_store(store, config, config.seed_records)
    return True
