"""Convoso search filters: every record returned satisfies every filter sent.

Filter values are taken from records the target already has (or one this run inserts when it has
none and writes are allowed), so a filter that matches must also return the record it came from.
Text filters (phone_number, phone_code, reason, purpose) pass by containment with case and
surrounding whitespace aside: exact, partial, case-insensitive or trimmed matching is not
documented (registry convoso.search.text-filter-matching), so any of them passes and is observed.

Evidence: a filter check passes only after it saw records the filter must keep (the record its
value came from) and, on the same target, records it must leave out (:func:`outsider`); a filter
ignored entirely then serves those and fails, in every profile. Without such records the check is
inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    BLANK,
    BOTH,
    NOTBLANK,
    PURPOSE_CAMPAIGN,
    S000,
    S001,
    as_int,
    assert_error,
    error_body,
    fold,
    is_error,
    json_object,
    lacking,
    matches_text,
    outsider,
    records,
    sample,
    search,
    short,
    text,
)
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive

Predicate = Callable[[dict[str, Any]], bool]


def contains(field: str, value: str) -> Predicate:
    """The record's ``field`` holds ``value`` (case and surrounding whitespace aside)."""
    return lambda record: matches_text(record.get(field), value)


def cite(*quotes: str, official: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """Citations: ``quotes`` of 000, ``official`` of 001."""
    return (*((S000, q) for q in quotes), *((S001, q) for q in official))


FILTERS_001 = "It supports filtering by ID, phone number, campaign, reason, purpose, and insert date"


def same_campaign(campaign: int) -> Predicate:
    return lambda record: as_int(record.get("campaign_id")) == campaign


def blank(field: str, wanted: bool) -> Predicate:
    return lambda record: (text(record.get(field)).strip() == "") == wanted


def assert_filtered(
    ctx: CheckContext,
    rule: str,
    source: str,
    filters: dict[str, str],
    keep: Predicate,
    *,
    must_include: Any = None,
) -> list[dict[str, Any]]:
    """Search with ``filters``; every record must satisfy ``keep``; ``must_include`` an id served.

    Evidence first: the target must hold a record ``keep`` rejects (else inconclusive), so that a
    server ignoring the filter fails here. Text matched only with case or whitespace aside is
    observed (registry convoso.search.text-filter-matching), never failed.
    """
    outsider(ctx, rule, keep, filters)
    ex = search(ctx, limit=1000, **filters)
    _, items = records(ex, rule)
    observe_matching(ctx, filters, items)
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


TEXT_FILTERS = ("phone_number", "phone_code", "reason", "purpose")


def observe_matching(ctx: CheckContext, filters: dict[str, str], items: list[dict[str, Any]]) -> None:
    """Record how text filters matched: exact, partial, or with case / whitespace aside."""
    for name, value in filters.items():
        if name not in TEXT_FILTERS or value in (BLANK, NOTBLANK):
            continue
        values = [text(r.get(name)) for r in items]
        if any(v != value and value not in v and fold(value) in fold(v) for v in values):
            seen = "case or whitespace aside"
        elif any(v != value and value in v for v in values):
            seen = "partial"
        else:
            continue
        ctx.observe("convoso.search.text-filter-matching", {name: seen})


@check(
    id="convoso.filters.id_filter_returns_exactly_that_record",
    api="convoso",
    family="filters",
    source=f"{BOTH} (id: Filter by SMS opt-out record ID)",
    cites=cite("idstringNoFilter by SMS opt-out record ID", official=(FILTERS_001,)),
)
def id_filter_returns_exactly_that_record(ctx: CheckContext) -> None:
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
    cites=cite(
        "campaign_idstringNoFilter by campaign ID (0 for global)",
        "Global opt-outs only: POST /sms-opt-out/search - campaign_id: 0",
        official=(FILTERS_001, "campaign_id | integer | Optional | Campaign ID (0 for global)"),
    ),
)
def campaign_id_filter_returns_only_that_campaign(ctx: CheckContext) -> None:
    """campaign_id C returns only C's records, for every campaign id the target's records carry
    (up to three) and for 0 (global) and 111 (000's example).

    Evidence: at least one campaign searched while records of another campaign exist.
    111 (an id the account may not have) may be refused with 6006 (registry
    convoso.search.campaign-filter-unknown): observed, not failed; so is the answer to "abc".
    -1 ("Purpose type opt-outs", 000) may be one campaign or a selector of every campaign of type
    Purpose, whose records carry their own ids (registry convoso.campaign.purpose-type,
    unspecified): the campaign ids served (or the refusal) are observed; only a reply that is no
    documented reply at all (transport error, 5xx, not JSON, error without text) fails.
    """
    rule = "the campaign_id filter returns only records of that campaign"
    _, every = records(search(ctx, limit=1000), rule)
    present = sorted({text(r.get("campaign_id")) for r in every if as_int(r.get("campaign_id")) is not None})
    candidates = [c for c in present if c != PURPOSE_CAMPAIGN][:3]
    candidates += [c for c in ("0", "111") if c not in candidates]
    judged = False
    for campaign in candidates:
        ex = search(ctx, campaign_id=campaign, limit=1000)
        body = json_object(ex, rule, BOTH)
        if is_error(ex, body) and campaign not in (*present, "0"):
            assert_error(
                ctx,
                ex,
                rule=f"{rule} (campaign_id={campaign})",
                codes={6006: "Invalid Campaign ID"},
                source=BOTH,
            )
            ctx.observe("convoso.search.campaign-filter-unknown", {campaign: "6006"})
            continue
        keep = same_campaign(int(campaign))
        check_records(rule, ex, {"campaign_id": campaign}, keep)
        judged = judged or (campaign in present and any(not keep(r) for r in every))
    if not judged:
        lacking(ctx, "records of a campaign and records of another campaign, to tell a filter from none")
    observe_purpose_type_search(ctx, f"{rule} (campaign_id=-1)")
    ex = search(ctx, campaign_id="abc", limit=1)
    body = json_object(ex, f"{rule} (campaign_id=abc)", BOTH)
    answer = f"code {body.get('code')}" if is_error(ex, body) else f"{len(body.get('records') or [])} records"
    ctx.observe("convoso.search.campaign-filter-unknown", {"abc": answer})


def observe_purpose_type_search(ctx: CheckContext, rule: str) -> None:
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
    cites=cite(
        "phone_numberstringNoFilter by phone number",
        "phone_codestringNoFilter by phone code",
        "Checking SMS Opt-Out Status POST /sms-opt-out/search - phone_number: 5551234567 Result: "
        "Returns all SMS opt-out entries for number",
        official=(FILTERS_001, "phone_number | string | Optional | Phone number to filter"),
    ),
)
def phone_number_and_phone_code_filters_return_only_matches(ctx: CheckContext) -> None:
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
        if value and code not in value and value not in code:
            counts[value] = counts.get(value, 0) + 1
    if counts:
        return min(counts, key=lambda value: (counts[value], value))
    return "1" if "44" in code else "44"


def split_by_blank(ctx: CheckContext, field: str, *, strict: bool) -> dict[str, str]:
    """Search ``field``=-BLANK- and -NOTBLANK-; each must serve only its side.

    Both checks only read (they are not registered with ``writes``): a side the target has no
    record of leaves the check inconclusive. Returns "filter" / "not a filter" per value; with
    ``strict`` a side that is not filtered fails.
    """
    results = {}
    for value, wanted in ((BLANK, True), (NOTBLANK, False)):
        rule = f"{field}={value} returns only records with {'an empty' if wanted else 'a non-empty'} {field}"
        keep = blank(field, wanted)
        ex = search(ctx, limit=1000, **{field: value})
        _, items = records(ex, rule)
        results[value] = "filter" if all(keep(r) for r in items) else "not a filter"
        if not items:
            lacking(ctx, f"a record with {'an empty' if wanted else 'a non-empty'} {field}")
        if strict:
            check_records(rule, ex, {field: value}, keep)
    return results


@check(
    id="convoso.filters.reason_blank_and_notblank_split_the_records",
    api="convoso",
    family="filters",
    source=f"{S000} (reason: -BLANK- or -NOTBLANK-); {S001} (use -BLANK- or -NOTBLANK-)",
    cites=cite(
        "reasonstringNoFilter by reason: -BLANK- or -NOTBLANK-",
        "Entries without reason: POST /sms-opt-out/search - reason: -BLANK-",
        "Entries with reason: POST /sms-opt-out/search - reason: -NOTBLANK-",
        official=("SMS Opt-Out reason (use -BLANK- or -NOTBLANK- to filter by empty/non-empty)",),
    ),
)
def reason_blank_and_notblank_split_the_records(ctx: CheckContext) -> None:
    """reason=-BLANK- returns only records without reason, -NOTBLANK- only records with one."""
    split_by_blank(ctx, "reason", strict=True)


@check(
    id="convoso.filters.purpose_blank_and_notblank_follow_the_profile",
    api="convoso",
    family="filters",
    source=f"{S001} (purpose: use -BLANK- or -NOTBLANK-); {S000} (purpose: Filter by purpose)",
    cites=cite(
        official=("SMS Opt-Out purpose (use -BLANK- or -NOTBLANK- to filter by empty/non-empty)",),
    ),
)
def purpose_blank_and_notblank_follow_the_profile(ctx: CheckContext) -> None:
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
    cites=cite(
        "insert_datestringNoFilter by insert date (YYYY-MM-DD)",
        official=(
            FILTERS_001,
            "Filter by date when record was inserted (format varies by implementation)",
        ),
    ),
)
def insert_date_filter_returns_records_of_that_day(ctx: CheckContext) -> None:
    """insert_date, sent in every documented format with a value from the target's own records
    (YYYY-MM-DD, 000; the record's own "YYYY-MM-DD HH:MM:SS" value, 001's example), never serves
    records of another day: a filter ignored fails in every profile.

    A format may be refused (001: "format varies by implementation"; observed) except YYYY-MM-DD
    where the profile pins 000's format. An accepted format must keep the record the value came
    from. Evidence: a record of another day exists, and at least one format is accepted.
    """
    rule = "the insert_date filter returns only records of that day"
    record = sample(ctx, rule)[0]
    stamp = text(record.get("insert_date")).strip()
    day = stamp[:10]
    keep = same_day(day)
    outsider(ctx, rule, keep, {"insert_date": day})
    strict = ctx.expect("convoso.search.insert_date-filter-format") == "YYYY-MM-DD honoured"
    formats = {"YYYY-MM-DD": day}
    if len(stamp) > 10:
        formats[f"the record's own value {stamp!r}"] = stamp
    honoured = []
    for label, value in formats.items():
        ex = search(ctx, insert_date=value, limit=1000)
        body = json_object(ex, rule, S000)
        if is_error(ex, body):
            error_body(ctx, ex, f"{rule} (insert_date={value})", BOTH)
            ctx.observe("convoso.search.insert_date-filter-format", f"{label} refused: {ex.summary(100)}")
            if strict and value == day:
                raise CheckFailed(
                    rule,
                    received=ex.summary(),
                    documented="insert_date in YYYY-MM-DD accepted",
                    source=S000,
                    exchange=ex,
                )
            continue
        assert_filtered(
            ctx, f"{rule} (insert_date={value})", BOTH, {"insert_date": value}, keep,
            must_include=record.get("id"),
        )
        honoured.append(label)
        ctx.observe(
            "convoso.search.insert_date-filter-format",
            f"{label} honoured",
            follows=S000 if value == day else S001,
        )
    if not honoured:
        raise CheckInconclusive(
            f"every documented insert_date format was refused ({', '.join(formats)}): "
            "001 lets the format vary, so no filtering could be judged"
        )


def observe_case(ctx: CheckContext, field: str, value: str, record_id: Any) -> None:
    """Search ``field`` with ``value`` in other case and observe whether its record is served
    (case-sensitive or not: no document says; never failed). The search names the record's id
    too, so the answer is about that record however many others match."""
    other = value.swapcase()
    if other == value:
        return
    ex = search(ctx, id=record_id, **{field: other})
    body = json_object(ex, f"the {field} filter with {other!r}", BOTH)
    if is_error(ex, body):
        seen = f"refused: {ex.summary(80)}"
    else:
        served = {str(r.get("id")) for r in body.get("records") or [] if isinstance(r, dict)}
        seen = "case-insensitive" if str(record_id) in served else "case-sensitive"
    ctx.observe("convoso.search.text-filter-matching", {field: seen})


def same_day(day: str) -> Predicate:
    """The record was inserted on ``day`` (its insert_date starts with YYYY-MM-DD)."""
    return lambda record: text(record.get("insert_date")).strip()[:10] == day


@check(
    id="convoso.filters.reason_and_purpose_text_filters_match_by_containment",
    api="convoso",
    family="filters",
    source=f"{BOTH} (reason, purpose: Filter by reason / purpose)",
    cites=cite(
        "purposestringNoFilter by purpose",
        "reasonstringNoFilter by reason",
        official=(FILTERS_001,),
    ),
)
def reason_and_purpose_text_filters_match_by_containment(ctx: CheckContext) -> None:
    """reason=R / purpose=P (values of the target's own records): every record served holds R / P
    (case and surrounding whitespace aside); the record R / P came from is served.

    Evidence: records with another reason / purpose exist (else inconclusive).
    """
    items = sample(ctx, "text filters", limit=1000, reason=NOTBLANK)
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
    observe_case(ctx, "reason", reason, record.get("id"))
    with_purpose = [r for r in items if text(r.get("purpose")).strip()]
    if not with_purpose:
        lacking(ctx, "a record with a purpose (and a reason), to take a purpose filter value from")
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
    cites=(
        (S001, "This API retrieves SMS Opt-Out records based on filter criteria"),
        (S001, FILTERS_001),
    ),
)
def combined_filters_are_all_applied(ctx: CheckContext) -> None:
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
            and matches_text(r.get("phone_code"), code)
            and blank("reason", False)(r)
            and matches_text(r.get("phone_number"), phone)
        ),
        must_include=record.get("id"),
    )
