"""How the response rules read a reply's refusal, on hand-written replies.

000 refuses in the body (``success: false``), 002 with a ``FAILURE: <reason>`` line, 003 with an
error object and no entries; any API may refuse at HTTP level (a 4xx status). A refusal with a
code is documented when the operation's table lists the code; without one, when its message is
one of the table's messages or variants (compared without case or surrounding blanks).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from optout_conformance.apis.whatcounts.dialect import SUCCESS_LINE
from optout_conformance.checks import response
from optout_conformance.checks.response import Rejection, Reply

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
