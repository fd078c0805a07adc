"""The property phase's probe of an undocumented variant operation, against hand-made targets.

A variant that answers "not here" (404 Not Found, 405 Method Not Allowed, 501 Not Implemented)
is observed on its registry entry and never judged; any other answer means the variant is served,
so its generated requests are judged like the documented form's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import schemathesis
from schemathesis.core.failures import Severity
from schemathesis.openapi import from_dict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from optout_conformance import specs
from optout_conformance.apis.whatcounts.reference import WhatCountsService
from optout_conformance.checks import property_requests
from optout_conformance.checks.property_requests import (
    generated_writes_allowed,
    inject_credentials,
    judge_reply,
    links_operations,
    request_exchange,
    unserved_variants,
)
from optout_conformance.checks.schemathesis_checks import DocumentedRuleBroken
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckInconclusive
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext


def post_answering(status: int) -> type[WhatCountsService]:
    class PostAnswers(WhatCountsService):
        """GET as the reference; POST answers ``status`` with a plain-text body."""

        def routes(self) -> list[Route]:
            return [Route("/bin/api_web", self.dispatch, methods=["GET", "POST"])]

        async def dispatch(self, request: Request) -> Response:
            if request.method == "POST":
                return PlainTextResponse("no POST here", status_code=status)
            return await self.handle(request)

    return PostAnswers


def probe(tmp: Path, status: int) -> tuple[dict[str, str], RunContext]:
    config = ReferenceConfig(db=str(tmp / "ref.db"), seed_records=0)
    service = post_answering(status)
    with EmbeddedServer(create_app(config, apis=("whatcounts",), whatcounts=service)) as server:
        url = server.url("whatcounts")
        ctx = RunContext(target=Target(api="whatcounts", base_url=url, embedded=True, loopback=True),
                         credentials=Credentials(realm=config.realm, password=config.password,
                                                 sender_code=config.sender_codes[0]),
                         profile="lenient", http=HttpClient(url, timeout=5.0))
        return unserved_variants(ctx, writes=True), ctx


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_post_variant_answering_not_here_is_observed_as_not_served(tmp_path: Path, status: int) -> None:
    unserved, ctx = probe(tmp_path, status)
    assert list(unserved) == ["smsStopSubscriberSendPost"] and f"HTTP {status}" in unserved[
        "smsStopSubscriberSendPost"]
    assert [(o.discrepancy_id, o.observed) for o in ctx.observations] == [
        ("whatcounts.http-method", {"POST": status})]


@pytest.mark.parametrize("status", [400, 403, 500, 502])
def test_a_post_variant_answering_anything_else_is_served_and_judged(tmp_path: Path, status: int) -> None:
    unserved, ctx = probe(tmp_path, status)
    assert unserved == {} and ctx.observations == []


def test_a_reply_breaking_two_rules_is_headed_by_the_failure_listed_first(tmp_path: Path) -> None:
    def documented_rule(ctx: object, response: object, case: object) -> None:
        raise DocumentedRuleBroken(operation="POST /sms-opt-out/search", title="a documented rule",
                                   message="Received: {}", severity=Severity.HIGH)

    def bare_assertion(ctx: object, response: object, case: object) -> None:
        raise AssertionError("a bare assertion")

    async def empty_object(request: Request) -> Response:
        return Response("{}", media_type="application/json")

    schema = from_dict(specs.load_spec("convoso", "community"))
    case = schema["/sms-opt-out/search"]["POST"].Case(body={"auth_token": "t"},
                                                       media_type="application/x-www-form-urlencoded")
    with EmbeddedServer(Starlette(routes=[Route("/", empty_object)])) as server:
        served = requests.get(server.base_url + "/", timeout=5)
    reply = schemathesis.Response.from_requests(served, verify=False)
    for checks in ([documented_rule, bare_assertion], [bare_assertion, documented_rule]):
        text = judge_reply(case, reply, checks=checks, http=None, check_id=None)
        assert text is not None and "2 distinct failures" in text
        listed = [line[len("- ST990 "):] if line.startswith("- ST990 ") else line[len("- ST901 "):]
                  for line in text.splitlines() if line.startswith(("- ST990 ", "- ST901 "))]
        assert text.splitlines()[0] == listed[0]


# -- credentials, links, what is logged ------------------------------------------------------------


def test_credentials_replace_the_strings_generated_for_their_wire_names_and_aliases_only() -> None:
    schema = from_dict(specs.load_spec("whatcounts", "lenient"))
    case = schema["/api_web"]["GET"].Case(query={"realm": "gen", "r": "gen", "pwd": "gen", "p": 7,
                                                 "sender_code": "gen", "phone": "gen"})
    inject_credentials(case, "whatcounts", Credentials(realm="R", password="P", sender_code=None))
    # a non-string value is a negation and stays; a credential the run lacks leaves the value
    assert case.query == {"realm": "R", "r": "R", "pwd": "P", "p": 7, "sender_code": "gen", "phone": "gen"}


def test_a_header_credential_is_never_injected_into_the_query_or_the_body() -> None:
    schema = from_dict(specs.load_spec("convoso", "lenient"))
    case = schema["/sms-opt-out/search"]["POST"].Case(body={"auth_token": "gen", "access-token": "gen"},
                                                       media_type="application/x-www-form-urlencoded")
    inject_credentials(case, "avaamo", Credentials(token="T"))
    assert case.body == {"auth_token": "gen", "access-token": "gen"}
    inject_credentials(case, "convoso", Credentials(token="T"))
    assert case.body == {"auth_token": "T", "access-token": "gen"}


def test_only_the_spec_that_links_operations_runs_linked_sequences() -> None:
    assert links_operations(specs.load_spec("convoso", "lenient"))
    assert not links_operations(specs.load_spec("whatcounts", "lenient"))
    assert not links_operations(specs.load_spec("avaamo", "lenient"))


@pytest.mark.parametrize(("allow_writes", "embedded", "loopback", "allowed"), [
    (True, False, False, False),  # --allow-writes alone lets no generated data out to a remote target
    (False, True, False, True), (False, False, True, True), (True, False, True, True),
    (False, False, False, False),
])
def test_generated_writes_go_only_to_the_embedded_server_or_a_loopback_target(
    allow_writes: bool, embedded: bool, loopback: bool, allowed: bool
) -> None:
    url = "http://127.0.0.1:9"
    ctx = RunContext(target=Target(api="convoso", base_url=url, embedded=embedded, loopback=loopback),
                     credentials=Credentials(token="t"), profile="lenient", http=HttpClient(url, timeout=1.0),
                     allow_writes=allow_writes)
    assert generated_writes_allowed(ctx) is allowed


def test_the_logged_request_keeps_what_was_sent_and_leaves_out_the_librarys_own_headers() -> None:
    prepared = requests.Request(
        "POST", "http://127.0.0.1:9/v1/sms-opt-out/search?x=1&y=",
        headers={"User-Agent": "python-requests", "Accept": "*/*", "X-Trace": "abc",
                 "Content-Type": "application/x-www-form-urlencoded"},
        data={"auth_token": "t", "reason": ""}).prepare()
    exchange = request_exchange(prepared, HttpClient("http://127.0.0.1:9", timeout=1.0), "a.check")
    assert exchange.url == "http://127.0.0.1:9/v1/sms-opt-out/search"
    assert exchange.params == {"x": "1", "y": ""}
    assert exchange.data == {"auth_token": "t", "reason": ""}
    assert exchange.headers == {"X-Trace": "abc", "Content-Type": "application/x-www-form-urlencoded"}
    assert exchange.check_id == "a.check"
    json_body = requests.Request("POST", "http://127.0.0.1:9/v1/x", json={"a": 1}).prepare()
    assert request_exchange(json_body, HttpClient("http://127.0.0.1:9", timeout=1.0)).data is None


@pytest.mark.parametrize(("api", "header_auth"),
                         [("convoso", False), ("whatcounts", False), ("avaamo", True)])
def test_only_a_credential_the_spec_sends_in_a_header_becomes_a_header_of_generated_cases(
    api: str, header_auth: bool
) -> None:
    """003 sends Avaamo's access-token as a header; Convoso's auth_token travels in the form and
    WhatCounts' arguments in the query or form: no header credential is set for them."""
    from optout_conformance import specs
    from optout_conformance.checks.property_requests import load_schema
    from optout_conformance.core.context import Credentials

    credentials = Credentials(token="tok-123", realm="r", password="p", sender_code="1")
    schema = load_schema(specs.load_spec(api, "lenient"), api, credentials,
                         base_url="http://127.0.0.1:9/", app=None)
    assert schema.auth.is_defined is header_auth


def reply_with(content: bytes) -> requests.Response:
    """A reply as requests builds it, to a request the run's client did not send (none is logged)."""
    answer = requests.Response()
    answer.status_code, answer._content = 200, content
    answer.request = requests.Request("POST", "http://127.0.0.1:9/v1/sms-opt-out/search").prepare()
    return answer


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2", b"{}", b"plain text", b""])
def test_a_reply_that_is_not_json_or_is_shallow_json_is_left_to_the_response_checks(content: bytes) -> None:
    # Only a reply the checks cannot read (cut off, or JSON nested too deep to parse) is inconclusive;
    # broken JSON is for the response checks to judge, so _judgeable lets it through.
    case = type("Case", (), {"method": "post", "path": "/sms-opt-out/search"})()
    assert property_requests._judgeable(case, reply_with(content)) is None


def test_a_reply_of_json_nested_too_deep_is_inconclusive_not_judged() -> None:
    case = type("Case", (), {"method": "post", "path": "/sms-opt-out/search"})()
    with pytest.raises(CheckInconclusive, match="POST /sms-opt-out/search answered"):
        property_requests._judgeable(case, reply_with(b"[" * 100_000))
