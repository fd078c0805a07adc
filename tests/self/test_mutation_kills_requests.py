"""What a request as sent means for the response rules, against the project's specs.

A request is negative when it breaks its spec in a way the documents state (a required field
missing, a wrong type or value, no credentials, an undocumented body format); a pattern or bound
the documents disagree on does not make it negative.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from optout_conformance import specs
from optout_conformance.checks import request_rules
from optout_conformance.checks.property_requests import (
    coverage_cases,
    inject_credentials,
    load_schema,
    send_case,
)
from optout_conformance.checks.requests import SentRequest, request_negativity
from optout_conformance.core.context import Credentials
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

SEARCH = "/sms-opt-out/search"
OPT_STATUS = "/sms/opt-status.json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def convoso() -> dict:
    return specs.load_spec("convoso", "community")


@pytest.fixture(scope="module")
def avaamo() -> dict:
    return specs.load_spec("avaamo")


def search_errors(convoso: dict, body: bytes, content_type: str = FORM) -> list[tuple[str | None, str, bool]]:
    errors = request_rules.validate_request(convoso, "POST", SEARCH, query={}, headers={},
                                       content_type=content_type, body=body)
    return [(e.field, e.keyword, request_rules.counts_as_negation(e)) for e in errors]


def opt_status_errors(avaamo: dict, query: dict[str, list[str]], token_in_header: bool = True
                      ) -> list[tuple[str | None, str, bool]]:
    headers = {"access-token": "t"} if token_in_header else {}
    errors = request_rules.validate_request(avaamo, "GET", OPT_STATUS, query=query, headers=headers,
                                       content_type="", body=b"")
    return [(e.field, e.keyword, request_rules.counts_as_negation(e)) for e in errors]


def test_a_form_body_that_is_not_utf8_is_a_negative_request(convoso: dict) -> None:
    assert search_errors(convoso, b"auth_token=t&reason=\xff") == [(None, "type", True)]


def test_a_json_body_where_a_form_is_documented_is_a_negative_request(convoso: dict) -> None:
    errors = search_errors(convoso, b'{"auth_token": "t"}', "application/json")
    assert errors == [(None, "content-type", True)]


def test_a_wrong_type_in_a_disputed_field_does_not_make_the_request_negative(convoso: dict) -> None:
    assert search_errors(convoso, b"auth_token=t&offset=abc") == [("offset", "type", False)]


def test_a_pattern_no_document_states_does_not_make_the_request_negative(convoso: dict) -> None:
    assert search_errors(convoso, b"auth_token=t&id=x") == [("id", "pattern", False)]


def test_an_access_token_in_the_query_instead_of_the_header_is_no_credential(avaamo: dict) -> None:
    assert opt_status_errors(avaamo, {"access-token": ["t"]}, token_in_header=False) == [
        (None, "security", True)]


def test_an_undocumented_status_value_is_not_negative_because_it_is_disputed(avaamo: dict) -> None:
    # status, page, per_page and the time bounds carry an x-discrepancy in the Avaamo spec.
    assert opt_status_errors(avaamo, {"status": ["maybe"]}) == [("status", "enum", False)]


def test_a_non_numeric_page_is_not_negative_because_page_values_are_disputed(avaamo: dict) -> None:
    assert opt_status_errors(avaamo, {"page": ["x"], "per_page": ["2"]}) == [("page", "type", False)]


@pytest.mark.parametrize("value", ["1675410047186", "1.5e3", "0"])
def test_any_non_negative_number_is_a_valid_time_bound(avaamo: dict, value: str) -> None:
    assert opt_status_errors(avaamo, {"start_time": [value], "end_time": [value]}) == []


@pytest.mark.parametrize(("path", "pages", "may_be_past_the_end"), [
    (OPT_STATUS, ["2"], True),
    ("/sms/opt-status", [" 7 "], True),
    (OPT_STATUS, ["1"], False),
    (OPT_STATUS, ["x"], False),
    (OPT_STATUS, [], False),
    ("/api_web", ["2"], False),
])
def test_only_an_avaamo_page_beyond_the_first_may_lie_past_the_end(
    path: str, pages: list[str], may_be_past_the_end: bool
) -> None:
    api = request_rules.api_of_spec_path(path) or ""
    assert request_rules.server_undecided(api, path, {"page": pages} if pages else {}) is may_be_past_the_end


@pytest.mark.parametrize(("body", "breaks"), [
    (b"auth_token=t&limit=5", False),
    (b"auth_token=t&limit=5000", True),  # limit above 1000: both documents' maximum
])
def test_a_client_judgement_breaks_the_policy_exactly_when_it_holds_a_violation(
    convoso: dict, body: bytes, breaks: bool
) -> None:
    request = request_rules.Request("POST", SEARCH, {}, {"content-type": FORM}, FORM, body)
    judgement = request_rules.judge("convoso", convoso, request, request_rules.CLIENT_MUST_NOT_SEND)
    assert judgement.negative is breaks
    assert bool(judgement.violations) is breaks


def test_a_finding_renders_x_for_a_violation_and_a_tilde_for_a_note() -> None:
    assert request_rules.Finding("request", request_rules.VIOLATION, "m", "s").render() == "x request: m (s)"
    assert request_rules.Finding("response", request_rules.NOTE, "m", "s").render() == "~ response: m (s)"


# -- request_negativity: a generated case as it went over the wire -------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, ReferenceConfig]]:
    config = ReferenceConfig(db=str(tmp_path_factory.mktemp("negativity") / "ref.db"), seed_records=3)
    with EmbeddedServer(create_app(config, apis=("convoso", "avaamo"))) as server:
        yield server.url("convoso"), server.url("avaamo"), config


def sent_cases(spec: dict, api: str, path: str, method: str, base_url: str,
               credentials: Credentials) -> list[tuple[Any, SentRequest]]:
    schema = load_schema(spec, api, credentials, base_url=base_url, app=None)
    http = HttpClient(base_url, timeout=5.0)
    judged = []
    for case in coverage_cases(schema, schema[path][method], 80):
        inject_credentials(case, api, credentials)
        response, unanswered = send_case(case, in_process=False, http=http)
        assert unanswered is None
        judged.append((case, request_negativity(case, response)))
    return judged


def test_a_case_generated_without_its_required_token_is_negative_and_says_why(
    convoso: dict, reference: tuple[str, str, ReferenceConfig]
) -> None:
    credentials = Credentials(token=reference[2].token)
    judged = sent_cases(convoso, "convoso", SEARCH, "POST", reference[0], credentials)
    without_token = [sent for case, sent in judged
                     if isinstance(case.body, dict) and "auth_token" not in case.body]
    assert without_token and all(
        sent.negative is True and sent.negation == "body auth_token: 'auth_token' is a required property"
        for sent in without_token)
    positive = [sent for case, sent in judged if not case.meta.generation.mode.is_negative]
    # valid, or neither for sure (a 16-digit-or-longer number: HUGE_INTEGER); never a negation
    assert positive and all(sent.negative is not True and sent.negation == "" for sent in positive)
    assert any(sent.negative is False for sent in positive)
    # the x-discrepancy fields each carried (auth_token's validity is registry convoso.auth.invalid-token)
    assert all("auth_token" in sent.disputed_sent for sent in positive)


def test_a_case_built_by_hand_has_no_generation_mode_and_is_judged_neither_way(
    convoso: dict, reference: tuple[str, str, ReferenceConfig]
) -> None:
    schema = load_schema(convoso, "convoso", Credentials(), base_url=reference[0], app=None)
    case = schema[SEARCH]["POST"].Case(body={"auth_token": reference[2].token}, media_type=FORM)
    response, _ = send_case(case, in_process=False, http=HttpClient(reference[0], timeout=5.0))
    assert request_negativity(case, response) == SentRequest(None)


def test_a_valid_generated_avaamo_request_for_a_later_page_is_judged_neither_way(
    avaamo: dict, reference: tuple[str, str, ReferenceConfig]
) -> None:
    # 003 says nothing of a page past the end (registry avaamo.query.page-past-end), so a
    # valid request for page 2 may be refused by a conforming server: the rules must not treat it
    # as valid, while the same request for page 1 is valid.
    credentials = Credentials(token=reference[2].token)
    schema = load_schema(avaamo, "avaamo", credentials, base_url=reference[1], app=None)
    http = HttpClient(reference[1], timeout=5.0)
    case = next(c for c in coverage_cases(schema, schema[OPT_STATUS]["GET"], 80)
                if not c.meta.generation.mode.is_negative and c.query == {"page": "1"})
    inject_credentials(case, "avaamo", credentials)
    judged = {}
    for page in ("1", "2"):
        case.query = {"page": page}
        response, unanswered = send_case(case, in_process=False, http=http)
        assert unanswered is None
        judged[page] = request_negativity(case, response).negative
    assert judged == {"1": False, "2": None}
