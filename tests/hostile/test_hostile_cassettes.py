"""``record``, ``validate``, ``diff`` and ``proxy`` against hostile input: exit 1 or 2 (the proxy: a
5xx to its client and one terminal line), no traceback, no secret in any artefact or terminal line
(in any encoded form: raw, percent-encoded, JSON-escaped, base64), no request to another origin.

``record`` and ``proxy`` run as real subprocesses of the installed CLI against the loopback servers
of ``hostile_servers.py``; ``validate`` and ``diff`` read cassettes crafted to hold hostile replies
(deeply nested JSON, invalid JSON, HTML, a truncated gzip body, credentials echoed in every shape).
Wall time and peak memory are measured by ``benchmarks/bench_hostile.py``, not asserted here.
"""

from __future__ import annotations

import base64
import gzip
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

from optout_conformance.cassettes.scrub import Scrubber, audit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_cli import BASE_PATHS, CLI, HANG_GUARD, PASSWORD, SECRETS, TOKEN, UNANSWERED, assert_clean
from hostile_servers import BEHAVIOURS, NESTED_DEPTH, HostileServer

# Every encoded form the audit knows (raw, percent-encoded, JSON-escaped, base64 inside Basic).
LEAK = Scrubber(SECRETS)
# A written recording stays small whatever the target sends (each reply is cut at 2 MiB).
RECORDING_LIMIT_BYTES = 64 * 1024 * 1024


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        assert not LEAK.contains_secret(text), "a secret (in some encoded form) leaked"


def assert_no_secret_in_files(directory: Path) -> None:
    assert audit(directory, LEAK) == [], "a file holds a secret"


# record ------------------------------------------------------------------------------------------

# The two that take longest (every reply scrubbed at its 2 MiB cap, or 200 kB of brackets) are slow.
RECORDED = [pytest.param(b, marks=pytest.mark.slow) if b in ("huge", "nested") else b
            for b in sorted(BEHAVIOURS)]


@pytest.mark.parametrize("behaviour", RECORDED)
def test_record_against_a_hostile_target_exits_1_or_2_and_writes_bounded_scrubbed_cassettes(
        behaviour: str, tmp_path: Path) -> None:
    out = tmp_path / "recording"
    with HostileServer("recorder") as elsewhere, \
            HostileServer(behaviour, redirect_to=elsewhere.url) as server:
        done = subprocess.run(
            [CLI, "record", "--api", "convoso", "--target", server.url + BASE_PATHS["convoso"],
             "--timeout", "1", "--token", TOKEN, "--password", PASSWORD, "--out", str(out)],
            capture_output=True, text=True, timeout=HANG_GUARD,
        )
    output = done.stdout + done.stderr
    assert_clean(done.returncode, output)
    assert_no_secret(output)
    if behaviour in UNANSWERED:
        assert done.returncode == 2 and output.startswith("error: target unreachable"), output[:300]
        assert len(output.strip().splitlines()) <= 2  # the error line and its hint
    assert elsewhere.connections == 0 and elsewhere.received == []
    if out.exists():
        assert_no_secret_in_files(out)
        assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < RECORDING_LIMIT_BYTES


def test_record_against_a_target_echoing_credentials_keeps_them_out_of_the_cassettes(tmp_path: Path) -> None:
    out = tmp_path / "recording"
    with HostileServer("echo") as server:
        done = subprocess.run(
            [CLI, "record", "--api", "avaamo", "--target", server.url + BASE_PATHS["avaamo"],
             "--timeout", "1", "--token", TOKEN, "--out", str(out)],
            capture_output=True, text=True, timeout=HANG_GUARD,
        )
        echoed = [r for r in server.received if TOKEN in json.dumps(r.headers) + r.target]
    assert echoed, "the credential never reached the target, so nothing was echoed"
    assert_clean(done.returncode, done.stdout + done.stderr)
    assert_no_secret(done.stdout + done.stderr)
    assert list(out.glob("*.yaml"))
    assert_no_secret_in_files(out)


# validate and diff on crafted cassettes -----------------------------------------------------------

SEARCH = "http://127.0.0.1:9/v1/sms-opt-out/search"
NESTED = '{"success": true, "data": ' + "[" * NESTED_DEPTH + "]" * NESTED_DEPTH + "}"
BASIC = base64.b64encode(f"someone:{TOKEN}".encode()).decode()
PERCENT = "".join(f"%{byte:02X}" for byte in TOKEN.encode())
ESCAPED = "".join(f"\\u{ord(char):04x}" for char in TOKEN)


def interaction(body: str | bytes, *, uri: str = SEARCH, method: str = "POST",
                request_body: str | bytes = f"auth_token={TOKEN}&limit=10",
                request_headers: dict[str, str] | None = None, content_type: str = "application/json",
                response_headers: dict[str, str] | None = None, status: int = 200) -> dict[str, Any]:
    headers = {"content-type": "application/x-www-form-urlencoded", **(request_headers or {})}
    return {
        "request": {"method": method, "uri": uri, "body": request_body,
                    "headers": {k: [v] for k, v in headers.items()}},
        "response": {"status": {"code": status, "message": "OK"},
                     "headers": {k: [v] for k, v in {"content-type": content_type,
                                                     **(response_headers or {})}.items()},
                     "body": {"string": body}},
    }


def echoes() -> list[dict[str, Any]]:
    """A target echoing the credentials of each request in every shape a reply can hold them."""
    reply = json.dumps({"success": False, "code": 6001, "message": f"Invalid auth_token {TOKEN}",
                        "nested": {"deeper": [{"auth_token": TOKEN}]}, "percent": PERCENT,
                        "basic": f"Basic {BASIC}"})
    multipart = (f'--b0\r\nContent-Disposition: form-data; name="auth_token"\r\n\r\n{TOKEN}\r\n'
                 '--b0\r\nContent-Disposition: form-data; name="limit"\r\n\r\n10\r\n--b0--\r\n')
    return [
        interaction(reply),
        interaction(reply.replace(TOKEN, ESCAPED)),
        interaction(f"<html><body>token {TOKEN} rejected</body></html>", content_type="text/html"),
        interaction(json.dumps({"success": False, "message": f"bad {TOKEN}"}),
                    request_body=json.dumps({"auth": {"auth_token": TOKEN}}),
                    request_headers={"content-type": "application/json"}),
        interaction(json.dumps({"success": False, "echo": multipart}), request_body=multipart,
                    request_headers={"content-type": "multipart/form-data; boundary=b0"}),
        interaction(json.dumps({"success": False, "echo": f"Bearer {TOKEN}", "cookie": f"sid={TOKEN}"}),
                    request_body="limit=10",
                    request_headers={"authorization": f"Bearer {TOKEN}", "cookie": f"sid={TOKEN}"}),
        interaction(json.dumps({"error": f"unknown access-token {PASSWORD}"}), method="GET", request_body="",
                    uri=f"http://127.0.0.1:9/api/v2/sms/opt-status.json?access-token={quote(PASSWORD)}",
                    status=401),
    ]


HOSTILE_CASSETTES: dict[str, list[dict[str, Any]]] = {
    "nested": [interaction(NESTED)],
    "invalid-json": [interaction('{"success": tru, "data": [')],
    "html": [interaction("<!doctype html><html><body><h1>Welcome</h1></body></html>",
                         content_type="text/html")],
    "truncated-gzip": [interaction(gzip.compress(json.dumps({"success": True, "records": []}).encode())[:20],
                                   response_headers={"content-encoding": "gzip"})],
    "echo": echoes(),
}
BENIGN = interaction(json.dumps({"success": True, "offset": 0, "limit": 10, "total": 0, "records": []}))


def write_cassette(path: Path, interactions: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str]:
    done = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=HANG_GUARD)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("kind", sorted(HOSTILE_CASSETTES))
def test_validate_of_a_cassette_holding_hostile_replies_exits_1_or_2_without_a_traceback_or_a_secret(
        kind: str, tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / f"{kind}.yaml", HOSTILE_CASSETTES[kind])
    code, output = cli("validate", str(cassette))
    assert_clean(code, output)
    assert_no_secret(output)


def test_validate_reports_json_nested_past_the_limit_as_a_violation_of_the_reply(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "nested.yaml", HOSTILE_CASSETTES["nested"])
    code, output = cli("validate", "--skip-requests", str(cassette))
    assert code == 1, output
    assert "nested 100001 levels deep" in output


@pytest.mark.parametrize("kind", sorted(HOSTILE_CASSETTES))
def test_diff_against_a_cassette_holding_hostile_replies_exits_1_or_2_without_a_traceback_or_a_secret(
        kind: str, tmp_path: Path) -> None:
    hostile = HOSTILE_CASSETTES[kind]
    old = write_cassette(tmp_path / "old" / "c.yaml", [BENIGN] * len(hostile))
    new = write_cassette(tmp_path / "new" / "c.yaml", hostile)
    for first, second in ((old, new), (new, old)):
        code, output = cli("diff", str(first.parent), str(second.parent))
        assert_clean(code, output)
        assert_no_secret(output)


# proxy -------------------------------------------------------------------------------------------

# Upstreams whose reply the proxy cannot pass on: the client gets a 502 or 504.
FAILING_UPSTREAMS = ("huge", "nested", "redirect", "reset", "silent", "trickle")


@contextmanager
def proxy_process(upstream: str, out: Path) -> Iterator[tuple[str, list[str]]]:
    """The installed ``proxy`` command on an ephemeral port; yields (its Convoso base URL, the
    terminal lines it printed, filled in when it has stopped)."""
    child = subprocess.Popen(
        [CLI, "proxy", "--api", "convoso", "--upstream", upstream, "--port", "0", "--out", str(out),
         "--timeout", "1", "--token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    try:
        assert child.stdout is not None
        banner = child.stdout.readline()
        lines.append(banner.rstrip("\n"))
        assert banner.startswith("proxy for convoso on http://127.0.0.1:"), banner
        yield banner.split(" on ", 1)[1].split(" ", 1)[0], lines
    finally:
        child.send_signal(signal.SIGINT)
        try:
            rest, _ = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            rest, _ = child.communicate()
        lines += rest.splitlines()


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_the_proxy_in_front_of_a_hostile_upstream_answers_without_a_traceback_or_a_leak(
        behaviour: str, tmp_path: Path) -> None:
    out = tmp_path / "proxy"
    with (HostileServer("recorder") as elsewhere,
          HostileServer(behaviour, redirect_to=elsewhere.url) as server,
          proxy_process(server.url + BASE_PATHS["convoso"], out) as (url, lines),
          httpx.Client(timeout=30) as client):
        reply = client.post(url + "/sms-opt-out/search", data={"auth_token": TOKEN, "limit": "10"})
    terminal = "\n".join(lines)
    assert "Traceback" not in terminal and "RecursionError" not in terminal, terminal[-3000:]
    assert lines[-1] == "proxy stopped", terminal  # Ctrl-C ends it quietly
    assert_no_secret(terminal)
    assert_no_secret_in_files(out)
    assert elsewhere.connections == 0
    if behaviour in FAILING_UPSTREAMS:
        assert reply.status_code in (502, 504), (reply.status_code, reply.text[:200])
        failures = [line for line in lines if "upstream" in line and "failed" in line]
        assert len(failures) == 1, terminal
        assert f"answered {reply.status_code}" in failures[0]
    else:
        assert reply.status_code == 200  # passed on as the upstream answered, and judged
        assert any(" response: " in line for line in lines[1:]), terminal  # the reply's finding


def test_a_request_body_over_1_mib_is_answered_413_and_never_forwarded_or_written(tmp_path: Path) -> None:
    out = tmp_path / "proxy"
    big = b"auth_token=" + TOKEN.encode() + b"&reason=" + b"x" * (2 * 1024 * 1024)
    with (HostileServer("recorder") as upstream,
          proxy_process(upstream.url + BASE_PATHS["convoso"], out) as (url, lines),
          httpx.Client(timeout=30) as client):
        declared = client.post(url + "/sms-opt-out/insert", content=big,
                               headers={"content-type": "application/x-www-form-urlencoded"})
        chunked = client.post(url + "/sms-opt-out/insert", content=iter([big[:600_000]] * 3),
                              headers={"content-type": "application/x-www-form-urlencoded"})
        received = upstream.received
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert received == []
    written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    assert written < 64 * 1024
    assert len([line for line in lines if "answered 413" in line]) == 2
    assert_no_secret("\n".join(lines))


@pytest.mark.parametrize("upstream", ["http://prod.example\\@127.0.0.1/v1", "http://[::1/v1",
                                      "http://user:pw@127.0.0.1/v1", "ftp://127.0.0.1/v1"])
def test_a_bad_upstream_url_is_one_line_and_exit_2(upstream: str) -> None:
    code, output = cli("proxy", "--api", "convoso", "--upstream", upstream, "--port", "0")
    assert code == 2
    assert output.startswith("error: invalid --upstream URL"), output
    assert "Traceback" not in output and len(output.strip().splitlines()) <= 2
