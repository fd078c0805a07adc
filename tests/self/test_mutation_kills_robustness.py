"""The robustness checks' notion of a crash, and their unauthenticated case, over real loopback HTTP.

A crash is a traceback or an HTML page in place of a documented reply. The content type alone
proves nothing (no document states one): a WhatCounts result line or a JSON body labelled
``text/html`` is a documented reply, anything else labelled ``text/html`` is a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from optout_conformance.apis.avaamo.reference import AvaamoService
from optout_conformance.apis.whatcounts.reference import WhatCountsService
from optout_conformance.checks.judgement import dialect_of
from optout_conformance.checks.robustness import looks_like_a_crash
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

REPLIES: dict[str, tuple[str, str]] = {
    "success-line-as-html": ("SUCCESS: Stopping message to phone was successful\n", "text/html"),
    "failure-line-as-html": ("FAILURE: Invalid phone", "text/html"),
    "json-as-html": ('{"error": "bad input"}', "text/html"),
    "failure-line-and-more-as-html": ("FAILURE: Invalid phone\nat line 12 of stop.php", "text/html"),
    "plain-words-as-html": ("Service temporarily unavailable", "text/html"),
    "html-page-as-text": ("<!DOCTYPE html><p>Error</p>", "text/plain"),
    "traceback-as-json": ('Traceback (most recent call last):\n  File "app.py"', "application/json"),
    "plain-words-as-text": ("Service temporarily unavailable", "text/plain"),
    "late-traceback-as-text": (" " * 4900 + "Traceback (most recent call last):", "text/plain"),
}


@pytest.fixture(scope="module")
def replies() -> Iterator[HttpClient]:
    async def answer(request: Request) -> Response:
        body, media_type = REPLIES[request.path_params["name"]]
        return Response(body, status_code=400, media_type=media_type)

    with EmbeddedServer(Starlette(routes=[Route("/{name}", answer)])) as server:
        yield HttpClient(server.base_url, timeout=5.0)


def reply(http: HttpClient, name: str) -> Exchange:
    return http.get(f"/{name}")


@pytest.mark.parametrize("name", ["success-line-as-html", "failure-line-as-html", "json-as-html",
                                  "plain-words-as-text"])
def test_a_documented_reply_under_any_label_is_not_a_crash(replies: HttpClient, name: str) -> None:
    assert not looks_like_a_crash(reply(replies, name))


@pytest.mark.parametrize("name", ["failure-line-and-more-as-html", "plain-words-as-html", "html-page-as-text",
                                  "traceback-as-json", "late-traceback-as-text"])
def test_an_html_page_or_a_traceback_is_a_crash_whatever_its_label(replies: HttpClient, name: str) -> None:
    assert looks_like_a_crash(reply(replies, name))


class ServesAnythingWithoutToken(AvaamoService):
    """Faulty: no token check, and odd page values read as the defaults."""

    def authenticate(self, token: str | None) -> None:
        return None

    def parse_positive(self, name: str, value: str, default: int) -> int:
        try:
            return super().parse_positive(name, value, default)
        except Exception:
            return default


def test_odd_input_without_a_token_that_gets_entries_fails_the_robustness_check(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("avaamo",), avaamo=ServesAnythingWithoutToken)) as server:
        url = server.url("avaamo")
        ctx = RunContext(target=Target(api="avaamo", base_url=url, embedded=True, loopback=True),
                         credentials=Credentials(token=config.token), profile="lenient",
                         http=HttpClient(url, timeout=5.0))
        ctx.current_check = "avaamo.robustness.odd_input_gets_a_documented_reply"
        with pytest.raises(CheckFailed) as failed:
            CHECKS[ctx.current_check].function(ctx)
    failure: Any = failed.value
    assert failure.documented == "no entries without a valid access-token"
    assert "avaamo.auth.failure-response" in failure.source


LONG_REASON = "FAILURE: " + "the request method POST is not accepted by this endpoint; " * 5


class PostAnswersALongFailure(WhatCountsService):
    """Faithful (no document gives POST; registry whatcounts.http-method): POST answers a long
    FAILURE line, GET as the reference."""

    async def handle(self, request: Request) -> Response:
        if request.method == "POST":
            return Response(LONG_REASON, media_type="text/plain")
        return await super().handle(request)


def test_a_reply_to_an_observed_only_method_shows_its_first_120_characters_in_the_observation(
    tmp_path: Path,
) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=0)
    app = create_app(config, apis=("whatcounts",), whatcounts=PostAnswersALongFailure)
    with EmbeddedServer(app) as server:
        url = server.url("whatcounts")
        ctx = RunContext(target=Target(api="whatcounts", base_url=url, embedded=True, loopback=True),
                         credentials=Credentials(realm=config.realm, password=config.password,
                                                 sender_code=config.sender_codes[0]),
                         profile="lenient", http=HttpClient(url, timeout=5.0))
        ctx.current_check = "whatcounts.robustness.odd_input_gets_a_documented_reply"
        CHECKS[ctx.current_check].function(ctx)  # passes: POST is only observed
    posts = [o.observed["POST"] for o in ctx.observations if o.discrepancy_id == "whatcounts.http-method"]
    assert posts == [{"a form body with non-UTF-8 bytes and no query":
                      f"HTTP 200 text/plain: {LONG_REASON[:120]}…"}]


CRASH_PAGES = {
    "html-500": ("<!doctype html><html><body><h1>Internal Server Error</h1></body></html>", "text/html", 500),
    "traceback-200": ('Traceback (most recent call last):\n  File "app.py", line 1', "application/json", 200),
}


@pytest.fixture(scope="module")
def crashing() -> Iterator[str]:
    async def crash(request: Request) -> Response:
        body, media_type, status = CRASH_PAGES[request.path_params["kind"]]
        return Response(body, status_code=status, media_type=media_type)

    routes = [Route("/{kind}/{rest:path}", crash, methods=["GET", "POST"])]
    with EmbeddedServer(Starlette(routes=routes)) as server:
        yield server.base_url


def convoso_context(base_url: str, token: str | None) -> RunContext:
    ctx = RunContext(target=Target(api="convoso", base_url=base_url, embedded=True, loopback=True),
                     credentials=Credentials(token=token), profile="lenient",
                     http=HttpClient(base_url, timeout=5.0))
    ctx.current_check = "convoso.robustness.odd_input_gets_a_documented_reply"
    return ctx


@pytest.mark.parametrize("kind", sorted(CRASH_PAGES))
def test_a_crash_page_in_reply_to_odd_input_fails_citing_the_robustness_source(
    crashing: str, kind: str
) -> None:
    ctx = convoso_context(f"{crashing}/{kind}", "t")
    with pytest.raises(CheckFailed) as failed:
        CHECKS[ctx.current_check].function(ctx)
    failure: Any = failed.value
    assert failure.rule == "a 10,000-digit phone_number filter gets a documented reply"
    assert failure.documented == "a documented reply, not an HTML page or a traceback"
    assert failure.source == CHECKS[ctx.current_check].source
    assert failure.received.startswith(f"HTTP {CRASH_PAGES[kind][2]} {CRASH_PAGES[kind][1]}")


def test_odd_input_is_not_sent_without_the_credentials_the_api_requires(crashing: str) -> None:
    ctx = convoso_context(f"{crashing}/html-500", None)
    with pytest.raises(CheckSkipped, match="credentials for convoso are needed"):
        CHECKS[ctx.current_check].function(ctx)
    assert ctx.http.exchanges == []


def test_the_long_phone_has_10000_digits_and_only_avaamos_tokenless_odd_request_is_unauthenticated() -> None:
    url = "http://127.0.0.1:9"
    odd: dict[str, list[Any]] = {}
    for api in ("convoso", "avaamo"):
        ctx = RunContext(target=Target(api=api, base_url=url, embedded=True, loopback=True),
                         credentials=Credentials(token="t"), profile="lenient",
                         http=HttpClient(url, timeout=1.0))
        dialect: Any = dialect_of(api)
        odd[api] = dialect.odd_requests(ctx)
    long_phone = next(o for o in odd["convoso"] if o.label == "a 10,000-digit phone_number filter")
    assert long_phone.body is not None and b"phone_number=" + b"5" * 10_000 in long_phone.body
    assert b"5" * 10_001 not in long_phone.body
    assert not any(o.unauthenticated for o in odd["convoso"])
    assert [o.unauthenticated for o in odd["avaamo"]].count(True) == 1


@pytest.fixture(scope="module")
def another_operations_code() -> Iterator[str]:
    # Every request answered with update's 6059, a code outside search's table (000/001 Response Codes).
    async def refuse(request: Request) -> Response:
        return Response('{"success": false, "code": 6059, "error": "Duplicate combination"}',
                        status_code=200, media_type="application/json")

    routes = [Route("/{rest:path}", refuse, methods=["GET", "POST"])]
    with EmbeddedServer(Starlette(routes=routes)) as server:
        yield server.base_url


def test_odd_input_answered_with_another_operations_error_code_fails_on_the_reply_rule(
    another_operations_code: str,
) -> None:
    # Not a crash, answered, no data: only the reply rules (checks/response.py) can tell.
    ctx = convoso_context(another_operations_code, "t")
    with pytest.raises(CheckFailed) as failed:
        CHECKS[ctx.current_check].function(ctx)
    failure: Any = failed.value
    assert "6059" in failure.received, failure
    assert failure.rule != "a 10,000-digit phone_number filter gets a documented reply", failure
