"""Deterministic seed data for the reference server: same n and same clock -> same data.

Numbers are fictional: ``NPA-555-XXXX`` with XXXX outside 0100..0199, so seeded numbers never
collide with the ``NPA-555-01XX`` numbers the checks write (``RunContext.fictional_phone``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from optout_conformance.reference.config import PURPOSE, ReferenceConfig
from optout_conformance.reference.store import Store

REASONS = ("User Request", "Complaint", "", "Unsubscribe", "STOP Reply", "Regulatory", "")
PURPOSES = ("Marketing", "", "Promotional", "Transactional", "Reminder", "", "Survey", "Notification", "")
# Lines per area code (10000 minus the 100 reserved for the checks' writes) and area codes 200..999.
LINES_PER_AREA = 9900
MAX_SEED = LINES_PER_AREA * 800
# Avaamo has no write API, so its entries only come from here; capped to keep starts fast.
AVAAMO_MAX = 5000
AVAAMO_SENDERS = ("+15555550100", "+15555550101", "+15555550102")
SEED_DAYS = 30


def fictional_number(index: int) -> str:
    """The index-th seeded 10-digit number: area 200..999, exchange 555, line not 01XX."""
    area = 200 + (index // LINES_PER_AREA) % 800
    line = index % LINES_PER_AREA
    if line >= 100:
        line += 100
    return f"{area}555{line:04d}"


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
    """Fill an empty store: n Convoso records and min(n, AVAAMO_MAX) Avaamo entries.

    WhatCounts stops are not seeded (the API only writes; nothing reads them back).
    """
    store.bulk_insert_convoso(convoso_rows(config, n))
    store.bulk_insert_avaamo(avaamo_rows(config.now(), min(n, AVAAMO_MAX)))


def seed_if_empty(store: Store, config: ReferenceConfig) -> bool:
    """Seed ``config.seed_records`` records unless the store already has Convoso records (a
    restart on the same file keeps its data as is); True when it seeded."""
    if store.count_convoso() > 0 or config.seed_records == 0:
        return False
    seed(store, config, config.seed_records)
    return True
