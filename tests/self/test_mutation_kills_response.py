"""How the response rules read a reply's refusal, on hand-written replies.

000 refuses in the body (``success: false``), 002 with a ``FAILURE: <reason>`` line, 003 with an
error object and no entries; any API may refuse at HTTP level (a 4xx status). A refusal with a
code is documented when the operation's table lists the code; without one, when its message is
one of the table's messages or variants (compared without case or surrounding blanks).
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from optout_conformance.apis.whatcounts.dialect import SUCCESS_LINE
from optout_conformance.checks import response
from optout_conformance.checks.response import Rejection, Reply
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.runner.context import RunContext

SEARCH = "/sms-opt-out/search"
STOP = "/api_web"
OPT_STATUS = "/sms/opt-status.json"


def reply(path: str, body: Any, status: int = 200, content_type: str = "application/json") -> Reply:
    text = body if isinstance(body, str) else json.dumps(body)
    return Reply("GET" if path != SEARCH else "POST", path, status, content_type, text)


@pytest.mark.parametrize("flag", [False, "false", 0])
def test_a_convoso_success_false_in_any_spelling_is_a_refusal_in_the_body(flag: Any) -> None:
    found = response.rejection(reply(SEARCH, {"success": flag, "code": "6001", "text": "x"}))
    assert found == Rejection("body", 6001, None)


@pytest.mark.parametrize("flag", [True, "true", 1])
def test_a_convoso_success_true_is_no_refusal(flag: Any) -> None:
    assert response.rejection(reply(SEARCH, {"success": flag, "data": []})) is None


@pytest.mark.parametrize(("status", "level"), [(400, "http"), (404, "http"), (399, None), (200, None)])
def test_a_status_from_400_up_is_a_refusal_at_http_level(status: int, level: str | None) -> None:
    found = response.rejection(reply(OPT_STATUS, {"message": "Bad page", "code": 7}, status))
    assert (found.level if found else None) == level
    if found:
        assert found == Rejection("http", 7, "Bad page")


def test_a_whatcounts_failure_line_is_a_refusal_carrying_its_reason() -> None:
    found = response.rejection(reply(STOP, "  FAILURE:  Invalid phone \n", content_type="text/plain"))
    assert found == Rejection("body", None, "Invalid phone")


def test_a_whatcounts_success_line_is_no_refusal() -> None:
    assert response.rejection(reply(STOP, SUCCESS_LINE, content_type="text/plain")) is None


def test_an_avaamo_error_object_is_a_refusal_only_without_entries() -> None:
    assert response.rejection(reply(OPT_STATUS, {"error": "Invalid token"})) == Rejection(
        "body", None, "Invalid token")
    assert response.rejection(reply(OPT_STATUS, {"error": "partial", "entries": []})) is None


def test_a_reply_of_a_path_no_api_owns_is_judged_by_its_status_only() -> None:
    assert response.api_of_path("/elsewhere") is None
    assert response.rejection(reply("/elsewhere", {"success": False})) is None


ERRORS = [{"code": 6001, "message": "Invalid phone number", "variants": ["Phone number is invalid"]}]


@pytest.mark.parametrize(("found", "documented"), [
    (Rejection("body", 6001, "anything"), True),
    (Rejection("body", 6002, "Invalid phone number"), False),
    (Rejection("body", None, "  invalid PHONE number "), True),
    (Rejection("body", None, "Phone number is invalid"), True),
    (Rejection("body", None, "Invalid phone"), False),
    (Rejection("http", None, None), False),
])
def test_a_refusal_is_documented_by_its_code_or_else_by_its_message(
    found: Rejection, documented: bool
) -> None:
    assert response._documented(found, ERRORS) is documented


def test_a_code_the_registry_lets_through_is_documented() -> None:
    assert response._documented(Rejection("body", 6006, None), ERRORS, let_through={6006})


@pytest.mark.parametrize(("api", "document"), [
    ("convoso", "seeds README public fact"),
    ("whatcounts", "002_b0345f491e7a5826.txt"),
    ("avaamo", "003_725be0800b974dd2.txt"),
])
def test_a_server_error_is_failed_on_the_sentence_of_the_apis_own_document(api: str, document: str) -> None:
    assert document in response.server_error_source(api)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_page_is_left_to_the_server_error_rule_not_read_as_a_result_line(status: int) -> None:
    page = reply(STOP, "<html><body><h1>Service Unavailable</h1></body></html>", status, "text/html")
    assert response.text_reply_conforms(page) is None
    assert response.text_reply_conforms(reply(STOP, page.text, 499, "text/html")) is not None


NO_DEFAULT = {"openapi": "3.1.0", "paths": {OPT_STATUS: {"get": {"responses": {
    "200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}}}


@pytest.mark.parametrize(("status", "judged"), [(400, False), (404, False), (302, True), (204, True)])
def test_an_error_status_a_spec_does_not_list_is_left_to_the_registry_any_other_is_a_violation(
    status: int, judged: bool
) -> None:
    # No seed document gives error statuses: from 400 up an unlisted status is observed, not failed.
    violation = response.profile_shape_conforms(reply(OPT_STATUS, {"error": "x"}, status), NO_DEFAULT)
    assert (violation is not None) is judged, violation
    if violation is not None:
        assert violation.received.startswith(f"HTTP status {status} is not documented for GET {OPT_STATUS}")


def test_a_coded_refusal_of_a_valid_request_carrying_a_disputed_field_is_judged_by_its_code() -> None:
    # Only an uncoded refusal of a disputed field's value escapes judgement: a code must be one of
    # the operation's table whatever was sent.
    operation = {"responses": {"200": {}}, "x-error-codes": ERRORS}
    spec = {"openapi": "3.1.0", "paths": {SEARCH: {"post": operation}}}
    coded = reply(SEARCH, {"success": False, "code": 6099, "text": "Bad request"})
    violation = response.body_level_rejection(coded, spec, False, disputed_sent={"insert_date"})
    assert violation is not None and violation.received.startswith("rejected: HTTP 200")
    uncoded = reply(SEARCH, {"success": False, "text": "Bad request"})
    assert response.body_level_rejection(uncoded, spec, False, disputed_sent={"insert_date"}) is None


def test_a_result_line_under_an_error_status_is_read_like_any_other_and_a_page_is_not_one() -> None:
    # 002 gives no HTTP status: a FAILURE line under 4xx is a documented reply, an HTML page is not.
    assert response.text_reply_conforms(reply(STOP, "FAILURE: Invalid phone", 400, "text/plain")) is None
    violation = response.text_reply_conforms(reply(STOP, "<html>Not Found</html>", 404, "text/html"))
    assert violation is not None and "002_b0345f491e7a5826.txt" in violation.source


@pytest.mark.parametrize(("status", "error"), [
    (None, "ConnectError: connection refused"),
    (200, "no complete answer within 1 s (timeout)"),  # the headers came, the body never completed
])
def test_a_request_without_a_complete_reply_fails_as_unanswered(status: int | None, error: str) -> None:
    ctx = RunContext(target=Target(api="whatcounts", base_url="http://127.0.0.1:9/bin"),
                     credentials=Credentials(), profile="lenient",
                     http=HttpClient("http://127.0.0.1:9/bin", timeout=1.0))
    unanswered = Exchange(method="GET", url="http://127.0.0.1:9/bin/api_web", status=status, error=error,
                          text="SUCCESS: Stopping message to phone was successful" if status else "")
    with pytest.raises(CheckFailed) as failed:
        response.assert_reply(ctx, unanswered, "GET", STOP)
    assert failed.value.rule == "GET /api_web answers" and failed.value.received == error


LONG = "FAILURE " + "x" * 400


@pytest.mark.parametrize("judge", [
    lambda: response.text_reply_conforms(reply(STOP, LONG, 200, "text/plain")).received,
    lambda: response.body_level_rejection(reply(OPT_STATUS, {"error": "y" * 400}, 400), {}, False).received,
    lambda: response.body_level_rejection(reply(STOP, "SUCCESS: " + "x" * 400, 200, "text/plain"), {},
                                          True).received,
], ids=["unreadable result line", "refused valid request", "accepted negative request"])
def test_a_violation_quotes_the_first_200_characters_of_the_reply_the_report_shows(judge: Any) -> None:
    received = judge()
    quoted = received[received.index("'"):]
    assert len(ast.literal_eval(quoted)) == 200, received  # the repr of the reply's first 200 characters


ERROR_DEFAULT = {"openapi": "3.1.0", "paths": {OPT_STATUS: {"get": {"responses": {
    "200": {"content": {"application/json": {"schema": {"type": "object"}}}},
    "default": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}}}


@pytest.mark.parametrize(("status", "judged"), [(499, True), (500, False), (502, False), (503, False)])
def test_the_shape_rule_judges_every_status_below_500_and_leaves_server_errors_to_their_own_rule(
    status: int, judged: bool
) -> None:
    violation = response.profile_shape_conforms(reply(OPT_STATUS, [1, 2], status), ERROR_DEFAULT)
    assert (violation is not None) is judged, violation


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_the_rejection_rule_leaves_every_server_error_to_its_own_rule(status: int) -> None:
    # A valid Avaamo request must be served (003 documents no error), but a 5xx is not a refusal
    # this rule reads: not_a_server_error fails it, once.
    refused = {"error": "x"}
    assert response.body_level_rejection(reply(OPT_STATUS, refused, status), ERROR_DEFAULT, False) is None
    assert response.body_level_rejection(reply(OPT_STATUS, refused, 400), ERROR_DEFAULT, False) is not None


@pytest.mark.parametrize("api", ["convoso", "whatcounts", "avaamo"])
def test_a_reply_rule_cites_the_documents_of_the_api_definition_which_its_dialect_names_too(api: str) -> None:
    from optout_conformance.checks.judgement import dialect_of
    from optout_conformance.core.apis import APIS

    assert response.source_of(api) == ", ".join(APIS[api].sources) == dialect_of(api).SOURCE


MEDIA_SPEC = {"openapi": "3.1.0", "paths": {OPT_STATUS: {"get": {"responses": {
    "200": {"content": {"application/json": {"schema": {"type": "object"}}}},
    "400": {"content": {"*/*": {}}},
    "404": {"content": {"*/*": {"schema": {"type": "object"}}}}}}}}}


@pytest.mark.parametrize(("status", "content_type"), [
    (200, "text/html"),  # no declared media type covers the reply's
    (400, "application/json"),  # the media type covering it declares no schema
    (404, "text/plain"),  # a schema, but the reply is not JSON
], ids=["undeclared-media-type", "no-schema", "not-json"])
def test_a_reply_without_a_json_schema_to_meet_has_no_schema_errors(status: int, content_type: str) -> None:
    assert response.every_schema_error(MEDIA_SPEC, reply(OPT_STATUS, [1, 2], status, content_type)) == []
    # The same reply as JSON under the schema: its error is listed.
    assert response.every_schema_error(MEDIA_SPEC, reply(OPT_STATUS, [1, 2], 404)) != []
