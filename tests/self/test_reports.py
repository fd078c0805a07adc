"""The reports: JSON follows the shipped schema, JUnit parses, HTML is one self-contained file,
the terminal report fits 80 columns and shows failures, fingerprint and error-code coverage."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from optout_conformance.checks.coverage import error_code_coverage
from optout_conformance.core.context import Observation
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.results import ApiResult, CheckResult, FingerprintPoint, RunResult
from optout_conformance.report import html, json_report, junit, terminal

SECRET = "tok-123"


def exchange(body: dict[str, object], check_id: str | None, path: str = "/sms-opt-out/insert") -> Exchange:
    return Exchange(
        method="POST", url="http://127.0.0.1:8000/v1" + path, data={"auth_token": SECRET, "campaign_id": "9"},
        status=200, response_headers={"content-type": "application/json"}, text=json.dumps(body),
        check_id=check_id, secrets={SECRET: "$OPTOUT_CONFORMANCE_TOKEN"},
    )


@pytest.fixture
def run_result() -> RunResult:
    unknown_campaign = exchange({"success": False, "code": 6006, "error": "Invalid Campaign ID"},
                                "convoso.errors.insert_with_an_unknown_campaign_gets_6006")
    stray = exchange({"success": False, "code": 6008, "error": "The phone number already exists"}, None)
    failing = exchange({"success": True}, "convoso.limits.limit_1000_is_accepted_and_filled",
                       "/sms-opt-out/search")
    convoso = ApiResult(
        api="convoso", base_url="http://127.0.0.1:8000/v1", embedded=True, profile="auto",
        effective_profile="official", writes_allowed=True,
        checks=[
            CheckResult("convoso.errors.insert_with_an_unknown_campaign_gets_6006", "convoso", "errors",
                        "000_4120ae5ce1e52dc7.txt (Insert: 6006 Invalid Campaign ID)", "passed",
                        doc="An unknown campaign_id on insert answers code 6006."),
            CheckResult("convoso.limits.limit_1000_is_accepted_and_filled", "convoso", "limits",
                        "000_4120ae5ce1e52dc7.txt (limit: max 1000)", "failed",
                        rule="search with limit=1000 succeeds with min(total, 1000) records " * 2,
                        received="0 records of total 150", documented="150 records (limit max 1000)",
                        exchange=failing.to_dict()),
            CheckResult("convoso.state.writes", "convoso", "state", "000", "skipped",
                        rule="writes are not allowed on this target (pass --allow-writes)", writes=True),
            CheckResult("convoso.shapes.crashes", "convoso", "shapes", "000", "error",
                        rule="KeyError: 'records'"),
        ],
        fingerprint=[FingerprintPoint("convoso.search.limit-default", "limit default", 100,
                                      "001_5cae901d395a1be8.txt")],
        observations=[Observation("convoso.search.order", "id ascending", None, "convoso.pagination.x")],
        exchanges=[unknown_campaign, stray, failing],
        duration=1.5,
    )
    convoso.error_codes = error_code_coverage(convoso)  # as the run computes them
    return RunResult(apis=[convoso], started_at="2026-01-01T00:00:00+00:00", duration=1.6,
                     options={"profile": "auto"})


def test_json_report_validates_against_the_shipped_schema(run_result: RunResult, tmp_path: Path) -> None:
    path = json_report.write_json(run_result, tmp_path / "report.json")
    document = json.loads(path.read_text())
    json_report.validate(document)
    assert document["schema_version"] == json_report.SCHEMA_VERSION
    assert document["exit_code"] == 1
    assert document["totals"] == {
        "total": 4, "passed": 1, "failed": 1, "inconclusive": 0, "skipped": 1, "error": 1
    }


def test_json_report_never_contains_a_credential(run_result: RunResult) -> None:
    assert SECRET not in json_report.render_json(run_result)


def test_junit_report_has_one_testcase_per_check_with_classname_per_api(
    run_result: RunResult, tmp_path: Path
) -> None:
    root = ET.parse(junit.write_junit(run_result, tmp_path / "junit.xml")).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 4
    assert all(c.get("classname", "").startswith("optout_conformance.convoso.") for c in cases)
    assert len(root.findall(".//failure")) == 1
    assert len(root.findall(".//error")) == 1
    assert len(root.findall(".//skipped")) == 1
    assert root.get("failures") == "1"


def test_html_report_is_one_file_without_external_assets(run_result: RunResult, tmp_path: Path) -> None:
    page = html.write_html(run_result, tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page
    assert "limit default" in page
    assert SECRET not in page


def test_terminal_report_fits_80_columns_except_the_curl_line(run_result: RunResult) -> None:
    text = terminal.render(run_result)
    long_lines = [line for line in text.splitlines() if len(line) > 80]
    assert all(line.lstrip().startswith("curl ") for line in long_lines), long_lines


def test_terminal_report_shows_failure_fingerprint_and_error_code_coverage(run_result: RunResult) -> None:
    text = terminal.render(run_result)
    assert "FAILED convoso.limits.limit_1000_is_accepted_and_filled" in text
    assert "Received: 0 records of total 150" in text
    assert "$OPTOUT_CONFORMANCE_TOKEN" in text or "${OPTOUT_CONFORMANCE_TOKEN}" in text
    assert "limit default: 100 -> 001_5cae901d395a1be8.txt" in text
    assert "convoso.search.order" in text
    assert "Result: NOT conformant (exit 1)" in text
    assert "\x1b[" not in text


def test_terminal_report_is_coloured_only_when_asked(run_result: RunResult) -> None:
    assert "\x1b[" in terminal.render(run_result, colour=True)


def test_error_code_coverage_tells_triggered_from_seen_from_not_seen(run_result: RunResult) -> None:
    rows = {(row.operation, row.code): row.status for row in error_code_coverage(run_result.apis[0])}
    if not rows:
        pytest.skip("the Convoso spec has no x-error-codes yet")
    assert rows[("/sms-opt-out/insert", 6006)] == "triggered"
    assert rows[("/sms-opt-out/insert", 6008)] == "seen"
    assert rows[("/sms-opt-out/insert", 6080)] == "not seen"


# --- The inconclusive status in every report -------------------------------------------------------

INCONCLUSIVE_REASON = "no records matched the filter: nothing to judge it on"


@pytest.fixture
def inconclusive_result() -> RunResult:
    """Two passed checks, one inconclusive, one skipped; Avaamo, under auto resolved to mixed."""
    checks = [
        CheckResult("avaamo.pagination.a", "avaamo", "pagination", "003", "passed"),
        CheckResult("avaamo.pagination.b", "avaamo", "pagination", "003", "passed"),
        CheckResult("avaamo.filters.status", "avaamo", "filters", "003 (status filter)", "inconclusive",
                    rule=INCONCLUSIVE_REASON),
        CheckResult("avaamo.state.writes", "avaamo", "state", "003", "skipped",
                    rule="writes are not allowed on this target (pass --allow-writes)", writes=True),
    ]
    api = ApiResult(api="avaamo", base_url="http://127.0.0.1:8000/api/v2", embedded=False, profile="auto",
                    effective_profile="mixed", writes_allowed=False, checks=checks, duration=0.5)
    return RunResult(apis=[api], started_at="2026-01-01T00:00:00+00:00", duration=0.6)


def test_terminal_report_counts_inconclusive_apart_from_passed_and_lists_each_reason(
    inconclusive_result: RunResult,
) -> None:
    text = terminal.render(inconclusive_result)
    assert "2 passed, 1 inconclusive, 0 failed, 1 skipped, 0 errors (4 checks, 0.6 s)" in text
    assert "profile auto -> mixed; 4 checks: 2 passed, 1 inconclusive" in text
    assert "mixed: the target follows 000 on some disputed points and 001 on others" in " ".join(text.split())
    assert "Inconclusive (ran, but lacked the evidence its rule needs; not a pass):" in text
    assert f"avaamo.filters.status: {INCONCLUSIVE_REASON}" in text
    assert "Result: conformant, 1 inconclusive (exit 0)" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_terminal_report_under_strict_fails_on_inconclusive(inconclusive_result: RunResult) -> None:
    inconclusive_result.strict = True
    text = terminal.render(inconclusive_result)
    assert "Result: NOT conformant: 1 inconclusive under --strict (exit 1)" in text


def test_inconclusive_has_its_own_colour_and_progress_mark(inconclusive_result: RunResult) -> None:
    import click

    text = terminal.render(inconclusive_result, colour=True)
    assert click.style("Inconclusive", fg="cyan", bold=True) in text
    marks = {c.status: terminal.progress_mark(c) for c in inconclusive_result.checks}
    assert marks == {"passed": ".", "inconclusive": "i", "skipped": "s"}


def test_json_report_counts_inconclusive_and_accepts_a_mixed_profile(inconclusive_result: RunResult) -> None:
    document = json.loads(json_report.render_json(inconclusive_result))
    json_report.validate(document)
    assert document["totals"]["inconclusive"] == 1 and document["totals"]["passed"] == 2
    assert document["apis"][0]["effective_profile"] == "mixed"
    assert document["exit_code"] == 0
    inconclusive_result.strict = True
    assert json.loads(json_report.render_json(inconclusive_result))["exit_code"] == 1


def test_json_report_of_a_run_that_checked_nothing_has_exit_code_2(inconclusive_result: RunResult) -> None:
    only_skipped = [c for c in inconclusive_result.apis[0].checks if c.status == "skipped"]
    inconclusive_result.apis[0].checks = only_skipped
    document = json.loads(json_report.render_json(inconclusive_result))
    json_report.validate(document)
    assert document["exit_code"] == 2


def test_junit_reports_inconclusive_as_a_skip_starting_inconclusive_and_as_a_failure_under_strict(
    inconclusive_result: RunResult, tmp_path: Path,
) -> None:
    root = ET.parse(junit.write_junit(inconclusive_result, tmp_path / "junit.xml")).getroot()
    case = root.find("./testsuite/testcase[@name='avaamo.filters.status']")
    assert case is not None
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == f"inconclusive: {INCONCLUSIVE_REASON}"
    assert (root.get("skipped"), root.get("failures")) == ("2", "0")
    assert {p.get("name"): p.get("value") for p in root.iter("property")}["inconclusive"] == "1"

    inconclusive_result.strict = True
    root = ET.parse(junit.write_junit(inconclusive_result, tmp_path / "strict.xml")).getroot()
    failure = root.find("./testsuite/testcase[@name='avaamo.filters.status']/failure")
    assert failure is not None and failure.get("type") == "Inconclusive"
    assert (root.get("skipped"), root.get("failures")) == ("1", "1")


def test_html_report_shows_inconclusive_with_its_own_class_count_and_reason(
    inconclusive_result: RunResult,
) -> None:
    page = html.render_html(inconclusive_result)
    assert '<td class="s-inconclusive">1</td>' in page  # its own count in the summary
    assert '<span class="badge s-inconclusive">inconclusive</span><code>avaamo.filters.status</code>' in page
    assert f"<dt>missing evidence</dt><dd>{INCONCLUSIVE_REASON}</dd>" in page
    assert ".s-inconclusive{" in page
    assert "Conformant, 1 inconclusive (exit 0)" in page


def test_terminal_report_of_several_apis_ends_with_one_line_per_api(
    run_result: RunResult, inconclusive_result: RunResult
) -> None:
    both = RunResult(apis=run_result.apis + inconclusive_result.apis, duration=2.0)
    lines = terminal.render(both).splitlines()
    assert lines[-4].split() == ["convoso", "FAILED", "1/4", "passed,", "1", "failed,", "1", "skipped,",
                                 "1", "error", "(auto", "->", "official)"]
    assert lines[-3].split() == ["avaamo", "ok", "2/4", "passed,", "1", "inconclusive,", "1", "skipped",
                                 "(auto", "->", "mixed)"]
