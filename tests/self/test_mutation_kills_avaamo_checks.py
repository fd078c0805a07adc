"""The Avaamo checks (apis/avaamo/checks.py) against one-behaviour variants of the reference.

003's rules these tests state: the page defaults to 1 and per_page to 25 ("Default: 1",
"Default: 25"); "Number of entries in the array = Number specified in per_page parameter", so a
walk over every page finds each page full but the last, and the last one holding the rest of
total_entries; a page says which page it is (current_page). Where 003 is silent the checks observe
(seconds or milliseconds in created_at), and the observation a known target gets is asserted.
Every test runs the check over real HTTP against the embedded reference on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_checks_avaamo import context

from optout_conformance.apis.avaamo.checks import S003
from optout_conformance.apis.avaamo.faults import PageRepeatsAnEntry
from optout_conformance.apis.avaamo.open_points import AvaamoCreatedAtMilliseconds
from optout_conformance.apis.avaamo.reference import AvaamoService
from optout_conformance.apis.avaamo.store import COLUMNS, AvaamoEntry
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Store
from optout_conformance.runner.context import RunContext

DEFAULTS = "avaamo.pagination.defaults_are_page_1_and_25_per_page"
WALK = "avaamo.pagination.pages_are_disjoint_and_complete"
FILTERS = "avaamo.filters.every_filter_is_honoured"


def spec_of(check_id: str) -> CheckSpec:
    return next(c for c in checks_for("avaamo") if c.id == check_id)


def serve(tmp: Path, service: type[AvaamoService] = AvaamoService, seed: int = 150) -> EmbeddedServer:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}-{seed}.db"), seed_records=seed)
    return EmbeddedServer(create_app(config, avaamo=service, apis=("avaamo",)))


def run(tmp: Path, check_id: str, service: type[AvaamoService] = AvaamoService,
        seed: int = 150) -> tuple[str, RunContext, CheckFailed | None]:
    """The check's outcome against ``service`` seeded with ``seed`` entries, its context, its failure."""
    with serve(tmp, service, seed) as server:
        ctx = context(server)
        ctx.current_check = check_id
        try:
            spec_of(check_id).function(ctx)
        except CheckFailed as failure:
            return f"failed: {failure.message}", ctx, failure
        except CheckSkipped as skip:
            return f"skipped: {skip.reason}", ctx, None
        except CheckInconclusive as missing:
            return f"inconclusive: {missing.reason}", ctx, None
        return "passed", ctx, None


def observed(ctx: RunContext, discrepancy_id: str) -> list[Any]:
    return [o.observed for o in ctx.observations if o.discrepancy_id == discrepancy_id]


class CreatedAtMixedUnits(AvaamoService):
    """created_at in milliseconds for entries of odd id, in seconds for the others."""

    def format_entry(self, entry: AvaamoEntry) -> dict[str, Any]:
        body = super().format_entry(entry)
        return {**body, "created_at": entry.created_at * 1000} if entry.id % 2 else body


@pytest.mark.parametrize(("service", "units"), [
    (AvaamoService, "seconds"),
    (AvaamoCreatedAtMilliseconds, "milliseconds"),
    (CreatedAtMixedUnits, "milliseconds and seconds"),
], ids=lambda value: getattr(value, "__name__", value))
def test_the_unit_of_created_at_is_observed_over_every_sampled_entry(
    tmp_path: Path, service: type[AvaamoService], units: str
) -> None:
    _, ctx, _ = run(tmp_path, FILTERS, service)
    assert observed(ctx, "avaamo.entry.created_at-units") == [units]


def rewriting(rewrite: Callable[[dict[str, str], dict[str, Any]], dict[str, Any]], name: str
              ) -> type[AvaamoService]:
    """The reference with every served page passed through ``rewrite(query, body)``."""

    def list_entries(self: AvaamoService, query: dict[str, str]) -> dict[str, Any]:
        return rewrite(query, AvaamoService.list_entries(self, query))

    return type(name, (AvaamoService,), {"list_entries": list_entries, "__doc__": name})


# Faulty: each breaks one sentence of 003 and serves everything else like the reference.
CURRENT_PAGE_STUCK_AT_ONE = rewriting(lambda q, b: {**b, "current_page": 1}, "CurrentPageStuckAtOne")
CURRENT_PAGE_ONE_TOO_HIGH = rewriting(lambda q, b: {**b, "current_page": b["current_page"] + 1},
                                      "CurrentPageOneTooHigh")
PER_PAGE_REPORTED_AS_THE_MAXIMUM = rewriting(lambda q, b: {**b, "per_page": 100},
                                             "PerPageReportedAsTheMaximum")
PER_PAGE_TEN_WHEN_NOT_ASKED = rewriting(
    lambda q, b: b if q.get("per_page") else {**b, "per_page": 10}, "PerPageTenWhenNotAsked")
DEFAULT_PAGE_LOSES_ITS_LAST_ENTRY = rewriting(
    lambda q, b: b if q.get("per_page") else {**b, "entries": b["entries"][:-1]},
    "DefaultPageLosesItsLastEntry")


def default_page_with_one_more(service: AvaamoService, query: dict[str, str]) -> dict[str, Any]:
    body = AvaamoService.list_entries(service, query)
    if query.get("per_page"):
        return body
    return {**body, "entries": AvaamoService.list_entries(service, {**query, "per_page": "26"})["entries"]}


DEFAULT_PAGE_HOLDS_ONE_MORE = type("DefaultPageHoldsOneMore", (AvaamoService,),
                                   {"list_entries": default_page_with_one_more})


@pytest.mark.parametrize(("service", "received"), [
    (CURRENT_PAGE_ONE_TOO_HIGH, "current_page 2, per_page 25, 25 entries"),
    (PER_PAGE_REPORTED_AS_THE_MAXIMUM, "current_page 1, per_page 100, 25 entries"),
    (PER_PAGE_TEN_WHEN_NOT_ASKED, "current_page 1, per_page 10, 25 entries"),
    (DEFAULT_PAGE_LOSES_ITS_LAST_ENTRY, "current_page 1, per_page 25, 24 entries"),
    (DEFAULT_PAGE_HOLDS_ONE_MORE, "current_page 1, per_page 25, 26 entries"),
], ids=lambda value: getattr(value, "__name__", None))
def test_a_default_page_that_is_not_page_1_of_25_entries_fails_the_defaults_rule(
    tmp_path: Path, service: type[AvaamoService], received: str
) -> None:
    result, _, failure = run(tmp_path, DEFAULTS, service)
    assert failure is not None, result
    assert failure.received == f"{received} of 150" and failure.source.startswith(S003)
    assert failure.documented == "current_page 1, per_page 25, 25 entries"


def test_a_walk_whose_last_page_holds_the_rest_passes(tmp_path: Path) -> None:
    # 151 entries: pages of 16, the tenth holds the last 7.
    assert run(tmp_path, WALK, seed=151)[0] == "passed"


LAST_PAGE_LOSES_ITS_LAST_ENTRY = rewriting(
    lambda q, b: {**b, "entries": b["entries"][:-1]} if 0 < len(b["entries"]) < int(q.get("per_page", 25))
    else b, "LastPageLosesItsLastEntry")


def test_a_walk_whose_last_page_lacks_an_entry_fails_completeness(tmp_path: Path) -> None:
    result, _, failure = run(tmp_path, WALK, LAST_PAGE_LOSES_ITS_LAST_ENTRY, seed=151)
    assert failure is not None, result
    assert failure.received == "page 10: current_page 10, 6 entries"
    assert failure.documented == "current_page 10, 7 entries"


@pytest.mark.parametrize(("service", "received", "number"), [
    (CURRENT_PAGE_STUCK_AT_ONE, "page 2: current_page 1, 15 entries", 2),
    (CURRENT_PAGE_ONE_TOO_HIGH, "page 1: current_page 2, 15 entries", 1),
], ids=lambda value: getattr(value, "__name__", None))
def test_a_page_that_names_another_page_than_the_one_asked_fails_the_walk(
    tmp_path: Path, service: type[AvaamoService], received: str, number: int
) -> None:
    # current_page below 1 is a schema violation of its own; these name a valid, wrong page.
    result, _, failure = run(tmp_path, WALK, service)
    assert failure is not None, result
    assert failure.received == received and failure.documented == f"current_page {number}, 15 entries"


class FourEntriesOneSecondApart(AvaamoService):
    """The reference with four more entries of one pair, created one second apart a minute ago
    (newer than every seeded entry)."""

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        super().__init__(config, store)
        latest = int(config.now().timestamp()) - 60
        self.store.bulk_insert_avaamo(
            [("+15555550142", "+15555550100", latest - second, "opt-out") for second in range(4)])


def test_entries_created_exactly_at_start_time_or_end_time_are_inside_the_window(tmp_path: Path) -> None:
    # 003: start_time is the "Timestamp from which", end_time the one "until which" the records are
    # fetched. The window (one second either side) is put around the third newest of the four: the
    # newest lies after it, the seeded ones before it, and the second and fourth newest lie exactly
    # at end_time and at start_time, inside the window.
    assert run(tmp_path, FILTERS, FourEntriesOneSecondApart)[0] == "passed"


TOTAL_PAGES_ONE_MORE = rewriting(lambda q, b: {**b, "total_pages": b["total_pages"] + 1}, "TotalPagesOneMore")


def test_total_pages_above_the_ceiling_are_observed_as_given(tmp_path: Path) -> None:
    # 003 contradicts itself on total_pages (registry avaamo.response.total-pages-arithmetic): any
    # value is observed, and one that is neither ceil nor floor is shown as it came.
    result, ctx, _ = run(tmp_path, "avaamo.pagination.no_page_holds_more_than_per_page_entries",
                         TOTAL_PAGES_ONE_MORE)
    assert result == "passed"
    assert observed(ctx, "avaamo.response.total-pages-arithmetic") == [
        {1: "151 of 150", 7: "23 of 150", 25: "7 of 150", 100: "3 of 150"}]


class ListsOptOutsFirst(AvaamoService):
    """Faithful (003 fixes no order; registry avaamo.order): entries listed by status, opt-out first."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        sql, params = self.build_filter(query)
        total = self.store.count_avaamo((sql, params))
        rows = self.store.store.fetchall(
            f"SELECT {COLUMNS} FROM avaamo_entries WHERE {sql} ORDER BY status DESC, created_at DESC, id DESC"
            " LIMIT ? OFFSET ?", (*params, per_page, (page - 1) * per_page))
        return self.format_response(page, per_page, total, list(map(AvaamoEntry._make, rows)))


@pytest.mark.parametrize("seed", [300, 150])
def test_the_filter_sample_spans_the_last_page_whatever_the_order_of_entries(
    tmp_path: Path, seed: int
) -> None:
    # 300 entries, 200 of them opt-out: listed opt-out first, the first two pages of 100 hold no
    # opt-in entry; the last one does, so the status filter has an entry it must leave out. With
    # 150 (100 opt-out) the second page is the last one and the only one holding opt-in entries.
    assert run(tmp_path, FILTERS, ListsOptOutsFirst, seed=seed)[0] == "passed"


def one_more_from_another_number(service: AvaamoService, query: dict[str, str]) -> dict[str, Any]:
    body = AvaamoService.list_entries(service, query)
    if "to_phone" not in query:
        return body
    everything = AvaamoService.list_entries(service, {"per_page": "100"})["entries"]
    intruder = next(e for e in everything if e["to_phone"] != query["to_phone"])
    return {**body, "entries": [*body["entries"], intruder]}


TO_PHONE_LETS_ONE_OTHER_NUMBER_IN = type("ToPhoneLetsOneOtherNumberIn", (AvaamoService,),
                                         {"list_entries": one_more_from_another_number})


def test_a_filter_letting_one_other_entry_in_fails_and_the_failure_names_that_entry(tmp_path: Path) -> None:
    result, _, failure = run(tmp_path, FILTERS, TO_PHONE_LETS_ONE_OTHER_NUMBER_IN)
    assert failure is not None, result
    assert failure.rule == "the to_phone filter is honoured"
    assert failure.received.startswith("1 of ") and "with another to_phone (first: {'to_phone': " in \
        failure.received, failure.received


def test_a_walk_over_more_than_12_pages_of_100_is_inconclusive_and_one_of_12_pages_passes(
    tmp_path: Path,
) -> None:
    # A walk reads at most 12 pages (bounded load on a live target): 1200 entries fit, 1201 do not,
    # and then completeness was not seen (inconclusive, never passed).
    assert run(tmp_path, WALK, seed=1200)[0] == "passed"
    result = run(tmp_path, WALK, seed=1201)[0]
    assert result == "inconclusive: 1201 entries need 13 pages of 100; a walk reads at most 12, so " \
        "completeness could not be seen", result


@pytest.mark.parametrize(("check_id", "discrepancy_id", "value"), [
    ("avaamo.auth.no_entries_without_a_valid_access_token", "avaamo.auth.failure-response",
     {"missing": 401, "invalid": 401}),
    ("avaamo.shapes.json_path_serves_the_documented_page", "avaamo.path.json-suffix", {"without .json": 200}),
])
def test_the_reference_is_observed_with_what_it_answers_where_003_is_silent(
    tmp_path: Path, check_id: str, discrepancy_id: str, value: Any
) -> None:
    result, ctx, _ = run(tmp_path, check_id)
    assert result == "passed" and observed(ctx, discrepancy_id) == [value]


def total_counts_everything(filters: tuple[str, ...]) -> Callable[[dict[str, str], dict[str, Any]], Any]:
    """A page whose total_entries counts every entry (of 300) when the query holds one of ``filters``."""

    def rewrite(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if not set(query) & set(filters):
            return body
        return {**body, "total_entries": 300}

    return rewrite


FILTERED_TOTAL_COUNTS_EVERYTHING = rewriting(
    total_counts_everything(("to_phone", "from_phone", "status", "current_status")),
    "FilteredTotalCountsEverything")
WINDOW_TOTAL_COUNTS_EVERYTHING = rewriting(total_counts_everything(("start_time",)),
                                           "WindowTotalCountsEverything")


@pytest.mark.parametrize(("service", "rule"), [
    (FILTERED_TOTAL_COUNTS_EVERYTHING, "the to_phone filter is honoured"),
    (WINDOW_TOTAL_COUNTS_EVERYTHING, "start_time and end_time select the entries created in the window"),
], ids=lambda value: getattr(value, "__name__", None))
def test_a_filtered_total_equal_to_every_entry_fails_on_a_target_of_hundreds_of_entries(
    tmp_path: Path, service: type[AvaamoService], rule: str
) -> None:
    # 300 entries: total_entries is compared by value (CPython shares only integers up to 256).
    result, _, failure = run(tmp_path, FILTERS, service, seed=300)
    assert failure is not None and failure.rule == rule, result
    assert failure.received.endswith("total_entries 300 of 300"), failure.received


def last_page_again(service: AvaamoService, query: dict[str, str]) -> dict[str, Any]:
    body = AvaamoService.list_entries(service, query)
    if body["entries"] or body["current_page"] == 1:
        return body
    return AvaamoService.list_entries(service, {**query, "page": str(body["total_pages"])})


SERVES_PAST_THE_END = type("ServesPastTheEnd", (AvaamoService,), {"list_entries": last_page_again})


def test_entries_on_the_page_after_the_last_fail_naming_that_page(tmp_path: Path) -> None:
    # 150 entries walked in 10 pages of 15: page 11 must hold none (003: total_entries).
    result, _, failure = run(tmp_path, WALK, SERVES_PAST_THE_END)
    assert failure is not None, result
    assert failure.received == "15 entries on page 11 after all 150 entries were listed"
    assert failure.documented == "none: total_entries is 150"


def test_a_walk_over_an_odd_number_of_pages_reads_the_last_one_too(tmp_path: Path) -> None:
    # 43 entries: pages of 5, the ninth (last) holds 3; the target drops one of them.
    result, _, failure = run(tmp_path, WALK, LAST_PAGE_LOSES_ITS_LAST_ENTRY, seed=43)
    assert failure is not None, result
    assert failure.received == "page 9: current_page 9, 2 entries"
    assert failure.documented == "current_page 9, 3 entries"


def entries_at(seconds: tuple[int, ...], ignored: str) -> type[AvaamoService]:
    """Only the entries created ``seconds`` before a minute ago, and a time window that ignores
    ``ignored`` (start_time, end_time, or neither)."""

    class Variant(AvaamoService):
        def __init__(self, config: ReferenceConfig, store: Store) -> None:
            super().__init__(config, store)
            latest = int(config.now().timestamp()) - 60
            self.store.bulk_insert_avaamo(
                [(f"+1555555014{n}", "+15555550100", latest - s, "opt-out") for n, s in enumerate(seconds)])

        def filter_time_window(self, start: str, end: str) -> tuple[str, list[Any]]:
            return super().filter_time_window("" if ignored == "start_time" else start,
                                              "" if ignored == "end_time" else end)

    Variant.__name__ = f"Entries{seconds}Ignoring_{ignored}"
    return Variant


@pytest.mark.parametrize(("seconds", "ignored"), [((5, 10, 11), "start_time"), ((15, 10, 9), "end_time")],
                         ids=["start_time-ignored", "end_time-ignored"])
def test_an_entry_exactly_at_a_window_bound_is_no_entry_outside_it(
    tmp_path: Path, seconds: tuple[int, int, int], ignored: str
) -> None:
    # The middle entry has a neighbour exactly one second (the window's half-width) on one side:
    # that neighbour lies on the bound, inside the window, so a window around the middle entry could
    # not show the ignored bound. The check puts one window per bound around an entry with an entry
    # strictly beyond that bound, where the ignored bound lets it in.
    result, _, failure = run(tmp_path, FILTERS, entries_at(seconds, ignored), seed=0)
    assert failure is not None, result
    assert failure.rule == "start_time and end_time select the entries created in the window", failure.rule


def test_two_entries_exactly_one_second_apart_leave_the_window_without_evidence(tmp_path: Path) -> None:
    # Each lies on a bound of the other's window (inside it): no window has an entry beyond a bound.
    result, _, _ = run(tmp_path, FILTERS, entries_at((10, 11), "neither"), seed=0)
    assert result.startswith("inconclusive: ")
    assert "every entry was created within the same two seconds" in result


class OnePairOf100EntriesPageTwoRepeatsAnEntry(PageRepeatsAnEntry):
    """The fault PageRepeatsAnEntry over exactly 100 entries, all of one number pair: asked for
    that pair alone, the target lists all of them on one page of 100 (per_page's maximum)."""

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        super().__init__(config, store)
        latest = int(config.now().timestamp()) - 60
        self.store.bulk_insert_avaamo(
            [("+15555550142", "+15555550100", latest - 10 * n, "opt-out") for n in range(100)])


def test_a_repeated_entry_of_a_pair_that_fits_one_full_page_fails_the_walk(tmp_path: Path) -> None:
    # 100 entries of the pair fit one page: the pair's own listing shows each once, so the entry
    # page 2 repeats is a repeat (with 101 the pair's listing would not be complete: no verdict).
    result, _, failure = run(tmp_path, WALK, OnePairOf100EntriesPageTwoRepeatsAnEntry, seed=0)
    assert failure is not None, result
    assert "repeats an entry listed before" in failure.received, failure.received
