"""Convoso search: the `limit` and `offset` parameters, their defaults and bounds, per profile.

000 says limit "default 1000, max 1000" and offset "default 0, max 100000"; 001 says limit
"default 100, max 1000" and offset "default 0, max 1,000,000". Both list 7231 "Invalid offset value".
"""

from __future__ import annotations

from optout_conformance.apis.convoso.checks.api import (
    BOTH,
    LIMIT_000,
    LIMIT_001,
    OFFSET_000,
    OFFSET_001,
    OFFSET_7231_000,
    OFFSET_7231_001,
    S000,
    S001,
    assert_error,
    ensure_total,
    error_body,
    is_error,
    json_object,
    lacking,
    records,
    search,
    short,
    total_of,
)
from optout_conformance.apis.convoso.checks.classify import observed_default, offset_between_maxima
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.outcomes import CheckFailed

OFFSET_ERROR = {7231: "Invalid offset value"}
# A page fuller than the documented maximum could be served only when more records match.
ABOVE_MAX = 1001
COMMUNITY_OFFSET_MAX = 100000
OFFICIAL_OFFSET_MAX = 1000000


@check(
    id="convoso.limits.omitted_limit_serves_the_documented_default_page_size",
    api="convoso",
    family="limits",
    source=f"{S000} (limit: default 1000); {S001} (limit: default 100)",
    writes=True,
    cites=(LIMIT_000, LIMIT_001),
)
def omitted_limit_serves_the_documented_default_page_size(ctx: CheckContext) -> None:
    """Without `limit`, search serves 1000 (000) or 100 (001) records when more match.

    Evidence: more than 1000 records, so that both defaults are bounds a page could exceed
    (created when writes are allowed, else inconclusive).
    """
    rule = "search without limit serves the documented default page size"
    ensure_total(ctx, rule, ABOVE_MAX)
    ex = search(ctx)
    body, items = records(ex, rule)
    total = total_of(ex, body, rule)
    if total < ABOVE_MAX:
        lacking(ctx, f"more than 1000 matching records (total {total})")
    shown = observed_default(total, len(items))
    expected = ctx.expect("convoso.search.limit-default")
    follows = {1000: S000, 100: S001}.get(shown) if shown else None
    ctx.observe("convoso.search.limit-default", shown if shown else len(items), follows=follows)
    allowed = [expected] if expected in (100, 1000) else [100, 1000]
    if shown not in allowed:
        documented = " or ".join(f"min(total, {d}) = {min(total, d)}" for d in allowed)
        raise CheckFailed(
            rule,
            received=f"{len(items)} records of total {total} (echoed limit {short(body.get('limit'))})",
            documented=f"{documented} records",
            source=f"{S000} (limit default 1000); {S001} (limit default 100)",
            exchange=ex,
        )


@check(
    id="convoso.limits.limit_1000_is_accepted_and_filled",
    api="convoso",
    family="limits",
    source=f"{S000} (limit: max 1000); {S001} (limit: max 1000)",
    writes=True,
    cites=(LIMIT_000, LIMIT_001),
)
def limit_1000_is_accepted_and_filled(ctx: CheckContext) -> None:
    """limit=1000 (the documented maximum in both) succeeds and serves min(total, 1000) records.

    Evidence: more than 1000 records (created when writes are allowed, else inconclusive), so a
    server capping pages below 1000 shows it.
    """
    rule = "search with limit=1000 succeeds with min(total, 1000) records"
    ensure_total(ctx, rule, ABOVE_MAX)
    ex = search(ctx, limit=1000)
    body, items = records(ex, rule)
    total = total_of(ex, body, rule)
    if total < ABOVE_MAX:
        lacking(ctx, f"more than 1000 matching records (total {total})")
    if len(items) != min(total, 1000):
        raise CheckFailed(
            rule,
            received=f"{len(items)} records of total {total}",
            documented=f"{min(total, 1000)} records (limit max 1000)",
            source=BOTH,
            exchange=ex,
        )


@check(
    id="convoso.limits.limit_above_1000_never_serves_more_than_1000_records",
    api="convoso",
    family="limits",
    source=f"{S000} (limit: max 1000); {S001} (limit: max 1000)",
    writes=True,
    cites=(LIMIT_000, LIMIT_001),
)
def limit_above_1000_never_serves_more_than_1000_records(ctx: CheckContext) -> None:
    """limit=1001 is clamped or rejected (both pass, observed); never more than 1000 records.

    Evidence: more than 1000 records (created when writes are allowed, else inconclusive).
    """
    rule = "search with limit above 1000 never serves more than 1000 records"
    ensure_total(ctx, rule, ABOVE_MAX)
    ex = search(ctx, limit=1001)
    body = json_object(ex, rule, BOTH)
    if is_error(ex, body):
        error_body(ctx, ex, rule, BOTH)
        ctx.observe("convoso.search.limit-above-max", f"rejected (HTTP {ex.status}, code {body.get('code')})")
        return
    body, items = records(ex, rule)
    ctx.observe("convoso.search.limit-above-max", f"clamped (echoed limit {body.get('limit')!r})")
    if len(items) > 1000:
        raise CheckFailed(
            rule,
            received=f"{len(items)} records",
            documented="at most 1000 records (limit max 1000)",
            source=BOTH,
            exchange=ex,
        )


@check(
    id="convoso.limits.records_never_outnumber_the_limit_sent",
    api="convoso",
    family="limits",
    source=f"{S000} (limit: Results per page); {S001} (limit: Max number of records to return)",
    cites=(LIMIT_000, LIMIT_001),
)
def records_never_outnumber_the_limit_sent(ctx: CheckContext) -> None:
    """A small limit caps the page; the echoed limit is observed (001 contradicts itself on it).

    Evidence: more than 3 matching records (else inconclusive: this check only reads).
    """
    rule = "search never serves more records than the limit sent"
    ex = search(ctx, limit=3)
    body, items = records(ex, rule)
    total = total_of(ex, body, rule)
    ctx.observe(
        "convoso.search.limit-echo-meaning", {"sent": 3, "echoed": body.get("limit"), "served": len(items)}
    )
    if len(items) <= 3 and total <= 3:
        lacking(ctx, f"more than 3 matching records (total {total})")
    if len(items) > 3:
        raise CheckFailed(
            rule,
            received=f"{len(items)} records for limit=3",
            documented="len(records) <= limit",
            source=BOTH,
            exchange=ex,
        )


def offset_max(ctx: CheckContext) -> int | None:
    expected = ctx.expect("convoso.search.offset-max")
    return expected if expected in (COMMUNITY_OFFSET_MAX, OFFICIAL_OFFSET_MAX) else None


@check(
    id="convoso.limits.offset_zero_and_the_documented_maximum_are_accepted",
    api="convoso",
    family="limits",
    source=f"{S000} (offset: default 0, max 100000); {S001} (offset: default 0, max 1,000,000)",
    cites=(OFFSET_000, OFFSET_001),
)
def offset_zero_and_the_documented_maximum_are_accepted(ctx: CheckContext) -> None:
    """offset=0 and offset=max succeed (max: the profile's, or 100000 which both documents allow)."""
    rule = "search accepts offset 0 and the documented maximum offset"
    for offset in (0, offset_max(ctx) or COMMUNITY_OFFSET_MAX):
        records(search(ctx, offset=offset, limit=1), f"{rule} (offset={offset})")


@check(
    id="convoso.limits.offset_above_the_maximum_gets_7231",
    api="convoso",
    family="limits",
    source=f"{S000} (offset max 100000; 7231 Invalid offset value); {S001} (offset max 1,000,000; 7231)",
    cites=(OFFSET_000, OFFSET_001, OFFSET_7231_000, OFFSET_7231_001),
)
def offset_above_the_maximum_gets_7231(ctx: CheckContext) -> None:
    """offset = max + 1 -> 7231; without a pinned profile, an offset between the two maxima is observed."""
    rule = "search with offset above the maximum gets 7231"
    pinned = offset_max(ctx)
    over = (pinned or OFFICIAL_OFFSET_MAX) + 1
    source = S000 if pinned == COMMUNITY_OFFSET_MAX else S001 if pinned else BOTH
    assert_error(
        ctx,
        search(ctx, offset=over, limit=1),
        rule=f"{rule} (offset={over})",
        codes=OFFSET_ERROR,
        source=source,
    )
    if pinned is None:
        ctx.observe("convoso.search.offset-max", *offset_between_maxima(ctx))


@check(
    id="convoso.limits.negative_or_non_integer_offset_gets_7231",
    api="convoso",
    family="limits",
    source=f"{S000} (offset integer; 7231 Invalid offset value); {S001} (offset integer; 7231)",
    cites=(OFFSET_000, OFFSET_001, OFFSET_7231_000, OFFSET_7231_001),
)
def negative_or_non_integer_offset_gets_7231(ctx: CheckContext) -> None:
    """offset=-1 and offset=abc are invalid offset values -> 7231 (both documents)."""
    rule = "search with an invalid offset gets 7231"
    for offset in ("-1", "abc"):
        assert_error(
            ctx,
            search(ctx, offset=offset, limit=1),
            rule=f"{rule} (offset={offset})",
            codes=OFFSET_ERROR,
            source=BOTH,
        )
