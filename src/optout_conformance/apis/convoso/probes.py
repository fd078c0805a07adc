"""The Convoso fingerprint probes: which of 000 (community) and 001 (official) a target follows.

Run by ``checks.fingerprint.detect`` through this API's definition (``probe_functions``).
"""

from __future__ import annotations

import re
from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    BLANK,
    GLOBAL_CAMPAIGN,
    S000,
    S001,
    as_int,
    is_error,
    json_object,
    message_of,
    records,
    search,
    total_of,
)
from optout_conformance.checks.fingerprint import pin
from optout_conformance.core.context import CheckContext

DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def observed_default(total: int, served: int) -> int | None:
    """Which documented default (1000 or 100) a page of ``served`` out of ``total`` shows, if any."""
    if total > 100 and served == 100:
        return 100
    if served == min(total, 1000) and served > 100:
        return 1000
    return None


def field_kind(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    if isinstance(value, str) and as_int(value) is not None:
        return "numeric-string"
    return type(value).__name__


def paging_follows(kinds: dict[str, str]) -> str | None:
    """000 shows integers; 001's table and example make `total` a string (offset/limit either)."""
    if all(kind == "integer" for kind in kinds.values()):
        return S000
    numeric = ("integer", "numeric-string")
    if (
        kinds.get("total") == "numeric-string"
        and kinds.get("offset") in numeric
        and kinds.get("limit") in numeric
    ):
        return S001
    return None


def paging_kinds(body: dict[str, Any]) -> dict[str, str]:
    """The kind of each paging field of a search reply (offset, limit, total)."""
    return {name: field_kind(body.get(name)) for name in ("offset", "limit", "total")}


def date_format(value: str) -> str:
    """The insert_date format a value shows: 000's date, 001's date and time, or other."""
    if DATE_ONLY.fullmatch(value):
        return "YYYY-MM-DD"
    if DATE_TIME.fullmatch(value):
        return "YYYY-MM-DD HH:MM:SS"
    return "other"


DATE_FOLLOWS = {"YYYY-MM-DD": S000, "YYYY-MM-DD HH:MM:SS": S001}


def date_follows(dates: list[str]) -> str | None:
    formats = {date_format(d) for d in dates}
    return DATE_FOLLOWS.get(formats.pop()) if len(formats) == 1 else None


def global_campaign_names(items: list[dict[str, Any]]) -> dict[str, Any]:
    """repr -> campaign_name of the global (campaign 0) records (keyed by repr: a name may be any
    JSON value, lists and objects included, which are unhashable)."""
    return {repr(r.get("campaign_name")): r.get("campaign_name")
            for r in items if as_int(r.get("campaign_id")) == 0}


def probe_default_search(ctx: CheckContext) -> None:
    """One search without parameters: limit default, paging field types, insert_date format."""
    ex = search(ctx)
    body, items = records(ex, "fingerprint: default search")
    total = total_of(ex, body, "fingerprint: default search")
    shown = observed_default(total, len(items))
    if shown is None:
        ctx.observe("convoso.search.limit-default", f"inconclusive ({len(items)} of {total} records)")
    else:
        pin(ctx, "convoso.search.limit-default", shown, {1000: S000, 100: S001}[shown])
    kinds = paging_kinds(body)
    pin(ctx, "convoso.search.paging-field-types", kinds, paging_follows(kinds))
    dates = [str(r.get("insert_date")) for r in items[:50]]
    follows = date_follows(dates)
    pin(ctx, "convoso.record.insert_date-format", dates[0] if dates else "no records", follows)


def offset_between_maxima(ctx: CheckContext) -> tuple[str, str | None]:
    """offset=500000 lies above 000's maximum and within 001's: success -> 001, 7231 -> 000."""
    ex = search(ctx, offset=500000, limit=1)
    body = json_object(ex, "search with offset 500000", f"{S000}; {S001}")
    if not is_error(ex, body):
        return "offset 500000 accepted", S001
    if as_int(body.get("code")) == 7231:
        return "offset 500000 -> 7231", S000
    return f"inconclusive: {ex.summary(120)}", None


def probe_offset_max(ctx: CheckContext) -> None:
    pin(ctx, "convoso.search.offset-max", *offset_between_maxima(ctx))


def probe_global_campaign_name(ctx: CheckContext) -> None:
    """The campaign_name of global (campaign 0) records: "Global SMS Opt-Out" (000) or "" (001)."""
    _, items = records(search(ctx, campaign_id=GLOBAL_CAMPAIGN, limit=20), "fingerprint: global records")
    names = global_campaign_names(items)
    if not names:
        ctx.observe("convoso.record.global-campaign_name", "inconclusive (no global records)")
        return
    values = [names[key] for key in sorted(names)]
    if len(values) != 1:
        ctx.observe("convoso.record.global-campaign_name", f"inconclusive (several names: {values})")
        return
    name = values[0]
    documented = {"Global SMS Opt-Out": S000, "": S001}
    pin(ctx, "convoso.record.global-campaign_name", name,
        documented.get(name) if isinstance(name, str) else None)


def probe_purpose_blank_filter(ctx: CheckContext) -> None:
    """purpose=-BLANK-: 001 makes it a filter; a target that ignores it can only follow 000."""
    _, items = records(search(ctx, purpose=BLANK, limit=100), "fingerprint: purpose -BLANK-")
    filled = [r for r in items if r.get("purpose") not in (None, "")]
    if not items:
        ctx.observe("convoso.search.purpose-blank-filters", "inconclusive (no records served)")
    elif filled:
        pin(
            ctx,
            "convoso.search.purpose-blank-filters",
            f"not a filter ({len(filled)} of {len(items)} records have a purpose)",
            S000,
        )
    else:
        # Honouring the filter is what 001 says and what 000 allows: no profile is identified.
        ctx.observe(
            "convoso.search.purpose-blank-filters", f"filter ({len(items)} blank records)", follows=S001
        )


def probe_6058_message(ctx: CheckContext) -> None:
    """A search with a 300-character reason: a 6058 answer's message is 000's or 001's text.

    Search is the one operation both documents list 6058 for (001 documents only search, so an
    insert's 6058 text is 000's in every profile and identifies nothing).
    """
    ex = search(ctx, reason="r" * 300, limit=1)
    body = json_object(ex, "fingerprint: 6058", f"{S000}; {S001}")
    if as_int(body.get("code")) != 6058:
        ctx.observe("convoso.error.6058-message", f"inconclusive (no 6058: {ex.summary(120)})")
        return
    message = message_of(body) or ""
    follows = {"invalid reason provided": S000, "invalid purpose provided": S001}.get(
        message.strip().rstrip(".").casefold()
    )
    pin(ctx, "convoso.error.6058-message", message, follows)


PROBES = (
    probe_default_search,
    probe_offset_max,
    probe_global_campaign_name,
    probe_purpose_blank_filter,
    probe_6058_message,
)
