"""The Avaamo checks against the embedded reference server, over real HTTP.

Every check passes against the seeded reference, checks whose rule needs entries are inconclusive
on an empty one (the API is read-only), points 003 leaves open are observed, and one-behaviour
faulty variants of the reference's Avaamo service prove that the named checks fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from optout_conformance.apis.avaamo.checks import S003, to_ms
from optout_conformance.apis.avaamo.faults import PageHoldsOneEntryTooMany, PageRepeatsAnEntry
from optout_conformance.apis.avaamo.reference import AvaamoBadRequest, AvaamoService
from optout_conformance.apis.avaamo.store import AvaamoEntry
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

SUBJECT_MODULES = ("optout_conformance.apis.avaamo.checks", "optout_conformance.checks.robustness")
SEED_RECORDS = 150


def context(server: EmbeddedServer) -> RunContext:
    url = server.url("avaamo")
    return RunContext(
        target=Target(api="avaamo", base_url=url, embedded=True, loopback=True),
        credentials=Credentials(token=ReferenceConfig().token),
        profile="lenient",
        http=HttpClient(url, timeout=5.0),
    )


def subject_checks() -> list[CheckSpec]:
    return [c for c in checks_for("avaamo") if c.function.__module__ in SUBJECT_MODULES]


def outcome(ctx: RunContext, spec: CheckSpec) -> str:
    return run_outcome(ctx, spec)


def serve(tmp: Path, service: type[AvaamoService] = AvaamoService,
          seed: int = SEED_RECORDS) -> EmbeddedServer:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}-{seed}.db"), seed_records=seed)
    return EmbeddedServer(create_app(config, avaamo=service, apis=("avaamo",)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with serve(tmp_path_factory.mktemp("avaamo")) as server:
        yield server


@pytest.mark.parametrize("spec", subject_checks(), ids=lambda c: c.id)
def test_every_avaamo_check_passes_against_the_reference(reference: EmbeddedServer, spec: CheckSpec) -> None:
    assert outcome(context(reference), spec) == "passed"


WALK = "avaamo.pagination.pages_are_disjoint_and_complete"
NEEDS_ENTRIES = (WALK, "avaamo.pagination.no_page_holds_more_than_per_page_entries",
                 "avaamo.filters.every_filter_is_honoured", "avaamo.limits.never_more_than_100_entries",
                 "avaamo.state.entries_of_one_pair_agree_on_current_status",
                 "avaamo.auth.no_entries_without_a_valid_access_token",
                 "avaamo.shapes.json_path_serves_the_documented_page")


def outcomes(tmp: Path, service: type[AvaamoService] = AvaamoService, seed: int = SEED_RECORDS,
             ids: tuple[str, ...] | None = None) -> tuple[dict[str, str], RunContext]:
    with serve(tmp, service, seed) as server:
        ctx = context(server)
        return {c.id: outcome(ctx, c) for c in subject_checks() if ids is None or c.id in ids}, ctx


@pytest.mark.parametrize("check_id", NEEDS_ENTRIES)
def test_a_check_needing_entries_is_inconclusive_on_an_empty_target(tmp_path: Path, check_id: str) -> None:
    result = outcomes(tmp_path, seed=0, ids=(check_id,))[0][check_id]
    assert result.startswith("inconclusive:") and "read-only" in result, result


def test_created_at_units_are_inferred_by_magnitude() -> None:
    assert to_ms(1_675_410_047) == 1_675_410_047_000
    assert to_ms(1_675_410_047_186) == 1_675_410_047_186
    assert to_ms("1675410047") == 1_675_410_047_000
    # The boundary as to_ms documents it: above 1e11 (1973-03-03 in milliseconds, the year 5138 in
    # seconds) a value is milliseconds; 1e11 itself is still seconds.
    assert to_ms(100_000_000_000) == 100_000_000_000_000
    assert to_ms(100_000_000_001) == 100_000_000_001


class FloorsTotalPages(AvaamoService):
    """Faithful (003 contradicts itself on total_pages): total_pages = total_entries // per_page."""

    def total_pages(self, total: int, per_page: int) -> int:
        return total // per_page


class ExampleTotalPages(AvaamoService):
    """Faithful: total_pages like 003's own example (9 entries, 1 per page, 5 pages): about half."""

    def total_pages(self, total: int, per_page: int) -> int:
        return (total // per_page + 1) // 2


class PastTheEndIs400(AvaamoService):
    """Faithful (003 says nothing about it): a page past the last one is HTTP 400."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        if not body["entries"] and body["current_page"] > 1:
            raise AvaamoBadRequest("Out of range")
        return body


class ServesPastTheEnd(AvaamoService):
    """Faulty: a page past the last one repeats the last page's entries (more than total_entries)."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        if not body["entries"] and body["current_page"] > 1:
            return super().list_entries({**query, "page": str(body["total_pages"])})
        return body


class OneStatusEverywhere(AvaamoService):
    """Faithful data: every entry is opt-out, so no entry shows that the status filters filter."""

    def format_entry(self, entry: AvaamoEntry) -> dict[str, Any]:
        return {**super().format_entry(entry), "status": "opt-out", "current_status": "opt-out"}


@pytest.mark.parametrize("service", [FloorsTotalPages, ExampleTotalPages, PastTheEndIs400],
                         ids=lambda value: value.__name__)
def test_points_003_leaves_open_pass_and_are_observed(tmp_path: Path, service: type[AvaamoService]) -> None:
    results, ctx = outcomes(tmp_path, service)
    assert set(results.values()) == {"passed"}, results
    observed = {o.discrepancy_id: o.observed for o in ctx.observations}
    assert "avaamo.response.total-pages-arithmetic" in observed
    assert "avaamo.query.page-past-end" in observed and "avaamo.order" in observed


def test_the_past_the_end_400_is_observed(tmp_path: Path) -> None:
    _, ctx = outcomes(tmp_path, PastTheEndIs400, ids=(WALK,))
    assert [o.observed for o in ctx.observations if o.discrepancy_id == "avaamo.query.page-past-end"] == [
        "HTTP 400"]


def test_floored_total_pages_are_observed_as_floor(tmp_path: Path) -> None:
    _, ctx = outcomes(tmp_path, FloorsTotalPages,
                      ids=("avaamo.pagination.no_page_holds_more_than_per_page_entries",))
    observed = next(o.observed for o in ctx.observations
                    if o.discrepancy_id == "avaamo.response.total-pages-arithmetic")
    assert observed[7] == "floor" and observed[1] == "ceil"


def test_a_filter_no_entry_escapes_is_inconclusive(tmp_path: Path) -> None:
    results, _ = outcomes(tmp_path, OneStatusEverywhere, ids=("avaamo.filters.every_filter_is_honoured",))
    result = results["avaamo.filters.every_filter_is_honoured"]
    assert result.startswith("inconclusive:") and "same status" in result and "read-only" in result


class ServesWithoutToken(AvaamoService):
    """Faulty: never checks the access-token."""

    def authenticate(self, token: str | None) -> None:
        return None


class NoPerPageMaximum(AvaamoService):
    """Faulty: per_page above 100 is served as asked."""

    def parse_per_page(self, value: str) -> int:
        return self.parse_positive("per_page", value, 25)


class IgnoresPhoneFilters(AvaamoService):
    """Faulty: to_phone and from_phone filter nothing."""

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        return "1 = 1", []


@pytest.mark.parametrize(
    ("service", "check_id"),
    [
        (PageHoldsOneEntryTooMany, "avaamo.pagination.no_page_holds_more_than_per_page_entries"),
        (ServesWithoutToken, "avaamo.auth.no_entries_without_a_valid_access_token"),
        (NoPerPageMaximum, "avaamo.limits.never_more_than_100_entries"),
        (IgnoresPhoneFilters, "avaamo.filters.every_filter_is_honoured"),
        (PageRepeatsAnEntry, WALK),
        (ServesPastTheEnd, WALK),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_check_fails_a_service_with_one_flipped_behaviour(
    tmp_path: Path, service: type[AvaamoService], check_id: str
) -> None:
    with serve(tmp_path, service) as server:
        result = outcome(context(server), next(c for c in subject_checks() if c.id == check_id))
    assert result.startswith("failed:"), result


class EmptyPageWithoutToken(AvaamoService):
    """Faithful: a request without a valid token gets HTTP 200 with no entries (003 gives no status)."""

    async def handle(self, request: Request) -> Response:
        if request.headers.get("access-token") != self.config.token:
            return JSONResponse({"entries": []})
        return await super().handle(request)


@pytest.mark.parametrize("check_id", ["avaamo.robustness.odd_input_gets_a_documented_reply",
                                      "avaamo.auth.no_entries_without_a_valid_access_token"])
def test_no_entries_without_a_token_is_enough_whatever_the_status(tmp_path: Path, check_id: str) -> None:
    with serve(tmp_path, EmptyPageWithoutToken) as server:
        result = outcome(context(server), next(c for c in subject_checks() if c.id == check_id))
    assert result == "passed"


def test_generated_requests_pass_a_target_refusing_pages_past_the_end(tmp_path: Path) -> None:
    spec = next(c for c in checks_for("avaamo") if c.family == "properties")
    with serve(tmp_path, PastTheEndIs400) as server:
        ctx = context(server)
        refused = ctx.http.get("/sms/opt-status.json", params={"page": "999"},
                               headers={"access-token": ReferenceConfig().token})
        assert refused.status == 400
        assert outcome(ctx, spec) == "passed"


class ServerErrorWithoutToken(AvaamoService):
    """Faithful (003 gives no failure response): a missing or wrong token gets HTTP 500, no entries;
    per_page above 100 gets HTTP 500 too."""

    def error_response(self, message: str, status: int) -> Response:
        return JSONResponse({"error": message}, status_code=500 if status == 401 else status)

    def parse_per_page(self, value: str) -> int:
        if value.isdigit() and int(value) > 100:
            raise AvaamoBadRequest("per_page too large")
        return super().parse_per_page(value)

    async def handle(self, request: Request) -> Response:
        response = await super().handle(request)
        return JSONResponse({"error": "too large"}, status_code=500) if response.status_code == 400 \
            and request.query_params.get("per_page", "").isdigit() else response


@pytest.mark.parametrize("check_id", ["avaamo.auth.no_entries_without_a_valid_access_token",
                                      "avaamo.robustness.odd_input_gets_a_documented_reply",
                                      "avaamo.limits.never_more_than_100_entries"])
def test_an_error_status_where_003_gives_none_is_not_judged(tmp_path: Path, check_id: str) -> None:
    with serve(tmp_path, ServerErrorWithoutToken) as server:
        result = outcome(context(server), next(c for c in subject_checks() if c.id == check_id))
    assert result == "passed", result


def failure_of(server: EmbeddedServer, check_id: str) -> CheckFailed:
    ctx = context(server)
    ctx.current_check = check_id
    with pytest.raises(CheckFailed) as failed:
        next(c for c in subject_checks() if c.id == check_id).function(ctx)
    return failed.value


def observed(ctx: RunContext, discrepancy_id: str) -> list[Any]:
    return [o.observed for o in ctx.observations if o.discrepancy_id == discrepancy_id]


class RefusesValidRequests(AvaamoService):
    """Faulty: a request with the valid token gets HTTP 500 and an error object, never a page."""

    async def handle(self, request: Request) -> Response:
        response = await super().handle(request)
        if response.status_code != 200:
            return response
        return JSONResponse({"error": "unavailable"}, status_code=500)


def test_a_target_refusing_valid_requests_fails_on_the_documented_200(tmp_path: Path) -> None:
    # The error object conforms to the spec's undocumented-error reply, so only "200: OK" can fail it.
    with serve(tmp_path, RefusesValidRequests) as server:
        failed = failure_of(server, "avaamo.pagination.defaults_are_page_1_and_25_per_page")
    assert failed.rule.endswith("with a valid token serves entries") and "200: OK" in failed.source
    assert "HTTP 500" in failed.received


class FilteredTotalCountsEverything(AvaamoService):
    """Faulty: a filtered page lists only matching entries, but total_entries counts every entry."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        unfiltered = {k: v for k, v in query.items() if k in ("page", "per_page")}
        return {**body, "total_entries": super().list_entries(unfiltered)["total_entries"]}


class WindowTotalCountsEverything(AvaamoService):
    """Faulty: the phone and status filters are right; a time window's total_entries counts every entry."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        if "start_time" not in query:
            return body
        return {**body, "total_entries": super().list_entries({"per_page": "1"})["total_entries"]}


class FilterLeavesOutTheFirstMatch(AvaamoService):
    """Faulty: a filtered request loses its first matching entry (from the page and from the count)."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        if not set(query) & {"to_phone", "from_phone", "status", "current_status"} or not body["entries"]:
            return body
        return {**body, "entries": body["entries"][1:], "total_entries": body["total_entries"] - 1}


class IgnoresStartTime(AvaamoService):
    """Faulty: start_time is ignored, so a window lists every entry created before its end."""

    def filter_time_window(self, start: str, end: str) -> tuple[str, list[Any]]:
        return super().filter_time_window("", end)


class IgnoresEndTime(AvaamoService):
    """Faulty: end_time is ignored, so a window lists every entry created after its start."""

    def filter_time_window(self, start: str, end: str) -> tuple[str, list[Any]]:
        return super().filter_time_window(start, "")


@pytest.mark.parametrize("service", [FilteredTotalCountsEverything, WindowTotalCountsEverything,
                                     FilterLeavesOutTheFirstMatch, IgnoresStartTime, IgnoresEndTime],
                         ids=lambda value: value.__name__)
def test_every_filter_is_honoured_fails_a_filter_that_is_wrong_in_one_way(
    tmp_path: Path, service: type[AvaamoService]
) -> None:
    with serve(tmp_path, service) as server:
        failed = failure_of(server, "avaamo.filters.every_filter_is_honoured")
    window = service in (WindowTotalCountsEverything, IgnoresStartTime, IgnoresEndTime)
    assert failed.source.startswith(S003)
    assert ("start_time and end_time select" in failed.rule) is window, failed.rule


def test_the_reference_is_observed_with_ceiled_total_pages_an_empty_page_past_the_end_and_a_stable_order(
    tmp_path: Path,
) -> None:
    _, ctx = outcomes(tmp_path, ids=(WALK, "avaamo.pagination.no_page_holds_more_than_per_page_entries",
                                     "avaamo.limits.never_more_than_100_entries"))
    assert observed(ctx, "avaamo.response.total-pages-arithmetic") == [
        {1: "ceil", 7: "ceil", 25: "ceil", 100: "ceil"}]
    assert observed(ctx, "avaamo.query.page-past-end") == ["HTTP 200 empty page"]
    assert observed(ctx, "avaamo.order") == ["stable"]
    assert observed(ctx, "avaamo.query.per-page-above-max") == [{"per_page=101": "clamped to 100"},
                                                                {"per_page=500": "clamped to 100"}]


def test_total_pages_fitting_no_rounding_are_observed_as_given(tmp_path: Path) -> None:
    _, ctx = outcomes(tmp_path, ExampleTotalPages,
                      ids=("avaamo.pagination.no_page_holds_more_than_per_page_entries",))
    # 150 entries: 003's example arithmetic gives (150 // n + 1) // 2 pages (1 of 100 is the floor).
    assert observed(ctx, "avaamo.response.total-pages-arithmetic") == [
        {1: "75 of 150", 7: "11 of 150", 25: "3 of 150", 100: "floor"}]


@pytest.mark.parametrize(
    ("check_id", "fewest_conclusive"),
    [("avaamo.limits.never_more_than_100_entries", 101),
     ("avaamo.pagination.no_page_holds_more_than_per_page_entries", 2),
     (WALK, 3)],
)
def test_a_check_concludes_from_the_fewest_entries_its_rule_can_be_broken_with(
    tmp_path: Path, check_id: str, fewest_conclusive: int
) -> None:
    # With one entry fewer no page can hold too many (or a walk has a single page): inconclusive.
    below = outcomes(tmp_path, seed=fewest_conclusive - 1, ids=(check_id,))[0][check_id]
    at = outcomes(tmp_path, seed=fewest_conclusive, ids=(check_id,))[0][check_id]
    assert below.startswith("inconclusive:") and at == "passed", (below, at)


def test_on_a_target_with_fewer_than_25_entries_the_default_page_holds_them_all(tmp_path: Path) -> None:
    check_id = "avaamo.pagination.defaults_are_page_1_and_25_per_page"
    assert outcomes(tmp_path, seed=10, ids=(check_id,))[0][check_id] == "passed"
    with serve(tmp_path, PageLosesItsLastEntry, seed=10) as server:
        assert "10 entries" in failure_of(server, check_id).documented


class PageLosesItsLastEntry(AvaamoService):
    """Faulty: every page but an empty one serves one entry fewer than it should."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        return {**body, "entries": body["entries"][:-1]}


def test_total_pages_are_compared_by_value_on_a_target_with_hundreds_of_pages(tmp_path: Path) -> None:
    # 300 entries of one per page: 300 pages, a number CPython does not share between objects.
    _, ctx = outcomes(tmp_path, seed=300, ids=("avaamo.pagination.no_page_holds_more_than_per_page_entries",))
    assert observed(ctx, "avaamo.response.total-pages-arithmetic") == [
        {1: "ceil", 7: "ceil", 25: "ceil", 100: "ceil"}]


class OldestFirst(AvaamoService):
    """Serves each page oldest first (003 fixes no order); mixed in before a faulty service."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        return {**body, "entries": body["entries"][::-1]}


class IgnoresStartTimeOldestFirst(OldestFirst, IgnoresStartTime):
    """Faulty as IgnoresStartTime, serving each page oldest first."""


class IgnoresEndTimeOldestFirst(OldestFirst, IgnoresEndTime):
    """Faulty as IgnoresEndTime, serving each page oldest first."""


@pytest.mark.parametrize("service", [IgnoresStartTimeOldestFirst, IgnoresEndTimeOldestFirst],
                         ids=lambda value: value.__name__)
def test_a_window_ignoring_one_bound_fails_whatever_order_the_entries_are_served_in(
    tmp_path: Path, service: type[AvaamoService]
) -> None:
    # 60 entries fit one page, which then lists them oldest first. Each bound gets a window around
    # an entry with an entry beyond that bound, wherever the sample puts it (a single window around
    # the oldest entry would select the same entries whether start_time is honoured or ignored).
    with serve(tmp_path, service, seed=60) as server:
        failed = failure_of(server, "avaamo.filters.every_filter_is_honoured")
    assert "start_time and end_time select" in failed.rule, failed.rule
