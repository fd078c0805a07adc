"""Convoso search: offset/limit paging over a result set (pages, order, totals, the end).

Both documents define `offset` as the row offset, `limit` as the page size and `total` as the
number of matching records. The walks page over the target's whole data, bounded to a few pages;
they only read, and the runner runs every writing check after the reading ones, so no insert of
this run moves the pages mid-walk.

Every page is held to what `total` means: a page at offset O with N records says there are at
least O + N matching records, and a full first page whose total claims it is the whole set must
have nothing after it (a `total` that counts the page instead of the matches fails both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    BOTH,
    LIMIT_000,
    LIMIT_001,
    OFFSET_000,
    OFFSET_001,
    ROW_001,
    TOTAL_000,
    TOTAL_001,
    lacking,
    records,
    search,
    short,
    total_of,
)
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive

PAGING = (OFFSET_000, OFFSET_001, ROW_001, LIMIT_000, LIMIT_001)
TOTAL = (TOTAL_000, TOTAL_001)

MAX_PAGES = 5


@dataclass
class Page:
    """One page of a walk: where it starts, what it served, the total it reported."""

    offset: int
    ids: list[str]
    total: int
    exchange: Exchange


def page(ctx: CheckContext, rule: str, offset: int, limit: int) -> Page:
    """One page; fails when it holds more than ``limit`` records or more than its `total` allows."""
    ex = search(ctx, offset=offset, limit=limit)
    body, items = records(ex, rule)
    ids = ids_of(items)
    if len(items) > limit:
        raise CheckFailed(
            rule,
            received=f"{len(items)} records for limit={limit}",
            documented="len(records) <= limit",
            source=BOTH,
            exchange=ex,
        )
    total = total_of(ex, body, rule)
    if items and total < offset + len(items):
        raise CheckFailed(
            rule,
            received=f"total {total} with {len(items)} records at offset {offset}",
            documented=f"total >= offset + len(records) = {offset + len(items)} "
            "(total: the number of matching records, not of this page)",
            source=BOTH,
            exchange=ex,
        )
    return Page(offset, ids, total, ex)


def first_page(ctx: CheckContext, rule: str, limit: int) -> Page:
    """The page at offset 0; when it is full and its total says nothing follows, offset `total`
    must indeed be empty (a total counting the page would hide every later record)."""
    first = page(ctx, rule, 0, limit)
    if len(first.ids) == limit and first.total == limit:
        after = page(ctx, rule, first.total, 1)
        if after.ids:
            raise CheckFailed(
                rule,
                received=f"total {first.total} on a full page of limit={limit}, and a record "
                f"({after.ids[0]}) at offset {first.total}",
                documented="total counts every matching record, beyond this page too",
                source=BOTH,
                exchange=after.exchange,
            )
    return first


def walk(ctx: CheckContext, rule: str) -> tuple[list[Page], bool]:
    """Pages of the data from offset 0; the flag says whether the walk reached the end."""
    total = first_page(ctx, rule, 1).total
    if total < 3:
        lacking(ctx, f"at least 3 records, for more than one page (the target has {total})")
    size = min(1000, max(2, -(-total // (MAX_PAGES - 1))))
    pages = [page(ctx, rule, offset, size) for offset in range(0, min(total, size * MAX_PAGES), size)]
    return pages, total <= size * MAX_PAGES


@check(
    id="convoso.pagination.consecutive_pages_are_disjoint_and_cover_the_total",
    api="convoso",
    family="pagination",
    source=f"{BOTH} (offset: row offset; limit: page size; total: matching records)",
    fast=False,
    cites=(*PAGING, *TOTAL),
)
def consecutive_pages_are_disjoint_and_cover_the_total(ctx: CheckContext) -> None:
    """Walking offset 0, L, 2L, ... serves each record once, and all `total` of them."""
    rule = "consecutive pages are disjoint and together serve `total` records"
    pages, complete = walk(ctx, rule)
    seen: dict[str, int] = {}
    for p in pages:
        for record_id in p.ids:
            if record_id in seen:
                raise CheckFailed(
                    rule,
                    received=f"record id {record_id} on the pages at offsets {seen[record_id]} "
                    f"and {p.offset}",
                    documented="pages at different offsets are disjoint",
                    source=BOTH,
                    exchange=p.exchange,
                )
            seen[record_id] = p.offset
    total = pages[0].total
    if complete and len(seen) != total:
        raise CheckFailed(
            rule,
            received=f"{len(seen)} distinct records over {len(pages)} pages",
            documented=f"total = {total} records",
            source=BOTH,
            exchange=pages[-1].exchange,
        )


@check(
    id="convoso.pagination.total_is_the_same_on_every_page",
    api="convoso",
    family="pagination",
    source=f"{BOTH} (total: total matching records)",
    fast=False,
    cites=TOTAL,
)
def total_is_the_same_on_every_page(ctx: CheckContext) -> None:
    """`total` counts the matching records, not the page: it does not change with the offset."""
    rule = "total is the same on every page of one query"
    pages, _ = walk(ctx, rule)
    for p in pages[1:]:
        if p.total != pages[0].total:
            raise CheckFailed(
                rule,
                received=f"total {p.total} at offset {p.offset}, {pages[0].total} at offset 0",
                documented="one total for the query",
                source=BOTH,
                exchange=p.exchange,
            )


@check(
    id="convoso.pagination.identical_searches_return_the_same_order",
    api="convoso",
    family="pagination",
    source=f"{BOTH} (offset: row offset into one result set); registry convoso.search.order (observed)",
    cites=PAGING,
)
def identical_searches_return_the_same_order(ctx: CheckContext) -> None:
    """The page at offset L continues the page at offset 0: together they are the first 2L rows.

    No document fixes the order of records, nor says that two identical searches list them in
    the same order: whether they do is observed (registry convoso.search.order), never failed.
    What both state is that offset is the "Row offset for pagination" / "Starting row in the
    result set": pages at offsets 0 and L of limit L are rows [0, L) and [L, 2L) of one result
    set, so as sets they are disjoint and make up the page at offset 0 of limit 2L. A server
    that orders each request afresh (no ORDER BY) breaks that. Evidence: more than 2L records.
    """
    rule = "pages at offsets 0 and L make up the page of limit 2L"
    size = 25
    whole_ex = search(ctx, limit=2 * size)
    body, whole = records(whole_ex, rule)
    total = total_of(whole_ex, body, rule)
    if total <= 2 * size:
        lacking(ctx, f"more than {2 * size} records (the target has {total})")
    again_ex = search(ctx, limit=2 * size)
    _, again = records(again_ex, rule)
    ctx.observe("convoso.search.order", "stable" if ids_of(whole) == ids_of(again) else "unstable")
    first = page(ctx, rule, 0, size)
    second = page(ctx, rule, size, size)
    overlap = set(first.ids) & set(second.ids)
    if overlap:
        raise CheckFailed(
            rule,
            received=f"record(s) {short(sorted(overlap), 80)} on both the page at offset 0 and "
            f"the page at offset {size} (limit {size})",
            documented="rows [0, L) and [L, 2L) of one result set: disjoint",
            source=BOTH,
            exchange=second.exchange,
        )
    if set(first.ids) | set(second.ids) != set(ids_of(whole)):
        raise CheckFailed(
            rule,
            received=f"pages of limit {size} at offsets 0 and {size} hold "
            f"{short(sorted(set(first.ids) | set(second.ids)), 80)}; the page of limit "
            f"{2 * size} holds {short(sorted(ids_of(whole)), 80)}",
            documented="the same records: offset is a row offset into one result set",
            source=BOTH,
            exchange=second.exchange,
        )


@check(
    id="convoso.pagination.last_page_serves_the_remaining_records",
    api="convoso",
    family="pagination",
    source=f"{BOTH} (offset: row offset; total: matching records)",
    cites=(*PAGING, *TOTAL),
)
def last_page_serves_the_remaining_records(ctx: CheckContext) -> None:
    """offset = total - 2 with limit 5 serves exactly the last 2 records."""
    rule = "the last page serves total - offset records"
    total = first_page(ctx, rule, 1).total
    if total < 3:
        lacking(ctx, f"at least 3 records, so the last page is not the first (the target has {total})")
    if total - 2 > 100000:
        raise CheckInconclusive(f"the last page lies beyond offset 100000 (total {total})")
    last = page(ctx, rule, total - 2, 5)
    if len(last.ids) != 2:
        raise CheckFailed(
            rule,
            received=f"{len(last.ids)} records at offset {total - 2} (total {total})",
            documented="2 records (total - offset)",
            source=BOTH,
            exchange=last.exchange,
        )


@check(
    id="convoso.pagination.page_past_the_end_is_empty",
    api="convoso",
    family="pagination",
    source=f"{BOTH} (offset: row offset)",
    cites=(*PAGING, *TOTAL),
)
def page_past_the_end_is_empty(ctx: CheckContext) -> None:
    """An offset at or past `total` (within the maximum) succeeds with no records."""
    rule = "a page past the end is empty"
    total = first_page(ctx, rule, 1).total
    if total < 1:
        lacking(ctx, "at least 1 record, so that there is an end to page past (the target has none)")
    if total > 100000:
        raise CheckInconclusive(f"the end lies beyond offset 100000 (total {total})")
    past = page(ctx, rule, total, 10)
    if past.ids:
        raise CheckFailed(
            rule,
            received=f"{len(past.ids)} records at offset {total} (total {total})",
            documented="no records past the end",
            source=BOTH,
            exchange=past.exchange,
        )


def ids_of(items: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("id")) for r in items]
