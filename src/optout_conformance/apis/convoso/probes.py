"""The Convoso fingerprint probes: which of 000 (community) and 001 (official) a target follows.

Run by ``checks.fingerprint.detect`` through this API's definition (``probe_functions``).
"""

from __future__ import annotations

from optout_conformance.apis.convoso.checks.api import (
    BLANK,
    GLOBAL_CAMPAIGN,
    S000,
    S001,
    as_int,
    json_object,
    message_of,
    records,
    search,
    total_of,
)
from optout_conformance.apis.convoso.checks.classify import (
    date_follows,
    global_campaign_names,
    observed_default,
    offset_between_maxima,
    paging_follows,
    paging_kinds,
)
from optout_conformance.checks.fingerprint import pin
from optout_conformance.core.context import CheckContext


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
