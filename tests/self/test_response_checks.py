"""The response rules on hand-written replies, and reply/request validation against the specs."""

from __future__ import annotations

import json

import pytest

from optout_conformance import specs
from optout_conformance.checks import request_rules, response, shapes
from optout_conformance.checks.response import Reply

SEARCH = "/sms-opt-out/search"
INSERT = "/sms-opt-out/insert"
STOP = "/api_web"
OPT_STATUS = "/sms/opt-status.json"
RECORD = {"id": "1", "phone_number": "5551234567", "phone_code": "1", "reason": "", "purpose": "",
          "insert_date": "2026-03-03", "campaign_id": "0", "campaign_name": "Global SMS Opt-Out"}


@pytest.fixture(scope="module")
def convoso() -> dict:
    return specs.load_spec("convoso", "community")


@pytest.fixture(scope="module")
def whatcounts() -> dict:
    return specs.load_spec("whatcounts")


@pytest.fixture(scope="module")
def avaamo() -> dict:
    return specs.load_spec("avaamo")


def convoso_reply(body: object, status: int = 200, path: str = SEARCH) -> Reply:
    return Reply("POST", path, status, "application/json", json.dumps(body))


def stop_reply(text: str, status: int = 200) -> Reply:
    return Reply("GET", STOP, status, "text/plain", text)


def test_success_line_of_whatcounts_conforms() -> None:
    reply = stop_reply("SUCCESS: Stopping message to phone was successful\n")
    assert response.text_reply_conforms(reply) is None


def test_failure_with_a_reason_conforms() -> None:
    reply = stop_reply("FAILURE: Unable to determine customer account (realm)")
    assert response.text_reply_conforms(reply) is None


@pytest.mark.parametrize("text", ["FAILURE:", "FAILURE:   ", "OK", "<html><body>500</body></html>",
                                  "SUCCESS: done"])
def test_whatcounts_reply_in_neither_documented_form_is_a_violation(text: str) -> None:
    violation = response.text_reply_conforms(stop_reply(text))
    assert violation is not None
    assert "002_b0345f491e7a5826.txt" in violation.source


def test_success_false_body_counts_as_a_rejection() -> None:
    reply = convoso_reply({"success": False, "code": "6006", "message": "Invalid Campaign ID"})
    found = response.rejection(reply)
    assert found == response.Rejection("body", 6006, "Invalid Campaign ID")


def test_failure_line_counts_as_a_rejection() -> None:
    found = response.rejection(stop_reply("FAILURE: Invalid phone"))
    assert found is not None and found.level == "body" and found.message == "Invalid phone"


def test_success_body_is_not_a_rejection() -> None:
    assert response.rejection(convoso_reply({"success": True}, path=INSERT)) is None


def test_documented_error_code_passes(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "code": 7231, "message": "Invalid offset value"})
    assert response.documented_error_code(reply, convoso) is None


def test_error_code_of_another_operation_is_a_violation(convoso: dict) -> None:
    # 6004 is update's code; search documents 6006 for an unknown campaign.
    reply = convoso_reply({"success": False, "code": 6004, "message": "Unknown Campaign ID"})
    violation = response.documented_error_code(reply, convoso)
    assert violation is not None
    assert "code 6004" in violation.received and "6006" in violation.documented


def unpinned(discrepancy_id: str) -> None:
    """The lenient profile's expectation of every registry entry: any documented variant."""
    return None


def pinned(discrepancy_id: str) -> str:
    return "pinned"


def test_unknown_campaign_codes_of_every_operation_are_let_through_when_unpinned() -> None:
    assert response.codes_let_through("/sms-opt-out/update", unpinned) == {6004, 6006}
    assert response.codes_let_through(SEARCH, unpinned) == {6004, 6006}


def test_no_code_is_let_through_when_the_profile_pins_the_point() -> None:
    assert response.codes_let_through("/sms-opt-out/update", pinned) == frozenset()


def test_another_operations_code_let_through_by_the_registry_passes(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "code": 6004, "message": "Unknown Campaign ID"})
    let_through = response.codes_let_through(SEARCH, unpinned)
    assert response.documented_error_code(reply, convoso, let_through) is None
    assert response.body_level_rejection(reply, convoso, False, let_through=let_through) is None


def test_accepted_negative_request_is_a_violation(convoso: dict) -> None:
    reply = convoso_reply({"success": True}, path=INSERT)
    violation = response.body_level_rejection(reply, convoso, True, "body auth_token: missing")
    assert violation is not None and "auth_token" in violation.received


def test_negative_request_rejected_in_the_body_passes(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "error": "Invalid authentication token"})
    assert response.body_level_rejection(reply, convoso, True) is None


def test_valid_request_refused_with_a_documented_code_passes(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "code": 6008, "message": "The phone number already exists"},
                          path=INSERT)
    assert response.body_level_rejection(reply, convoso, False) is None


def test_valid_request_refused_without_a_documented_error_is_a_violation(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "error": "Something else"}, status=400)
    violation = response.body_level_rejection(reply, convoso, False)
    assert violation is not None and violation.received.startswith("rejected: HTTP 400")


def test_refusal_naming_a_disputed_field_that_was_sent_is_not_judged(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "error": "Invalid insert_date value"}, status=400)
    assert response.body_level_rejection(reply, convoso, False, disputed_sent={"insert_date"}) is None


def test_whatcounts_failure_for_valid_arguments_is_documented(whatcounts: dict) -> None:
    assert response.body_level_rejection(stop_reply("FAILURE: no subscription"), whatcounts, False) is None


def test_unknown_negativity_judges_nothing(convoso: dict) -> None:
    assert response.body_level_rejection(convoso_reply({"success": True}), convoso, None) is None


def test_search_reply_with_a_missing_record_field_violates_the_shape(convoso: dict) -> None:
    record = {k: v for k, v in RECORD.items() if k != "campaign_name"}
    reply = convoso_reply({"success": True, "offset": 0, "limit": 1000, "total": 1, "records": [record]})
    violation = response.profile_shape_conforms(reply, convoso)
    assert violation is not None
    assert "campaign_name" in violation.received


def test_search_reply_of_the_documented_shape_conforms(convoso: dict) -> None:
    reply = convoso_reply({"success": True, "offset": 0, "limit": 1000, "total": 1, "records": [RECORD]})
    assert response.profile_shape_conforms(reply, convoso) is None


def test_undocumented_error_status_is_left_to_the_registry(avaamo: dict) -> None:
    reply = Reply("GET", OPT_STATUS, 401, "application/json", '{"error": "Invalid access token"}')
    assert response.profile_shape_conforms(reply, avaamo) is None


def test_validate_response_names_the_json_path_of_the_error(avaamo: dict) -> None:
    body = {"current_page": 1, "per_page": 25, "total_entries": 1, "total_pages": 1, "time_token": 1.5,
            "entries": [{"to_phone": "+1", "from_phone": "+2", "created_at": 1, "status": "maybe",
                         "current_status": "opt-in"}]}
    errors = shapes.validate_response(avaamo, "GET", OPT_STATUS, 200, "application/json", json.dumps(body))
    assert errors and errors[0].startswith("$.entries[0].status:")


def test_validate_response_reports_a_body_that_is_not_json(avaamo: dict) -> None:
    errors = shapes.validate_response(avaamo, "GET", OPT_STATUS, 200, "application/json", "<html>")
    assert errors == ["$: body is not JSON (Expecting value at position 0)"]


def test_request_without_auth_token_breaks_the_required_rule(convoso: dict) -> None:
    errors = request_rules.validate_request(convoso, "POST", SEARCH, query={}, headers={},
                                     content_type="application/x-www-form-urlencoded", body=b"limit=5")
    assert [(e.field, e.keyword) for e in errors] == [("auth_token", "required")]
    assert request_rules.counts_as_negation(errors[0])


def test_numeric_form_values_are_read_as_integers_on_the_wire(convoso: dict) -> None:
    errors = request_rules.validate_request(convoso, "POST", SEARCH, query={}, headers={},
                                     content_type="application/x-www-form-urlencoded",
                                     body=b"auth_token=t&limit=5&offset=0&campaign_id=-1")
    assert errors == []


def test_bound_of_a_disputed_field_does_not_make_a_request_negative(convoso: dict) -> None:
    errors = request_rules.validate_request(convoso, "POST", SEARCH, query={}, headers={},
                                     content_type="application/x-www-form-urlencoded",
                                     body=b"auth_token=t&limit=5000")
    assert errors and errors[0].disputed
    assert not any(request_rules.counts_as_negation(e) for e in errors)


def test_missing_alias_pair_is_a_missing_argument(whatcounts: dict) -> None:
    query = {"c": ["smsstopsubscribersend"], "p": ["x"], "phone": ["1"], "sender_code": ["2"]}
    errors = request_rules.validate_request(whatcounts, "GET", STOP, query=query, headers={}, content_type="",
                                     body=b"")
    assert [e.message for e in errors] == ["one of realm / r is required"]


def test_missing_access_token_is_a_security_negation(avaamo: dict) -> None:
    errors = request_rules.validate_request(avaamo, "GET", OPT_STATUS, query={}, headers={}, content_type="",
                                     body=b"")
    assert [e.keyword for e in errors] == ["security"]


def test_form_body_arguments_stand_in_for_query_arguments_on_post(whatcounts: dict) -> None:
    query = {"c": ["smsstopsubscribersend"], "r": ["x"], "p": ["y"]}
    errors = request_rules.validate_request(whatcounts, "POST", STOP, query=query, headers={},
                                     content_type="application/x-www-form-urlencoded",
                                     body=b"phone=12065551212&sender_code=120162701555")
    assert errors == []


# -- Convoso's token refusal with a code (000: the message with no code; public fact: 401) --------

AUTH_FAILURE = {"success": False, "code": 401, "error": "Invalid authentication token"}


@pytest.mark.parametrize("path", [SEARCH, INSERT, "/sms-opt-out/update"])
def test_a_token_refusal_with_code_401_is_documented_on_every_operation(convoso: dict, path: str) -> None:
    reply = convoso_reply(AUTH_FAILURE, status=401, path=path)
    assert response.documented_error_code(reply, convoso) is None
    assert response.body_level_rejection(reply, convoso, True) is None
    assert response.reply_violations(reply, convoso, negative=True) == []


def test_a_token_refusal_of_a_request_with_a_valid_token_is_a_violation(convoso: dict) -> None:
    reply = convoso_reply(AUTH_FAILURE, status=401)
    violation = response.body_level_rejection(reply, convoso, False)
    assert violation is not None and "rejected" in violation.received


def test_a_code_no_table_and_no_public_fact_gives_is_still_a_violation(convoso: dict) -> None:
    reply = convoso_reply({"success": False, "code": 402, "error": "Payment required"}, status=402)
    assert response.documented_error_code(reply, convoso) is not None


# -- WhatCounts: no content type is documented ------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/octet-stream"])
@pytest.mark.parametrize("text", ["FAILURE: Unable to determine customer account (realm)\n",
                                  "SUCCESS: Stopping message to phone was successful\r\n"])
def test_a_result_line_under_any_content_type_conforms(whatcounts: dict, content_type: str,
                                                       text: str) -> None:
    reply = Reply("GET", STOP, 200, content_type, text)
    assert response.reply_violations(reply, whatcounts) == []
    assert shapes.validate_response(whatcounts, "GET", STOP, 200, content_type, text) == []


def test_an_html_page_in_place_of_a_result_line_is_a_violation(whatcounts: dict) -> None:
    reply = Reply("GET", STOP, 200, "text/html", "<html><body>FAILURE: x</body></html>")
    assert [v.rule for v in response.reply_violations(reply, whatcounts)] == [
        "WhatCounts reply is a SUCCESS or FAILURE message"]


# -- the property and robustness checks against a Convoso server whose token refusal has a code -----

def test_convoso_generated_and_odd_requests_pass_a_token_refusal_with_code_401(tmp_path) -> None:
    from starlette.responses import JSONResponse, Response

    from optout_conformance.apis.convoso.reference import ConvosoService
    from optout_conformance.checks.registry import checks_for
    from optout_conformance.core.context import Credentials, Target
    from optout_conformance.core.http import HttpClient
    from optout_conformance.reference.app import create_app
    from optout_conformance.reference.config import ReferenceConfig
    from optout_conformance.reference.server import EmbeddedServer
    from optout_conformance.runner.context import RunContext
    from optout_conformance.runner.execute import run_check

    class RefusalWithCode(ConvosoService):
        def unauthorized_response(self) -> Response:
            return JSONResponse(AUTH_FAILURE, status_code=401)

    config = ReferenceConfig(db=str(tmp_path / "c.db"), seed_records=30)
    with EmbeddedServer(create_app(config, convoso=RefusalWithCode, apis=("convoso",))) as server:
        url = server.url("convoso")
        ctx = RunContext(target=Target(api="convoso", base_url=url, embedded=True, loopback=True),
                         credentials=Credentials(token=config.token), profile="lenient",
                         http=HttpClient(url, timeout=5.0), max_examples=6)
        refusals = ctx.http.post("/sms-opt-out/search", data={"auth_token": "wrong"})
        assert refusals.json() == AUTH_FAILURE
        statuses = {spec.id: run_check(ctx, spec).status for spec in checks_for("convoso")
                    if spec.family in ("robustness", "properties")}
    assert statuses == {"convoso.robustness.odd_input_gets_a_documented_reply": "passed",
                        "convoso.properties.generated_requests_follow_the_spec": "passed"}


@pytest.mark.parametrize(("content_type", "text"), [("text/plain", "Bad Request"),
                                                    ("text/html", "<p>Bad Request</p>"),
                                                    ("application/json", '{"message": "out of range"}')])
def test_an_avaamo_error_of_any_form_conforms_to_the_spec(avaamo: dict, content_type: str, text: str) -> None:
    reply = Reply("GET", OPT_STATUS, 400, content_type, text)
    assert response.profile_shape_conforms(reply, avaamo) is None


@pytest.mark.parametrize("name", ["convoso-json-served-as-text-html", "whatcounts-failure-without-reason",
                                  "avaamo-created-at-iso-string"])
def test_the_property_phase_catches_the_fault_that_names_it(tmp_path, name: str) -> None:
    from optout_conformance.checks.registry import load_all
    from optout_conformance.core.context import Target
    from optout_conformance.faults import catalog
    from optout_conformance.reference.config import ReferenceConfig
    from optout_conformance.reference.server import EmbeddedServer
    from optout_conformance.runner.execute import RunLimits, make_context, run_check
    from optout_conformance.runner.targets import embedded_credentials

    entry = catalog.get(name)
    check_id = f"{entry.api}.properties.generated_requests_follow_the_spec"
    assert check_id in entry.detected_by
    config = ReferenceConfig(db=str(tmp_path / "f.db"), seed_records=30)
    with EmbeddedServer(catalog.build_entry(entry, config, apis=[entry.api])) as server:
        target = Target(api=entry.api, base_url=server.url(entry.api), embedded=True, loopback=True)
        ctx = make_context(target, embedded_credentials(), "lenient", RunLimits(timeout=5.0))
        try:
            result = run_check(ctx, load_all()[check_id])
        finally:
            ctx.http.close()
    assert result.status == "failed", result.rule
