"""Avaamo faults: the reference ``AvaamoService`` with one realistic deviation each.

Each class overrides one method; its docstring names the bug, the rule of
003_725be0800b974dd2.txt it breaks, and the clause.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.apis.avaamo.reference import AvaamoService
from optout_conformance.apis.avaamo.store import AvaamoEntry
from optout_conformance.core.faults import fault
from optout_conformance.reference.transport import CRASH_PAGE, InputGate, looks_odd

PAGES = "avaamo.pagination."


@fault("avaamo-per-page-above-max-served", api="avaamo", family="limits",
       detected_by=("avaamo.limits.never_more_than_100_entries",))
class PerPageAboveMaxServed(AvaamoService):
    """Serves as many entries as per_page asks, even above 100.

    Breaks: per_page "Maximum value: 100" (003_725be0800b974dd2.txt, Query Parameters).
    """

    def parse_per_page(self, value: str) -> int:
        return self.parse_positive("per_page", value, 25)


@fault("avaamo-default-per-page-10", api="avaamo", family="limits",
       detected_by=(PAGES + "defaults_are_page_1_and_25_per_page",))
class DefaultPerPage10(AvaamoService):
    """Pages 10 entries when per_page is omitted.

    Breaks: per_page "Default: 25" (003_725be0800b974dd2.txt, Query Parameters).
    """

    def parse_per_page(self, value: str) -> int:
        return super().parse_per_page(value or "10")


@fault("avaamo-page-holds-one-entry-too-many", api="avaamo", family="pagination",
       detected_by=(PAGES + "no_page_holds_more_than_per_page_entries",))
class PageHoldsOneEntryTooMany(AvaamoService):
    """Reads per_page + 1 rows for each page (an off-by-one LIMIT): every page holds one entry too many.

    Breaks: per_page "Number of entries fetched per page" and "Number of entries in the array =
    Number specified in per_page parameter" (003_725be0800b974dd2.txt): a page never holds more.
    """

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        where = self.build_filter(query)
        total = self.store.count_avaamo(where)
        entries = self.store.page_avaamo(where, (page - 1) * per_page, per_page + 1)
        return self.format_response(page, per_page, total, entries)


@fault("avaamo-pages-overlap", api="avaamo", family="pagination",
       detected_by=(PAGES + "pages_are_disjoint_and_complete",))
class PagesOverlap(AvaamoService):
    """Computes the page offset as ``page * per_page - per_page - 1``: pages share an entry.

    Breaks: page "Page from which the entries must be fetched" and per_page "Number of entries
    fetched per page" (003_725be0800b974dd2.txt): page n+1 starts after page n.
    """

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        where = self.build_filter(query)
        total = self.store.count_avaamo(where)
        entries = self.store.page_avaamo(where, max((page - 1) * per_page - 1, 0), per_page)
        return self.format_response(page, per_page, total, entries)


@fault("avaamo-to-phone-filter-ignored", api="avaamo", family="filters",
       detected_by=("avaamo.filters.every_filter_is_honoured",))
class ToPhoneFilterIgnored(AvaamoService):
    """Ignores to_phone and from_phone (both filters are no-ops).

    Breaks: to_phone "The recipient's phone number", the example "Get the opt status of a
    specific recipient number: ?to_phone=..." (003_725be0800b974dd2.txt).
    """

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        return "1 = 1", []


@fault("avaamo-status-filter-ignored", api="avaamo", family="filters",
       detected_by=("avaamo.filters.every_filter_is_honoured",))
class StatusFilterIgnored(AvaamoService):
    """Ignores status and current_status.

    Breaks: current_status "Latest opt-status ... Supported values: opt-in, opt-out" and the
    example "Get all the opted-out recipient numbers: ?current_status=opt-out"
    (003_725be0800b974dd2.txt).
    """

    def filter_status(self, column: str, value: str) -> tuple[str, list[Any]]:
        super().filter_status(column, value)
        return "1 = 1", []


@fault("avaamo-time-window-ignored", api="avaamo", family="filters",
       detected_by=("avaamo.filters.every_filter_is_honoured",))
class TimeWindowIgnored(AvaamoService):
    """Ignores start_time and end_time (every entry is served, whatever the window).

    Breaks: start_time "Timestamp from which the records are fetched", end_time "Timestamp until
    which the records are fetched" (003_725be0800b974dd2.txt).
    """

    def filter_time_window(self, start: str, end: str) -> tuple[str, list[Any]]:
        return "1 = 1", []


@fault("avaamo-token-not-checked", api="avaamo", family="auth",
       detected_by=("avaamo.auth.no_entries_without_a_valid_access_token",))
class TokenNotChecked(AvaamoService):
    """Serves entries without checking the access-token header.

    Breaks: the access-token header is required ("access-token*", 003_725be0800b974dd2.txt,
    Headers): opt-status lists are served only to a user of the account.
    """

    def authenticate(self, token: str | None) -> None:
        return None


@fault("avaamo-current-status-is-the-entry-status", api="avaamo", family="state",
       detected_by=("avaamo.state.entries_of_one_pair_agree_on_current_status",))
class CurrentStatusIsEntryStatus(AvaamoService):
    """Reports each entry's own status as its current_status.

    Breaks: current_status "Indicates the latest opt-status of the to_phone number", while
    status is the one "at the time the record was created" (003_725be0800b974dd2.txt).
    """

    def format_entry(self, entry: AvaamoEntry) -> dict[str, Any]:
        return {**super().format_entry(entry), "current_status": entry.status}


@fault("avaamo-created-at-iso-string", api="avaamo", family="shapes",
       detected_by=("avaamo.shapes.json_path_serves_the_documented_page",
                    "avaamo.properties.generated_requests_follow_the_spec"))
class CreatedAtIsoString(AvaamoService):
    """Serialises created_at as an ISO 8601 string ("2026-03-03T10:00:00Z").

    Breaks: created_at "UNIX epoch timestamp" (003_725be0800b974dd2.txt, entries attributes).
    """

    def format_entry(self, entry: AvaamoEntry) -> dict[str, Any]:
        from datetime import UTC, datetime

        stamp = datetime.fromtimestamp(entry.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**super().format_entry(entry), "created_at": stamp}


@fault("avaamo-page-repeats-an-entry", api="avaamo", family="pagination",
       detected_by=(PAGES + "pages_are_disjoint_and_complete",))
class PageRepeatsAnEntry(AvaamoService):
    """Page 2 serves the first entry of page 1 in place of its own last entry; every count is right.

    Breaks: page "Page from which the entries must be fetched" and per_page "Number of entries
    fetched per page" (003_725be0800b974dd2.txt, Query Parameters): walking the pages lists each
    of the total_entries once; here one entry is listed twice and another never.
    """

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        body = super().list_entries(query)
        if body["current_page"] == 2 and body["entries"]:
            first = super().list_entries({**query, "page": "1"})["entries"]
            body["entries"][-1] = first[0]
        return body


# -- transport -----------------------------------------------------------------------------------


@fault(
    "avaamo-html-500-on-long-input",
    api="avaamo",
    family="robustness",
    detected_by=("avaamo.robustness.odd_input_gets_a_documented_reply",),
    middleware=True,
)
class AvaamoCrashesOnLongInput(InputGate):
    """Answers a long query string (e.g. a 10,000-character to_phone) with an HTTP 500 HTML page.

    Breaks: the opt-status endpoint answers JSON (003_725be0800b974dd2.txt: ``opt-status.json``,
    the response attributes table); a bad filter value is not a server failure.
    """

    api = "avaamo"

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if looks_odd(query) else None


# -- the plain-Schemathesis baseline (faults/baseline.py) ---------------------------------------


def baseline_config(credentials: Any) -> tuple[dict[str, str], list[str]]:
    """The ``access-token`` header goes on the command line: ``-H access-token:<token>``."""
    return {}, ["-H", f"access-token:{credentials.token}"]
