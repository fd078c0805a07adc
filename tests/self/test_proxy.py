"""The validating proxy over real HTTP on 127.0.0.1, in front of the embedded reference server."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import vcr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from optout_conformance.cassettes.interactions import load_cassette
from optout_conformance.cassettes.proxy import (
    CASSETTE_HEADER,
    CASSETTE_NAME,
    MAX_WRITTEN_PER_INTERACTION,
    RECENT_FINDINGS,
    VIOLATIONS_NAME,
    QuickScrubber,
    _yaml_item,
    create_proxy_app,
)
from optout_conformance.cassettes.scrub import TRUNCATED_HEADER, Scrubber
from optout_conformance.cassettes.upstream import UpstreamClient
from optout_conformance.core.http import BoundedReply
from optout_conformance.core.urls import parse_url
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "batch_import.py"
TOKEN = "proxy-test-token-7f3c9a"


@pytest.fixture
def reference() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(create_app(ReferenceConfig(token=TOKEN, seed_records=20))) as server:
        yield server


@pytest.fixture
def proxied(reference: EmbeddedServer, tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(the proxy's Convoso base URL, its output directory, the lines it printed)."""
    printed: list[str] = []
    app = create_proxy_app("convoso", reference.url("convoso"), out=tmp_path, echo=printed.append)
    with EmbeddedServer(app) as proxy:
        yield proxy.url("convoso"), tmp_path, printed


def violations(out: Path) -> list[dict[str, str]]:
    return [f for f in json.loads((out / VIOLATIONS_NAME).read_text()) if f["severity"] == "violation"]


def test_batch_import_example_through_the_proxy_shows_only_its_real_violations(
    proxied: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, out, printed = proxied
    rows = tmp_path / "sms_optouts.csv"
    rows.write_text(
        "phone,code,campaign_id,reason,purpose\n"
        "2025550101,1,0,User Request,Marketing\n"
        "2025550102,1,111,,\n"  # empty reason and purpose: what the example sends; not a violation
        "2025550103,1,-1,Complaint,\n"  # the purpose-type campaign without a purpose: 6080
        "20255501AB,1,0,STOP Reply,\n"  # letters in the phone number: 6007
    )
    env = {**os.environ, "CONVOSO_AUTH_TOKEN": TOKEN}
    run = subprocess.run([sys.executable, str(EXAMPLE), str(rows), "--base-url", url], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.splitlines() == [
        "Opted out: 2025550101", "Opted out: 2025550102", "Failed: 2025550103", "Failed: 20255501AB"]
    found = violations(out)
    messages = [f["message"] for f in found]
    assert any("purpose type) without a purpose" in m for m in messages), messages
    assert any("'20255501AB' is not numeric" in m for m in messages), messages
    assert len(found) == 2, messages
    assert len(printed) == 2 and all("/v1/sms-opt-out/insert" in line for line in printed)


def test_requests_breaking_the_documents_are_reported_and_still_forwarded(
    proxied: tuple[str, Path, list[str]],
) -> None:
    url, out, _ = proxied
    search = url + "/sms-opt-out/search"
    with httpx.Client(timeout=10) as client:
        replies = [
            client.post(search, data={"auth_token": TOKEN, "limit": "1001"}),
            client.post(search, data={"limit": "10"}),
            client.post(search, json={"auth_token": TOKEN}),
            client.post(search, data={"auth_token": TOKEN, "colour": "blue"}),
            client.post(url + "/sms-opt-out/insert",
                        data={"auth_token": TOKEN, "phone_number": "2025550104"}),
            client.post(search, data={"auth_token": TOKEN, "limit": "10"}),
        ]
    assert all(r.status_code < 500 for r in replies)
    assert replies[-1].json()["success"] is True
    assert len(load_cassette(out / CASSETTE_NAME)) == 6
    text = json.dumps(violations(out))
    for expected in ("1001 is greater than the maximum of 1000", "'auth_token' is a required property",
                     "body sent as application/json", "undocumented parameter(s): colour",
                     "'phone_code' is a required property", "'campaign_id' is a required property"):
        assert expected in text
    assert "limit': '10'" not in text


def test_proxy_cassette_is_scrubbed_and_replays_with_vcrpy(proxied: tuple[str, Path, list[str]]) -> None:
    url, out, _ = proxied
    with httpx.Client(timeout=10) as client:
        client.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN, "limit": "2"})
    for file in out.iterdir():
        assert TOKEN not in file.read_text(), file
    recorder = vcr.VCR(record_mode="none", match_on=("method", "path", "body"))
    with recorder.use_cassette(str(out / CASSETTE_NAME)), httpx.Client() as client:
        replayed = client.post("http://replay.invalid/v1/sms-opt-out/search",
                               data={"auth_token": "REDACTED", "limit": "2"})
    assert replayed.json()["success"] is True


def test_unknown_path_is_a_violation(proxied: tuple[str, Path, list[str]]) -> None:
    url, out, _ = proxied
    with httpx.Client(timeout=10) as client:
        client.post(url + "/sms-opt-out/delete", data={"auth_token": TOKEN})
    assert "is not an operation of the convoso API" in violations(out)[0]["message"]


def test_whatcounts_requests_are_judged_with_both_alias_forms(
    reference: EmbeddedServer, tmp_path: Path
) -> None:
    app = create_proxy_app("whatcounts", reference.url("whatcounts"), out=tmp_path, echo=lambda _: None)
    with EmbeddedServer(app) as proxy, httpx.Client(timeout=10) as client:
        good = client.get(proxy.url("whatcounts") + "/api_web", params={
            "realm": "reference", "pwd": "reference-pass", "cmd": "smsstopsubscribersend",
            "phone": "12025550105", "sender_code": "120162701555"})
        bad = client.get(proxy.url("whatcounts") + "/api_web", params={
            "r": "reference", "c": "smsstopsubscribersend", "phone": "(202) 555-0106"})
    assert good.text == "SUCCESS: Stopping message to phone was successful"
    assert bad.text.startswith("FAILURE:")
    messages = [f["message"] for f in violations(tmp_path)]
    assert sorted(messages) == sorted(["missing password (pwd= or p=)", "missing sender_code",
                                       "phone '(202) 555-0106' is not numeric (no special characters)"])


def test_an_avaamo_client_asking_for_per_page_0_gets_a_note_citing_the_open_point_not_a_violation(
    reference: EmbeddedServer, tmp_path: Path
) -> None:
    app = create_proxy_app("avaamo", reference.url("avaamo"), out=tmp_path, echo=lambda _: None)
    with EmbeddedServer(app) as proxy, httpx.Client(timeout=10) as client:
        reply = client.get(proxy.url("avaamo") + "/sms/opt-status.json", params={"per_page": "0"},
                           headers={"access-token": TOKEN})
    assert reply.status_code == 400  # the reference's realization of the open point: refused
    findings = json.loads((tmp_path / VIOLATIONS_NAME).read_text())
    requests = [f for f in findings if f["part"] == "request"]
    assert [(f["severity"], f["message"]) for f in requests] == [
        ("note", "per_page: 0 is less than the minimum of 1 (no document gives a minimum)")]
    assert requests[0]["source"] == "003_725be0800b974dd2.txt; registry avaamo.query.per-page-below-one"


def test_proxy_command_refuses_an_unknown_api() -> None:
    from click.testing import CliRunner

    from optout_conformance.cli import cli

    result = CliRunner().invoke(cli, ["proxy", "--api", "twilio", "--upstream", "reference"])
    assert result.exit_code == 2
    assert "twilio" in result.output and "convoso" in result.output


def test_a_client_body_of_json_nested_past_the_depth_limit_is_judged_and_forwarded_not_a_500(
    proxied: tuple[str, Path, list[str]],
) -> None:
    url, out, printed = proxied
    nested = '{"auth_token": "' + TOKEN + '", "limit": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with httpx.Client(timeout=10) as client:
        reply = client.post(url + "/sms-opt-out/search", content=nested,
                            headers={"content-type": "application/json"})
    assert reply.status_code < 500
    assert any("body sent as application/json" in line for line in printed), printed
    assert all(TOKEN not in file.read_text() for file in out.iterdir())


# recording ---------------------------------------------------------------------------------------

CLI = str(Path(sys.executable).with_name("optout-conformance"))


def loads_as_a_cassette(path: Path) -> int:
    """The number of interactions, read by vcrpy's own deserializer and by this project's loader."""
    requests, responses = deserialize(path.read_text(), yamlserializer)[:2]
    assert len(requests) == len(responses) == len(load_cassette(path))
    return len(requests)


def test_both_files_are_valid_before_the_first_request_and_after_every_request(
    proxied: tuple[str, Path, list[str]],
) -> None:
    url, out, _ = proxied
    assert loads_as_a_cassette(out / CASSETTE_NAME) == 0
    assert json.loads((out / VIOLATIONS_NAME).read_text()) == []
    before = b""
    with httpx.Client(timeout=10) as client:
        for n in range(1, 6):
            client.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN, "limit": str(999 + n)})
            assert loads_as_a_cassette(out / CASSETTE_NAME) == n
            findings = json.loads((out / VIOLATIONS_NAME).read_text())
            assert len(findings) >= n - 1  # limit 1001.. are violations; 1000 is not
            assert all(set(f) == {"time", "method", "path", "part", "severity", "message", "source"}
                       for f in findings)
            text = (out / CASSETTE_NAME).read_bytes()
            if n > 1:  # append-only: what was written stays byte for byte
                assert text.startswith(before)
            before = text


def test_the_log_keeps_counts_and_a_bounded_window_not_the_traffic(
    reference: EmbeddedServer, tmp_path: Path,
) -> None:
    app = create_proxy_app("convoso", reference.url("convoso"), out=tmp_path, echo=lambda _: None)
    log = app.state.proxy_log
    requests = RECENT_FINDINGS + 20
    with EmbeddedServer(app) as proxy, httpx.Client(timeout=10) as client:
        for _ in range(requests):
            client.post(proxy.url("convoso") + "/sms-opt-out/search",
                        data={"auth_token": TOKEN, "limit": "1001"})
    assert not any(isinstance(value, list) for value in vars(log).values())
    assert log.interactions == requests
    assert log.violation_count == requests and log.finding_count >= requests
    assert len(log.recent) == RECENT_FINDINGS
    assert len(json.loads((tmp_path / VIOLATIONS_NAME).read_text())) == log.finding_count
    assert loads_as_a_cassette(tmp_path / CASSETTE_NAME) == requests


@contextmanager
def proxy_command(*args: str) -> Iterator[tuple[str, subprocess.Popen[str], str]]:
    """The installed ``proxy`` command on an ephemeral port; yields (its base URL, the process,
    its banner line)."""
    child = subprocess.Popen([CLI, "proxy", "--port", "0", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        assert child.stdout is not None
        banner = child.stdout.readline()
        assert banner.startswith("proxy for "), banner
        yield banner.split(" on ", 1)[1].split(" ", 1)[0], child, banner
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_cassette_is_valid_when_the_proxy_is_stopped_and_validate_agrees_with_it(
    stop: signal.Signals, tmp_path: Path,
) -> None:
    out = tmp_path / "proxy"
    with proxy_command("--api", "convoso", "--upstream", "reference", "--out", str(out)) as (url, child, _), \
            httpx.Client(timeout=10) as client:
        for limit in ("10", "1001", "20"):
            client.post(url + "/sms-opt-out/search", data={"auth_token": "reference-token", "limit": limit})
        child.send_signal(stop)
        output, _ = child.communicate(timeout=30)
    assert child.returncode == 0, output
    assert output.splitlines()[-1] == "proxy stopped", output
    assert "Traceback" not in output
    assert loads_as_a_cassette(out / CASSETTE_NAME) == 3
    assert "reference-token" not in (out / CASSETTE_NAME).read_text()
    violations_seen = violations(out)
    assert [v["message"] for v in violations_seen] == ["limit: 1001 is greater than the maximum of 1000"]
    validated = subprocess.run([CLI, "validate", str(out / CASSETTE_NAME)], capture_output=True, text=True,
                               timeout=60)
    assert validated.returncode == 1, validated.stdout + validated.stderr
    assert "1001 is greater than the maximum of 1000" in validated.stdout


def test_an_interaction_too_large_to_write_whole_is_cut_and_the_cassette_stays_small(tmp_path: Path) -> None:
    # 1.5 MiB of control characters: each is written as a 4-character YAML escape
    reply = "\x01" * (1536 * 1024)

    async def control_characters(request: Request) -> PlainTextResponse:
        return PlainTextResponse(reply)

    upstream = Starlette(routes=[Route("/v1/sms-opt-out/search", control_characters, methods=["POST"])])
    with EmbeddedServer(upstream) as server:
        app = create_proxy_app("convoso", server.url("convoso"), out=tmp_path, echo=lambda _: None)
        with EmbeddedServer(app) as proxy, httpx.Client(timeout=30) as client:
            answered = client.post(proxy.url("convoso") + "/sms-opt-out/search", data={"auth_token": TOKEN})
    assert answered.text == reply  # the client gets it whole
    assert (tmp_path / CASSETTE_NAME).stat().st_size <= MAX_WRITTEN_PER_INTERACTION
    (item,) = load_cassette(tmp_path / CASSETTE_NAME)
    assert TRUNCATED_HEADER in item.response_headers
    assert len(item.response_body) <= 64 * 1024


def test_a_100_mb_body_is_refused_413_without_being_held_forwarded_or_written(
    proxied: tuple[str, Path, list[str]],
) -> None:
    url, out, printed = proxied
    chunk = b"x" * (1024 * 1024)

    def hundred_megabytes() -> Iterator[bytes]:
        yield b"auth_token=" + TOKEN.encode() + b"&reason="
        for _ in range(100):
            yield chunk

    tracemalloc.start()
    try:
        with httpx.Client(timeout=30) as client:
            try:
                form = {"content-type": "application/x-www-form-urlencoded"}
                status = client.post(url + "/sms-opt-out/insert", content=hundred_megabytes(),
                                     headers=form).status_code
            except httpx.TransportError:  # the proxy answered and closed before the upload ended
                status = 413
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413
    assert peak < 16 * 1024 * 1024, peak  # client, proxy and upstream together: nothing held whole
    assert loads_as_a_cassette(out / CASSETTE_NAME) == 0
    assert sum(p.stat().st_size for p in out.iterdir()) < 1024
    assert any("answered 413" in line for line in printed), printed


# operations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "limit"), [("official", "100"), ("community", 1000), ("auto", 1000)])
def test_the_embedded_upstream_runs_the_profile_given(profile: str, limit: object) -> None:
    with proxy_command("--api", "convoso", "--upstream", "reference", "--profile", profile) as (url, *_), \
            httpx.Client(timeout=10) as client:
        reply = client.post(url + "/sms-opt-out/search", data={"auth_token": "reference-token"}).json()
    assert reply["limit"] == limit  # official: 001's default of 100, as strings; community: 000's 1000


def test_a_host_root_upstream_gets_the_api_base_path(reference: EmbeddedServer, tmp_path: Path) -> None:
    upstream = reference.base_url  # http://127.0.0.1:PORT, no path
    with proxy_command("--api", "convoso", "--upstream", upstream, "--token", TOKEN) as (url, _, banner), \
            httpx.Client(timeout=10) as client:
        reply = client.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN, "limit": "2"})
    assert f"-> {upstream}/v1 (Ctrl-C stops)" in banner, banner
    assert reply.status_code == 200 and reply.json()["success"] is True  # the reference serves /v1 only


def test_an_unreachable_upstream_is_one_terminal_line_per_request() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with proxy_command("--api", "convoso", "--upstream", f"http://127.0.0.1:{port}/v1") as (url, child, _), \
            httpx.Client(timeout=10) as client:
        replies = [client.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN}) for _ in range(2)]
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=30)
    assert [r.status_code for r in replies] == [502, 502]
    failures = [line for line in output.splitlines() if "failed" in line]
    assert len(failures) == 2, output
    assert all(f"upstream http://127.0.0.1:{port}/v1/sms-opt-out/search failed" in line
               and line.endswith("(answered 502)") for line in failures), failures
    assert TOKEN not in output


@pytest.mark.parametrize("upstream", ["notaurl", "ftp://x"])
def test_an_upstream_that_is_not_an_http_url_is_a_usage_error_before_any_banner(upstream: str) -> None:
    done = subprocess.run([CLI, "proxy", "--api", "convoso", "--upstream", upstream, "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    first, *rest = done.stderr.strip().splitlines()
    assert first == f"error: invalid --upstream URL: not an http(s) URL: '{upstream}'"
    assert all(line.startswith("hint: ") for line in rest) and len(rest) <= 1


def test_a_busy_port_is_a_usage_error_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run([CLI, "proxy", "--api", "convoso", "--upstream", "http://127.0.0.1:9/v1",
                               "--port", port], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[0].startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "proxy for" not in done.stderr


TRICKY_TEXTS = [
    "plain", "", " leading and trailing ", "tab\there", "line\nbreak\r\ncrlf", 'quote " and \\ backslash',
    "# not a comment: {a: [b]}", "nul \x00 bell \x07 esc \x1b del \x7f", "c1 \x80 \x85 \x9f nbsp \xa0",
    "separators \u2028 \u2029", "bom \ufeff nonchar \ufffe \uffff", "é ü 漢字 🙂", "- dash", "null", "true",
    "0x1F", "'single'", "@at `tick` |pipe >fold", "%25 percent", "\\u0041 literal",
]


def read_back(text: str | bytes) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A cassette's interactions as vcrpy's deserializer reads them (requests as dicts)."""
    decoded = text if isinstance(text, str) else text.decode("utf-8")
    requests, responses = deserialize(decoded, yamlserializer)[:2]
    return [request._to_dict() for request in requests], responses


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_an_interaction_written_as_json_reads_back_as_vcrpys_own_yaml_does(text: str, tmp_path: Path) -> None:
    request = VcrRequest("POST", f"http://127.0.0.1:1/v1/x?q={text}", text.encode("utf-8", "surrogatepass"),
                         {"x-header": text, "content-type": "text/plain"})
    response = {"status": {"code": 200, "message": text}, "headers": {"x-reply": [text, "second"]},
                "body": {"string": text.encode("utf-8", "surrogatepass")}}
    ours = CASSETTE_HEADER + b"\n" + _yaml_item(request, response)
    vcrs = serialize({"requests": [request], "responses": [response]}, yamlserializer)
    assert read_back(ours) == read_back(vcrs)
    assert ours.startswith(CASSETTE_HEADER + b"\n- {")  # the fast path was taken
    (tmp_path / "c.yaml").write_bytes(ours)
    (item,) = load_cassette(tmp_path / "c.yaml")
    assert item.response_body == text.encode()


def test_what_json_cannot_carry_is_written_by_vcrpys_serializer(tmp_path: Path) -> None:
    binary = bytes(range(256))
    for request, response in [
        (VcrRequest("POST", "http://127.0.0.1:1/v1/x", binary, {}),
         {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": binary}}),
        (VcrRequest("GET", "http://127.0.0.1:1/v1/x", None, {"x" * 2000: "long header name"}),
         {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"ok"}}),
    ]:
        ours = CASSETTE_HEADER + b"\n" + _yaml_item(request, response)
        assert b"- {" not in ours
        vcrs = serialize({"requests": [request], "responses": [response]}, yamlserializer)
        assert read_back(ours) == read_back(vcrs)


@pytest.mark.parametrize("spelling", ["{s}", "%{h}", "{q}", "{u}", "Basic {b}", "{p}", "a\\/{s}", "none"])
def test_the_quick_scrubber_scrubs_exactly_what_the_scrubber_does(spelling: str) -> None:
    secret = "s3cret tok/en-42"
    forms = {"s": secret, "h": "".join(f"%{byte:02X}" for byte in secret.encode()),
             "q": secret.replace(" ", "+"), "u": "".join(f"\\u{ord(c):04x}" for c in secret),
             "b": base64.b64encode(f"user:{secret}".encode()).decode(), "p": json.dumps(secret)[1:-1]}
    for text in (spelling.format(**forms), json.dumps({"k": spelling.format(**forms)}),
                 '{"k": "' + spelling.format(**forms) + '"}'):
        assert QuickScrubber([secret]).text(text) == Scrubber([secret]).text(text), text
        assert QuickScrubber([secret]).data(text.encode()) == Scrubber([secret]).data(text.encode()), text


# -- the proxy's transport: its server (cassettes/proxy_server.py), its upstream client ------------

def test_the_upstream_client_keeps_one_connection_alive_for_sequential_requests(
    reference: EmbeddedServer,
) -> None:
    client = UpstreamClient(parse_url(reference.url("convoso")), timeout=10)

    async def three() -> list[BoundedReply]:
        try:
            return [await client.fetch("POST", "/sms-opt-out/search", content=b"auth_token=" + TOKEN.encode(),
                                       headers={"content-type": "application/x-www-form-urlencoded"})
                    for _ in range(3)]
        finally:
            await client.aclose()

    replies = asyncio.run(three())
    assert [(r.status, r.error, json.loads(r.content)["success"]) for r in replies] == [(200, None, True)] * 3
    assert client.connections_made == 1


def test_a_kept_connection_the_upstream_closed_is_replaced_and_the_request_answered() -> None:
    async def scenario() -> tuple[list[int | None], int, int]:
        accepted = 0

        async def answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal accepted
            accepted += 1
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
            writer.close()  # kept alive as far as the client knows, then closed

        server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = UpstreamClient(parse_url(f"http://127.0.0.1:{port}/v1"), timeout=5)
        statuses = []
        for _ in range(2):
            statuses.append((await client.fetch("GET", "/x")).status)
            await asyncio.sleep(0.05)
        await client.aclose()
        server.close()
        return statuses, client.connections_made, accepted

    statuses, made, accepted = asyncio.run(scenario())
    assert statuses == [200, 200]
    assert made == accepted == 2


def test_the_upstream_client_answers_an_error_not_an_exception_for_a_path_outside_the_base(
    reference: EmbeddedServer,
) -> None:
    client = UpstreamClient(parse_url(reference.url("convoso")), timeout=5)
    reply = asyncio.run(client.fetch("GET", "sms-opt-out/search"))
    assert reply.status is None and reply.error is not None and reply.error.startswith("invalid path")


def test_the_proxy_command_answers_request_headers_over_16_kib_with_400_and_keeps_serving() -> None:
    with proxy_command("--api", "convoso", "--upstream", "reference") as (url, _child, _):
        port = int(url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /v1/sms-opt-out/search HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * (20 * 1024)
                        + b"\r\ncontent-length: 0\r\n\r\n")
            answer = raw.recv(4096)
        with httpx.Client(timeout=10) as client:
            after = client.post(url + "/sms-opt-out/search", data={"auth_token": "reference-token"})
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert after.status_code == 200


def test_recording_after_the_reply_keeps_every_interaction_in_the_order_answered(
    reference: EmbeddedServer, tmp_path: Path,
) -> None:
    app = create_proxy_app("convoso", reference.url("convoso"), out=tmp_path, echo=lambda _: None,
                           record_after_reply=True)
    log = app.state.proxy_log
    limits = [str(n) for n in (5, 1001, 7, 1002, 9)]
    with EmbeddedServer(app) as proxy, httpx.Client(timeout=10) as client:
        replies = [client.post(proxy.url("convoso") + "/sms-opt-out/search",
                               data={"auth_token": TOKEN, "limit": limit}) for limit in limits]
        deadline = time.monotonic() + 10
        while log.interactions < len(limits) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [r.status_code for r in replies] == [200] * len(limits)
    recorded = load_cassette(tmp_path / CASSETTE_NAME)
    assert [parse_qs(item.request_body.decode())["limit"][0] for item in recorded] == limits
    assert [v["message"] for v in violations(tmp_path)] == [
        "limit: 1001 is greater than the maximum of 1000", "limit: 1002 is greater than the maximum of 1000"]
