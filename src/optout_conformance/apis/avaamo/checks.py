"""Avaamo SMS Opt Status (003 only): one check per rule the document states.

The API is read-only (003 documents no operation that writes), so every check works on the
entries the target already has: a check whose rule needs entries the target does not have (more
than one page, entries that a filter value matches and entries it does not, two entries of one
number pair) is inconclusive, with the reason, never passed. Where 003 contradicts itself or is
silent (total_pages arithmetic, the order of entries, a page past the end) the check observes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optout_conformance.checks.shapes import assert_conforms
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped

S003 = "003_725be0800b974dd2.txt"
PATH = "/sms/opt-status.json"
PLAIN_PATH = "/sms/opt-status"
MAX_PER_PAGE = 100
# A pagination walk reads at most this many pages (bounded load on a live target).
MAX_WALK_PAGES = 12
READ_ONLY = "Avaamo's API is read-only (003 documents no write), so the suite cannot create them"

# The sentences of 003 the checks below cite.
TOKEN_REQUIRED = (S003, "access-token<mark style=\"color:red;\">*</mark>")
TOKEN_TEXT = (S003, "The user access token.")
OK_PAGE = (S003, "200: OK Successful request")
PER_PAGE = (S003, "Number of entries fetched per page.")
PER_PAGE_ATTRIBUTE = (S003, "Indicates the number of entries fetched per page.")
PER_PAGE_MAX = (S003, "Maximum value: 100")
PAGE = (S003, "Page from which the entries must be fetched.")
TOTAL_ENTRIES = (S003, "Indicates the total number of entries")
ENTRIES_COUNT = (S003, "Number of entries in the array = Number specified in per_page parameter.")


def fetch(ctx: CheckContext, path: str = PATH, token: str | None = "", **params: Any) -> Exchange:
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


def page(ctx: CheckContext, **params: Any) -> Page:
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


def _total(ctx: CheckContext, minimum: int, why: str) -> int:
    total = int(page(ctx, per_page=1)["total_entries"])
    if total < minimum:
        raise CheckInconclusive(f"the target has {total} entries; {why} needs at least {minimum}: "
                                f"{READ_ONLY}")
    return total


@check(id="avaamo.auth.no_entries_without_a_valid_access_token", api="avaamo", family="auth",
       source=f"{S003} (Headers: access-token, required)", cites=(TOKEN_REQUIRED, TOKEN_TEXT))
def no_entries_without_a_valid_access_token(ctx: CheckContext) -> None:
    """Without the access-token header, or with a wrong one, no entries are served.

    Evidence: the same request with the valid token lists entries (a target with none would
    serve none either way: inconclusive).
    """
    statuses = {}
    for label, token in (("missing", None), ("invalid", f"{ctx.run_prefix}-not-a-token")):
        ex = fetch(ctx, token=token)
        statuses[label] = ex.status
        body = ex.json_or_none()
        entries = body.get("entries") if isinstance(body, dict) else None
        # Status and body are free (registry avaamo.auth.failure-response): only entries count.
        if ex.error or entries:
            raise CheckFailed(f"a request with a {label} access-token gets no entries", received=ex.summary(),
                              documented="an error (access-token is required)",
                              source=f"{S003} (Headers: access-token*)", exchange=ex)
    ctx.observe("avaamo.auth.failure-response", statuses)
    if not page(ctx)["entries"]:
        raise CheckInconclusive(f"the valid token lists no entries either, so an unchecked token would "
                                f"look the same: the target has none and {READ_ONLY}")


@check(id="avaamo.shapes.json_path_serves_the_documented_page", api="avaamo", family="shapes",
       source=f"{S003} (GET https://cx.avaamo.com/api/v2/sms/opt-status.json; Response attributes)",
       cites=((S003, "`https://cx.avaamo.com/api/v2/sms/opt-status.json`"), OK_PAGE,
              (S003, "Indicates the timestamp of when the request was received by the carrier."),
              (S003, "Possible values: opt-in, opt-out.")))
def json_path_serves_the_documented_page(ctx: CheckContext) -> None:
    """The documented endpoint (.json) answers a page whose fields match the response attributes.

    Evidence: at least one entry, whose attributes are validated too.
    """
    served = page(ctx)
    ex = fetch(ctx, PLAIN_PATH)
    ctx.observe("avaamo.path.json-suffix", {"without .json": ex.status})
    if not served["entries"]:
        raise CheckInconclusive(f"the page has no entries, so their attributes could not be checked: "
                                f"{READ_ONLY}")


@check(id="avaamo.pagination.defaults_are_page_1_and_25_per_page", api="avaamo", family="pagination",
       source=f"{S003} (page: Default: 1; per_page: Default: 25)",
       cites=((S003, "Page from which the entries must be fetched. </p><p>Default: 1"),
              (S003, "Number of entries fetched per page. </p><p>Default: 25"), PER_PAGE_ATTRIBUTE))
def defaults_are_page_1_and_25_per_page(ctx: CheckContext) -> None:
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
    if not body["entries"]:
        raise CheckInconclusive(f"the target has no entries, so the default page size could not be seen "
                                f"in the entries served: {READ_ONLY}")


@check(id="avaamo.limits.never_more_than_100_entries", api="avaamo", family="limits",
       source=f"{S003} (per_page: Maximum value: 100)", cites=(PER_PAGE_MAX, PER_PAGE))
def never_more_than_100_entries(ctx: CheckContext) -> None:
    """per_page=100 is served; per_page=101 and 500 are clamped or rejected, never more than 100 entries.

    Evidence: the target has more than 100 entries (else no page could hold more).
    """
    served = page(ctx, per_page=MAX_PER_PAGE)
    for asked in (MAX_PER_PAGE + 1, 500):
        ex = fetch(ctx, per_page=asked)
        body = ex.json_or_none()
        entries = body.get("entries") if isinstance(body, dict) else None
        # Clamping or any error (registry avaamo.query.per-page-above-max): only more than 100 entries fail.
        if ex.error or (isinstance(entries, list) and len(entries) > MAX_PER_PAGE):
            raise CheckFailed("per_page above 100 never serves more than 100 entries", received=ex.summary(),
                              documented="at most 100 entries",
                              source=f"{S003} (per_page: Maximum value: 100)", exchange=ex)
        observed = f"clamped to {body.get('per_page')}" if isinstance(entries, list) else f"HTTP {ex.status}"
        ctx.observe("avaamo.query.per-page-above-max", {f"per_page={asked}": observed})
    if served["total_entries"] <= MAX_PER_PAGE:
        raise CheckInconclusive(f"the target has {served['total_entries']} entries, so no page could hold "
                                f"more than {MAX_PER_PAGE}: {READ_ONLY}")


@check(id="avaamo.pagination.no_page_holds_more_than_per_page_entries", api="avaamo", family="pagination",
       source=f"{S003} (per_page: 'Number of entries fetched per page'; entries: 'Number of entries in the "
       "array = Number specified in per_page'); total_pages observed (registry "
       "avaamo.response.total-pages-arithmetic)",
       cites=(PER_PAGE, PER_PAGE_ATTRIBUTE, ENTRIES_COUNT))
def no_page_holds_more_than_per_page_entries(ctx: CheckContext) -> None:
    """A page never holds more entries than per_page asks, for several page sizes.

    total_pages is observed, not judged: 003 says "total_entries = per_page * total_pages" and
    its own example (9 entries, 1 per page, 5 pages) fits neither that nor any rounding.
    Evidence: more entries than the smallest page size.
    """
    total = _total(ctx, 2, "a page fuller than per_page")
    arithmetic: dict[int, str] = {}
    for per_page in (1, 7, 25, 100):
        body = page(ctx, per_page=per_page)
        if len(body["entries"]) > per_page:
            raise _fail("a page holds at most per_page entries",
                        f"per_page {per_page}: {len(body['entries'])} entries", f"at most {per_page} entries",
                        "per_page; entries", body)
        pages = body["total_pages"]
        arithmetic[per_page] = ("ceil" if pages == math.ceil(total / per_page) else
                                "floor" if pages == total // per_page else f"{pages} of {total}")
    ctx.observe("avaamo.response.total-pages-arithmetic", arithmetic)


@check(id="avaamo.pagination.pages_are_disjoint_and_complete", api="avaamo", family="pagination",
       source=f"{S003} (page, per_page; total_entries; entries: 'Number of entries in the array = Number "
       "specified in per_page'); registry avaamo.response.entries-count; avaamo.order observed",
       cites=(PAGE, PER_PAGE, TOTAL_ENTRIES, ENTRIES_COUNT))
def pages_are_disjoint_and_complete(ctx: CheckContext) -> None:
    """Walking every page: full pages but the last, no entry on two pages, none past the end.

    With every page full but the last and no entry repeated, the walk lists all of total_entries.
    Whether the same request gives the same order (registry avaamo.order) and what a page past
    the end answers (an empty page, or an error) are observed.
    """
    total = _total(ctx, 3, "a pagination walk over more than one page")
    per_page = max(1, min(MAX_PER_PAGE, math.ceil(total / (MAX_WALK_PAGES - 2))))
    pages = math.ceil(total / per_page)
    if pages > MAX_WALK_PAGES:
        raise CheckInconclusive(f"{total} entries need {pages} pages of 100; a walk reads at most "
                                f"{MAX_WALK_PAGES}, so completeness could not be seen")
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
    past_ex = fetch(ctx, page=pages + 1, per_page=per_page)
    past = past_ex.json_or_none()
    if past_ex.status == 200 and isinstance(past, dict) and past.get("entries"):
        raise CheckFailed("no entries past the last page", received=f"{len(past['entries'])} entries on page "
                          f"{pages + 1} after all {total} entries were listed", documented=f"none: "
                          f"total_entries is {total}", source=f"{S003} (total_entries)", exchange=past_ex)
    ctx.observe("avaamo.query.page-past-end", f"HTTP {past_ex.status}"
                + (" empty page" if isinstance(past, dict) and past.get("entries") == [] else ""))
    again = page(ctx, page=1, per_page=per_page)
    ctx.observe("avaamo.order",
                "stable" if [_key(e) for e in again["entries"]] == seen[:per_page] else "changed")


def _repeated_entry(ctx: CheckContext, seen: list[tuple[str, ...]], served: Page) -> dict[str, Any] | None:
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


def _sample(ctx: CheckContext) -> tuple[Page, list[dict[str, Any]]]:
    """Entries from the first, middle and last full pages: whatever order the target lists them in
    (003 fixes none; registry avaamo.order), the sample spans its data, not only one end of it."""
    _total(ctx, 2, "this check")
    body = page(ctx, per_page=MAX_PER_PAGE)
    entries = list(body["entries"])
    pages = -(-int(body["total_entries"]) // MAX_PER_PAGE)
    for number in sorted({(pages + 1) // 2, pages} - {1}):
        entries += page(ctx, per_page=MAX_PER_PAGE, page=number)["entries"]
    return body, entries


FILTERS = ("to_phone", "from_phone", "status", "current_status")


@check(id="avaamo.filters.every_filter_is_honoured", api="avaamo", family="filters",
       source=f"{S003} (Query Parameters: to_phone, from_phone, status, current_status, start_time, "
       "end_time)",
       cites=((S003, "The recipient's phone number to which the SMS was sent."),
              (S003, "The phone number from which the SMS was sent to the recipients."),
              (S003, "The opt-status of the recipient's phone number at the time the record was created."),
              (S003, "Latest opt-status of the recipient's phone number."),
              (S003, "Timestamp from which the records are fetched."),
              (S003, "Timestamp until which the records are fetched."),
              (S003, "Specify in UNIX Epoch Timestamp in milliseconds.")))
def every_filter_is_honoured(ctx: CheckContext) -> None:
    """Each filter, given a value taken from the target's own entries, returns only matching entries,
    at least the entry its value came from, and fewer than all when some entry does not match.

    Evidence, per filter: an entry that matches the value and one that does not (a filter every
    entry matches looks the same ignored); without it the check is inconclusive.
    """
    body, entries = _sample(ctx)
    total = int(body["total_entries"])
    missing: list[str] = []
    for name in FILTERS:
        entry = next((e for e in entries if any(o.get(name) != e.get(name) for o in entries)), None)
        if entry is None:
            missing.append(f"every entry has the same {name}")
            continue
        value = entry[name]
        served = page(ctx, per_page=MAX_PER_PAGE, **{name: value})
        wrong = [e for e in served["entries"] if e.get(name) != value]
        absent = _key(entry) not in [_key(e) for e in served["entries"]]
        if wrong or (absent and served["total_entries"] <= MAX_PER_PAGE) or not served["entries"] \
                or served["total_entries"] >= total:
            raise _fail(f"the {name} filter is honoured", f"{len(wrong)} of {len(served['entries'])} entries "
                        f"with another {name} (first: {wrong[0] if wrong else None}); total_entries "
                        f"{served['total_entries']} of {total}",
                        f"only entries with {name} = {value!r}, at least the one it came from, fewer than "
                        "all", f"Query Parameters: {name}", served)
    _time_window(ctx, entries, total, missing)
    if missing:
        raise CheckInconclusive("no entry that the filter value leaves out: " + "; ".join(missing)
                                + f" ({READ_ONLY})")


def _time_window(ctx: CheckContext, entries: list[dict[str, Any]], total: int, missing: list[str]) -> None:
    """start_time and end_time (ms) around an entry's created_at select it and leave others out."""
    # Every sampled entry's unit: a target mixing seconds and milliseconds is observed as such.
    units = {"milliseconds" if float(e["created_at"]) > 1e11 else "seconds" for e in entries}
    ctx.observe("avaamo.entry.created_at-units", " and ".join(sorted(units)))
    # Each bound is shown by a window with an entry created strictly beyond it (an entry on a bound
    # is inside the window): one window around an entry with an earlier entry beyond start_time,
    # one around an entry with a later entry beyond end_time (where there is one, there is the
    # other: the earlier entry has the later one beyond its own end_time).
    times = [to_ms(e["created_at"]) for e in entries]

    def window(entry: dict[str, Any]) -> tuple[int, int]:
        at = int(to_ms(entry["created_at"]))
        return at - 1000, at + 1000

    def beyond(entry: dict[str, Any]) -> tuple[bool, bool]:
        start, end = window(entry)
        return any(t < start for t in times), any(t > end for t in times)

    earlier = [e for e in entries if beyond(e)[0]][:1]
    later = [e for e in entries if beyond(e)[1]][:1]
    centres = earlier + later
    if not centres:
        missing.append("every entry was created within the same two seconds")
        return
    for entry in centres:
        start, end = window(entry)
        served = page(ctx, per_page=MAX_PER_PAGE, start_time=start, end_time=end)
        outside = [e for e in served["entries"] if not start <= to_ms(e["created_at"]) <= end]
        keys = [_key(e) for e in served["entries"]]
        if outside or _key(entry) not in keys or served["total_entries"] >= total:
            raise _fail("start_time and end_time select the entries created in the window",
                        f"{len(outside)} entries outside [{start}, {end}] ms; the sample entry "
                        f"{'missing' if _key(entry) not in keys else 'present'}; total_entries "
                        f"{served['total_entries']} of {total}",
                        "only and all entries created in the window", "start_time, end_time (milliseconds)",
                        served)


@check(id="avaamo.state.entries_of_one_pair_agree_on_current_status", api="avaamo", family="state",
       source=f"{S003} (current_status: 'the latest opt-status of the to_phone number'); registry "
       "avaamo.current-status-scope",
       cites=((S003, "Latest opt-status of the recipient's phone number."),
              (S003, "Indicates the latest opt-status of the <code>to_phone</code> number.")))
def entries_of_one_pair_agree_on_current_status(ctx: CheckContext) -> None:
    """Entries of the same (to_phone, from_phone) carry the same current_status.

    003 makes current_status the latest status of the to_phone (registry
    avaamo.current-status-scope: per number or per number pair); either way, two entries of one
    pair share it. Evidence: a pair with two entries or more in the sample.
    """
    body, entries = _sample(ctx)
    seen: dict[tuple[str, str], str] = {}
    repeated = False
    for entry in entries:
        pair = (entry["to_phone"], entry["from_phone"])
        repeated = repeated or pair in seen
        if seen.setdefault(pair, entry["current_status"]) != entry["current_status"]:
            raise _fail("entries of one number pair agree on current_status",
                        f"{pair}: {seen[pair]!r} and {entry['current_status']!r}",
                        "one latest opt-status per number", "current_status", body)
    if not repeated:
        raise CheckInconclusive(f"no number pair has two entries among the {len(entries)} sampled, so "
                                f"none could disagree: {READ_ONLY}")
