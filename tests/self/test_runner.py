"""The runner: target resolution, write safety, check outcomes, and robustness against hostile targets.

Hostile targets are tiny Starlette apps served over real HTTP on 127.0.0.1; the checks run
against them are the real catalog checks.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from optout_conformance.checks.registry import load_all
from optout_conformance.config import RawSettings, resolve_settings
from optout_conformance.core.checks import CHECKS, CheckSpec, check
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import TargetUnreachable
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.execute import RunLimits, make_context, run_check
from optout_conformance.runner.session import run, run_api
from optout_conformance.runner.targets import check_reachable, is_loopback

REAL_CHECK = "convoso.limits.limit_1000_is_accepted_and_filled"
CREDENTIALS = Credentials(token="t0ken", realm="r", password="p", sender_code="1")


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (ephemeral port) in a thread; yields the root URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical",
                            timeout_graceful_shutdown=1, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "test server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def app_answering(endpoint) -> Starlette:  # type: ignore[no-untyped-def]
    return Starlette(routes=[Route("/v1/{rest:path}", endpoint, methods=["GET", "POST"])])


async def html_page(request: Request) -> Response:
    return Response("<html><body>Maintenance</body></html>", media_type="text/html")


async def broken_json(request: Request) -> Response:
    return Response('{"success": tru', media_type="application/json")


async def ten_megabytes(request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * (1024 * 1024)

    return StreamingResponse(chunks(), media_type="application/json")


async def hanging(request: Request) -> Response:
    await asyncio.sleep(1)
    return JSONResponse({"success": True})


async def trickling(request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(12):
            yield b" "
            await asyncio.sleep(0.1)

    return StreamingResponse(chunks(), media_type="application/json")


async def reset_mid_body(request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"success": true, "records": ['
        raise ConnectionResetError("connection reset by the test server")

    return StreamingResponse(chunks(), media_type="application/json")


def run_real_check(base_url: str, *, timeout: float = 10.0) -> tuple[str, str, float]:
    spec = load_all()[REAL_CHECK]
    target = Target(api="convoso", base_url=base_url + "/v1", loopback=True)
    # The check alone (no fingerprint probes), so the timing is the check's own.
    ctx = make_context(target, CREDENTIALS, "lenient", RunLimits(timeout=timeout))
    try:
        outcome = run_check(ctx, spec)
    finally:
        ctx.http.close()
    return outcome.status, f"{outcome.rule} {outcome.received}", outcome.duration


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        pytest.param(html_page, "json", id="html_instead_of_json"),
        pytest.param(broken_json, "json", id="invalid_json"),
        pytest.param(ten_megabytes, "larger than", id="ten_megabyte_body"),
        pytest.param(reset_mid_body, "", id="connection_reset_mid_body"),
    ],
)
def test_hostile_target_is_reported_as_a_violation_not_a_crash(endpoint, expected) -> None:  # type: ignore[no-untyped-def]
    with serve(app_answering(endpoint)) as url:
        status, detail, _ = run_real_check(url)
    assert status == "failed", detail
    assert expected.lower() in detail.lower()


def test_hanging_target_fails_after_the_per_request_timeout() -> None:
    with serve(app_answering(hanging)) as url:
        status, detail, elapsed = run_real_check(url, timeout=0.3)
    assert status == "failed", detail
    assert "timeout" in detail
    assert elapsed < 0.9


def test_a_body_trickling_past_the_timeout_is_cut_off() -> None:
    with serve(app_answering(trickling)) as url:
        status, detail, elapsed = run_real_check(url, timeout=0.5)
    assert status == "failed", detail
    assert "timeout" in detail
    assert elapsed < 1.2


def test_unreachable_target_is_reported_within_five_seconds() -> None:
    started = time.perf_counter()
    with pytest.raises(TargetUnreachable, match="connection refused"):
        check_reachable("http://127.0.0.1:9/v1")
    assert time.perf_counter() - started < 5


def test_any_http_status_counts_as_reachable() -> None:
    async def not_found(request: Request) -> Response:
        return PlainTextResponse("nope", status_code=404)

    with serve(app_answering(not_found)) as url:
        check_reachable(url + "/v1")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://127.8.9.10/v1", True),
        ("http://[::1]:8000/bin", True),
        ("http://localhost:8000/api/v2", True),
        ("https://api.convoso.com/v1", False),
        ("http://10.0.0.1/v1", False),
    ],
)
def test_loopback_detection_covers_127_slash_8_ipv6_and_localhost(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


@pytest.fixture
def registered_checks() -> Iterator[dict[str, CheckSpec]]:
    """Checks registered by a test, removed again afterwards (the catalog is process-wide)."""
    load_all()
    before = dict(CHECKS)
    yield CHECKS
    CHECKS.clear()
    CHECKS.update(before)


def _register_outcome_checks() -> list[CheckSpec]:
    @check(id="avaamo.robustness.test_passes", api="avaamo", family="robustness", source="test")
    def passes(ctx: RunContext) -> None:
        ctx.http.get("/sms/opt-status.json")

    @check(id="avaamo.robustness.test_fails", api="avaamo", family="robustness", source="test")
    def fails(ctx: RunContext) -> None:
        ex = ctx.http.get("/sms/opt-status.json")
        raise CheckFailed("a rule", received="this", documented="that", source="003", exchange=ex)

    @check(id="avaamo.robustness.test_skips", api="avaamo", family="robustness", source="test")
    def skips(ctx: RunContext) -> None:
        raise CheckSkipped("not applicable")

    @check(id="avaamo.robustness.test_crashes", api="avaamo", family="robustness", source="test")
    def crashes(ctx: RunContext) -> None:
        {}["missing"]

    @check(id="avaamo.robustness.test_writes", api="avaamo", family="robustness", source="test",
           writes=True)
    def writes(ctx: RunContext) -> None:
        ctx.observe("avaamo.test.point", "wrote", follows=None)

    names = ("test_passes", "test_fails", "test_skips", "test_crashes", "test_writes")
    return [CHECKS[f"avaamo.robustness.{n}"] for n in names]


async def avaamo_ok(request: Request) -> Response:
    return JSONResponse({"entries": []})


def test_each_outcome_becomes_its_status_and_a_crash_is_an_error_with_its_last_line(
    registered_checks: dict[str, CheckSpec],
) -> None:
    specs = _register_outcome_checks()
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok)])
    with serve(app) as url:
        target = Target(api="avaamo", base_url=url + "/api/v2", loopback=True)
        result = run_api(target, CREDENTIALS, "lenient", specs, RunLimits(workers=2))
    statuses = {c.id.rsplit(".", 1)[-1]: c for c in result.checks}
    assert statuses["test_passes"].status == "passed"
    assert statuses["test_fails"].status == "failed"
    assert statuses["test_fails"].exchange is not None
    assert "t0ken" not in str(statuses["test_fails"].exchange)
    assert statuses["test_skips"].status == "skipped"
    assert statuses["test_crashes"].status == "error"
    assert statuses["test_crashes"].rule.startswith("KeyError: 'missing' (at test_runner.py:")
    assert statuses["test_writes"].status == "passed"
    assert [o.check_id for o in result.observations if o.discrepancy_id == "avaamo.test.point"] == [
        "avaamo.robustness.test_writes"
    ]
    tagged = {ex.check_id for ex in result.exchanges}
    assert {"avaamo.robustness.test_passes", "avaamo.robustness.test_fails"} <= tagged


def test_write_checks_are_skipped_on_a_remote_target_without_allow_writes(
    registered_checks: dict[str, CheckSpec],
) -> None:
    writes = _register_outcome_checks()[-1]
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok)])
    with serve(app) as url:
        # Served on loopback, but flagged as a remote target: only the flag decides.
        remote = Target(api="avaamo", base_url=url + "/api/v2", loopback=False)
        refused = run_api(remote, CREDENTIALS, "lenient", [writes], RunLimits())
        allowed = run_api(remote, CREDENTIALS, "lenient", [writes], RunLimits(allow_writes=True))
    assert refused.checks[0].status == "skipped"
    assert "--allow-writes" in refused.checks[0].rule
    assert allowed.checks[0].status == "passed"


def test_a_run_against_a_loopback_url_uses_the_given_credentials(
    registered_checks: dict[str, CheckSpec],
) -> None:
    seen: list[str] = []

    async def record_token(request: Request) -> Response:
        seen.append(request.headers.get("access-token", ""))
        return JSONResponse({"entries": []})

    @check(id="avaamo.auth.test_sends_token", api="avaamo", family="auth", source="test")
    def sends_token(ctx: RunContext) -> None:
        ctx.http.get("/sms/opt-status.json", headers={"access-token": ctx.credentials.token or ""})

    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", record_token)])
    with serve(app) as url:
        settings = resolve_settings(
            RawSettings(targets=(url + "/api/v2",), token="secret-1"), api="avaamo", environ={}
        )
        result = run(settings, RunLimits(check_ids=("avaamo.auth.test_sends_token",)))
    assert result.exit_code == 0
    assert "secret-1" in seen
    assert result.apis[0].embedded is False


def test_curl_reproduction_expands_the_credential_variable_in_a_shell() -> None:
    import shlex
    import subprocess

    from optout_conformance.core.interaction import Exchange

    exchange = Exchange(
        method="POST", url="http://127.0.0.1:8000/v1/sms-opt-out/search",
        data={"auth_token": "tok-123", "reason": 'a"b$c'}, headers={"access-token": "tok-123"},
        secrets={"tok-123": "$OPTOUT_CONFORMANCE_TOKEN"},
    )
    command = exchange.curl()
    assert "tok-123" not in command
    # Print the words the shell would pass to curl, with the variable set.
    script = "OPTOUT_CONFORMANCE_TOKEN=XYZ; printf '%s\\n' " + command.removeprefix("curl ")
    words = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert words.splitlines() == shlex.split(command.replace("${OPTOUT_CONFORMANCE_TOKEN}", "XYZ"))[1:]
    assert "auth_token=XYZ" in words.splitlines()
    assert 'reason=a"b$c' in words.splitlines()


def test_official_run_starts_an_official_reference_and_the_fingerprint_names_001() -> None:
    from optout_conformance.report.json_report import report_document, validate

    settings = resolve_settings(RawSettings(profile="official"), api="convoso", environ={})
    result = run(settings, RunLimits(check_ids=(REAL_CHECK,)))
    (api,) = result.apis
    assert api.embedded and api.base_url.startswith("http://127.0.0.1:") and api.base_url.endswith("/v1")
    assert api.writes_allowed
    assert [c.status for c in api.checks] == ["passed"]
    limit_default = {p.discrepancy_id: p.follows for p in api.fingerprint}["convoso.search.limit-default"]
    assert limit_default == "001_5cae901d395a1be8.txt"
    validate(report_document(result))


def test_checks_that_write_never_run_alongside_another_check(
    registered_checks: dict[str, CheckSpec],
) -> None:
    running: list[str] = []
    overlaps: list[tuple[str, list[str]]] = []
    lock = threading.Lock()

    def tracked(name: str, writes: bool) -> CheckSpec:
        def function(ctx: RunContext) -> None:
            with lock:
                if (writes and running) or any(CHECKS[r].writes for r in running):
                    overlaps.append((name, list(running)))
                running.append(name)
            time.sleep(0.05)
            with lock:
                running.remove(name)

        check(id=name, api="avaamo", family="state", source="test", writes=writes)(function)
        return CHECKS[name]

    specs = [tracked(f"avaamo.state.test_{kind}_{i}", kind == "writes")
             for i in range(3) for kind in ("reads", "writes")]
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok)])
    with serve(app) as url:
        target = Target(api="avaamo", base_url=url + "/api/v2", loopback=True)
        result = run_api(target, CREDENTIALS, "lenient", specs, RunLimits(workers=4))
    assert overlaps == []
    assert [c.id for c in result.checks] == [s.id for s in specs]


def test_a_checks_note_reaches_the_terminal_and_json_reports(
    registered_checks: dict[str, CheckSpec],
) -> None:
    from optout_conformance.core.results import RunResult
    from optout_conformance.report import terminal
    from optout_conformance.report.json_report import api_document

    @check(id="avaamo.robustness.test_notes", api="avaamo", family="robustness", source="test")
    def leaves_a_note(ctx: RunContext) -> None:
        ctx.note("half of this check was not run")

    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok)])
    with serve(app) as url:
        target = Target(api="avaamo", base_url=url + "/api/v2", loopback=True)
        spec = CHECKS["avaamo.robustness.test_notes"]
        result = run_api(target, CREDENTIALS, "lenient", [spec], RunLimits())
    run_result = RunResult(apis=[result])
    assert "half of this check was not run" in api_document(result)["notes"]
    assert "note: half of this check was not run" in terminal.render(run_result)


# --- Fail closed: unknown checks, runs that checked nothing, fingerprint crashes ------------------


def test_an_unknown_check_id_is_refused_before_any_target_is_contacted() -> None:
    from optout_conformance.runner.execute import UnknownCheck

    settings = resolve_settings(RawSettings(targets=("http://127.0.0.1:9/v1",), token="test-token"),
                                api="convoso", environ={})
    # Port 9 refuses connections: reaching it would raise TargetUnreachable instead.
    with pytest.raises(UnknownCheck, match=r"unknown check id 'convoso.limits.limit_1000_is_acepted'"
                       r".*did you mean: convoso.limits.limit_1000_is_accepted_and_filled"):
        run(settings, RunLimits(check_ids=("convoso.limits.limit_1000_is_acepted",)))


def test_a_check_of_an_api_the_run_does_not_select_is_refused() -> None:
    from optout_conformance.runner.execute import UnknownCheck

    settings = resolve_settings(RawSettings(targets=("http://127.0.0.1:9/v1",), token="test-token"),
                                api="convoso", environ={})
    avaamo_check = next(c.id for c in load_all().values() if c.api == "avaamo")
    refused = f"'{avaamo_check}' belongs to avaamo, but the run selects only convoso"
    with pytest.raises(UnknownCheck, match=refused):
        run(settings, RunLimits(check_ids=(avaamo_check,)))


@pytest.fixture
def crashing_probe() -> Iterator[list[str]]:
    """An Avaamo fingerprint probe that crashes after its request (a probe bug a target's reply
    triggers), added for the test; yields the paths it requested."""
    from optout_conformance.apis.avaamo import probes

    requested: list[str] = []

    def probe_that_crashes(ctx: RunContext) -> None:
        ex = ctx.http.get("/sms/opt-status.json")
        requested.append(ex.url)
        ex.json()["entries"][0]  # an empty list: IndexError, not a CheckFailed

    before = probes.PROBES
    probes.PROBES = (*before, probe_that_crashes)
    yield requested
    probes.PROBES = before


def test_a_crash_of_the_fingerprint_probes_is_an_error_that_fails_the_run(
    registered_checks: dict[str, CheckSpec], crashing_probe: list[str],
) -> None:
    from optout_conformance.core.results import RunResult

    passes = _register_outcome_checks()[0]
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok),
                            Route("/api/v2/sms/opt-status", avaamo_ok)])
    with serve(app) as url:
        target = Target(api="avaamo", base_url=url + "/api/v2", loopback=True)
        result = run_api(target, CREDENTIALS, "auto", [passes], RunLimits())
    assert crashing_probe, "the probe did not run"
    first, *rest = result.checks
    assert (first.id, first.status) == ("avaamo.fingerprint", "error")
    assert first.rule.startswith("fingerprint probes crashed: IndexError")
    assert [c.status for c in rest] == ["passed"]  # the checks still ran
    assert RunResult(apis=[result]).exit_code == 1


async def avaamo_empty(request: Request) -> Response:
    return JSONResponse({"entries": [], "page": 1, "per_page": 25, "total_entries": 0, "total_pages": 0})


def _register_inconclusive_check() -> CheckSpec:
    from optout_conformance.core.outcomes import CheckInconclusive

    @check(id="avaamo.robustness.test_inconclusive", api="avaamo", family="robustness", source="test")
    def inconclusive(ctx: RunContext) -> None:
        body = ctx.http.get("/sms/opt-status.json").json()
        if not body["entries"]:
            raise CheckInconclusive("no entries: nothing to judge the rule on")

    return CHECKS["avaamo.robustness.test_inconclusive"]


def test_an_inconclusive_check_passes_the_gate_only_without_strict(
    registered_checks: dict[str, CheckSpec],
) -> None:
    from optout_conformance.core.results import RunResult

    specs = [_register_outcome_checks()[0], _register_inconclusive_check()]
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_empty)])
    with serve(app) as url:
        target = Target(api="avaamo", base_url=url + "/api/v2", loopback=True)
        result = run_api(target, CREDENTIALS, "lenient", specs, RunLimits())
    assert [c.status for c in result.checks] == ["passed", "inconclusive"]
    assert result.checks[1].rule == "no entries: nothing to judge the rule on"
    assert result.counts["passed"] == 1 and result.counts["inconclusive"] == 1
    assert RunResult(apis=[result]).exit_code == 0
    assert RunResult(apis=[result], strict=True).exit_code == 1


def test_a_run_whose_every_check_was_skipped_exits_2(registered_checks: dict[str, CheckSpec]) -> None:
    skips = _register_outcome_checks()[2]
    app = Starlette(routes=[Route("/api/v2/sms/opt-status.json", avaamo_ok)])
    with serve(app) as url:
        settings = resolve_settings(RawSettings(targets=(url + "/api/v2",), token="test-token"), api="avaamo",
                                    environ={})
        result = run(settings, RunLimits(check_ids=(skips.id,)))
    assert [c.status for c in result.checks] == ["skipped"]
    assert result.executed == 0
    assert result.exit_code == 2


# --- Mixed fingerprint ----------------------------------------------------------------------------


async def convoso_mixed(request: Request) -> Response:
    """A Convoso search that follows 001 on the limit default (100 of 150 records without a
    limit) and 000 on paging field types (integers) and insert_date (date only)."""
    form = await request.form()
    limit = int(str(form.get("limit") or 100))
    records = [{"id": str(i), "phone_number": f"206555{i:04d}", "phone_code": "1", "campaign_id": "7",
                "campaign_name": "Sales", "reason": "", "purpose": "", "insert_date": "2026-01-02"}
               for i in range(min(limit, 150))]
    return JSONResponse({"success": True, "offset": 0, "limit": limit, "total": 150, "records": records})


def test_a_target_following_000_on_some_points_and_001_on_others_is_mixed() -> None:
    from optout_conformance.core.results import RunResult
    from optout_conformance.registry import expectation
    from optout_conformance.report import json_report, terminal
    from optout_conformance.specs import load_spec

    app = Starlette(routes=[Route("/v1/sms-opt-out/search", convoso_mixed, methods=["POST"])])
    with serve(app) as url:
        target = Target(api="convoso", base_url=url + "/v1", loopback=True)
        ctx = make_context(target, CREDENTIALS, "auto", RunLimits())
        try:
            from optout_conformance.runner.execute import probe_fingerprint

            assert probe_fingerprint(ctx) is None
        finally:
            ctx.http.close()
        result = run_api(target, CREDENTIALS, "auto", [], RunLimits())
    assert ctx.fingerprint["convoso.search.limit-default"] == "official"
    assert ctx.fingerprint["convoso.search.paging-field-types"] == "community"
    assert ctx.effective_profile == "mixed"
    # Each point is held to what the target showed on it; the spec allows either document.
    limit_default = "convoso.search.limit-default"
    assert ctx.expect(limit_default) == expectation(limit_default, "official")
    assert ctx.expect("convoso.search.paging-field-types") == expectation(
        "convoso.search.paging-field-types", "community")
    assert ctx.spec_profile == "lenient"
    assert ctx.spec() == load_spec("convoso", "lenient")
    assert result.effective_profile == "mixed"
    report = RunResult(apis=[result])
    assert "profile auto -> mixed;" in terminal.render(report)
    document = json_report.report_document(report)
    json_report.validate(document)
    assert document["apis"][0]["effective_profile"] == "mixed"


def test_one_documents_pins_make_auto_that_documents_profile_and_none_make_it_lenient() -> None:
    target = Target(api="convoso", base_url="http://127.0.0.1:9/v1", loopback=True)
    ctx = make_context(target, CREDENTIALS, "auto", RunLimits())
    assert ctx.effective_profile == "lenient"
    ctx.fingerprint.update(
        {"convoso.search.limit-default": "official", "convoso.search.offset-max": "official"})
    assert (ctx.effective_profile, ctx.spec_profile) == ("official", "official")
    ctx.fingerprint["convoso.search.offset-max"] = "community"
    assert (ctx.effective_profile, ctx.spec_profile) == ("mixed", "lenient")
    ctx.http.close()


# --- Enough data by default -----------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["community", "official"])
def test_the_embedded_server_fills_a_1000_record_page_and_per_page_100_avaamo_pages(profile: str) -> None:
    import httpx

    from optout_conformance.runner.targets import embedded_credentials, embedded_server

    credentials = embedded_credentials()
    with embedded_server(profile) as server, httpx.Client(timeout=10) as client:
        page = client.post(server.url("convoso") + "/sms-opt-out/search",
                           data={"auth_token": credentials.token, "limit": "1000"}).json()
        assert page["success"] is True
        assert len(page["records"]) == 1000 < int(page["total"])
        headers = {"access-token": credentials.token or ""}
        avaamo = server.url("avaamo") + "/sms/opt-status.json"
        for params in ({}, {"status": "opt-out"}, {"status": "opt-in"}):
            for page_number in (1, 2):
                body = client.get(avaamo, params={**params, "per_page": "100", "page": str(page_number)},
                                  headers=headers).json()
                assert len(body["entries"]) == 100, (params, page_number, body.get("total_entries"))


# --- The pytest integration (optout_conformance.pytest_plugin) -----------------------------------

CONFORMANCE_PLUGIN = '''
import os

from optout_conformance.checks import fingerprint as probes
from optout_conformance.core.checks import check
from optout_conformance.core.outcomes import CheckInconclusive
from optout_conformance.apis.avaamo import probes
from optout_conformance.core.checks import check
from optout_conformance.core.outcomes import CheckInconclusive


@check(id="avaamo.robustness.plugin_inconclusive", api="avaamo", family="robustness", source="test")
def inconclusive(ctx):
    raise CheckInconclusive("no entries to judge the rule on")


@check(id="avaamo.robustness.plugin_passes", api="avaamo", family="robustness", source="test")
def passes(ctx):
    ctx.http.get("/sms/opt-status.json")


def crash(ctx):
    raise KeyError("probe crashed")


if os.environ.get("OC_TEST_CRASH_PROBE"):
    probes.PROBES = (*probes.PROBES, crash)
'''


def run_conformance_suite(
    tmp_path: Path, *args: str, crash: bool = False
) -> subprocess.CompletedProcess[str]:
    """``pytest tests/conformance --api avaamo`` in a subprocess, against the embedded server, with
    a plugin that registers two test checks (and, with ``crash``, a crashing fingerprint probe)."""
    (tmp_path / "oc_conformance_plugin.py").write_text(CONFORMANCE_PLUGIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTOUT_CONFORMANCE_")}
    env["PYTHONPATH"] = str(tmp_path)
    if crash:
        env["OC_TEST_CRASH_PROBE"] = "1"
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/conformance", "-p", "oc_conformance_plugin",
         "-p", "no:randomly", "--api", "avaamo", "-q", "-rsf", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )


def test_under_pytest_an_inconclusive_check_is_a_skip_saying_so_and_fails_under_strict(
    tmp_path: Path,
) -> None:
    selected = ("-k", "plugin_inconclusive or plugin_passes")
    plain = run_conformance_suite(tmp_path, *selected)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "inconclusive: no entries to judge the rule on" in plain.stdout
    assert "1 passed, 1 skipped" in plain.stdout
    strict = run_conformance_suite(tmp_path, *selected, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "1 failed, 1 passed" in strict.stdout
    assert "inconclusive: no entries to judge the rule on" in strict.stdout


def test_under_pytest_a_crash_of_the_fingerprint_probes_fails_the_apis_tests(tmp_path: Path) -> None:
    result = run_conformance_suite(tmp_path, "-k", "plugin_passes", crash=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ERROR avaamo.fingerprint: fingerprint probes crashed: KeyError: 'probe crashed'" in result.stdout
