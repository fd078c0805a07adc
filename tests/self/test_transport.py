"""The one transport: the URL parser, loopback, deadlines, the body cap, origins, bounded JSON.

Real HTTP on 127.0.0.1 against the tiny hostile servers of ``tests/hostile/hostile_servers.py``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optout_conformance.core.http import (
    BoundedReply,
    HttpClient,
    OffTarget,
    RunDeadline,
    async_deadline_client,
    fetch_bounded,
)
from optout_conformance.core.interaction import (
    KEPT_OF_TRUNCATED,
    MAX_BODY_BYTES,
    JsonTooDeep,
    json_depth,
    parse_json_bounded,
)
from optout_conformance.core.outcomes import CheckInconclusive
from optout_conformance.core.urls import UrlError, parse_url
from optout_conformance.runner.targets import check_reachable, is_loopback

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from hostile_servers import HostileServer

CLI = str(Path(sys.executable).with_name("optout-conformance"))
REFUSED_URLS = [
    "http://[::1/v1",
    "http://prod.example\\@127.0.0.1/v1",
    "http://user:secret-password@127.0.0.1:8000/v1",
    "http://127.0.0.1:8000/v1\x07",
    "http://127.0.0.1:8000/v 1",
    "http://127.0.0.1:8000/v1\n",
    "http://127.1/v1",
    "http://0x7f000001/v1",
    "http://[fe80::1%25eth0]/v1",
    "http://127.0.0.1:0/v1",
    "http://127.0.0.1:70000/v1",
    "ftp://127.0.0.1/v1",
    "http://127.0.0.1/v1?x=1",
    "http://127.0.0.1/v1#frag",
    "http://exämple.test/v1",
    "http://127.0.0.1/v1/%zz",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_the_url_parser_refuses_urls_parsers_could_read_differently(url: str) -> None:
    with pytest.raises(UrlError):
        parse_url(url)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_refused_url_is_never_loopback(url: str) -> None:
    assert is_loopback(url) is False


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8000/v1", True),
    ("http://127.8.9.10/v1", True),
    ("http://[::1]:8000/api/v2", True),
    ("http://localhost:8000/bin", True),
    ("http://LOCALHOST/bin", True),
    ("http://api.localhost/v1", False),
    ("http://localhost.example.test/v1", False),
    ("http://127.0.0.1.example.test/v1", False),
    ("http://[::ffff:127.0.0.1]/v1", False),
    ("https://api.example.test/v1", False),
])
def test_loopback_is_a_literal_loopback_address_or_exactly_localhost(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_the_parsed_url_is_what_the_client_connects_to() -> None:
    client = HttpClient("http://[::1]:8123/api/v2/")
    url = client.url_for("/sms/opt-status.json")
    assert (url.host, url.port, url.path) == ("::1", 8123, "/api/v2/sms/opt-status.json")
    client.close()


def test_a_bad_target_url_is_a_usage_error_in_one_line_without_echoing_a_password() -> None:
    for url in ("http://[::1/v1", "http://user:secret-password@127.0.0.1:8000/v1", "http://a\\@127.0.0.1/v1"):
        done = subprocess.run([CLI, "run", "--api", "convoso",
                               "--target", url, "--token", "a-long-enough-token"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        output = done.stdout + done.stderr
        assert "Traceback" not in output
        assert "secret-password" not in output
        assert output.startswith("error: invalid target URL")


def test_a_request_outside_the_targets_origin_is_refused_before_sending() -> None:
    with HostileServer("recorder") as other, HttpClient("http://127.0.0.1:1/v1") as client:
        for url in (other.url + "/v1/sms-opt-out/search", "http://127.0.0.1:1/v2/x", "https://127.0.0.1:1/v1/x"):
            with pytest.raises(OffTarget):
                client.path_of(url)
        assert other.connections == 0


def test_a_redirect_is_the_reply_judged_and_never_followed() -> None:
    with HostileServer("recorder") as other, HostileServer("redirect", redirect_to=other.url) as server, \
            HttpClient(server.url + "/v1", secrets={"secret-token-123": "$T"}) as client:
        exchange = client.post("/sms-opt-out/search", data={"auth_token": "secret-token-123"})
        assert exchange.status == 307
        assert exchange.response_headers["location"].startswith(other.url)
    assert other.connections == 0


def test_a_trickling_reply_cannot_stretch_the_request_deadline() -> None:
    with HostileServer("trickle") as server, HttpClient(server.url + "/v1", timeout=1.0) as client:
        started = time.monotonic()
        exchange = client.get("/sms-opt-out/search")
        elapsed = time.monotonic() - started
    assert exchange.error is not None and "timeout" in exchange.error
    assert elapsed < 3.0  # a 130-byte body at one byte a second would take 130 s


def test_a_server_that_never_answers_is_unreachable_within_the_reachability_deadline() -> None:
    from optout_conformance.core.errors import TargetUnreachable

    with HostileServer("silent") as server:
        started = time.monotonic()
        with pytest.raises(TargetUnreachable, match="within 1 s"):
            check_reachable(server.url + "/v1", timeout=1.0)
        assert time.monotonic() - started < 3.0


def test_a_reset_connection_is_a_transport_error_not_an_exception() -> None:
    with HostileServer("reset") as server, HttpClient(server.url + "/v1", timeout=2.0) as client:
        exchange = client.get("/sms-opt-out/search")
    assert exchange.status is None and exchange.error


def test_a_huge_reply_is_read_only_up_to_the_cap() -> None:
    with HostileServer("huge") as server, HttpClient(server.url + "/v1", timeout=5.0) as client:
        exchange = client.get("/sms-opt-out/search")
    assert exchange.truncated and len(exchange.text) == KEPT_OF_TRUNCATED < MAX_BODY_BYTES
    with pytest.raises(ValueError, match="larger than"):
        exchange.json()


def test_deeply_nested_json_is_refused_with_a_value_error_not_a_recursion_error() -> None:
    with HostileServer("nested") as server, HttpClient(server.url + "/v1", timeout=5.0) as client:
        exchange = client.get("/sms-opt-out/search")
    with pytest.raises(ValueError, match="nested"):
        exchange.json()


def test_bounded_json_parses_ordinary_json_and_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": [{"b": "[[[[{{{{"}], "c": 'back\\slash "]]]'})
    assert parse_json_bounded(text) == json.loads(text)
    assert json_depth(text) == 3
    with pytest.raises(JsonTooDeep):
        parse_json_bounded("[" * 65 + "]" * 65)
    assert parse_json_bounded("[" * 64 + "]" * 64) is not None
    with pytest.raises(json.JSONDecodeError):
        parse_json_bounded("{not json")


def test_after_the_run_deadline_a_request_is_not_sent_and_the_check_is_inconclusive() -> None:
    with HostileServer("recorder") as server:
        with HttpClient(server.url + "/v1") as client:
            client.deadline = RunDeadline(1.0)  # set after construction: its set-up time is not counted
            assert client.get("/sms-opt-out/search").status == 200
            time.sleep(1.1)
            with pytest.raises(CheckInconclusive, match=r"run deadline of 1 s"):
                client.get("/sms-opt-out/search")
        assert len(server.received) == 1


def test_the_run_deadline_shortens_a_request_that_would_outlast_it() -> None:
    with HostileServer("silent") as server, \
            HttpClient(server.url + "/v1", timeout=30.0, deadline=RunDeadline(1.0)) as client:
        started = time.monotonic()
        exchange = client.get("/sms-opt-out/search")
        assert time.monotonic() - started < 3.0
    assert exchange.error is not None and "timeout" in exchange.error


def fetch(behaviour: str, timeout: float, **options: str) -> BoundedReply:
    async def go(url: str) -> BoundedReply:
        async with async_deadline_client(timeout) as client:
            return await fetch_bounded(client, parse_url(url + "/v1"), "GET", "/sms-opt-out/search",
                                       timeout=timeout, **options)

    with HostileServer("recorder") as elsewhere, \
            HostileServer(behaviour, redirect_to=elsewhere.url) as server:
        reply = asyncio.run(go(server.url))
        assert elsewhere.connections == 0
    return reply


def test_the_async_upstream_fetch_keeps_the_same_deadline_cap_and_no_redirect_promises() -> None:
    started = time.monotonic()
    trickled = fetch("trickle", 1.0)
    assert trickled.error is not None and "timeout" in trickled.error
    assert time.monotonic() - started < 3.0
    huge = fetch("huge", 5.0)
    assert huge.truncated and len(huge.content) == MAX_BODY_BYTES
    redirected = fetch("redirect", 2.0, query="c=1&c=2")
    assert redirected.status == 307
    reset = fetch("reset", 2.0)
    assert reset.status is None and reset.error


def test_the_run_deadline_ends_the_property_phase_as_inconclusive_not_as_a_crash() -> None:
    from optout_conformance import specs
    from optout_conformance.checks.properties import PhaseOptions, run_property_phase
    from optout_conformance.runner.targets import embedded_credentials, embedded_server

    with embedded_server("community") as server:
        url = server.url("avaamo")
        with HttpClient(url, timeout=5.0) as http:
            http.deadline = RunDeadline(1.0)
            options = PhaseOptions(writes=False, max_examples=10_000, coverage=False, http=http)
            with pytest.raises(CheckInconclusive, match="run deadline of 1 s reached"):
                run_property_phase(specs.load_spec("avaamo", "community"), "avaamo", embedded_credentials(),
                                   base_url=url, options=options)
            assert len(http.exchanges) < 10_000  # it stopped: the budget was ten thousand cases


def test_a_path_given_with_its_query_string_is_sent_byte_for_byte() -> None:
    with HostileServer("recorder") as server, HttpClient(server.url + "/api/v2") as client:
        client.request("GET", "/sms/opt-status.json?from_phone=%FF%FE&page=", params={"per_page": "1"})
        client.get("/sms/opt-status.json", params={"to_phone": "+1 555"})
    assert [r.target for r in server.received] == [
        "/api/v2/sms/opt-status.json?from_phone=%FF%FE&page=&per_page=1",
        "/api/v2/sms/opt-status.json?to_phone=%2B1+555",
    ]


def test_a_run_past_its_deadline_reports_the_remaining_checks_as_inconclusive_with_the_reason() -> None:
    from optout_conformance.config import RawSettings, resolve_settings
    from optout_conformance.runner.execute import RunLimits
    from optout_conformance.runner.session import run

    settings = resolve_settings(RawSettings(), api="avaamo", environ={})
    result = run(settings, RunLimits(deadline=0.001, fast=True))
    checks = result.apis[0].checks
    assert checks and all(c.status == "inconclusive" for c in checks), [(c.id, c.status) for c in checks]
    assert all("run deadline of 0.001 s reached" in (c.rule or "") for c in checks)
