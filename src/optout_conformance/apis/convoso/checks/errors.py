"""Convoso error codes: each documented code provoked by its documented cause.

Codes and messages come from the error tables of 000 (insert, update, search) and 001 (search).
The HTTP status of an error is undocumented (observed; only a 5xx fails); the body must say
`"success": false` with an `error` or `message` string and the provoked code (integer or numeric
string). 7231 (invalid offset) lives with the offset checks in ``convoso_limits``.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    AUTH_000,
    AUTH_001,
    AUTH_ERROR_000,
    INSERT,
    PURPOSE_CAMPAIGN,
    S000,
    SDK_ERROR_FACT,
    SEARCH,
    SERVER_FAILED_FACT,
    STATUS_WORKFLOW_000,
    UNKNOWN_CAMPAIGN,
    UPDATE,
    as_int,
    assert_error,
    call,
    create_record,
    error_body,
    insert,
    json_object,
    not_stored,
)
from optout_conformance.apis.convoso.checks.state import DATA_ID_000, UPDATE_WORKFLOW_000, read_back, written
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed

INVALID_CAMPAIGN = {6006: "Invalid Campaign ID"}
UNKNOWN_CAMPAIGN_CODE = {6004: "Unknown Campaign ID"}
ID_ERROR = {6056: "Missing or Invalid value for ID"}
NOT_NUMERIC = "must be numeric"
# A target answering an invalid token with 401 follows Convoso's API glossary (a public fact: 401 =
# missing or invalid token), not a seed document: reported as followed, never required.
GLOSSARY_401 = "Convoso glossary"
PURPOSE_REQUIRED = {6080: "The purpose field is mandatory for campaigns of type 'Purpose'"}


# The Error Handling table of 000 gives "Invalid campaign" the text "Campaign not found" and no
# code: that answer passes on either operation. A code must come from the operation's own table:
# 6006 on insert, 6004 on update, even though the other table has the other one.
CAMPAIGN_NOT_FOUND = ("Campaign not found",)
INVALID_CAMPAIGN_CITE = (S000, 'Invalid campaign{"success": false, "error": "Campaign not found"}')


def cite(*quotes: str) -> tuple[tuple[str, str], ...]:
    """Citations of 000 (the only document of insert, update and their error tables)."""
    return tuple((S000, quote) for quote in quotes)


@check(
    id="convoso.errors.insert_with_an_unknown_campaign_gets_6006",
    api="convoso",
    family="errors",
    source=f"{S000} (Insert error codes: 6006 Invalid Campaign ID)",
    writes=True,
    cites=(*cite("6006Invalid Campaign ID"), INVALID_CAMPAIGN_CITE, STATUS_WORKFLOW_000),
)
def insert_with_an_unknown_campaign_gets_6006(ctx: CheckContext) -> None:
    """Insert into a campaign id the account does not have -> 6006 "Invalid Campaign ID" (the
    insert table's code; 6004 is the update table's), and nothing is stored (read back)."""
    ctx.require_writes()
    rule = "insert with an unknown campaign gets 6006"
    phone = ctx.fictional_phone()
    ex = insert(ctx, phone, campaign_id=UNKNOWN_CAMPAIGN, reason=ctx.run_prefix)
    assert_error(
        ctx,
        ex,
        rule=rule,
        codes=INVALID_CAMPAIGN,
        source=f"{S000} (Insert: 6006 Invalid Campaign ID)",
        code_optional_for=CAMPAIGN_NOT_FOUND,
    )
    not_stored(ctx, rule, phone, ex, S000)


@check(
    id="convoso.errors.update_with_an_unknown_campaign_gets_6004",
    api="convoso",
    family="errors",
    source=f"{S000} (Update error codes: 6004 Unknown Campaign ID)",
    writes=True,
    cites=(*cite("6004Unknown Campaign ID"), INVALID_CAMPAIGN_CITE),
)
def update_with_an_unknown_campaign_gets_6004(ctx: CheckContext) -> None:
    """Update a record into an unknown campaign -> 6004 "Unknown Campaign ID", the update table's
    code (6006 is in the insert and search tables, not in update's: it fails here)."""
    rule = "update with an unknown campaign gets 6004"
    record = create_record(ctx, rule=rule)
    ex = call(ctx, UPDATE, id=record.get("id"), campaign_id=UNKNOWN_CAMPAIGN)
    assert_error(
        ctx,
        ex,
        rule=rule,
        codes=UNKNOWN_CAMPAIGN_CODE,
        source=f"{S000} (Update: 6004 Unknown Campaign ID)",
        code_optional_for=CAMPAIGN_NOT_FOUND,
    )
    unchanged(ctx, rule, record, ex)


@check(
    id="convoso.errors.insert_of_a_phone_number_with_letters_gets_6007",
    api="convoso",
    family="errors",
    source=f"{S000} (Insert error codes: 6007 Invalid Phone Number)",
    writes=True,
    cites=cite(
        "6007Invalid Phone Number",
        'Invalid phone format{"success": false, "error": "Invalid phone number"}',
    ),
)
def insert_of_a_phone_number_with_letters_gets_6007(ctx: CheckContext) -> None:
    """A phone number with letters is not a phone number -> 6007 "Invalid Phone Number"."""
    ctx.require_writes()
    ex = insert(ctx, "555ABC0123", reason=ctx.run_prefix)
    assert_error(
        ctx,
        ex,
        rule="insert of a phone number with letters gets 6007",
        codes={6007: "Invalid Phone Number"},
        source=f"{S000} (Insert: 6007 Invalid Phone Number)",
    )


@check(
    id="convoso.errors.duplicate_insert_gets_6008",
    api="convoso",
    family="errors",
    source=f"{S000} (Insert error codes: 6008 The phone number already exists)",
    writes=True,
    cites=cite(
        "6008The phone number already exists",
        'Phone already opted-out{"success": false, "error": "Phone already in SMS opt-out"}',
    ),
)
def duplicate_insert_gets_6008(ctx: CheckContext) -> None:
    """The same (phone_number, phone_code, campaign_id) twice -> 6008 "The phone number already exists"."""
    rule = "a duplicate insert gets 6008"
    record = create_record(ctx, rule=rule)
    ex = insert(ctx, str(record.get("phone_number")), reason=ctx.run_prefix)
    assert_error(
        ctx,
        ex,
        rule=rule,
        codes={6008: "The phone number already exists"},
        source=f"{S000} (Insert: 6008 The phone number already exists)",
    )


@check(
    id="convoso.errors.insert_without_a_valid_phone_code_gets_6026",
    api="convoso",
    family="errors",
    source=f"{S000} (Insert: phone_code required; 6026 Missing or Invalid Country Code)",
    writes=True,
    cites=(*cite("phone_codestringYesCountry/region phone code", "6026Missing or Invalid Country Code"),
           STATUS_WORKFLOW_000),
)
def insert_without_a_valid_phone_code_gets_6026(ctx: CheckContext) -> None:
    """A missing phone_code and a non-numeric one -> 6026 "Missing or Invalid Country Code"; the
    refused numbers are then not found by search (read back)."""
    ctx.require_writes()
    codes = {6026: "Missing or Invalid Country Code"}
    rule = "insert without a valid phone_code gets 6026"
    phone = ctx.fictional_phone()
    missing = call(ctx, INSERT, phone_number=phone, campaign_id="0", reason=ctx.run_prefix)
    assert_error(ctx, missing, rule=f"{rule} (phone_code missing)", codes=codes, source=S000)
    not_stored(ctx, f"{rule} (phone_code missing)", phone, missing, S000)
    phone = ctx.fictional_phone()
    invalid = insert(ctx, phone, phone_code="abc", reason=ctx.run_prefix)
    assert_error(ctx, invalid, rule=f"{rule} (phone_code=abc)", codes=codes, source=S000)
    not_stored(ctx, f"{rule} (phone_code=abc)", phone, invalid, S000)


@check(
    id="convoso.errors.update_without_a_known_id_gets_6056",
    api="convoso",
    family="errors",
    source=f"{S000} (Update: id required; 6056 Missing or Invalid value for ID; Record not found)",
    writes=True,
    cites=cite(
        "idstringYesSMS opt-out record ID",
        "6056Missing or Invalid value for ID",
        'Record not found{"success": false, "error": "Record not found"}',
    ),
)
def update_without_a_known_id_gets_6056(ctx: CheckContext) -> None:
    """No id -> 6056; an id no record has -> 6056 or the Error Handling table's "Record not found"."""
    ctx.require_writes()
    rule = "update without a known id gets 6056"
    missing = call(ctx, UPDATE, reason=ctx.run_prefix)
    assert_error(ctx, missing, rule=f"{rule} (id missing)", codes=ID_ERROR, source=S000)
    unknown = call(ctx, UPDATE, id="999999999", reason=ctx.run_prefix)
    code, message = assert_error(
        ctx,
        unknown,
        rule=f"{rule} (id=999999999)",
        codes=ID_ERROR,
        source=S000,
        code_optional_for=("Record not found",),
    )
    ctx.observe("convoso.update.record-not-found", f"code {code}: {message}")


@check(
    id="convoso.errors.update_to_an_existing_combination_gets_6059",
    api="convoso",
    family="errors",
    source=f"{S000} (Update: 6059 This combination already exists; 'Update SMS opt-out record.')",
    writes=True,
    cites=(*cite("6059This combination already exists", "Update SMS opt-out record."), UPDATE_WORKFLOW_000,
           DATA_ID_000),
)
def update_to_an_existing_combination_gets_6059(ctx: CheckContext) -> None:
    """Updating B to A's (phone_number, phone_code, campaign_id): refused with update's 6059, or
    accepted and applied.

    000 lists 6059 "This combination already exists" but does not say which combination it
    compares (registry convoso.update.combination-exists, observed in every profile): refusing
    the exact triple an insert refuses as a duplicate is the reference's reading, not a sentence,
    so an accepted update is recorded, not failed. What the documents do state is judged: a
    refusal carries a code of update's own table with its text (6059 is the one that names a
    combination), and an accepted update ("Update SMS opt-out record.", data.id the updated
    record) is applied: B read back holds the new phone_number, phone_code and campaign_id.
    """
    rule = "an update to an existing combination gets 6059, or is applied"
    first = create_record(ctx, rule=rule)
    second = create_record(ctx, rule=rule)
    wanted = {"phone_number": str(first.get("phone_number")), "phone_code": "1", "campaign_id": "0"}
    ex = call(ctx, UPDATE, id=second.get("id"), **wanted)
    body = json_object(ex, rule, S000)
    if body.get("success") is not True:
        code, _ = assert_error(ctx, ex, rule=rule, codes={6059: "This combination already exists"},
                               source=S000)
        ctx.observe("convoso.update.combination-exists", code)
        return
    ctx.observe("convoso.update.combination-exists", "accepted")
    after = read_back(ctx, rule, second.get("id"), ex)
    now = {name: str(after.get(name)) for name in wanted}
    if now != wanted:
        raise CheckFailed(
            rule,
            received=f"success, but the record now has {now}",
            documented=f"an accepted update is applied: {wanted} (Update SMS opt-out record.)",
            source=S000,
            exchange=ex,
        )


@check(
    id="convoso.errors.insert_into_the_purpose_campaign_without_purpose_gets_6080",
    api="convoso",
    family="errors",
    writes=True,
    source=f"{S000} (Insert: 6080 The purpose field is mandatory for campaigns of type 'Purpose'; "
    "-1 Purpose type)",
    cites=cite("6080The purpose field is mandatory for campaigns of type 'Purpose'", "-1Purpose type"),
)
def insert_into_the_purpose_campaign_without_purpose_gets_6080(ctx: CheckContext) -> None:
    """campaign_id -1 is the purpose type: an insert without purpose -> 6080, nothing stored."""
    ctx.require_writes()
    rule = "insert into the purpose campaign without purpose gets 6080"
    phone = ctx.fictional_phone()
    ex = insert(ctx, phone, campaign_id=PURPOSE_CAMPAIGN, reason=ctx.run_prefix)
    assert_error(ctx, ex, rule=rule, codes=PURPOSE_REQUIRED, source=S000)
    not_stored(ctx, rule, phone, ex, S000)


@check(
    id="convoso.errors.update_with_a_non_numeric_field_gets_4002",
    api="convoso",
    family="errors",
    source=f"{S000} (Update: 4002 phone_number / phone_code / campaign_id must be numeric)",
    writes=True,
    cites=cite(
        "4002phone_number / phone_code / campaign_id must be numeric",
        "6008The phone number is invalid",
        "6026Missing or Invalid Country Code",
        "6004Unknown Campaign ID",
    ),
)
def update_with_a_non_numeric_field_gets_4002(ctx: CheckContext) -> None:
    """Non-numeric phone_number -> 4002 (or 6008 invalid); phone_code -> 4002 (or 6026);
    campaign_id -> 4002 (or 6004): the update table lists both codes for each.

    An empty phone_number (4001 vs "Required: No", registry convoso.update.optional-vs-4001) and a
    short numeric one (6008 "The phone number is invalid"?) are observed, never failed.
    """
    rule = "update with a non-numeric field gets 4002"
    record = create_record(ctx, rule=rule)
    record_id = record.get("id")
    accepted = {
        "phone_number": {4002: NOT_NUMERIC, 6008: "The phone number is invalid"},
        "phone_code": {4002: NOT_NUMERIC, 6026: "Missing or Invalid Country Code"},
        "campaign_id": {4002: NOT_NUMERIC, 6004: "Unknown Campaign ID"},
    }
    for field, codes in accepted.items():
        ex = call(ctx, UPDATE, id=record_id, **{field: "abc"})
        code, _ = assert_error(ctx, ex, rule=f"{rule} ({field}=abc)", codes=codes, source=S000)
        ctx.observe("convoso.update.non-numeric-field-code", {field: code})
        unchanged(ctx, f"{rule} ({field}=abc)", record, ex)
    for label, value in (("empty-field", ""), ("short-numeric", "123")):
        ex = call(ctx, UPDATE, id=record_id, phone_number=value)
        body = json_object(ex, f"{rule} (phone_number={value!r})", S000)
        observed = "accepted" if body.get("success") is True else as_int(body.get("code"))
        target = "convoso.update.optional-vs-4001" if not value else "convoso.error.6008-meaning"
        ctx.observe(target, {label: observed})


@check(
    id="convoso.errors.update_clearing_the_purpose_of_a_purpose_campaign_record_gets_6080",
    api="convoso",
    family="errors",
    source=f"{S000} (Update: purpose -BLANK- to clear; 6080 The purpose field is mandatory for campaigns "
    "of type 'Purpose')",
    writes=True,
    cites=cite(
        "purposestringNoPurpose (use -BLANK- to clear)",
        "6080The purpose field is mandatory for campaigns of type 'Purpose'",
    ),
)
def update_clearing_the_purpose_of_a_purpose_campaign_record_gets_6080(ctx: CheckContext) -> None:
    """A record of the purpose type (-1) cannot lose its purpose: purpose=-BLANK- -> 6080."""
    rule = "clearing the purpose of a purpose-type record gets 6080"
    record = create_record(ctx, rule=rule, campaign_id=PURPOSE_CAMPAIGN, purpose="Marketing")
    ex = call(ctx, UPDATE, id=record.get("id"), purpose="-BLANK-")
    assert_error(ctx, ex, rule=rule, codes=PURPOSE_REQUIRED, source=S000)
    unchanged(ctx, rule, record, ex)


def unchanged(ctx: CheckContext, rule: str, before: dict[str, Any], ex: Exchange) -> None:
    """Read back after a refused update: the record is as it was (a refusal changes nothing)."""
    after = read_back(ctx, rule, before.get("id"), ex)
    if written(after) != written(before):
        raise CheckFailed(
            f"{rule} (read back)",
            received=f"refused with {ex.summary(80)}, yet the record is now {written(after)}",
            documented=f"a refused update changes nothing: {written(before)}",
            source=S000,
            exchange=ex,
        )


def refused(ctx: CheckContext, path: str, operation: str, *, token: str | None, **fields: str) -> Exchange:
    """Assert a request with a bad token gets no service: ``success`` false with an error string.

    The body rule is 000's (Error Handling: Invalid auth_token -> {"success": false, "error": ...}).
    No seed document gives the HTTP status (registry convoso.auth.invalid-token: observed), so any
    non-5xx status passes; 401 is reported as following the Convoso glossary (a public fact, not a
    seed rule). A 5xx fails in :func:`error_body` (glossary: 500 = server failed).
    """
    rule = f"{operation} with an invalid authentication token is refused"
    ex = call(ctx, path, token=token, **fields)
    error_body(ctx, ex, rule, f"{S000} (Error Handling: Invalid auth_token)")
    ctx.observe(
        "convoso.auth.invalid-token",
        {"operation": operation, "status": ex.status},
        follows=GLOSSARY_401 if ex.status == 401 else None,
    )
    return ex


@check(
    id="convoso.errors.search_with_an_invalid_or_missing_token_is_refused",
    api="convoso",
    family="errors",
    source=f"{S000} (auth_token required; Invalid auth_token -> success false)",
    cites=(AUTH_000, AUTH_ERROR_000, AUTH_001, SDK_ERROR_FACT, SERVER_FAILED_FACT),
)
def search_with_an_invalid_or_missing_token_is_refused(ctx: CheckContext) -> None:
    """A wrong or absent auth_token gets `success: false` with an error string, no records."""
    refused(ctx, SEARCH, "search", token=f"{ctx.run_prefix}-invalid-token")
    refused(ctx, SEARCH, "search", token=None)


@check(
    id="convoso.errors.insert_with_an_invalid_token_is_refused",
    api="convoso",
    family="errors",
    source=f"{S000} (auth_token required; Invalid auth_token -> success false)",
    writes=True,
    cites=(AUTH_000, AUTH_ERROR_000, SDK_ERROR_FACT, SERVER_FAILED_FACT, STATUS_WORKFLOW_000),
)
def insert_with_an_invalid_token_is_refused(ctx: CheckContext) -> None:
    """An insert with a wrong auth_token is refused, and search then shows no record of the number
    (a refusal that stores the opt-out anyway is read back and fails)."""
    ctx.require_writes()
    phone = ctx.fictional_phone()
    ex = refused(
        ctx,
        INSERT,
        "insert",
        token=f"{ctx.run_prefix}-invalid-token",
        phone_number=phone,
        phone_code="1",
        campaign_id="0",
        reason=ctx.run_prefix,
    )
    not_stored(ctx, "insert with an invalid authentication token is refused", phone, ex, S000)


@check(
    id="convoso.errors.update_with_an_invalid_token_is_refused",
    api="convoso",
    family="errors",
    source=f"{S000} (auth_token required; Invalid auth_token -> success false)",
    writes=True,
    cites=(AUTH_000, AUTH_ERROR_000, SDK_ERROR_FACT, SERVER_FAILED_FACT),
)
def update_with_an_invalid_token_is_refused(ctx: CheckContext) -> None:
    """An update with a wrong auth_token is refused and leaves the record unchanged."""
    rule = "update with an invalid authentication token is refused"
    record = create_record(ctx, rule=rule)
    ex = refused(
        ctx,
        UPDATE,
        "update",
        token=f"{ctx.run_prefix}-invalid-token",
        id=str(record.get("id")),
        reason=f"{ctx.run_prefix} changed",
    )
    after = read_back(ctx, rule, record.get("id"), ex)
    if written(after) != written(record):
        raise CheckFailed(
            rule,
            received=f"record now {written(after)}",
            documented=f"unchanged {written(record)} without a valid token",
            source=f"{S000} (auth_token required; Invalid auth_token -> success false)",
            exchange=ex,
        )
