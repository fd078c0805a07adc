"""The command line: exit codes, messages for bad options and unreachable targets, option precedence."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.checks.registry import load_all
from optout_conformance.cli import cli
from optout_conformance.config import RawSettings, resolve_settings
from optout_conformance.core.checks import CHECKS, CheckSpec, check
from optout_conformance.core.errors import BadChoice, ConfigError, UsageError
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.runner.context import RunContext

CLOSED_PORT_URL = "http://127.0.0.1:9/v1"


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (ephemeral port) in a thread; yields the root URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical",
                                           lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def folded(text: str) -> str:
    """The text with every run of whitespace as one space (the terminal report wraps at 80)."""
    return " ".join(text.split())


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Run the CLI in-process with every OPTOUT_CONFORMANCE_* variable unset except ``env``."""
    names = ("TARGET", "TOKEN", "REALM", "PASSWORD", "SENDER_CODE", "PROFILE", "CONFIG")
    clean: dict[str, str | None] = {f"OPTOUT_CONFORMANCE_{name}": None for name in names}
    return CliRunner().invoke(cli, list(args), env={**clean, **(env or {})})


@pytest.mark.parametrize(
    ("args", "value", "choice"),
    [
        (["run", "--api", "convosoo"], "'convosoo'", "whatcounts"),
        (["run", "--profile", "strict"], "'strict'", "lenient"),
        (["discrepancies", "--format", "yaml"], "'yaml'", "markdown"),
    ],
)
def test_a_bad_option_value_names_the_value_and_the_choices_and_exits_2(
    args: list[str], value: str, choice: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert value in result.output
    assert choice in result.output
    assert "Traceback" not in result.output


def test_an_unknown_option_is_a_click_usage_error_with_exit_2() -> None:
    result = invoke("run", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_an_unreachable_target_is_one_line_with_exit_2_within_five_seconds() -> None:
    started = time.perf_counter()
    result = invoke("run", "--api", "convoso", "--target", CLOSED_PORT_URL, "--token", "t0ken-lg")
    assert time.perf_counter() - started < 5
    assert result.exit_code == 2
    first, *rest = result.output.strip().splitlines()
    assert first == f"error: target unreachable: {CLOSED_PORT_URL} (connection refused)"
    assert all(line.startswith("hint:") for line in rest)


def test_a_remote_target_without_its_credentials_is_a_usage_error() -> None:
    result = invoke("run", "--api", "whatcounts", "--target", "http://127.0.0.1:9/bin", "--realm", "r")
    assert result.exit_code == 2
    assert "needs a password" in result.output


def test_run_help_shows_examples_and_the_precedence() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "command line > environment" in result.output


@pytest.fixture
def avaamo_checks() -> Iterator[dict[str, CheckSpec]]:
    """Two test checks (one passing, one failing), removed from the catalog afterwards."""
    load_all()
    before = dict(CHECKS)

    @check(id="avaamo.robustness.cli_test_passes", api="avaamo", family="robustness", source="test")
    def passes(ctx: RunContext) -> None:
        ctx.http.get("/sms/opt-status.json", headers={"access-token": ctx.credentials.token or ""})

    @check(id="avaamo.robustness.cli_test_fails", api="avaamo", family="robustness", source="003 test")
    def fails(ctx: RunContext) -> None:
        ex = ctx.http.get("/sms/opt-status.json", headers={"access-token": ctx.credentials.token or ""})
        raise CheckFailed("entries is a list", received="{}", documented="[]", source="003", exchange=ex)

    yield CHECKS
    CHECKS.clear()
    CHECKS.update(before)


@pytest.fixture
def avaamo_url() -> Iterator[str]:
    async def opt_status(request: Request) -> Response:
        return JSONResponse({"entries": []})

    with serve(Starlette(routes=[Route("/api/v2/sms/opt-status.json", opt_status)])) as url:
        yield url + "/api/v2"


def test_run_exits_0_when_every_check_passes(avaamo_checks: object, avaamo_url: str) -> None:
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url,
                    "--check", "avaamo.robustness.cli_test_passes",
                    env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-tk"})
    assert result.exit_code == 0, result.output
    assert "Result: conformant (exit 0)" in result.output


def test_run_exits_1_on_a_failure_and_shows_rule_and_curl_without_the_secret(
    avaamo_checks: object, avaamo_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "out" / "report.json"
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url, "--check",
                    "avaamo.robustness.cli_test_fails", "--report-json", str(report),
                    "--junitxml", str(tmp_path / "junit.xml"), "--html", str(tmp_path / "r.html"),
                    env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    assert result.exit_code == 1, result.output
    assert "FAILED avaamo.robustness.cli_test_fails" in result.output
    assert "curl" in result.output
    assert "OPTOUT_CONFORMANCE_TOKEN" in result.output
    assert "s3cr3t" not in result.output
    assert json.loads(report.read_text())["exit_code"] == 1
    assert (tmp_path / "junit.xml").is_file() and (tmp_path / "r.html").is_file()


def test_command_line_beats_environment_beats_config_file(tmp_path: Path) -> None:
    config = tmp_path / "conformance.toml"
    config.write_text(
        '[targets]\nconvoso = "http://127.0.0.1:1/v1"\n'
        '[credentials]\ntoken = "from-file"\nrealm = "file-realm"\n[run]\nprofile = "official"\n'
    )
    environ = {"OPTOUT_CONFORMANCE_CONFIG": str(config), "OPTOUT_CONFORMANCE_TOKEN": "from-env"}
    from_env = resolve_settings(RawSettings(), environ=environ)
    assert from_env.credentials.token == "from-env"
    assert from_env.credentials.realm == "file-realm"
    assert from_env.profile == "official"
    assert from_env.apis == ("convoso",)
    from_cli = resolve_settings(RawSettings(token="from-cli", profile="lenient",
                                            targets=("http://127.0.0.2:2/v1",)), api="convoso",
                                environ=environ)
    assert from_cli.credentials.token == "from-cli"
    assert from_cli.profile == "lenient"
    assert from_cli.targets == {"convoso": "http://127.0.0.2:2/v1"}


def test_no_target_anywhere_means_the_embedded_server_for_all_three_apis() -> None:
    settings = resolve_settings(RawSettings(), environ={})
    assert settings.embedded
    assert settings.apis == ("convoso", "whatcounts", "avaamo")
    assert settings.profile == "auto"


def test_several_targets_select_the_apis_they_name() -> None:
    settings = resolve_settings(
        RawSettings(targets=("avaamo=http://127.0.0.1:8000/api/v2", "convoso=http://127.0.0.1:8000/v1"),
                    token="t0ken-long"),
        environ={},
    )
    assert settings.apis == ("convoso", "avaamo")


def test_a_host_root_with_all_apis_gets_each_base_path() -> None:
    settings = resolve_settings(
        RawSettings(targets=("http://127.0.0.1:8000",), token="t0ken-long", realm="r", password="passw0rd",
                    sender_code="1"),
        environ={},
    )
    assert settings.targets == {
        "convoso": "http://127.0.0.1:8000/v1",
        "whatcounts": "http://127.0.0.1:8000/bin",
        "avaamo": "http://127.0.0.1:8000/api/v2",
    }


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (RawSettings(targets=("http://127.0.0.1:8000/v1",)), UsageError),
        (RawSettings(targets=("sms=http://127.0.0.1:8000/v1",)), BadChoice),
        (RawSettings(targets=("ftp://host/v1",)), UsageError),
        (RawSettings(config="/nonexistent/conformance.toml"), ConfigError),
    ],
)
def test_ambiguous_or_malformed_targets_are_usage_errors(raw: RawSettings, error: type) -> None:
    with pytest.raises(error):
        resolve_settings(raw, environ={})


def test_a_host_root_with_one_api_gets_that_api_base_path() -> None:
    settings = resolve_settings(RawSettings(targets=("http://127.0.0.1:8000/",), realm="r",
                                            password="passw0rd", sender_code="1"),
                                api="whatcounts", environ={})
    assert settings.targets == {"whatcounts": "http://127.0.0.1:8000/bin"}


# --- Fail closed and the inconclusive status, through the real command line -----------------------


def test_an_unknown_check_id_exits_2_with_one_line_naming_close_matches(
    avaamo_checks: object, avaamo_url: str
) -> None:
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url,
                    "--check", "avaamo.robustness.cli_test_pases",
                    env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: unknown check id 'avaamo.robustness.cli_test_pases' "
                           "(did you mean: avaamo.robustness.cli_test_passes")


def test_a_check_id_like_no_other_exits_2_and_never_claims_conformance(avaamo_url: str) -> None:
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url, "--check", "no.such.check",
                    env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: unknown check id 'no.such.check' (no close match among ")
    assert "conformant" not in result.output


def test_a_check_of_an_api_not_selected_exits_2(avaamo_url: str) -> None:
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url,
                    "--check", "convoso.limits.limit_1000_is_accepted_and_filled",
                    env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    assert result.exit_code == 2, result.output
    assert "belongs to convoso, but the run selects only avaamo" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
def outcome_checks(avaamo_checks: dict[str, CheckSpec]) -> dict[str, CheckSpec]:
    """The passing and failing test checks, plus one inconclusive and one skipped."""
    from optout_conformance.core.outcomes import CheckInconclusive, CheckSkipped

    @check(id="avaamo.robustness.cli_test_inconclusive", api="avaamo", family="robustness", source="test")
    def inconclusive(ctx: RunContext) -> None:
        body = ctx.http.get("/sms/opt-status.json", headers={"access-token": ctx.credentials.token or ""})
        if not body.json()["entries"]:
            raise CheckInconclusive("no entries served: no record to judge the filter on")

    @check(id="avaamo.robustness.cli_test_skips", api="avaamo", family="robustness", source="test")
    def skips(ctx: RunContext) -> None:
        raise CheckSkipped("not applicable to this target")

    return avaamo_checks


def test_an_inconclusive_check_is_shown_apart_and_exits_0_without_strict_and_1_with_it(
    outcome_checks: object, avaamo_url: str, tmp_path: Path
) -> None:
    args = ["run", "--api", "avaamo", "--target", avaamo_url, "--check", "avaamo.robustness.cli_test_passes",
            "--check", "avaamo.robustness.cli_test_inconclusive"]
    env = {"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"}
    lenient = invoke(*args, "--report-json", str(tmp_path / "lenient.json"), env=env)
    assert lenient.exit_code == 0, lenient.output
    text = folded(lenient.output)
    assert "1 passed, 1 inconclusive, 0 failed, 0 skipped, 0 errors" in text
    assert "Result: conformant, 1 inconclusive (exit 0)" in text
    reason = "no entries served: no record to judge the filter on"
    assert f"avaamo.robustness.cli_test_inconclusive: {reason}" in text
    totals = json.loads((tmp_path / "lenient.json").read_text())["totals"]
    assert (totals["passed"], totals["inconclusive"]) == (1, 1)

    strict = invoke(*args, "--strict", "--report-json", str(tmp_path / "strict.json"),
                    "--junitxml", str(tmp_path / "strict.xml"), env=env)
    assert strict.exit_code == 1, strict.output
    assert "Result: NOT conformant: 1 inconclusive under --strict (exit 1)" in strict.output
    document = json.loads((tmp_path / "strict.json").read_text())
    assert (document["exit_code"], document["options"]["strict"]) == (1, True)
    assert 'type="Inconclusive"' in (tmp_path / "strict.xml").read_text()


def test_a_run_that_executed_no_check_exits_2_with_one_line_saying_so(
    outcome_checks: object, avaamo_url: str
) -> None:
    result = invoke("run", "--api", "avaamo", "--target", avaamo_url, "--check",
                    "avaamo.robustness.cli_test_skips", env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    assert result.exit_code == 2, result.output
    assert "error: no check ran: 1 selected, every one skipped (nothing was checked)" in result.output
    assert "Result: nothing checked (no check ran) (exit 2)" in result.output
    assert "conformant" not in result.output


def test_a_crash_of_the_fingerprint_probes_exits_1_with_an_error_never_a_quiet_lenient_run(
    avaamo_checks: object, avaamo_url: str
) -> None:
    from optout_conformance.apis.avaamo import probes

    def probe_that_crashes(ctx: RunContext) -> None:
        ctx.http.get("/sms/opt-status.json").json()["entries"][0]  # no entries: IndexError

    before = probes.PROBES
    probes.PROBES = (*before, probe_that_crashes)
    try:
        result = invoke("run", "--api", "avaamo", "--target", avaamo_url, "--profile", "auto", "--check",
                        "avaamo.robustness.cli_test_passes", env={"OPTOUT_CONFORMANCE_TOKEN": "s3cr3t-token"})
    finally:
        probes.PROBES = before
    assert result.exit_code == 1, result.output
    text = folded(result.output)
    assert "ERROR avaamo.fingerprint" in text
    assert ("harness error (a bug in the probes, not a verdict on the target): fingerprint probes crashed: "
            "IndexError" in text)
    assert "1 passed, 0 inconclusive, 0 failed, 0 skipped, 1 errors" in text


def test_a_run_deadline_that_passes_leaves_the_remaining_checks_inconclusive_and_strict_fails_them(
    tmp_path: Path,
) -> None:
    report = tmp_path / "r.json"
    # A deadline far shorter than any request: every request after it is refused unsent.
    args = ["run", "--api", "avaamo", "--deadline", "0.001", "--no-color"]
    relaxed = CliRunner().invoke(cli, [*args, "--report-json", str(report)])
    strict = CliRunner().invoke(cli, [*args, "--strict"])
    statuses = [c["status"] for c in json.loads(report.read_text())["apis"][0]["checks"]]
    assert "inconclusive" in statuses and "failed" not in statuses
    assert relaxed.exit_code == 0 and "inconclusive" in relaxed.output
    assert strict.exit_code == 1


def test_a_config_files_deadline_must_be_a_positive_number(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[run]\ndeadline = "soon"\n')
    result = CliRunner().invoke(cli, ["run", "--api", "avaamo", "--config", str(config)])
    assert result.exit_code == 2 and "deadline" in result.output
