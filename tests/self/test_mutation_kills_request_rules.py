"""The request-rule engine's verdicts on requests as sent, against the project's own specs.

What travels how (transport), what the arguments say (the spec's keywords, read by each policy),
and how findings are merged: each field reported once, a violation never hidden by a note.
"""

from __future__ import annotations

from typing import Any

import pytest

from optout_conformance import specs
from optout_conformance.checks import request_rules
from optout_conformance.checks.request_rules import (
    CLIENT_MUST_NOT_SEND,
    NOTE,
    SERVER_MUST_REFUSE,
    VIOLATION,
    Finding,
    Request,
    judge,
    merged,
    transport_findings,
    validate_request,
)

FORM = "application/x-www-form-urlencoded"
SEARCH = "/sms-opt-out/search"
STOP = "/api_web"
OPT_STATUS = "/sms/opt-status.json"
S000_S001 = "000_4120ae5ce1e52dc7.txt / 001_5cae901d395a1be8.txt"
S002 = "002_b0345f491e7a5826.txt"
S003 = "003_725be0800b974dd2.txt"


@pytest.fixture(scope="module")
def convoso() -> dict[str, Any]:
    return specs.load_spec("convoso", "lenient")


@pytest.fixture(scope="module")
def whatcounts() -> dict[str, Any]:
    return specs.load_spec("whatcounts", "lenient")


@pytest.fixture(scope="module")
def avaamo() -> dict[str, Any]:
    return specs.load_spec("avaamo", "lenient")


def opt_status(query: dict[str, str], *, token: bool = True) -> Request:
    return Request("GET", OPT_STATUS, {k: [v] for k, v in query.items()},
                   {"access-token": "t"} if token else {}, "", b"")


# -- merged: each field once ---------------------------------------------------------------------

def test_a_note_on_a_field_a_violation_names_is_dropped_and_a_note_on_another_field_kept() -> None:
    violation = Finding("request", VIOLATION, "campaign_id: not an integer", "s", ("campaign_id",))
    same_field = Finding("request", NOTE, "campaign_id: pattern", "s", ("campaign_id",))
    other_field = Finding("request", NOTE, "limit: below 1", "s", ("limit",))
    assert merged([same_field, violation, other_field]) == [violation, other_field]


def test_repeated_findings_are_reported_once_and_violations_are_never_dropped() -> None:
    first = Finding("request", VIOLATION, "Reason: undocumented", "s", ("Reason",))
    second = Finding("request", VIOLATION, "Reason: not a string", "s", ("Reason",))
    note = Finding("request", NOTE, "a note on no field", "s")
    assert merged([first, note, first, second, note]) == [first, note, second]


# -- transport: how the request travelled ---------------------------------------------------------

def test_a_request_without_body_or_content_type_has_no_transport_finding(convoso: dict[str, Any]) -> None:
    assert transport_findings("convoso", convoso, Request("POST", SEARCH, {}, {}, "", b"")) == []


def test_a_content_type_without_a_body_is_a_note(convoso: dict[str, Any]) -> None:
    found = transport_findings("convoso", convoso, Request("POST", SEARCH, {}, {}, FORM, b""))
    assert [(f.severity, f.message, f.source) for f in found] == [
        (NOTE, f"Content-Type {FORM} sent without a body", S000_S001)]


def test_a_body_on_an_operation_documenting_none_is_a_note(avaamo: dict[str, Any]) -> None:
    request = Request("GET", OPT_STATUS, {}, {"access-token": "t"}, "application/json", b'{"page": 2}')
    found = transport_findings("avaamo", avaamo, request)
    assert [(f.severity, f.message, f.source) for f in found] == [
        (NOTE, f"a application/json body on GET {OPT_STATUS}, which documents no body (its arguments "
         "judged all the same)", S003)]


def test_an_encoding_a_document_gives_otherwise_is_a_violation_citing_those_sentences(
    convoso: dict[str, Any],
) -> None:
    request = Request("POST", SEARCH, {}, {}, "application/json", b'{"auth_token": "t"}')
    [found] = transport_findings("convoso", convoso, request)
    assert found.severity == VIOLATION
    assert found.message == f"body sent as application/json; documented: {FORM}"
    assert "Request Examples: Content-Type: application/x-www-form-urlencoded" in found.source


def test_an_encoding_only_the_spec_chooses_is_a_note_citing_the_apis_document(
    whatcounts: dict[str, Any],
) -> None:
    request = Request("POST", STOP, {}, {}, "application/json", b'{"c": "smsstopsubscribersend"}')
    found = transport_findings("whatcounts", whatcounts, request)
    assert [(f.severity, f.message, f.source) for f in found] == [
        (NOTE, f"body sent as application/json; documented: {FORM}", S002)]


def test_a_documented_form_body_on_either_documented_method_travels_as_documented(
    convoso: dict[str, Any], whatcounts: dict[str, Any],
) -> None:
    search = Request("POST", SEARCH, {}, {}, FORM, b"auth_token=t")
    assert transport_findings("convoso", convoso, search) == []
    stop = Request("POST", STOP, {}, {}, FORM, b"c=smsstopsubscribersend")
    assert transport_findings("whatcounts", whatcounts, stop) == []


# -- validate_request: the spec's errors -----------------------------------------------------------

def test_a_post_without_the_required_body_is_reported_as_sent_without_one(convoso: dict[str, Any]) -> None:
    errors = validate_request(convoso, "POST", SEARCH, query={}, headers={}, content_type="", body=b"")
    assert [(e.location, e.message, e.keyword) for e in errors] == [
        ("content-type", "body sent as (none)", "content-type")]


def test_an_empty_form_body_still_lacks_its_required_fields(convoso: dict[str, Any]) -> None:
    errors = validate_request(convoso, "POST", SEARCH, query={}, headers={}, content_type=FORM, body=b"")
    assert [(e.location, e.field, e.keyword) for e in errors] == [("body", "auth_token", "required")]


def test_an_undocumented_field_of_an_optional_form_body_is_reported_by_name(
    whatcounts: dict[str, Any],
) -> None:
    body = b"cmd=smsstopsubscribersend&realm=r&pwd=p&sender_code=1&phone=5551234567&zz=1&aa=2"
    errors = validate_request(whatcounts, "POST", STOP, query={}, headers={}, content_type=FORM, body=body)
    assert [(e.field, e.message, e.keyword, request_rules.counts_as_negation(e)) for e in errors] == [
        ("aa", "'aa' is not a documented field", "additionalProperties", False),
        ("zz", "'zz' is not a documented field", "additionalProperties", False),
    ]


def test_form_fields_stand_in_for_the_query_arguments_of_the_same_name(whatcounts: dict[str, Any]) -> None:
    body = b"cmd=smsstopsubscribersend&realm=r&pwd=p&sender_code=1&phone=5551234567"
    errors = validate_request(whatcounts, "POST", STOP, query={}, headers={}, content_type=FORM, body=body)
    assert errors == []
    missing = validate_request(whatcounts, "POST", STOP, query={}, headers={}, content_type=FORM,
                               body=b"cmd=smsstopsubscribersend&sender_code=1&phone=5551234567")
    assert [(e.field, e.message) for e in missing] == [
        ("realm", "one of realm / r is required"), ("pwd", "one of pwd / p is required")]


def test_an_operation_the_spec_does_not_have_is_one_error_naming_it(convoso: dict[str, Any]) -> None:
    errors = validate_request(convoso, "get", "/nowhere", query={}, headers={}, content_type="", body=b"")
    assert [(e.location, e.message) for e in errors] == [
        ("path", "GET /nowhere is not an operation of the spec")]


HEADER_SPEC = {"openapi": "3.1.0", "paths": {"/x": {"get": {
    "parameters": [{"name": "X-Request-Id", "in": "header", "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}}],
    "responses": {"200": {"description": "ok"}}}}}}


@pytest.mark.parametrize(("query", "headers", "wanted"), [
    ({}, {"x-request-id": "12"}, []),
    ({"X-Request-Id": ["12"]}, {}, [("header", "X-Request-Id", "required")]),
    ({}, {"x-request-id": "ab"}, [("header", "X-Request-Id", "pattern")]),
], ids=["sent-as-a-header", "sent-in-the-query-instead", "sent-with-a-wrong-value"])
def test_a_header_parameter_is_read_from_the_headers_only(
    query: dict[str, list[str]], headers: dict[str, str], wanted: list[tuple[str, str, str]]
) -> None:
    # No seed document has a header parameter (Avaamo's token is a security scheme); the rule is
    # OpenAPI's: a parameter "in: header" is a header, matched without case.
    errors = validate_request(HEADER_SPEC, "GET", "/x", query=query, headers=headers, content_type="",
                              body=b"")
    assert [(e.location, e.field, e.keyword) for e in errors] == wanted


# -- the client policy: every documented keyword, citing its sentence --------------------------------

def test_a_client_breaking_documented_avaamo_rules_gets_one_finding_per_field(avaamo: dict[str, Any]) -> None:
    request = opt_status({"per_page": "101", "page": "0", "status": "x", "zz": "1"})
    judgement = judge("avaamo", avaamo, request, CLIENT_MUST_NOT_SEND)
    assert judgement.negative is True and judgement.breaks_the_policy
    assert [(f.severity, f.message, f.fields) for f in judgement.findings] == [
        (VIOLATION, "status: 'x' is not one of ['opt-in', 'opt-out']", ("status",)),
        (NOTE, "page: 0 is less than the minimum of 1 (no document gives a minimum)", ("page",)),
        (VIOLATION, "per_page: 101 is greater than the maximum of 100", ("per_page",)),
        (VIOLATION, "undocumented query parameter(s): zz", ("zz",)),
    ]
    sources = [f.source for f in judgement.findings]
    assert sources[0] == S003
    assert sources[1] == f"{S003}; registry avaamo.query.page-zero"
    assert sources[2].startswith(f"{S003} (") and "Maximum value: 100" in sources[2]


def test_a_client_sending_no_credentials_breaks_the_documented_security(avaamo: dict[str, Any]) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"per_page": "2"}, token=False), CLIENT_MUST_NOT_SEND)
    assert [(f.severity, f.message, f.fields) for f in judgement.findings] == [
        (VIOLATION, "no credentials of any documented security requirement", ())]


def test_a_documented_avaamo_query_breaks_nothing_for_a_client(avaamo: dict[str, Any]) -> None:
    request = opt_status({"per_page": "2", "status": "opt-out"})
    judgement = judge("avaamo", avaamo, request, CLIENT_MUST_NOT_SEND)
    assert judgement.findings == () and judgement.negative is False and not judgement.breaks_the_policy


# -- the server policy: negative, valid, or neither for sure ----------------------------------------

def test_a_documented_request_is_valid_for_the_server_policy(avaamo: dict[str, Any]) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"per_page": "2"}), SERVER_MUST_REFUSE)
    assert judgement.negative is False and judgement.errors == () and not judgement.breaks_the_policy


def test_a_request_generated_negative_is_negative_while_a_counted_error_remains(
    avaamo: dict[str, Any],
) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"per_page": "2"}, token=False), SERVER_MUST_REFUSE,
                      generated_negative=True)
    assert judgement.negative is True and [e.keyword for e in judgement.errors] == ["security"]
    assert judgement.negation == "security : no credentials of any documented security requirement"
    assert judgement.breaks_the_policy


def test_a_negative_case_whose_only_error_is_disputed_is_neither_for_sure(avaamo: dict[str, Any]) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"per_page": "x"}), SERVER_MUST_REFUSE,
                      generated_negative=True)
    assert judgement.negative is None and judgement.errors == ()
    assert judgement.disputed_sent == frozenset({"per_page"})


def test_a_request_without_credentials_not_generated_negative_is_left_undecided(
    avaamo: dict[str, Any],
) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"per_page": "2"}, token=False), SERVER_MUST_REFUSE)
    assert judgement.negative is None and [e.keyword for e in judgement.errors] == ["security"]


@pytest.mark.parametrize(("value", "valid"), [("123456789012345", True), ("1234567890123456", False),
                                              ("-1234567890123456", False)])
def test_an_integer_of_more_than_15_digits_leaves_the_server_unjudged(
    avaamo: dict[str, Any], value: str, valid: bool
) -> None:
    judgement = judge("avaamo", avaamo, opt_status({"start_time": value}), SERVER_MUST_REFUSE)
    assert judgement.negative is (False if valid else None)


# -- what the arguments say ----------------------------------------------------------------------

@pytest.mark.parametrize(("body", "violated"), [
    (b"auth_token=t&limit=5&limit=5000", True),
    (b"auth_token=t&limit=5000&limit=5", False),
])
def test_a_field_sent_twice_is_judged_by_the_last_value_a_server_reads(
    convoso: dict[str, Any], body: bytes, violated: bool
) -> None:
    judgement = judge("convoso", convoso, Request("POST", SEARCH, {}, {}, FORM, body), CLIENT_MUST_NOT_SEND)
    assert [f.message for f in judgement.violations] == (
        ["limit: 5000 is greater than the maximum of 1000"] if violated else [])


def test_a_blank_form_field_is_still_an_argument_sent() -> None:
    request = Request("POST", SEARCH, {"phone_number": [""]}, {}, FORM, b"auth_token=t&reason=")
    assert request.sent() == {"phone_number": [""], "auth_token": ["t"], "reason": [""]}


def test_a_pattern_of_the_spec_is_a_note_naming_it_a_reference_choice(convoso: dict[str, Any]) -> None:
    judgement = judge("convoso", convoso, Request("POST", SEARCH, {}, {}, FORM, b"auth_token=t&id=x"),
                      CLIENT_MUST_NOT_SEND)
    assert [(f.severity, f.message) for f in judgement.findings] == [
        (NOTE, "id: 'x' does not match '^[0-9]+$' (reference choice or disputed point)")]


def test_an_undocumented_form_field_is_a_spec_note_without_a_reference_choice_suffix(
    whatcounts: dict[str, Any],
) -> None:
    body = b"cmd=smsstopsubscribersend&realm=r&pwd=p&sender_code=1&phone=5551234567&zz=1"
    found = request_rules.schema_findings("whatcounts", whatcounts, Request("POST", STOP, {}, {}, FORM, body))
    assert [(f.severity, f.message, f.source, f.fields) for f in found] == [
        (NOTE, "zz: 'zz' is not a documented field", S002, ("zz",))]


def test_findings_are_values_equal_findings_collapse_in_a_set() -> None:
    one = Finding("request", NOTE, "m", "s", ("a",))
    assert {one, Finding("request", NOTE, "m", "s", ("b",))} == {one}


def test_the_only_documented_whatcounts_command_is_read_from_the_named_parameters_enum(
    whatcounts: dict[str, Any],
) -> None:
    assert request_rules.parameter_enum(whatcounts, "get", STOP, "cmd") == ["smsstopsubscribersend"]
    assert request_rules.parameter_enum(whatcounts, "get", STOP, "realm") == []
    assert request_rules.parameter_enum(whatcounts, "get", "/nowhere", "cmd") == []
    query = {"cmd": ["unsubscribe"], "realm": ["r"], "pwd": ["p"], "sender_code": ["1"],
             "phone": ["5551234567"]}
    request = Request("GET", STOP, query, {}, "", b"")
    judgement = judge("whatcounts", whatcounts, request, CLIENT_MUST_NOT_SEND)
    assert [(f.severity, f.message, f.source) for f in judgement.findings] == [
        (VIOLATION, "command 'unsubscribe' is not smsstopsubscribersend", S002)]


# -- a JSON body (an API whose spec documents one: a plugin's) -------------------------------------

JSON_SPEC: dict[str, Any] = {
    "openapi": "3.1.0", "info": {"title": "things", "version": "1"},
    "paths": {"/things": {"post": {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "count": {"type": "integer", "maximum": 5}}}}}},
        "responses": {"200": {"description": "ok"}}}}},
}


@pytest.mark.parametrize(("body", "errors"), [
    (b'{"name": "x", "count": 5}', []),
    (b'{"count": 9, "extra": 1}',
     [("name", "required"), ("extra", "additionalProperties"), ("count", "maximum")]),
    (b"not json", [(None, "type")]),
])
def test_a_json_body_is_judged_as_json_against_its_schema(
    body: bytes, errors: list[tuple[str | None, str]]
) -> None:
    found = validate_request(JSON_SPEC, "POST", "/things", query={}, headers={},
                             content_type="application/json", body=body)
    assert [(e.field, e.keyword) for e in found] == errors


def test_a_json_body_that_does_not_parse_carries_no_arguments() -> None:
    request = Request("POST", "/things", {"q": ["1"]}, {}, "application/json", b"{not json")
    assert request.sent() == {"q": ["1"]}


def test_a_json_bodys_members_are_arguments_in_their_wire_text() -> None:
    body = b'{"a": [1, true, null, "s"], "b": {"c": 1}}'
    request = Request("POST", "/things", {}, {}, "application/json", body)
    assert request.sent() == {"a": ["1", "true", "", "s"], "b": ['{"c":1}']}


def test_a_body_sent_with_an_undocumented_method_is_judged_against_the_documented_operations_body(
    convoso: dict[str, Any],
) -> None:
    request = Request("GET", SEARCH, {}, {}, "application/json", b'{"auth_token": "t"}')
    [found] = transport_findings("convoso", convoso, request)
    assert found.severity == VIOLATION
    assert found.message == f"body sent as application/json; documented: {FORM}"


def test_a_required_convoso_field_sent_blank_is_a_violation_not_a_pattern_note(
    convoso: dict[str, Any],
) -> None:
    """000/001: phone_number is Required: Yes. Sent as ``phone_number=`` it was sent, empty: a
    violation of the client, not the spec pattern's note a missing blank field would leave."""
    body = b"auth_token=t&phone_number=&phone_code=1&campaign_id=0&reason=r"
    judgement = judge("convoso", convoso, Request("POST", "/sms-opt-out/insert", {}, {}, FORM, body),
                      CLIENT_MUST_NOT_SEND)
    assert [(f.severity, f.message, f.source) for f in judgement.findings] == [
        (VIOLATION, "phone_number: required (Required: Yes) but sent empty", S000_S001)]
