"""Convoso reply shapes: success and error bodies against the profile-narrowed spec, and the
disputed field formats (insert_date, global campaign_name, paging field types) per profile.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    BOTH,
    GLOBAL_CAMPAIGN,
    INSERT,
    S000,
    S001,
    SDK_ERROR_FACT,
    SEARCH,
    UNKNOWN_CAMPAIGN,
    UPDATE,
    as_int,
    call,
    create_record,
    error_body,
    insert,
    lacking,
    records,
    sample_page,
    search,
    short,
    success,
    text,
)
from optout_conformance.apis.convoso.checks.classify import DATE_ONLY, DATE_TIME, field_kind, paging_follows
from optout_conformance.checks.shapes import assert_conforms
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed

RECORD_FIELDS = (
    (S000, "Root Level: FieldTypeDescription successbooleanOperation success"),
    (S000, "recordsarrayArray of opt-out records"),
    (S000, "Record Object: FieldTypeDescription idstringOpt-out record ID phone_numberstringPhone number "
     "opted out phone_codestringCountry/region code reasonstringReason for opt-out purposestringPurpose "
     "of SMS insert_datestringDate opted out campaign_idstringCampaign ID (0 for global) "
     "campaign_namestringCampaign name"),
    (S001, "| records[].id | string | ID of the opt-out record |"),
    (S001, "| success | boolean | Indicates whether the search was successful |"),
)


def conforms(ctx: CheckContext, ex: Exchange, path: str, *, succeeds: bool) -> None:
    """The reply is the success (or error) the request calls for, and matches the spec."""
    rule = f"POST {path} {'succeeds' if succeeds else 'is refused'} with a documented body"
    if succeeds:
        success(ex, rule, BOTH if path == SEARCH else S000)
    else:
        error_body(ctx, ex, rule, BOTH if path == SEARCH else S000)
    assert_conforms(ctx, ex, "post", path)


@check(
    id="convoso.shapes.search_replies_conform_to_the_spec",
    api="convoso",
    family="shapes",
    source=f"{BOTH} (Response Fields, Error Codes); openapi/convoso-sms-opt-out.yaml",
    cites=(*RECORD_FIELDS, (S000, "7231Invalid offset value"), SDK_ERROR_FACT),
)
def search_replies_conform_to_the_spec(ctx: CheckContext) -> None:
    """A search page and a 7231 error both match the search operation of the profile's spec.

    Evidence: the page holds records (else inconclusive: a record's shape was never seen).
    """
    page = search(ctx, limit=5)
    conforms(ctx, page, SEARCH, succeeds=True)
    if not records(page, "search replies conform to the spec")[1]:
        lacking(ctx, "at least 1 record, so that a record's shape is seen")
    conforms(ctx, search(ctx, offset="-1"), SEARCH, succeeds=False)


@check(
    id="convoso.shapes.insert_and_update_replies_conform_to_the_spec",
    api="convoso",
    family="shapes",
    source=f"{S000} (Insert and Update Response Fields, Error Codes); openapi/convoso-sms-opt-out.yaml",
    writes=True,
    cites=(
        (S000, "successbooleanSuccess status"),
        (S000, "dataobjectResponse data data.idstringUpdated record ID"),
        (S000, "6006Invalid Campaign ID"),
        (S000, "6056Missing or Invalid value for ID"),
        SDK_ERROR_FACT,
    ),
)
def insert_and_update_replies_conform_to_the_spec(ctx: CheckContext) -> None:
    """Insert and update successes ({success}, {success, data.id}) and errors (6006, 6056) conform."""
    ctx.require_writes()
    phone = ctx.fictional_phone()
    conforms(ctx, insert(ctx, phone, reason=f"{ctx.run_prefix} shapes"), INSERT, succeeds=True)
    refused = insert(ctx, phone, campaign_id=UNKNOWN_CAMPAIGN, reason=ctx.run_prefix)
    conforms(ctx, refused, INSERT, succeeds=False)
    record = create_record(ctx, rule="update replies conform to the spec")
    conforms(ctx, call(ctx, UPDATE, id=record.get("id"), reason="Complaint"), UPDATE, succeeds=True)
    conforms(ctx, call(ctx, UPDATE, reason="Complaint"), UPDATE, succeeds=False)


@check(
    id="convoso.shapes.insert_date_has_the_profile_format",
    api="convoso",
    family="shapes",
    source=f"{S000} (example insert_date 2026-03-03); {S001} (example insert_date 2024-04-22 17:01:31)",
    cites=(
        (S000, '"insert_date": "2026-03-03"'),
        (S001, '"insert_date": "2024-04-22 17:01:31"'),
    ),
)
def insert_date_has_the_profile_format(ctx: CheckContext) -> None:
    """insert_date is YYYY-MM-DD (000) or YYYY-MM-DD HH:MM:SS (001): the profile's, or either."""
    rule = "insert_date has the documented format"
    ex, items = sample_page(ctx, rule, limit=50)
    pinned = ctx.expect("convoso.record.insert_date-format")
    formats = {"YYYY-MM-DD": DATE_ONLY, "YYYY-MM-DD HH:MM:SS": DATE_TIME}
    allowed = {pinned: formats[pinned]} if pinned in formats else formats
    for record in items:
        value = text(record.get("insert_date"))
        if not any(pattern.fullmatch(value) for pattern in allowed.values()):
            raise CheckFailed(
                rule,
                received=f"insert_date {value!r} (record {record.get('id')})",
                documented=" or ".join(allowed),
                source=f"{S000}; {S001}",
                exchange=ex,
            )
    first = text(items[0].get("insert_date"))
    ctx.observe(
        "convoso.record.insert_date-format", first, follows=S000 if DATE_ONLY.fullmatch(first) else S001
    )


@check(
    id="convoso.shapes.global_campaign_name_follows_the_profile",
    api="convoso",
    family="shapes",
    source=f"{S000} (global entry campaign_name 'Global SMS Opt-Out'); "
    f"{S001} (campaign_name blank if not set)",
    cites=(
        (S000, '"campaign_id": "0", "campaign_name": "Global SMS Opt-Out"'),
        (S001, '"campaign_id": "0", "campaign_name": ""'),
        (S001, "Name of the campaign (blank if not set)"),
    ),
)
def global_campaign_name_follows_the_profile(ctx: CheckContext) -> None:
    """Global (campaign 0) records name it "Global SMS Opt-Out" (000) or "" (001); lenient: any string."""
    rule = "the global campaign_name follows the profile"
    ex, served = sample_page(ctx, rule, campaign_id=GLOBAL_CAMPAIGN, limit=20)
    items = [r for r in served if as_int(r.get("campaign_id")) == 0]
    if not items:
        lacking(ctx, "a record of the global campaign 0")
    pinned = ctx.expect("convoso.record.global-campaign_name")
    for record in items:
        name = record.get("campaign_name")
        if not isinstance(name, str) or (isinstance(pinned, str) and name != pinned):
            raise CheckFailed(
                rule,
                received=f"campaign_name {name!r} on global record {record.get('id')}",
                documented=repr(pinned) if isinstance(pinned, str) else "a string",
                source=f"{S000}; {S001}",
                exchange=ex,
            )
    if items:
        name = items[0].get("campaign_name")
        ctx.observe(
            "convoso.record.global-campaign_name",
            name,
            follows={"Global SMS Opt-Out": S000, "": S001}.get(str(name)),
        )


def allowed_kinds(pinned: Any, field: str) -> tuple[str, ...]:
    """Registry kinds: integer | numeric-string | integer-or-numeric-string (None: either)."""
    kind = pinned.get(field) if isinstance(pinned, dict) else None
    if kind in ("integer", "numeric-string"):
        return (kind,)
    return ("integer", "numeric-string")


@check(
    id="convoso.shapes.paging_fields_have_the_profile_types",
    api="convoso",
    family="shapes",
    source=f'{S000} (offset, limit, total integer); {S001} (total string; example "0", "10", "1")',
    cites=(
        (S000, "offsetintegerPagination offset limitintegerResults per page "
         "totalintegerTotal matching records"),
        (S000, '"offset": 0, "limit": 100, "total": 1250'),
        (S001, '"offset": "0", "limit": "10", "total": "1"'),
        (S001, "| total | string | Total number of matching records found |"),
    ),
)
def paging_fields_have_the_profile_types(ctx: CheckContext) -> None:
    """offset/limit/total are integers (000) or, in 001, numeric strings for total (offset/limit either)."""
    rule = "offset, limit and total have the documented types"
    ex = search(ctx, limit=2)
    body, _ = records(ex, rule)
    pinned = ctx.expect("convoso.search.paging-field-types")
    kinds = {name: field_kind(body.get(name)) for name in ("offset", "limit", "total")}
    for name, kind in kinds.items():
        if kind not in allowed_kinds(pinned, name):
            raise CheckFailed(
                rule,
                received=f"{name} = {short(body.get(name))} ({kind})",
                documented=" or ".join(allowed_kinds(pinned, name)),
                source=f"{S000}; {S001}",
                exchange=ex,
            )
    ctx.observe("convoso.search.paging-field-types", kinds, follows=paging_follows(kinds))
