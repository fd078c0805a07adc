"""The validating proxy over real HTTP on 127.0.0.1, in front of the embedded reference server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import vcr

from optout_conformance.cassettes.interactions import load_cassette
from optout_conformance.cassettes.proxy import CASSETTE_NAME, VIOLATIONS_NAME, create_proxy_app
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
