"""The sequence rule of Convoso's insert -> search link, on replies served over loopback HTTP.

An insert answered ``"success": true`` must be listed by the search for its phone_number that
follows it (000 SMS Compliance "Honor opt-out immediately"; 000 workflow "Checking SMS Opt-Out
Status"). The rule judges only what proves a miss: a search filtering by that phone_number alone,
both replies answered with the JSON ``true`` the documents show, and a page holding every match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.core.failures import Severity
from schemathesis.openapi import from_dict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from optout_conformance import specs
from optout_conformance.checks.property_requests import coverage_cases, load_schema, send_case
from optout_conformance.checks.schemathesis_checks import (
    DocumentedRuleBroken,
    inserted_number_is_listed,
    response_checks,
)
from optout_conformance.core.context import Credentials
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.server import EmbeddedServer

NUMBER = "5550100123"
FORM = "application/x-www-form-urlencoded"
LISTED = {"id": 7, "phone_number": NUMBER}
OTHER = {"id": 8, "phone_number": "5550100999"}

# name -> the JSON reply served under /<name>
REPLIES: dict[str, Any] = {
    "inserted": {"success": True, "data": {"id": 7}},
    "inserted-one": {"success": 1, "data": {"id": 7}},
    "inserted-false": {"success": False, "code": 6008},
    "empty-page": {"success": True, "total": 0, "records": []},
    "page-without-total": {"success": True, "records": [OTHER]},
    "page-of-other": {"success": True, "total": 1, "records": [OTHER]},
    "page-listing-it": {"success": True, "total": 2, "records": [OTHER, LISTED]},
    "partial-page": {"success": True, "total": 2, "records": [OTHER]},
    "page-total-text": {"success": True, "total": "1", "records": [OTHER]},
    "page-total-junk": {"success": True, "total": "many", "records": [OTHER]},
    "page-success-one": {"success": 1, "total": 0, "records": []},
    "page-records-object": {"success": True, "total": 0, "records": {}},
}


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    async def answer(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "not-json":
            return Response("<html>oops</html>", media_type="text/html")
        return Response(json.dumps(REPLIES[name]), media_type="application/json")

    with EmbeddedServer(Starlette(routes=[Route("/{name}", answer)])) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def schema() -> Any:
    return from_dict(specs.load_spec("convoso", "community"))


def reply(base_url: str, name: str) -> schemathesis.Response:
    return schemathesis.Response.from_requests(requests.get(f"{base_url}/{name}", timeout=5), verify=False)


def insert(schema: Any, number: str | None = NUMBER) -> schemathesis.Case:
    body = {"auth_token": "t", "phone_number": number, "phone_code": "1"} if number else {"auth_token": "t"}
    return schema["/sms-opt-out/insert"]["POST"].Case(body=body, media_type=FORM)


def search(schema: Any, **filters: Any) -> schemathesis.Case:
    return schema["/sms-opt-out/search"]["POST"].Case(body={"auth_token": "t", **filters}, media_type=FORM)


def judged(schema: Any, base_url: str, inserted: str, found: str, *, insert_case: Any = None,
           **filters: Any) -> DocumentedRuleBroken | None:
    filters = filters or {"phone_number": NUMBER}
    return inserted_number_is_listed(insert_case or insert(schema), reply(base_url, inserted),
                                     search(schema, **filters), reply(base_url, found))


@pytest.mark.parametrize("found", ["empty-page", "page-of-other", "page-without-total", "page-total-text"])
def test_an_inserted_number_missing_from_a_complete_page_of_its_search_breaks_the_rule(
    schema: Any, served: str, found: str
) -> None:
    broken = judged(schema, served, "inserted", found)
    assert broken is not None
    assert broken.title == "an inserted opt-out is listed by the next search for its number"
    assert broken.operation == "POST /sms-opt-out/search"
    assert f"insert of phone_number {NUMBER} answered success true" in broken.message
    assert "000_4120ae5ce1e52dc7.txt" in broken.message


def test_the_failure_counts_the_records_the_search_listed(schema: Any, served: str) -> None:
    broken = judged(schema, served, "inserted", "page-of-other")
    assert broken is not None and "lists 1 record(s), none with that number" in broken.message


def test_an_inserted_number_the_search_lists_keeps_the_rule(schema: Any, served: str) -> None:
    assert judged(schema, served, "inserted", "page-listing-it") is None


@pytest.mark.parametrize("found", ["partial-page", "page-total-junk"])
def test_a_page_that_may_not_hold_every_match_proves_no_miss(schema: Any, served: str, found: str) -> None:
    assert judged(schema, served, "inserted", found) is None


@pytest.mark.parametrize("inserted", ["inserted-false", "inserted-one", "not-json"])
def test_only_an_insert_answered_with_the_json_true_is_judged(
    schema: Any, served: str, inserted: str
) -> None:
    assert judged(schema, served, inserted, "empty-page") is None


@pytest.mark.parametrize("found", ["page-success-one", "page-records-object", "not-json"])
def test_only_a_search_answered_with_the_json_true_and_a_record_list_is_judged(
    schema: Any, served: str, found: str
) -> None:
    assert judged(schema, served, "inserted", found) is None


def test_a_search_with_another_filter_than_the_phone_number_is_not_judged(schema: Any, served: str) -> None:
    assert judged(schema, served, "inserted", "empty-page", phone_number=NUMBER, reason="STOP") is None


def test_a_search_for_another_number_is_not_judged(schema: Any, served: str) -> None:
    assert judged(schema, served, "inserted", "empty-page", phone_number="5550100999") is None


def test_an_insert_without_a_phone_number_is_not_judged(schema: Any, served: str) -> None:
    assert judged(schema, served, "inserted", "empty-page", insert_case=insert(schema, None)) is None


# -- the response rules as Schemathesis checks, on generated cases sent over loopback ---------------

ANSWER: dict[str, tuple[str, str]] = {}


@pytest.fixture(scope="module")
def answering() -> Iterator[str]:
    """A target answering every request with ANSWER["now"] (body, content type)."""
    async def answer(request: Request) -> Response:
        body, media_type = ANSWER["now"]
        return Response(body, media_type=media_type)

    with EmbeddedServer(Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])) as server:
        yield server.base_url


def sent(base_url: str, api: str, path: str, method: str, *, negative: bool, body: str,
         media_type: str = "application/json") -> tuple[Any, Any]:
    spec = specs.load_spec(api, "lenient")
    schema = load_schema(spec, api, Credentials(token="t"), base_url=base_url, app=None)
    cases = coverage_cases(schema, schema[path][method], 80)
    if negative:  # the negation is the missing auth_token
        case = next(c for c in cases if c.meta.generation.mode.is_negative and isinstance(c.body, dict)
                    and "auth_token" not in c.body)
    else:
        case = next(c for c in cases if not c.meta.generation.mode.is_negative)
    ANSWER["now"] = (body, media_type)
    response, unanswered = send_case(case, in_process=False, http=HttpClient(base_url, timeout=5.0))
    assert unanswered is None
    return case, response


def failures(checks: tuple[Any, ...], case: Any, response: Any) -> dict[str, DocumentedRuleBroken]:
    found = {}
    for rule in checks:
        try:
            rule(None, response, case)
        except DocumentedRuleBroken as broken:
            found[rule.__name__] = broken
    return found


def test_every_response_rule_has_its_schemathesis_form() -> None:
    assert [c.__name__ for c in response_checks()] == [
        "check_body_level_rejection", "check_text_reply_conforms", "check_profile_shape_conforms",
        "check_documented_error_code"]


def test_another_operations_code_fails_valid_data_unless_the_profile_leaves_the_code_open(
    answering: str,
) -> None:
    case, response = sent(answering, "convoso", "/sms-opt-out/insert", "POST", negative=False,
                          body=json.dumps({"success": False, "code": 6004, "message": "Unknown Campaign ID"}))
    pinned = failures(response_checks(), case, response)  # every registry entry pinned
    assert sorted(pinned) == ["check_body_level_rejection", "check_documented_error_code"]
    broken = pinned["check_documented_error_code"]
    assert broken.operation == "POST /sms-opt-out/insert" and broken.severity == Severity.HIGH
    assert broken.message.startswith("Received: code 6004 (Unknown Campaign ID)\nDocumented: one of 6006, ")
    assert "000_4120ae5ce1e52dc7.txt" in broken.message.split("\nDocumented: ")[1]
    assert failures(response_checks(lambda entry_id: None), case, response) == {}  # no variant pinned


def test_negative_data_accepted_fails_the_body_level_rule_naming_the_negation(answering: str) -> None:
    case, response = sent(answering, "convoso", "/sms-opt-out/insert", "POST", negative=True,
                          body=json.dumps({"success": True, "data": {"id": 1}}))
    found = failures(response_checks(), case, response)
    assert list(found) == ["check_body_level_rejection"]
    message = found["check_body_level_rejection"].message
    assert "body auth_token: 'auth_token' is a required property" in message


def test_a_text_reply_neither_success_nor_failure_breaks_the_text_rule(answering: str) -> None:
    case, response = sent(answering, "whatcounts", "/api_web", "GET", negative=False, body="OK done",
                          media_type="text/plain")
    assert "check_text_reply_conforms" in failures(response_checks(), case, response)
