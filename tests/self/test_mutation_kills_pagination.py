"""The Convoso paging rules on hand-made targets of any size, over real HTTP on 127.0.0.1.

Both documents define `offset` as the row offset, `limit` as the page size (max 1000) and `total`
as the number of matching records. A hand-made target serves records 1..N in id order and can
break one of those definitions at a time; it can claim 100,000 records without holding them, so
the evidence boundaries of the checks (at least 3 records, more than 2L, the 100,000 offset
maximum of 000) are tested on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

TOKEN = "hand-made-token"
MAX_LIMIT = 1000
MAX_OFFSET = 100_000  # 000's maximum (the community profile these targets follow)

WALK = "convoso.pagination.consecutive_pages_are_disjoint_and_cover_the_total"
SAME_TOTAL = "convoso.pagination.total_is_the_same_on_every_page"
ORDER = "convoso.pagination.identical_searches_return_the_same_order"
LAST_PAGE = "convoso.pagination.last_page_serves_the_remaining_records"
PAST_END = "convoso.pagination.page_past_the_end_is_empty"
PAGINATION = (WALK, SAME_TOTAL, ORDER, LAST_PAGE, PAST_END)
assert set(PAGINATION) <= {spec.id for spec in checks_for("convoso")}


class Paged:
    """A conforming search over records 1..total (id order): offset is the row offset, limit the
    page size (default and maximum 1000), total every record. Subclasses break one rule."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[tuple[int, int]] = []

    def rows(self, offset: int, limit: int) -> list[int]:
        """The record ids served at ``offset`` for ``limit``."""
        return list(range(offset + 1, min(offset + limit, self.total) + 1))

    def reported_total(self, offset: int, limit: int) -> int:
        return self.total

    def answer(self, fields: dict[str, str]) -> Response:
        if fields.get("auth_token") != TOKEN:
            return JSONResponse({"success": False, "error": "Invalid authentication token"}, status_code=401)
        offset = int(fields.get("offset") or 0)
        asked = int(fields.get("limit") or MAX_LIMIT)
        self.requests.append((offset, asked))
        limit = min(asked, MAX_LIMIT)
        if offset > MAX_OFFSET:
            return JSONResponse({"success": False, "code": 7231, "error": "Invalid offset value"})
        records = [{"id": str(i), "phone_number": f"555010{i % 10000:04d}", "phone_code": "1",
                    "campaign_id": "0", "reason": "", "purpose": ""} for i in self.rows(offset, limit)]
        total = self.reported_total(offset, limit)
        return JSONResponse({"success": True, "offset": offset, "limit": limit, "total": total,
                             "records": records})

    def app(self) -> Starlette:
        async def search(request: Request) -> Response:
            form = parse_qs((await request.body()).decode())
            return self.answer({name: values[0] for name, values in form.items()})

        return Starlette(routes=[Route("/{path:path}", search, methods=["POST"])])


class LastRecordNeverServed(Paged):
    """Bug: the last record is counted in total but never served."""

    def rows(self, offset: int, limit: int) -> list[int]:
        return [i for i in super().rows(offset, limit) if i != self.total]


class OneRecordTooMany(Paged):
    """Bug: every page holds one record more than limit."""

    def rows(self, offset: int, limit: int) -> list[int]:
        return list(range(offset + 1, min(offset + limit + 1, self.total) + 1))


class PagesOverlap(Paged):
    """Bug: every page after the first starts one record early."""

    def rows(self, offset: int, limit: int) -> list[int]:
        return super().rows(max(0, offset - 1), limit)


class TotalCountsThePage(Paged):
    """Bug: total is the number of records on the page."""

    def reported_total(self, offset: int, limit: int) -> int:
        return len(self.rows(offset, limit))


class TotalDiffersOnOnePage(Paged):
    """Bug: the ``page``-th page of a walk (offset // limit) reports total + ``delta``."""

    def __init__(self, total: int, page: int, delta: int) -> None:
        super().__init__(total)
        self.page, self.delta = page, delta

    def reported_total(self, offset: int, limit: int) -> int:
        moved = offset // limit == self.page and offset % limit == 0
        return self.total + (self.delta if moved else 0)


@contextmanager
def served(target: Paged) -> Iterator[RunContext]:
    """A read-only context (a remote target's: nothing may be written) against ``target``."""
    with EmbeddedServer(target.app()) as server:
        url = server.url("convoso")
        yield RunContext(
            target=Target(api="convoso", base_url=url),
            credentials=Credentials(token=TOKEN),
            profile="community",
            http=HttpClient(url, timeout=10.0),
        )


def verdict(ctx: RunContext, check_id: str) -> tuple[str, CheckFailed | None]:
    """'passed', 'failed', 'inconclusive' or 'skipped' (and the failure) for one check."""
    ctx.current_check = check_id
    try:
        CHECKS[check_id].function(ctx)
    except CheckFailed as failure:
        return "failed", failure
    except CheckInconclusive:
        return "inconclusive", None
    except CheckSkipped:
        return "skipped", None
    return "passed", None


def verdicts(target: Paged, *check_ids: str) -> dict[str, str]:
    with served(target) as ctx:
        return {check_id: verdict(ctx, check_id)[0] for check_id in check_ids}


def failure(target: Paged, check_id: str) -> CheckFailed:
    with served(target) as ctx:
        outcome, failed = verdict(ctx, check_id)
    assert outcome == "failed" and failed is not None, outcome
    return failed


# -- a conforming target passes, whatever its size ----------------------------------------------

@pytest.mark.parametrize("total", [3, 51, 150, 4500, 5000, 5001])
def test_a_conforming_target_of_any_size_passes_every_paging_rule(total: int) -> None:
    expected = dict.fromkeys(PAGINATION, "passed")
    if total <= 50:
        expected[ORDER] = "inconclusive"  # its evidence is more than two pages of 25
    assert verdicts(Paged(total), *PAGINATION) == expected


def test_the_walk_never_asks_for_more_than_the_documented_maximum_of_1000_per_page() -> None:
    target = Paged(4500)
    with served(target) as ctx:
        assert verdict(ctx, WALK)[0] == "passed"
    assert max(limit for _, limit in target.requests) <= MAX_LIMIT


# -- the evidence each rule needs: one record fewer is inconclusive, exactly enough is judged ----

@pytest.mark.parametrize(
    ("check_id", "needed"),
    [(WALK, 3), (SAME_TOTAL, 3), (LAST_PAGE, 3), (PAST_END, 1), (ORDER, 51)],
)
def test_a_paging_rule_is_inconclusive_one_record_short_of_its_evidence_and_judged_with_it(
    check_id: str, needed: int
) -> None:
    assert verdicts(Paged(needed - 1), check_id) == {check_id: "inconclusive"}
    assert verdicts(Paged(needed), check_id) == {check_id: "passed"}


def test_the_order_rule_says_it_needs_more_than_two_pages_of_25() -> None:
    with served(Paged(50)) as ctx:
        ctx.current_check = ORDER
        with pytest.raises(CheckInconclusive, match=r"more than 50 records \(the target has 50\)"):
            CHECKS[ORDER].function(ctx)


@pytest.mark.parametrize(("check_id", "judged"), [(LAST_PAGE, MAX_OFFSET + 2), (PAST_END, MAX_OFFSET)])
def test_an_end_beyond_000s_maximum_offset_of_100000_is_inconclusive_and_one_within_it_is_judged(
    check_id: str, judged: int
) -> None:
    assert verdicts(Paged(judged), check_id) == {check_id: "passed"}
    assert verdicts(Paged(judged + 1), check_id) == {check_id: "inconclusive"}


@pytest.mark.parametrize("total", [3, 4, MAX_OFFSET, MAX_OFFSET + 1, MAX_OFFSET + 2])
def test_the_last_page_is_judged_at_every_offset_from_1_to_the_maximum(total: int) -> None:
    # offset = total - 2: 1, 2, 99,998, 99,999 and 100,000 all lie within 000's maximum.
    assert verdicts(Paged(total), LAST_PAGE) == {LAST_PAGE: "passed"}


# -- each paging rule broken alone fails, wherever the break lies -------------------------------

@pytest.mark.parametrize("total", [3, 150, 5000])
def test_a_record_counted_in_total_but_never_served_fails_the_walk(total: int) -> None:
    failed = failure(LastRecordNeverServed(total), WALK)
    assert failed.received.startswith(f"{total - 1} distinct records over ")
    assert failed.documented == f"total = {total} records"


@pytest.mark.parametrize("total", [3, 150])
def test_pages_that_overlap_fail_the_walk_even_on_three_records(total: int) -> None:
    """Three records are enough for a walk of more than one page (the walk's stated evidence)."""
    assert verdicts(PagesOverlap(total), WALK) == {WALK: "failed"}


def test_beyond_five_full_pages_the_walk_does_not_claim_what_it_did_not_read() -> None:
    """5001 records: five pages of the maximum 1000 cannot show that the last one is served."""
    assert verdicts(LastRecordNeverServed(5001), WALK) == {WALK: "passed"}


def test_the_last_page_missing_a_record_fails_naming_the_offset_total_minus_2() -> None:
    failed = failure(LastRecordNeverServed(149), LAST_PAGE)
    assert failed.received == "1 records at offset 147 (total 149)"
    assert failed.documented == "2 records (total - offset)"


def test_a_page_holding_more_records_than_limit_fails() -> None:
    failed = failure(OneRecordTooMany(150), WALK)
    assert failed.received == "2 records for limit=1"
    assert failed.documented == "len(records) <= limit"


@pytest.mark.parametrize("check_id", [WALK, SAME_TOTAL, LAST_PAGE, PAST_END])
def test_a_total_counting_the_page_fails_stating_the_least_total_the_page_implies(check_id: str) -> None:
    failed = failure(TotalCountsThePage(150), check_id)
    match = re.fullmatch(r"total (\d+) with (\d+) records at offset (\d+)", failed.received)
    assert match, failed.received
    total, count, offset = map(int, match.groups())
    assert total < offset + count
    assert f"total >= offset + len(records) = {offset + count} " in failed.documented


# (A total one short on the last page is below what that page shows, and fails the page first.)
@pytest.mark.parametrize(("page", "delta"), [(1, 1), (2, 1), (3, 1), (1, -1), (2, -1)])
def test_a_total_that_differs_on_any_one_page_of_the_walk_fails_the_same_total_rule(
    page: int, delta: int
) -> None:
    failed = failure(TotalDiffersOnOnePage(150, page, delta), SAME_TOTAL)
    assert failed.received.startswith(f"total {150 + delta} at offset ")
    assert failed.received.endswith(", 150 at offset 0")
