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
from schemathesis.openapi import from_dict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from optout_conformance import specs
from optout_conformance.checks.schemathesis_checks import DocumentedRuleBroken, inserted_number_is_listed
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
