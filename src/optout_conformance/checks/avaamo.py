"""Avaamo SMS Opt Status (003 only): one check per rule the document states.

The API is read-only, so every check works on the entries the target already has; pagination
walks skip (with the reason) when there are too few entries to show anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optout_conformance.checks.registry import check
from optout_conformance.checks.shapes import assert_conforms
from optout_conformance.runner.context import CheckFailed, CheckSkipped, RunContext
from optout_conformance.runner.http import Exchange

S003 = "003_725be0800b974dd2.txt"
PATH = "/sms/opt-status.json"
PLAIN_PATH = "/sms/opt-status"
MAX_PER_PAGE = 100
# A pagination walk reads at most this many pages (bounded load on a live target).
MAX_WALK_PAGES = 12


def fetch(ctx: RunContext, path: str = PATH, token: str | None = "", **params: Any) -> Exchange:
    """GET the list; ``token=""`` sends the configured access-token, None sends none."""
    headers = {}
    if token is not None:
        headers["access-token"] = token or (ctx.credentials.token or "")
    return ctx.http.get(path, params={k: str(v) for k, v in params.items() if v is not None}, headers=headers)


@dataclass(frozen=True)
class Page:
    """One served page (its JSON body, read by key) and the exchange that brought it."""

    body: dict[str, Any]
    exchange: Exchange

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


def page(ctx: RunContext, **params: Any) -> Page:
    """One page that must be served and match the documented shape."""
    if not ctx.credentials.token:
        raise CheckSkipped("an Avaamo access token is needed (--token)")
    ex = fetch(ctx, **params)
    assert_conforms(ctx, ex, "GET", PATH)
    if ex.status != 200:
        raise CheckFailed(f"GET {PATH} with a valid token serves entries", received=ex.summary(),
                          documented="HTTP 200 with a page of entries", source=f"{S003} (200: OK)",
                          exchange=ex)
    return Page(ex.json(), ex)


def _fail(rule: str, received: str, documented: str, clause: str, served: Page) -> CheckFailed:
    return CheckFailed(rule, received=received, documented=documented, source=f"{S003} ({clause})",
                       exchange=served.exchange)


def _key(entry: dict[str, Any]) -> tuple[str, ...]:
    fields = ("to_phone", "from_phone", "created_at", "status", "current_status")
    return tuple(str(entry.get(k)) for k in fields)


def to_ms(value: Any) -> float:
    """created_at in epoch milliseconds; seconds or milliseconds inferred by magnitude (> 1e11: ms)."""
    number = float(value)
    return number if number > 1e11 else number * 1000


def _total(ctx: RunContext, minimum: int, why: str) -> int:
    total = int(page(ctx, per_page=1)["total_entries"])
    if total < minimum:
        raise CheckSkipped(f"the target has {total} entries; {why} needs at least {minimum} (read-only API)")
    return total


@check(id="avaamo.auth.no_entries_without_a_valid_access_token", api="avaamo", family="auth",
       source=f"{S003} (Headers: access-token, required)")
def no_entries_without_a_valid_access_token(ctx: RunContext) -> None:
    """Without the access-token header, or with a wrong one, no entries are served."""
    statuses = {}
    for label, token in (("missing", None), ("invalid", f"{ctx.run_prefix}-not-a-token")):
        ex = fetch(ctx, token=token)
        statuses[label] = ex.status
        body = ex.json_or_none()
        entries = body.get("entries") if isinstance(body, dict) else None
        if ex.error or (ex.status is not None and ex.status >= 500) or entries:
            raise CheckFailed(f"a request with a {label} access-token gets no entries", received=ex.summary(),
                              documented="an error (access-token is required)",
                              source=f"{S003} (Headers: access-token*)", exchange=ex)
    ctx.observe("avaamo.auth.failure-response", statuses)


@check(id="avaamo.shapes.json_path_serves_the_documented_page", api="avaamo", family="shapes",
       source=f"{S003} (GET https://cx.avaamo.com/api/v2/sms/opt-status.json; Response attributes)")
def json_path_serves_the_documented_page(ctx: RunContext) -> None:
    """The documented endpoint (.json) answers a page whose fields match the response attributes."""
    page(ctx)
    ex = fetch(ctx, PLAIN_PATH)
    ctx.observe("avaamo.path.json-suffix", {"without .json": ex.status})


@check(id="avaamo.pagination.defaults_are_page_1_and_25_per_page", api="avaamo", family="pagination",
       source=f"{S003} (page: Default: 1; per_page: Default: 25)")
def defaults_are_page_1_and_25_per_page(ctx: RunContext) -> None:
    """Without page and per_page the first page of 25 entries is served."""
    body = page(ctx)
    rule = "page defaults to 1 and per_page to 25"
    expected = min(25, int(body["total_entries"]))
    if body["current_page"] != 1 or body["per_page"] != 25 or len(body["entries"]) != expected:
        raise _fail(rule, f"current_page {body['current_page']}, per_page {body['per_page']}, "
                    f"{len(body['entries'])} entries of {body['total_entries']}",
                    f"current_page 1, per_page 25, {expected} entries", "page, per_page", body)
    first = page(ctx, page=1, per_page=25)
    if [_key(e) for e in first["entries"]] != [_key(e) for e in body["entries"]]:
        raise _fail(rule, "the default page differs from page=1&per_page=25", "the same entries",
                    "page, per_page", first)


@check(id="avaamo.limits.never_more_than_100_entries", api="avaamo", family="limits",
       source=f"{S003} (per_page: Maximum value: 100)")
def never_more_than_100_entries(ctx: RunContext) -> None:
    """per_page=100 is served; per_page=500 is clamped or rejected, never more than 100 entries."""
    page(ctx, per_page=MAX_PER_PAGE)
    ex = fetch(ctx, per_page=500)
    body = ex.json_or_none()
    entries = body.get("entries") if isinstance(body, dict) else None
    if ex.error or (ex.status or 0) >= 500 or (isinstance(entries, list) and len(entries) > MAX_PER_PAGE):
        raise CheckFailed("per_page above 100 never serves more than 100 entries", received=ex.summary(),
                          documented="at most 100 entries", source=f"{S003} (per_page: Maximum value: 100)",
                          exchange=ex)
    observed = f"clamped to {body.get('per_page')}" if isinstance(entries, list) else f"HTTP {ex.status}"
    ctx.observe("avaamo.query.per-page-above-max", observed)


@check(id="avaamo.pagination.total_pages_is_total_entries_over_per_page_rounded_up", api="avaamo",
       family="pagination", source=f"{S003} (total_pages: 'calculated using per_page'); registry "
       "avaamo.response.total-pages-arithmetic")
def total_pages_is_total_entries_over_per_page_rounded_up(ctx: RunContext) -> None:
    """total_pages = ceil(total_entries / per_page), for several page sizes; entries <= per_page."""
    for per_page in (1, 7, 25, 100):
        body = page(ctx, per_page=per_page)
        expected = math.ceil(body["total_entries"] / per_page)
        if body["total_pages"] != expected or len(body["entries"]) > per_page:
            raise _fail("total_pages is ceil(total_entries / per_page) and a page has <= per_page entries",
                        f"per_page {per_page}: total_entries {body['total_entries']}, total_pages "
                        f"{body['total_pages']}, {len(body['entries'])} entries",
                        f"total_pages {expected}, at most {per_page} entries", "Response attributes", body)


@check(id="avaamo.pagination.pages_are_disjoint_complete_and_stable", api="avaamo", family="pagination",
       source=f"{S003} (page, per_page; entries: 'Number of entries in the array = Number specified in "
       "per_page'); registry avaamo.response.entries-count, avaamo.order")
def pages_are_disjoint_complete_and_stable(ctx: RunContext) -> None:
    """Walking every page: full pages but the last, no entry on two pages, same order when asked again.

    With every page full but the last and no entry repeated, the walk lists all of total_entries.
    """
    total = _total(ctx, 3, "a pagination walk")
    per_page = max(1, min(MAX_PER_PAGE, math.ceil(total / (MAX_WALK_PAGES - 2))))
    pages = math.ceil(total / per_page)
    if pages > MAX_WALK_PAGES:
        raise CheckSkipped(f"{total} entries need {pages} pages of 100; a walk reads at most "
                           f"{MAX_WALK_PAGES}")
    seen: list[tuple[str, ...]] = []
    rule = "pages are disjoint, complete and full but the last"
    for number in range(1, pages + 1):
        body = page(ctx, page=number, per_page=per_page)
        expected = per_page if number < pages else total - per_page * (pages - 1)
        if body["current_page"] != number or len(body["entries"]) != expected:
            raise _fail(rule, f"page {number}: current_page {body['current_page']}, {len(body['entries'])} "
                        "entries", f"current_page {number}, {expected} entries", "entries", body)
        repeated = _repeated_entry(ctx, seen, body)
        if repeated is not None:
            raise _fail(rule, f"page {number} repeats an entry listed before: {repeated}",
                        "each entry on one page only", "page, per_page", body)
        seen += [_key(e) for e in body["entries"]]
    past = page(ctx, page=pages + 1, per_page=per_page)
    if past["entries"]:
        raise _fail("a page past the last one is empty",
                    f"{len(past['entries'])} entries on page {pages + 1}",
                    f"none: total_pages is {pages}", "total_pages", past)
    again = page(ctx, page=1, per_page=per_page)
    if [_key(e) for e in again["entries"]] != seen[:per_page]:
        raise _fail("the same request gives the same entries in the same order", "page 1 changed between "
                    "two identical requests", "a stable order for paging", "page, per_page", again)
    ctx.observe("avaamo.order", "stable")


def _repeated_entry(ctx: RunContext, seen: list[tuple[str, ...]], served: Page) -> dict[str, Any] | None:
    """An entry of ``served`` already listed earlier in the walk (or on the same page), or None.

    003 gives entries no id, so two entries alike in every field could both be real: a key seen
    again counts as a repeat only when the target, asked for that number pair alone, lists it
    fewer times than the walk did (no verdict when the pair has more than one page of entries).
    """
    keys = [_key(e) for e in served["entries"]]
    for index, entry in enumerate(served["entries"]):
        key = keys[index]
        if key not in seen and key not in keys[:index]:
            continue
        walked = seen.count(key) + keys.count(key)
        alone = page(ctx, per_page=MAX_PER_PAGE, to_phone=entry.get("to_phone"),
                     from_phone=entry.get("from_phone"))
        if alone["total_entries"] <= MAX_PER_PAGE and [_key(e) for e in alone["entries"]].count(key) < walked:
            return entry
    return None


def _sample(ctx: RunContext) -> tuple[Page, list[dict[str, Any]]]:
    _total(ctx, 1, "a filter check")
    body = page(ctx, per_page=MAX_PER_PAGE)
    return body, body["entries"]


@check(id="avaamo.filters.every_filter_is_honoured", api="avaamo", family="filters",
       source=f"{S003} (Query Parameters: to_phone, from_phone, status, current_status, start_time, "
       "end_time)")
def every_filter_is_honoured(ctx: RunContext) -> None:
    """Each filter returns only matching entries, and the entry its value came from."""
    _, entries = _sample(ctx)
    entry = entries[0]
    for name in ("to_phone", "from_phone", "status", "current_status"):
        body = page(ctx, per_page=MAX_PER_PAGE, **{name: entry[name]})
        wrong = [e for e in body["entries"] if e.get(name) != entry[name]]
        if wrong or not body["entries"]:
            raise _fail(f"the {name} filter is honoured", f"{len(wrong)} of {len(body['entries'])} entries "
                        f"with another {name} (first: {wrong[0] if wrong else None})",
                        f"only entries with {name} = {entry[name]!r}, at least the one it came from",
                        f"Query Parameters: {name}", body)
    at = to_ms(entry["created_at"])
    units = "milliseconds" if float(entry["created_at"]) > 1e11 else "seconds"
    ctx.observe("avaamo.entry.created_at-units", units)
    start, end = int(at) - 1000, int(at) + 1000
    body = page(ctx, per_page=MAX_PER_PAGE, start_time=start, end_time=end)
    outside = [e for e in body["entries"] if not start <= to_ms(e["created_at"]) <= end]
    if outside or _key(entry) not in [_key(e) for e in body["entries"]]:
        raise _fail("start_time and end_time select the entries created in the window",
                    f"{len(outside)} entries outside [{start}, {end}] ms; the sample entry "
                    f"{'missing' if _key(entry) not in [_key(e) for e in body['entries']] else 'present'}",
                    "only and all entries created in the window", "start_time, end_time (milliseconds)", body)


@check(id="avaamo.state.entries_of_one_pair_agree_on_current_status", api="avaamo", family="state",
       source=f"{S003} (current_status: 'the latest opt-status of the to_phone number'); registry "
       "avaamo.current-status-scope")
def entries_of_one_pair_agree_on_current_status(ctx: RunContext) -> None:
    """Entries of the same (to_phone, from_phone) carry the same current_status."""
    body, entries = _sample(ctx)
    seen: dict[tuple[str, str], str] = {}
    for entry in entries:
        pair = (entry["to_phone"], entry["from_phone"])
        if seen.setdefault(pair, entry["current_status"]) != entry["current_status"]:
            raise _fail("entries of one number pair agree on current_status",
                        f"{pair}: {seen[pair]!r} and {entry['current_status']!r}",
                        "one latest opt-status per number", "current_status", body)
