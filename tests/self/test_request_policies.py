"""The one request-rule engine judges the same request by its two named policies.

SERVER_MUST_REFUSE says which requests a server must refuse (the targeted checks and the property
phase); CLIENT_MUST_NOT_SEND what a client must not send (validate and proxy). Both read the spec
and the registry's disputes; each API's own part comes from its definition's ``request_policy``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optout_conformance import specs
from optout_conformance.cassettes.request_rules import request_findings
from optout_conformance.checks.request_rules import (
    CLIENT_MUST_NOT_SEND,
    POLICIES,
    SERVER_MUST_REFUSE,
    VIOLATION,
    Request,
    judge,
)
from optout_conformance.core.apis import APIS

FORM = "application/x-www-form-urlencoded"
SEARCH = "/sms-opt-out/search"
STOP = "/api_web"
OPT_STATUS = "/sms/opt-status.json"


def convoso_search(body: str) -> Request:
    return Request("POST", SEARCH, {}, {}, FORM, body.encode())


def whatcounts_stop(**arguments: str) -> Request:
    return Request("GET", STOP, {k: [v] for k, v in arguments.items()}, {}, "", b"")


@pytest.fixture(scope="module")
def convoso() -> dict[str, Any]:
    return specs.load_spec("convoso", "lenient")


@pytest.fixture(scope="module")
def whatcounts() -> dict[str, Any]:
    return specs.load_spec("whatcounts", "lenient")


def test_the_engine_offers_exactly_the_two_named_policies() -> None:
    assert set(POLICIES) == {"server-must-refuse", "client-must-not-send"}
    assert POLICIES["server-must-refuse"] is SERVER_MUST_REFUSE
    assert POLICIES["client-must-not-send"] is CLIENT_MUST_NOT_SEND


def test_limit_5000_is_a_client_violation_but_not_a_request_a_server_must_refuse(
    convoso: dict[str, Any],
) -> None:
    # 000/001 give limit's maximum (1000), but what a server does above it is a disputed point
    # (the spec's x-discrepancy on limit): a client must not send it, a server need not refuse it.
    request = convoso_search("auth_token=t&limit=5000")
    client = judge("convoso", convoso, request, CLIENT_MUST_NOT_SEND)
    server = judge("convoso", convoso, request, SERVER_MUST_REFUSE, generated_negative=True)
    assert client.breaks_the_policy
    assert [f.message for f in client.violations] == ["limit: 5000 is greater than the maximum of 1000"]
    assert not server.breaks_the_policy
    assert server.negative is None  # generated as negative, but no documented negation remains
    assert "limit" in server.disputed_sent


def test_a_search_without_auth_token_is_refused_by_the_server_policy_and_forbidden_by_the_client_policy(
    convoso: dict[str, Any],
) -> None:
    request = convoso_search("limit=10")
    server = judge("convoso", convoso, request, SERVER_MUST_REFUSE, generated_negative=True)
    client = judge("convoso", convoso, request, CLIENT_MUST_NOT_SEND)
    assert server.negative is True
    assert "auth_token" in server.negation
    assert any("auth_token" in f.message for f in client.violations)


def test_a_documented_search_is_valid_under_both_policies(convoso: dict[str, Any]) -> None:
    request = convoso_search("auth_token=t&limit=10")
    assert judge("convoso", convoso, request, SERVER_MUST_REFUSE).negative is False
    client = judge("convoso", convoso, request, CLIENT_MUST_NOT_SEND)
    assert client.findings == ()
    assert not client.breaks_the_policy


def test_a_wrong_type_is_a_negation_for_the_server_policy_only_off_a_disputed_field(
    whatcounts: dict[str, Any],
) -> None:
    # cmd's enum is documented and undisputed: a server must refuse another command, a client
    # must not send it.
    request = whatcounts_stop(cmd="other", r="realm", p="pw", phone="2065550100", sender_code="1")
    server = judge("whatcounts", whatcounts, request, SERVER_MUST_REFUSE, generated_negative=True)
    client = judge("whatcounts", whatcounts, request, CLIENT_MUST_NOT_SEND)
    assert server.negative is True
    assert any(e.field == "cmd" and e.keyword == "enum" for e in server.errors)
    assert "command 'other' is not smsstopsubscribersend" in [f.message for f in client.violations]


def test_whatcounts_alias_pairs_come_from_the_specs_x_aliases(whatcounts: dict[str, Any]) -> None:
    request = whatcounts_stop(c="smsstopsubscribersend", r="realm", phone="2065550100", sender_code="1")
    missing = [f.message for f in judge("whatcounts", whatcounts, request, CLIENT_MUST_NOT_SEND).violations]
    assert missing == ["missing password (pwd= or p=)"]
    edited = copy.deepcopy(whatcounts)
    for operation in edited["paths"][STOP].values():
        if isinstance(operation, dict) and "x-aliases" in operation:
            operation["x-aliases"] = {k: v for k, v in operation["x-aliases"].items() if k != "password"}
    assert judge("whatcounts", edited, request, CLIENT_MUST_NOT_SEND).violations == []


def test_an_avaamo_page_beyond_the_first_is_left_undecided_by_the_server_policy_only() -> None:
    avaamo = specs.load_spec("avaamo", "lenient")
    headers = {"access-token": "t"}
    later = Request("GET", OPT_STATUS, {"page": ["2"]}, headers, "", b"")
    first = Request("GET", OPT_STATUS, {"page": ["1"]}, headers, "", b"")
    assert judge("avaamo", avaamo, later, SERVER_MUST_REFUSE).negative is None
    assert judge("avaamo", avaamo, first, SERVER_MUST_REFUSE).negative is False
    assert judge("avaamo", avaamo, later, CLIENT_MUST_NOT_SEND).findings == ()


def test_validate_and_proxy_read_the_client_policy_of_the_same_engine(convoso: dict[str, Any]) -> None:
    findings = request_findings("convoso", convoso, "post", SEARCH, query={}, headers={}, content_type=FORM,
                                body=b"auth_token=t&limit=5000")
    engine = judge("convoso", convoso, convoso_search("auth_token=t&limit=5000"), CLIENT_MUST_NOT_SEND)
    assert findings == list(engine.findings)
    assert [f.severity for f in findings] == [VIOLATION]


def test_every_built_in_api_names_its_request_policy_and_diff_extractors() -> None:
    for name in ("convoso", "whatcounts", "avaamo"):
        definition = APIS[name]
        assert definition.request_policy == f"optout_conformance.apis.{name}.request_policy"
        assert definition.diff_extractors == f"optout_conformance.apis.{name}.diff"


def test_bounds_no_document_gives_are_notes_for_a_client(convoso: dict[str, Any]) -> None:
    # No document gives a minimum for limit (000 "max 1000", 001 "max 1000") nor for Avaamo's
    # per_page (003 "Maximum value: 100"): sending 0 is noted, never a violation.
    limit = judge("convoso", convoso, convoso_search("auth_token=t&limit=0"), CLIENT_MUST_NOT_SEND)
    assert [(f.severity, f.message) for f in limit.findings] == [
        ("note", "limit: 0 is less than the minimum of 1 (no document gives a minimum)")]
    assert "registry convoso.search.invalid-limit" in limit.findings[0].source
    avaamo = specs.load_spec("avaamo", "lenient")
    per_page = judge("avaamo", avaamo, Request("GET", OPT_STATUS, {"per_page": ["0"]}, {"access-token": "t"},
                                               "", b""), CLIENT_MUST_NOT_SEND)
    assert [f.severity for f in per_page.findings] == ["note"]
    assert not per_page.breaks_the_policy


def test_a_transport_violation_does_not_stop_the_other_rules(convoso: dict[str, Any]) -> None:
    query = {"auth_token": ["t"], "phone_number": ["5551234567"], "phone_code": ["1"], "campaign_id": ["-1"],
             "Reason": ["x"]}
    request = Request("GET", "/sms-opt-out/insert", query, {"content-type": "application/json"},
                      "application/json", b"")
    violations = [f.message for f in judge("convoso", convoso, request, CLIENT_MUST_NOT_SEND).violations]
    assert violations == ["method GET; every operation is POST", "undocumented parameter(s): Reason",
                          "campaign_id -1 (purpose type) without a purpose"]


def test_arguments_of_a_multipart_body_are_judged_like_form_fields(convoso: dict[str, Any]) -> None:
    boundary = "b0und4ry"
    body = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                   for name, value in (("auth_token", "t"), ("limit", "5000"))) + f"--{boundary}--\r\n"
    media = f"multipart/form-data; boundary={boundary}"
    request = Request("POST", SEARCH, {}, {"content-type": media}, "multipart/form-data", body.encode())
    messages = [f.message for f in judge("convoso", convoso, request, CLIENT_MUST_NOT_SEND).violations]
    assert messages[0].startswith("body sent as multipart/form-data")
    assert messages[1:] == ["limit: 5000 is greater than the maximum of 1000"]


def test_query_string_parameters_on_a_post_are_a_note_citing_their_registry_entry(
    convoso: dict[str, Any],
) -> None:
    for profile in ("community", "official", "lenient"):
        spec = specs.load_spec("convoso", profile)
        request = Request("POST", SEARCH, {"phone_number": ["5551234567"]}, {}, FORM, b"auth_token=t")
        found = judge("convoso", spec, request, CLIENT_MUST_NOT_SEND).findings
        assert [f.severity for f in found] == ["note"], profile
        assert "convoso.request.query-string-parameters" in found[0].source
