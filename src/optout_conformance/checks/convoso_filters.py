"""Convoso search filters: every record returned satisfies every filter sent.

Filter values are taken from records the target already has (or one this run inserts when it has
none and writes are allowed), so a filter that matches must also return the record it came from.
Text filters (phone_number, phone_code, reason, purpose) pass by containment: exact or partial
matching is not documented (registry convoso.search.text-filter-matching).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optout_conformance.checks.convoso_api import (
    BLANK,
    BOTH,
    NOTBLANK,
    PURPOSE_CAMPAIGN,
    S000,
    S001,
    as_int,
    assert_error,
    create_record,
    error_body,
    is_error,
    json_object,
    may_write,
    records,
    sample,
    search,
    short,
    text,
)
from optout_conformance.checks.registry import check
from optout_conformance.runner.context import CheckFailed, RunContext
from optout_conformance.runner.http import Exchange

Predicate = Callable[[dict[str, Any]], bool]


def contains(field: str, value: str) -> Predicate:
    return lambda record: value in text(record.get(field))


def same_campaign(campaign: int) -> Predicate:
    return lambda record: as_int(record.get("campaign_id")) == campaign


def blank(field: str, wanted: bool) -> Predicate:
    return lambda record: (text(record.get(field)).strip() == "") == wanted


def assert_filtered(
    ctx: RunContext,
    rule: str,
    source: str,
    filters: dict[str, str],
    keep: Predicate,
    *,
    must_include: Any = None,
) -> list[dict[str, Any]]:
    """Search with ``filters``; every record must satisfy ``keep``; ``must_include`` an id served."""
    ex = search(ctx, limit=1000, **filters)
    _, items = records(ex, rule)
    wrong = [r for r in items if not keep(r)]
    if wrong:
        raise CheckFailed(
            rule,
            received=f"{len(wrong)} of {len(items)} records fail {filters}: {short(wrong[0])}",
            documented=f"only records matching {filters}",
            source=source,
            exchange=ex,
        )
    # A record can only be missed for certain when the page holds every match.
    if (
        must_include is not None
        and len(items) < 1000
        and str(must_include) not in {str(r.get("id")) for r in items}
    ):
        raise CheckFailed(
            rule,
            received=f"record {must_include} (which matches {filters}) missing",
            documented=f"every record matching {filters}",
            source=source,
            exchange=ex,
        )
    return items


@check(
    id="convoso.filters.id_filter_returns_exactly_that_record",
    api="convoso",
    family="filters",
    source=f"{BOTH} (id: Filter by SMS opt-out record ID)",
)
def id_filter_returns_exactly_that_record(ctx: RunContext) -> None:
    """search id=X returns the record X and no other."""
    record = sample(ctx, "id filter")[-1]
    assert_filtered(
        ctx,
        "the id filter returns exactly that record",
        BOTH,
        {"id": str(record.get("id"))},
        lambda r: str(r.get("id")) == str(record.get("id")),
        must_include=record.get("id"),
    )


@check(
    id="convoso.filters.campaign_id_filter_returns_only_that_campaign",
    api="convoso",
    family="filters",
    source=f"{BOTH} (campaign_id: 0 for global); {S000} (Filtering Examples: 0, 111, -1)",
)
def campaign_id_filter_returns_only_that_campaign(ctx: RunContext) -> None:
    """campaign_id 0 (global) and 111 (000's example) each return only their own records.

    111 (an id the account may not have) may be refused with 6006 (registry
    convoso.search.campaign-filter-unknown): observed, not failed; so is the answer to "abc".
    -1 ("Purpose type opt-outs", 000) may be one campaign or a selector of every campaign of type
    Purpose, whose records carry their own ids (registry convoso.campaign.purpose-type,
    unspecified): the campaign ids served (or the refusal) are observed; only a reply that is no
    documented reply at all (transport error, 5xx, not JSON, error without text) fails.
    """
    rule = "the campaign_id filter returns only records of that campaign"
    for campaign in ("0", "111"):
        ex = search(ctx, campaign_id=campaign, limit=1000)
        body = json_object(ex, rule, BOTH)
        if is_error(ex, body) and campaign == "111":
            assert_error(
                ctx,
                ex,
                rule=f"{rule} (campaign_id={campaign})",
                codes={6006: "Invalid Campaign ID"},
                source=BOTH,
            )
            ctx.observe("convoso.search.campaign-filter-unknown", {campaign: "6006"})
            continue
        check_records(rule, ex, {"campaign_id": campaign}, same_campaign(int(campaign)))
    observe_purpose_type_search(ctx, f"{rule} (campaign_id=-1)")
    ex = search(ctx, campaign_id="abc", limit=1)
    body = json_object(ex, f"{rule} (campaign_id=abc)", BOTH)
    answer = f"code {body.get('code')}" if is_error(ex, body) else f"{len(body.get('records') or [])} records"
    ctx.observe("convoso.search.campaign-filter-unknown", {"abc": answer})


def observe_purpose_type_search(ctx: RunContext, rule: str) -> None:
    """Search campaign_id=-1 and observe what it serves: the campaign ids found, or the refusal."""
    source = f"{S000} (Purpose type opt-outs: campaign_id: -1)"
    ex = search(ctx, campaign_id=PURPOSE_CAMPAIGN, limit=1000)
    body = json_object(ex, rule, source)
    if is_error(ex, body):
        error_body(ctx, ex, rule, source)
        ctx.observe("convoso.campaign.purpose-type", {"search -1": f"refused: {ex.summary(100)}"})
        return
    _, items = records(ex, rule, source)
    served = sorted({text(r.get("campaign_id")) for r in items})
    observed = {"records": len(items), "campaign_ids": served}
    ctx.observe("convoso.campaign.purpose-type", {"search -1": observed})


def check_records(rule: str, ex: Exchange, filters: dict[str, str], keep: Predicate) -> None:
    _, items = records(ex, rule)
    wrong = [r for r in items if not keep(r)]
    if wrong:
        raise CheckFailed(
            rule,
            received=f"{len(wrong)} of {len(items)} records fail {filters}: {short(wrong[0])}",
            documented=f"only records matching {filters}",
            source=BOTH,
            exchange=ex,
        )


@check(
    id="convoso.filters.phone_number_and_phone_code_filters_return_only_matches",
    api="convoso",
    family="filters",
    source=f"{BOTH} (phone_number, phone_code filters); {S000} (workflow: Checking Status)",
)
def phone_number_and_phone_code_filters_return_only_matches(ctx: RunContext) -> None:
    """phone_number=P returns P's records (all of them); phone_code=C only records with code C.

    phone_code is also sent alone, with a code other than the sampled record's (the rarest one
    the sample shows, else 44 or 1): a server ignoring phone_code serves records of other codes.
    """
    items = sample(ctx, "phone filters")
    record = items[0]
    phone, code = text(record.get("phone_number")), text(record.get("phone_code"))
    assert_filtered(
        ctx,
        "the phone_number filter returns only that number",
        BOTH,
        {"phone_number": phone},
        contains("phone_number", phone),
        must_include=record.get("id"),
    )
    assert_filtered(
        ctx,
        "the phone_code filter returns only that code",
        BOTH,
        {"phone_code": code, "phone_number": phone},
        contains("phone_code", code),
        must_include=record.get("id"),
    )
    other = other_phone_code(items, code)
    assert_filtered(
        ctx,
        "the phone_code filter alone returns only that code",
        BOTH,
        {"phone_code": other},
        contains("phone_code", other),
    )


def other_phone_code(items: list[dict[str, Any]], code: str) -> str:
    """A phone code other than ``code``: the rarest of the others in ``items``, else 44 (or 1)."""
    counts: dict[str, int] = {}
    for item in items:
        value = text(item.get("phone_code")).strip()
        if value and value != code and code not in value and value not in code:
            counts[value] = counts.get(value, 0) + 1
    if counts:
        return min(counts, key=lambda value: (counts[value], value))
    return "1" if "44" in code else "44"


def split_by_blank(ctx: RunContext, field: str, *, strict: bool) -> dict[str, str]:
    """Search ``field``=-BLANK- and -NOTBLANK-; each must serve only its side.

    When a side has no record and writes are allowed, one is created (blank: the field omitted),
    and the search must then serve it. Returns "filter" / "not a filter" per value; with
    ``strict`` a side that is not filtered fails.
    """
    results = {}
    for value, wanted in ((BLANK, True), (NOTBLANK, False)):
        rule = f"{field}={value} returns only records with {'an empty' if wanted else 'a non-empty'} {field}"
        keep = blank(field, wanted)
        ex = search(ctx, limit=1000, **{field: value})
        _, items = records(ex, rule)
        created = None
        if not items and may_write(ctx):
            content = {"reason": f"{ctx.run_prefix} {field}", "purpose": "Survey"}
            if wanted:
                content[field] = ""
            created = create_record(
                ctx, rule=rule, reason=content["reason"], purpose=content["purpose"] or None
            )
            ex = search(ctx, limit=1000, **{field: value})
            _, items = records(ex, rule)
        served = created is None or str(created.get("id")) in {str(r.get("id")) for r in items}
        results[value] = "filter" if served and all(keep(r) for r in items) else "not a filter"
        if strict:
            check_records(rule, ex, {field: value}, keep)
            if not served and created is not None:
                raise CheckFailed(
                    rule,
                    received=f"the record {created.get('id')} with {field} "
                    f"{created.get(field)!r} is not served",
                    documented=f"every record matching {field}={value}",
                    source=BOTH,
                    exchange=ex,
                )
    return results


@check(
    id="convoso.filters.reason_blank_and_notblank_split_the_records",
    api="convoso",
    family="filters",
    source=f"{S000} (reason: -BLANK- or -NOTBLANK-); {S001} (use -BLANK- or -NOTBLANK-)",
)
def reason_blank_and_notblank_split_the_records(ctx: RunContext) -> None:
    """reason=-BLANK- returns only records without reason, -NOTBLANK- only records with one."""
    split_by_blank(ctx, "reason", strict=True)


@check(
    id="convoso.filters.purpose_blank_and_notblank_follow_the_profile",
    api="convoso",
    family="filters",
    source=f"{S001} (purpose: use -BLANK- or -NOTBLANK-); {S000} (purpose: Filter by purpose)",
)
def purpose_blank_and_notblank_follow_the_profile(ctx: RunContext) -> None:
    """001 makes -BLANK-/-NOTBLANK- purpose filters (strict in official); 000 is silent (observed)."""
    strict = ctx.expect("convoso.search.purpose-blank-filters") == "purpose -BLANK-/-NOTBLANK- are filters"
    results = split_by_blank(ctx, "purpose", strict=strict)
    ctx.observe(
        "convoso.search.purpose-blank-filters",
        results,
        follows=S001 if set(results.values()) == {"filter"} else None,
    )


@check(
    id="convoso.filters.insert_date_filter_returns_records_of_that_day",
    api="convoso",
    family="filters",
    source=f"{S000} (insert_date: Filter by insert date (YYYY-MM-DD)); {S001} (format varies)",
)
def insert_date_filter_returns_records_of_that_day(ctx: RunContext) -> None:
    """insert_date=YYYY-MM-DD returns records whose date part is that day (000; 001: observed)."""
    rule = "the insert_date filter returns only records of that day"
    record = sample(ctx, rule)[0]
    day = text(record.get("insert_date"))[:10]
    strict = ctx.expect("convoso.search.insert_date-filter-format") == "YYYY-MM-DD honoured"
    ex = search(ctx, insert_date=day, limit=1000)
    body = json_object(ex, rule, S000)
    if is_error(ex, body):
        ctx.observe("convoso.search.insert_date-filter-format", f"YYYY-MM-DD refused: {ex.summary(100)}")
        if strict:
            raise CheckFailed(
                rule,
                received=ex.summary(),
                documented="insert_date in YYYY-MM-DD accepted",
                source=S000,
                exchange=ex,
            )
        return
    _, items = records(ex, rule)
    honoured = all(text(r.get("insert_date"))[:10] == day for r in items) and (
        len(items) >= 1000 or str(record.get("id")) in {str(r.get("id")) for r in items}
    )
    ctx.observe(
        "convoso.search.insert_date-filter-format",
        "YYYY-MM-DD honoured" if honoured else "not honoured",
        follows=S000 if honoured else None,
    )
    if strict:
        assert_filtered(
            ctx,
            rule,
            S000,
            {"insert_date": day},
            lambda r: text(r.get("insert_date"))[:10] == day,
            must_include=record.get("id"),
        )


@check(
    id="convoso.filters.reason_and_purpose_text_filters_match_by_containment",
    api="convoso",
    family="filters",
    source=f"{BOTH} (reason, purpose: Filter by reason / purpose)",
)
def reason_and_purpose_text_filters_match_by_containment(ctx: RunContext) -> None:
    """reason=R / purpose=P: every record served contains R / P; the record R came from is served."""
    items = sample(ctx, "text filters", reason=NOTBLANK)
    record = items[0]
    reason = text(record.get("reason"))
    assert_filtered(
        ctx,
        "the reason filter returns only matching reasons",
        BOTH,
        {"reason": reason},
        contains("reason", reason),
        must_include=record.get("id"),
    )
    with_purpose = [r for r in items if text(r.get("purpose")).strip()]
    if with_purpose:
        purpose = text(with_purpose[0].get("purpose"))
        assert_filtered(
            ctx,
            "the purpose filter returns only matching purposes",
            BOTH,
            {"purpose": purpose},
            contains("purpose", purpose),
            must_include=with_purpose[0].get("id"),
        )


@check(
    id="convoso.filters.combined_filters_are_all_applied",
    api="convoso",
    family="filters",
    source=f"{BOTH} (search parameters are filters)",
)
def combined_filters_are_all_applied(ctx: RunContext) -> None:
    """campaign_id + phone_code + phone_number + reason=-NOTBLANK- together: each record satisfies all."""
    record = sample(ctx, "combined filters", reason=NOTBLANK)[0]
    campaign, code = text(record.get("campaign_id")), text(record.get("phone_code"))
    phone = text(record.get("phone_number"))
    filters = {"campaign_id": campaign, "phone_code": code, "reason": NOTBLANK, "phone_number": phone}
    assert_filtered(
        ctx,
        "combined filters are all applied",
        BOTH,
        filters,
        lambda r: (
            as_int(r.get("campaign_id")) == as_int(campaign)
            and code in text(r.get("phone_code"))
            and blank("reason", False)(r)
            and phone in text(r.get("phone_number"))
        ),
        must_include=record.get("id"),
    )
