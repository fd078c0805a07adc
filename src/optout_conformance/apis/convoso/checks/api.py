"""Calls to the Convoso SMS opt-out API and the assertions every Convoso check shares.

The checks in ``convoso_*.py`` speak through these helpers so that each of them stays one short
function per documented rule. Every helper turns a hostile answer (transport error, 5xx, HTML,
invalid JSON, a body of the wrong type) into a :class:`CheckFailed` with the exchange attached:
nothing a target sends makes a check raise anything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any

from optout_conformance.checks.response import as_int
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive
from optout_conformance.specs import load_spec

S000 = "000_4120ae5ce1e52dc7.txt"
S001 = "001_5cae901d395a1be8.txt"
BOTH = f"{S000}; {S001}"
GLOSSARY = "Convoso API glossary (public fact): 500 = server failed"

SEARCH = "/sms-opt-out/search"
INSERT = "/sms-opt-out/insert"
UPDATE = "/sms-opt-out/update"

# Records the checks create go to the documented global campaign (0: the only campaign id every
# Convoso account has), with fictional 555-01XX numbers and the run prefix in `reason`.
GLOBAL_CAMPAIGN = "0"
PURPOSE_CAMPAIGN = "-1"
# A campaign id no account is expected to have (for the unknown-campaign errors).
UNKNOWN_CAMPAIGN = "987654"

BLANK = "-BLANK-"
NOTBLANK = "-NOTBLANK-"

# The Error Handling table of 000 gives other texts for some coded errors
# (registry: convoso.error.message-text-variants); either text is accepted next to the code.
TEXT_VARIANTS = "convoso.error.message-text-variants"


@functools.cache
def message_variants() -> dict[str, tuple[str, ...]]:
    """documented message -> its other documented texts: the ``variants`` of the spec's
    ``x-error-codes`` entries marked with the registry's ``convoso.error.message-text-variants``
    (000's Error Handling table words some errors differently). A variant that depends on the
    profile (6058's wording in 001, ``convoso.error.6058-message``) is not one of them."""
    variants: dict[str, tuple[str, ...]] = {}
    for item in (load_spec("convoso", "lenient").get("paths") or {}).values():
        for operation in (item or {}).values():
            for entry in (operation.get("x-error-codes") or []) if isinstance(operation, dict) else []:
                marks = entry.get("x-discrepancy") if isinstance(entry, dict) else None
                marks = marks if isinstance(marks, list) else [marks]
                if entry.get("variants") and TEXT_VARIANTS in marks:
                    message = str(entry.get("message", ""))
                    known = variants.get(message, ())
                    variants[message] = known + tuple(v for v in entry["variants"] if v not in known)
    return variants


def call(ctx: CheckContext, path: str, *, token: str | None = "", **fields: Any) -> Exchange:
    """POST one form-encoded request; ``token=None`` omits auth_token, ``""`` sends the real one."""
    data: dict[str, str] = {}
    if token is not None:
        data["auth_token"] = token or (ctx.credentials.token or "")
    data.update({name: str(value) for name, value in fields.items() if value is not None})
    return ctx.http.post(path, data=data)


def search(ctx: CheckContext, **fields: Any) -> Exchange:
    return call(ctx, SEARCH, **fields)


def short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def json_object(ex: Exchange, rule: str, source: str) -> dict[str, Any]:
    """The body as a JSON object; a transport error, a 5xx or a non-object body fails ``rule``."""
    if ex.error:
        raise CheckFailed(rule, received=ex.error, documented="a JSON answer", source=source, exchange=ex)
    if ex.status is not None and ex.status >= 500:
        raise CheckFailed(
            rule,
            received=ex.summary(),
            documented="no server failure (HTTP 5xx)",
            source=f"{source}; {GLOSSARY}",
            exchange=ex,
        )
    try:
        body = ex.json()
    except ValueError as exc:
        raise CheckFailed(
            rule,
            received=f"{exc}: {ex.summary()}",
            documented="a JSON object body",
            source=source,
            exchange=ex,
        ) from None
    if not isinstance(body, dict):
        raise CheckFailed(
            rule,
            received=f"JSON {type(body).__name__}: {ex.summary()}",
            documented="a JSON object with `success`",
            source=source,
            exchange=ex,
        )
    return body


def success(ex: Exchange, rule: str, source: str) -> dict[str, Any]:
    """The body of a request that must succeed: HTTP 2xx and ``"success": true``."""
    body = json_object(ex, rule, source)
    if body.get("success") is not True or not (ex.status and 200 <= ex.status < 300):
        raise CheckFailed(
            rule,
            received=ex.summary(),
            documented='HTTP 2xx with {"success": true, ...}',
            source=source,
            exchange=ex,
        )
    return body


def records(ex: Exchange, rule: str, source: str = BOTH) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A successful search: its body and its `records` (a list of objects, as both documents show)."""
    body = success(ex, rule, source)
    items = body.get("records")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CheckFailed(
            rule,
            received=f"records = {short(items)}",
            documented="records: an array of record objects",
            source=source,
            exchange=ex,
        )
    return body, items


def total_of(ex: Exchange, body: dict[str, Any], rule: str) -> int:
    """The `total` of a search answer (an integer or a numeric string: both documented)."""
    total = as_int(body.get("total"))
    if total is None or total < 0:
        raise CheckFailed(
            rule,
            received=f"total = {short(body.get('total'))}",
            documented="total: the number of matching records (integer, or numeric string in 001)",
            source=BOTH,
            exchange=ex,
        )
    return total


def is_error(ex: Exchange, body: dict[str, Any]) -> bool:
    return body.get("success") is False or not (ex.status and 200 <= ex.status < 300)


def error_body(ctx: CheckContext, ex: Exchange, rule: str, source: str) -> dict[str, Any]:
    """The body of a request that must fail: ``success`` false with a message or error string.

    The HTTP status is observed (registry ``convoso.error.http-status``: no document gives it);
    only a 5xx fails. The shape follows ``convoso.error.body-shape``.
    """
    body = json_object(ex, rule, source)
    observe_once(ctx, "convoso.error.http-status", ex.status)
    if body.get("success") is not False:
        raise CheckFailed(
            rule,
            received=ex.summary(),
            documented='an error answer {"success": false, ...}',
            source=source,
            exchange=ex,
        )
    if not isinstance(message_of(body), str):
        raise CheckFailed(
            rule,
            received=ex.summary(),
            documented="an `error` or `message` string in the error body",
            source=f"{S000} (Error Handling); convoso-js SDK (public fact)",
            exchange=ex,
        )
    return body


def observe_once(ctx: CheckContext, discrepancy_id: str, observed: Any, follows: str | None = None) -> None:
    """Observe a value unless the run already recorded the same one for the same point."""
    if not any(o.discrepancy_id == discrepancy_id and o.observed == observed for o in list(ctx.observations)):
        ctx.observe(discrepancy_id, observed, follows=follows)


def message_of(body: Mapping[str, Any]) -> str | None:
    for key in ("error", "message"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return None


def _normal(text: str) -> str:
    return " ".join(text.casefold().strip().rstrip(".!").split())


def message_matches(received: str | None, documented: str) -> bool:
    """The documented text (or its Error Handling variant) appears in the message, case aside."""
    if received is None:
        return False
    return any(
        _normal(text) in _normal(received) for text in (documented, *message_variants().get(documented, ()))
    )


def assert_error(
    ctx: CheckContext,
    ex: Exchange,
    *,
    rule: str,
    codes: Mapping[int, str],
    source: str,
    code_optional_for: Collection[str] = (),
) -> tuple[int | None, str | None]:
    """Assert an error answer with one of ``codes`` (code -> documented message).

    ``code_optional_for`` lists messages documented without a code (000's Error Handling table,
    e.g. "Record not found"): such a message passes with no code. Returns (code, message).
    """
    body = error_body(ctx, ex, rule, source)
    message = message_of(body)
    if any(message_matches(message, text) for text in code_optional_for) and body.get("code") is None:
        return None, message
    code = as_int(body.get("code"))
    documented = " or ".join(f"{c} {m!r}" for c, m in codes.items())
    if code is None or code not in codes:
        raise CheckFailed(
            rule,
            received=f"code {short(body.get('code'))}, message {short(message)}",
            documented=f"code {documented}"
            + (f" (or {', '.join(code_optional_for)!r})" if code_optional_for else ""),
            source=source,
            exchange=ex,
        )
    if not message_matches(message, codes[code]):
        raise CheckFailed(
            rule,
            received=f"code {code} with message {short(message)}",
            documented=f"code {code} {codes[code]!r}",
            source=source,
            exchange=ex,
        )
    return code, message


# ---------------------------------------------------------------- data the checks create

# Who may write: a check flagged ``writes=True``. The runner runs unflagged checks side by side on
# shared threads and the flagged ones one at a time after them (runner.execute.run_api), so an
# unflagged check that wrote could move the totals, pages and orders another check is reading.
# An unflagged check therefore never writes: where it would need data the target lacks, it skips.


def may_write(ctx: CheckContext) -> bool:
    """Whether the running check may create data: writes allowed and the check flagged ``writes``.

    Outside a registered check (``current_check`` unset or unknown, e.g. a helper called directly)
    only the target decides.
    """
    spec = CHECKS.get(ctx.current_check or "")
    return ctx.writes_allowed and (spec is None or spec.writes)


def require_flagged_writes(ctx: CheckContext) -> None:
    """Skip when writes are not allowed; a write from an unflagged check is a bug of the suite."""
    ctx.require_writes()
    if not may_write(ctx):
        raise RuntimeError(
            f"{ctx.current_check} writes to the target but is not registered with writes=True"
        )


def insert(
    ctx: CheckContext,
    phone: str,
    *,
    campaign_id: str = GLOBAL_CAMPAIGN,
    phone_code: str = "1",
    reason: str | None = None,
    purpose: str | None = None,
) -> Exchange:
    return call(
        ctx,
        INSERT,
        phone_number=phone,
        phone_code=phone_code,
        campaign_id=campaign_id,
        reason=reason,
        purpose=purpose,
    )


def find(ctx: CheckContext, rule: str, **filters: Any) -> list[dict[str, Any]]:
    """Records of a search (used to read back what a check wrote)."""
    return records(search(ctx, limit=1000, **filters), rule)[1]


def create_record(
    ctx: CheckContext,
    *,
    rule: str,
    campaign_id: str = GLOBAL_CAMPAIGN,
    reason: str | None = None,
    purpose: str | None = None,
    phone: str | None = None,
) -> dict[str, Any]:
    """Insert a fresh record (writes required) and return it as search shows it."""
    require_flagged_writes(ctx)
    phone = phone or ctx.fictional_phone()
    reason = f"{ctx.run_prefix} {rule.split('.')[-1][:40]}" if reason is None else reason
    ex = insert(ctx, phone, campaign_id=campaign_id, reason=reason, purpose=purpose)
    setup = f"{rule} (setup: insert of a valid record, 000 Insert)"
    success(ex, setup, S000)
    found = [
        r
        for r in find(ctx, setup, phone_number=phone)
        if r.get("phone_number") == phone and as_int(r.get("campaign_id")) == int(campaign_id)
    ]
    if len(found) != 1:
        raise CheckFailed(
            setup,
            received=f"{len(found)} records for the inserted number {phone}",
            documented="the inserted record is found by phone_number "
            "(000 workflow: Checking SMS Opt-Out Status)",
            source=S000,
            exchange=ex,
        )
    return found[0]


def sample(
    ctx: CheckContext, rule: str, *, minimum: int = 1, limit: int = 100, **filters: Any
) -> list[dict[str, Any]]:
    """Existing records to take filter values from; too few: created by a check flagged ``writes``,
    skipped by any other (see :func:`may_write`)."""
    return sample_page(ctx, rule, minimum=minimum, limit=limit, **filters)[1]


def sample_page(
    ctx: CheckContext, rule: str, *, minimum: int = 1, limit: int = 100, **filters: Any
) -> tuple[Exchange, list[dict[str, Any]]]:
    """:func:`sample` with the search exchange that served the records (for a failure's curl).

    Too few records and no right to write: the check is inconclusive (it never passes on nothing).
    """
    ex = search(ctx, limit=limit, **filters)
    _, items = records(ex, rule)
    if len(items) >= minimum:
        return ex, items
    lacking(ctx, f"{minimum} record(s) matching {filters or 'no filter'} (the target has {len(items)})")
    for _ in range(minimum - len(items)):
        create_record(ctx, rule=rule)
    ex = search(ctx, limit=limit, **filters)
    return ex, records(ex, rule)[1]


def lacking(ctx: CheckContext, evidence: str) -> None:
    """Return when the running check may create the missing ``evidence``; else it is inconclusive."""
    if may_write(ctx):
        return
    why = "this check only reads" if ctx.writes_allowed else "writes are not allowed"
    raise CheckInconclusive(f"needs {evidence}, and {why}")


def total_records(ctx: CheckContext, rule: str, **filters: Any) -> int:
    """The `total` a search with ``filters`` reports (one record asked for)."""
    ex = search(ctx, limit=1, **filters)
    body, _ = records(ex, rule)
    return total_of(ex, body, rule)


def ensure_total(ctx: CheckContext, rule: str, minimum: int) -> int:
    """At least ``minimum`` records on the target: created (fictional numbers, run prefix) by a
    check flagged ``writes`` when missing, else the check is inconclusive. Returns the total."""
    total = total_records(ctx, rule)
    if total >= minimum:
        return total
    lacking(ctx, f"at least {minimum} records (the target has {total})")
    setup = f"{rule} (setup: insert of a valid record, 000 Insert)"
    for _ in range(minimum - total):
        success(insert(ctx, ctx.fictional_phone(), reason=f"{ctx.run_prefix} bulk"), setup, S000)
    total = total_records(ctx, rule)
    if total < minimum:
        raise CheckFailed(
            setup,
            received=f"total {total} after inserting {minimum} records' worth",
            documented="every inserted record counted in total (total: Total matching records)",
            source=BOTH,
        )
    return total


def outsider(ctx: CheckContext, rule: str, keep: Callable[[dict[str, Any]], bool], filters: Any) -> None:
    """Evidence for a filter check: the unfiltered data holds a record the filter must leave out
    (else a server ignoring the filter would pass unseen): inconclusive without one."""
    _, items = records(search(ctx, limit=1000), rule)
    if not any(not keep(r) for r in items):
        raise CheckInconclusive(
            f"needs a record that does not match {filters} (all {len(items)} served match): "
            "a server ignoring the filter could not be told apart"
        )


def fold(value: Any) -> str:
    """Text for matching: case and surrounding whitespace aside (matching is unspecified)."""
    return " ".join(text(value).casefold().split())


def matches_text(value: Any, wanted: str) -> bool:
    """``value`` holds ``wanted``: exact, partial, case-insensitive or trimmed matching all pass
    (registry convoso.search.text-filter-matching: no document says which)."""
    return fold(wanted) in fold(value)


def text(value: Any) -> str:
    """A record field as text (None and missing fields read as blank)."""
    return "" if value is None else str(value)


def not_stored(ctx: CheckContext, rule: str, phone: str, ex: Exchange, source: str) -> None:
    """Read back after a refused insert of ``phone``: search must show no record of it (the
    refusal said nothing was written; 000 workflow: search by phone_number "Returns all SMS
    opt-out entries for number")."""
    found = [r for r in find(ctx, rule, phone_number=phone) if text(r.get("phone_number")) == phone]
    if found:
        raise CheckFailed(
            f"{rule} (read back)",
            received=f"refused with {ex.summary(80)}, yet search shows {short(found[0])}",
            documented="a refused insert stores nothing",
            source=source,
            exchange=ex,
        )


# ---------------------------------------------------------------- the sentences checks cite
# (file, exact words) pairs for ``@check(cites=...)``; tests/self/test_citations.py finds each one
# in its seed (000's tables have no spaces between columns).

LIMIT_000 = (S000, "limitintegerNoResults per page (default 1000, max 1000)")
LIMIT_001 = (S001, "Max number of records to return (default 100, max 1000)")
OFFSET_000 = (S000, "offsetintegerNoPagination offset (default 0, max 100000)")
OFFSET_001 = (S001, "Row offset for pagination (default 0, max 1,000,000)")
OFFSET_7231_000 = (S000, "7231Invalid offset value")
OFFSET_7231_001 = (S001, "7231 | Invalid offset value")
ROW_001 = (S001, "offset | integer | Starting row in the result set")
TOTAL_000 = (S000, "totalintegerTotal matching records")
TOTAL_001 = (S001, "Total number of matching records found")
RECORDS_000 = (S000, "recordsarrayArray of opt-out records")
FILTER_CRITERIA_001 = (S001, "This API retrieves SMS Opt-Out records based on filter criteria")
AUTH_000 = (S000, "Authentication: Required (auth_token)")
AUTH_ERROR_000 = (
    S000,
    'Invalid auth_token{"success": false, "error": "Invalid authentication token"}',
)
AUTH_001 = (S001, "auth_token | string | Yes | API token")
SDK_ERROR_FACT = (
    "README.md",
    'treats a JSON body with `"success": false` as an API error and reads a numeric `code` and a '
    "`message` or `error` string from it",
)
SERVER_FAILED_FACT = ("README.md", "500 (server failed)")
STATUS_WORKFLOW_000 = (
    S000,
    "Checking SMS Opt-Out Status POST /sms-opt-out/search - phone_number: 5551234567 Result: "
    "Returns all SMS opt-out entries for number",
)
HONOR_000 = (S000, "Honor opt-out immediately")
