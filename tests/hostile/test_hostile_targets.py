"""``optout-conformance run`` against hostile loopback servers: exit 1 or 2, one clean message, no
traceback, no request to any origin but the target's, no credential in the output or the report.

Each run is a real subprocess of the installed CLI with a small ``--timeout``; wall time and peak
memory are measured by ``benchmarks/bench_hostile.py``, not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_cli import BASE_PATHS, CLI, HANG_GUARD, PASSWORD, TOKEN, UNANSWERED, assert_clean
from hostile_servers import BEHAVIOURS, HostileServer


def run_against(server: HostileServer, api: str, tmp_path: Path, *extra: str,
                env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the suite on ``server`` as ``api``; (exit code, terminal output, JSON report text)."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [CLI, "run", "--api", api, "--target", server.url + BASE_PATHS[api], "--timeout", "1",
         "--token", TOKEN, "--password", PASSWORD, "--realm", "hostile-realm", "--sender-code", "hostile-sc",
         "--report-json", str(report), *extra],
        capture_output=True, text=True, timeout=HANG_GUARD, env=env,
    )
    return done.returncode, done.stdout + done.stderr, report.read_text() if report.exists() else ""


@pytest.mark.parametrize("behaviour", sorted(set(BEHAVIOURS) - set(UNANSWERED)))
def test_a_hostile_convoso_target_gets_exit_1_or_2_without_a_traceback_or_a_leak(
        behaviour: str, tmp_path: Path) -> None:
    with HostileServer("recorder") as elsewhere, \
            HostileServer(behaviour, redirect_to=elsewhere.url) as server:
        code, output, report = run_against(server, "convoso", tmp_path, "--fast")
    assert_clean(code, output, report)
    assert elsewhere.connections == 0


@pytest.mark.parametrize("api", ["avaamo", "whatcounts", "convoso"])
def test_a_redirect_to_another_origin_is_judged_and_never_followed_in_any_phase(
        api: str, tmp_path: Path) -> None:
    """The whole run (targeted checks, fingerprint probes, property phase, writes on loopback)."""
    with HostileServer("recorder") as elsewhere, \
            HostileServer("redirect", redirect_to=elsewhere.url) as server:
        code, output, report = run_against(server, api, tmp_path)
        assert server.received, "the target got no request at all"
    assert_clean(code, output, report)
    assert code == 1
    assert elsewhere.connections == 0 and elsewhere.received == []


@pytest.mark.parametrize("api", ["avaamo", "convoso", "whatcounts"])
def test_credentials_echoed_by_the_target_stay_out_of_the_output_and_the_report(
        api: str, tmp_path: Path) -> None:
    with HostileServer("echo") as server:
        code, output, report = run_against(server, api, tmp_path)
        sent = [r for r in server.received if TOKEN in json.dumps(r.headers) + r.target + r.body.decode()
                or PASSWORD in r.target + r.body.decode()]
    assert sent, "the credentials never reached the target, so nothing was echoed"
    assert_clean(code, output, report)


@pytest.mark.parametrize("behaviour", UNANSWERED)
def test_a_target_that_gives_no_complete_answer_is_unreachable_in_one_line(
        behaviour: str, tmp_path: Path) -> None:
    with HostileServer(behaviour) as server:
        code, output, report = run_against(server, "convoso", tmp_path)
    assert code == 2
    assert_clean(code, output, report)
    assert output.startswith("error: target unreachable")


@pytest.mark.parametrize("behaviour", ["huge", "nested"])
def test_an_unreadable_reply_in_the_property_phase_is_inconclusive_not_a_crash(
        behaviour: str, tmp_path: Path) -> None:
    with HostileServer(behaviour) as server:
        code, output, report = run_against(
            server, "convoso", tmp_path, "--check", "convoso.properties.generated_requests_follow_the_spec")
    # The one check run is inconclusive, which fails the gate only under --strict.
    assert_clean(code, output, report, codes=(0, 1))
    (check,) = json.loads(report)["apis"][0]["checks"]
    assert check["status"] == "inconclusive", check


def test_proxy_and_netrc_settings_of_the_environment_are_not_used(tmp_path: Path) -> None:
    """A proxy variable or a .netrc would send the requests, or credentials, somewhere else."""
    with HostileServer("recorder") as elsewhere, HostileServer("html") as server:
        host = server.url.split("//")[1].split(":")[0]
        (tmp_path / ".netrc").write_text(f"machine {host} login someone password netrc-secret-1\n")
        env = {**os.environ, "HOME": str(tmp_path), "NETRC": str(tmp_path / ".netrc"), "NO_PROXY": "",
               **{name: elsewhere.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
                                                   "all_proxy")}}
        code, output, report = run_against(server, "avaamo", tmp_path, env=env)
        sent = json.dumps([r.headers for r in server.received])
    assert_clean(code, output, report)
    assert elsewhere.connections == 0
    assert server.received and "authorization" not in sent
