"""Known-failure baselines and the coverage gate, on real runs: the embedded reference server and
a faulty variant from the catalog, both over real HTTP on 127.0.0.1."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from optout_conformance.cli import cli
from optout_conformance.config import RawSettings, resolve_settings
from optout_conformance.core.errors import EXIT_USAGE
from optout_conformance.core.results import RunResult
from optout_conformance.faults.catalog import FAULTS, build_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.report.baseline import (
    KNOWN,
    Baseline,
    BaselineEntry,
    BaselineError,
    apply_baseline,
    load_baseline,
    parse_baseline,
    updated_baseline,
    write_baseline,
)
from optout_conformance.report.coverage import coverage_gate
from optout_conformance.report.json_report import report_document
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import run as execute

FAULT = "convoso-duplicate-insert-accepted"


def convoso_run(fault: str | None = None, profile: str = "auto") -> RunResult:
    """Every Convoso check against the embedded reference, or against a served faulty variant."""
    if fault is None:
        settings = resolve_settings(RawSettings(profile=profile), api="convoso", environ={})
        return execute(settings, RunLimits())
    app = build_app(fault, ReferenceConfig())
    with EmbeddedServer(app) as server:
        raw = RawSettings(targets=(server.url("convoso"),), token="reference-token", profile=profile)
        return execute(resolve_settings(raw, api="convoso", environ={}), RunLimits())


@pytest.fixture(scope="module")
def reference_run() -> RunResult:
    return convoso_run()


@pytest.fixture(scope="module")
def faulty_run() -> RunResult:
    return convoso_run(FAULT)


def failing_ids(run: RunResult) -> set[str]:
    return {c.id for c in run.checks if c.status in ("failed", "error")}


def test_the_faulty_server_fails_the_checks_the_catalog_names(faulty_run: RunResult) -> None:
    assert set(FAULTS[FAULT].detected_by) <= failing_ids(faulty_run)
    assert faulty_run.exit_code == 1


def test_a_faulty_run_with_a_baseline_listing_its_failures_passes_the_gate(
    faulty_run: RunResult, tmp_path: Path
) -> None:
    path = write_baseline(faulty_run, tmp_path / "baseline.yaml")
    outcome = apply_baseline(faulty_run, load_baseline(path))
    assert outcome.exit_code == 0
    assert {v.check_id for v in outcome.known} == failing_ids(faulty_run)
    assert not outcome.stale and not outcome.new_failures
    lines = outcome.lines()
    assert any(line.startswith("known: convoso.errors.duplicate_insert_gets_6008") for line in lines)


def test_the_same_baseline_against_a_conforming_server_fails_naming_the_stale_entries(
    faulty_run: RunResult, reference_run: RunResult, tmp_path: Path
) -> None:
    baseline = load_baseline(write_baseline(faulty_run, tmp_path / "baseline.yaml"))
    outcome = apply_baseline(reference_run, baseline)
    assert reference_run.exit_code == 0
    assert outcome.exit_code == 1
    assert {v.check_id for v in outcome.stale} == failing_ids(faulty_run)
    assert all(v.label == "fixed — stale entry" for v in outcome.stale)
    text = "\n".join(outcome.lines())
    for check_id in failing_ids(faulty_run):
        assert f"fixed — stale entry: {check_id} passes now" in text


def test_an_unlisted_failure_fails_the_gate(faulty_run: RunResult) -> None:
    outcome = apply_baseline(faulty_run, Baseline())
    assert outcome.exit_code == 1
    assert {v.check_id for v in outcome.new_failures} == failing_ids(faulty_run)


def test_the_json_report_dict_gets_the_same_verdicts_as_the_run_result(faulty_run: RunResult) -> None:
    baseline = updated_baseline(faulty_run)
    from_object = apply_baseline(faulty_run, baseline).to_dict()
    from_dict = apply_baseline(report_document(faulty_run), baseline).to_dict()
    assert from_object == from_dict


def test_an_entry_scoped_to_another_target_or_profile_does_not_excuse_a_failure(
    faulty_run: RunResult,
) -> None:
    api = faulty_run.apis[0]
    check_id = "convoso.errors.duplicate_insert_gets_6008"
    other_target = BaselineEntry(check=check_id, reason="r", target="https://elsewhere.example.test/v1")
    this_target = BaselineEntry(check=check_id, reason="r", target=api.base_url + "/")
    other_profile = BaselineEntry(check=check_id, reason="r", profile="official")
    embedded_only = BaselineEntry(check=check_id, reason="r", target="embedded")
    verdict = lambda entry: apply_baseline(faulty_run, Baseline((entry,))).verdict_of("convoso", check_id)  # noqa: E731
    assert verdict(other_target).verdict == "failed"
    assert verdict(this_target).verdict == KNOWN
    assert verdict(other_profile).verdict == "failed"
    assert verdict(embedded_only).verdict == "failed"  # the faulty server is a URL target


def test_update_baseline_keeps_written_reasons_drops_fixed_entries_and_keeps_entries_not_run(
    faulty_run: RunResult, tmp_path: Path
) -> None:
    old = Baseline((
        BaselineEntry(check="convoso.errors.duplicate_insert_gets_6008", reason="upsert; PLAT-7",
                      link="https://tracker.example.test/PLAT-7"),
        BaselineEntry(check="convoso.limits.limit_1000_is_accepted_and_filled", reason="was broken"),
        BaselineEntry(check="avaamo.auth.no_entries_without_a_valid_access_token", reason="other API"),
    ))
    path = write_baseline(faulty_run, tmp_path / "b.yaml", keep_reasons_from=old)
    written = load_baseline(path)
    by_check = {e.check: e for e in written.entries}
    assert by_check["convoso.errors.duplicate_insert_gets_6008"].reason == "upsert; PLAT-7"
    assert by_check["convoso.errors.duplicate_insert_gets_6008"].link == "https://tracker.example.test/PLAT-7"
    assert "convoso.limits.limit_1000_is_accepted_and_filled" not in by_check  # passes now: dropped
    assert "avaamo.auth.no_entries_without_a_valid_access_token" in by_check  # did not run: kept
    new = by_check["convoso.state.duplicate_insert_leaves_a_single_record"]
    assert new.reason.startswith("new failure: ")
    assert path.read_text(encoding="utf-8").startswith("# optout-conformance known-failure baseline")


def test_strict_fails_an_unlisted_inconclusive_check_and_a_listed_one_is_known(
    reference_run: RunResult,
) -> None:
    report = copy.deepcopy(report_document(reference_run))
    check = report["apis"][0]["checks"][0]
    check["status"] = "inconclusive"
    assert apply_baseline(report, Baseline()).exit_code == 0
    assert apply_baseline(report, Baseline(), strict=True).exit_code == 1
    listed = Baseline((BaselineEntry(check=check["id"], reason="no data"),))
    outcome = apply_baseline(report, listed, strict=True)
    assert outcome.exit_code == 0
    assert outcome.verdict_of("convoso", check["id"]).verdict == KNOWN  # type: ignore[union-attr]


def test_an_entry_for_a_check_the_run_did_not_have_is_reported_unused(reference_run: RunResult) -> None:
    entry = BaselineEntry(check="avaamo.auth.no_entries_without_a_valid_access_token", reason="x")
    outcome = apply_baseline(reference_run, Baseline((entry,)))
    assert outcome.unused == [entry] and outcome.exit_code == 0
    assert any(line.startswith("unused entry") for line in outcome.lines())


BAD_BASELINES: list[tuple[str, str]] = [
    ("version: 1\nknown_failures:\n  - check: convoso.errors.duplicate_insert_gets_6008\n", "reason"),
    ("version: 2\nknown_failures: []\n", "version"),
    ("version: 1\nknown_failures:\n  - {check: convoso.x.y, reason: r, colour: red}\n", "colour"),
    ("version: 1\nknown_failures:\n  - {check: 'not an id', reason: r}\n", "not an id"),
    ("version: 1\nknown_failures: [\n", "not valid YAML"),
    ("- just a list\n", "top level"),
]


@pytest.mark.parametrize(("text", "named"), BAD_BASELINES)
def test_a_bad_baseline_file_is_a_usage_error_on_one_line(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    assert caught.value.exit_code == EXIT_USAGE
    assert named in caught.value.message and "\n" not in caught.value.render()


def test_a_missing_baseline_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="baseline not found"):
        load_baseline(tmp_path / "nope.yaml")


def test_compare_with_a_bad_baseline_exits_2_with_one_line_and_no_traceback(
    faulty_run: RunResult, tmp_path: Path
) -> None:
    report = tmp_path / "r.json"
    report.write_text(__import__("json").dumps(report_document(faulty_run)), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nknown_failures: {}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["compare", str(report), "--baseline", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and result.output.startswith("error: invalid baseline")
    assert "Traceback" not in result.output


def test_the_written_baseline_follows_the_shipped_schema(faulty_run: RunResult, tmp_path: Path) -> None:
    written = write_baseline(faulty_run, tmp_path / "b.yaml")
    document: Any = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert parse_baseline(document).entries  # validates against baseline.schema.json


# ------------------------------------------------------------------------------- the coverage gate

def test_the_coverage_gate_passes_on_the_embedded_reference(reference_run: RunResult) -> None:
    ok, lines = coverage_gate(reference_run.apis[0])
    assert ok, lines


def test_the_coverage_gate_lists_excused_codes_with_the_registry_entry(reference_run: RunResult) -> None:
    _, lines = coverage_gate(reference_run.apis[0])
    assert any("excused (no documented cause, convoso.search.error-codes-without-cause)" in line
               and "/sms-opt-out/search 6008" in line for line in lines)
    assert not any("not triggered nor seen: /sms-opt-out/insert 6008" in line for line in lines)


def test_the_coverage_gate_fails_on_a_server_that_never_sends_6008_on_insert(
    faulty_run: RunResult, reference_run: RunResult
) -> None:
    ok, lines = coverage_gate(faulty_run.apis[0])
    assert not ok
    missing = "convoso: not triggered nor seen: /sms-opt-out/insert 6008 The phone number already exists"
    assert missing in lines
    assert lines[-1].startswith("convoso: coverage gate fails")
    # the JSON report's dict gives the same verdict as the ApiResult
    assert coverage_gate(report_document(faulty_run)["apis"][0]) == (ok, lines)


def test_the_coverage_gate_passes_an_api_without_numeric_codes() -> None:
    ok, lines = coverage_gate({"api": "avaamo", "error_codes": []})
    assert ok and lines == ["avaamo: coverage gate passes (no documented numeric error codes)"]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "github-actions" / "baselines"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_baseline_loads_and_names_registered_checks(path: Path) -> None:
    from optout_conformance.checks.registry import load_all

    checks = load_all()
    baseline = load_baseline(path)
    assert baseline.entries
    assert all(entry.check in checks for entry in baseline.entries)


def test_the_run_gate_combines_the_baseline_and_the_coverage_gate(faulty_run: RunResult) -> None:
    from optout_conformance.report.baseline import gate

    assert gate(faulty_run).exit_code == 1  # no baseline: the run's own exit code
    listed = updated_baseline(faulty_run)
    assert gate(faulty_run, baseline=listed).exit_code == 0
    covered = gate(faulty_run, baseline=listed, require_coverage=True)
    assert covered.exit_code == 1  # insert 6008 never answered
    assert any("not triggered nor seen: /sms-opt-out/insert 6008" in line for line in covered.lines)
    assert covered.baseline is not None and covered.baseline.known


# ------------------------------------------------------------------ run --baseline / --update-baseline
def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, ["run", "--api", "convoso", "--no-color", *args])


def test_run_update_baseline_then_baseline_turns_a_faulty_targets_failures_into_known_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "known.yaml"
    with EmbeddedServer(build_app(FAULT, ReferenceConfig())) as server:
        target = ["--target", server.url("convoso"), "--token", "reference-token"]
        written = run_cli(*target, "--update-baseline", str(path))
        listed = {entry["check"] for entry in yaml.safe_load(path.read_text())["known_failures"]}
        again = run_cli(*target, "--baseline", str(path))
    assert written.exit_code == 0, written.output
    assert set(FAULTS[FAULT].detected_by) <= listed
    assert again.exit_code == 0, again.output
    assert "0 new failures" in again.output


def test_run_with_a_baseline_against_a_conforming_server_exits_1_naming_the_stale_entries(
    tmp_path: Path,
) -> None:
    path = tmp_path / "known.yaml"
    check = FAULTS[FAULT].detected_by[0]
    path.write_text(f"version: 1\nknown_failures:\n  - {{check: {check}, reason: tracked}}\n")
    result = run_cli("--check", check, "--baseline", str(path))
    assert result.exit_code == 1, result.output
    assert "stale" in result.output and check in result.output


def test_run_with_a_bad_baseline_exits_2_before_any_check_runs(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nknown_failures: {}\n")
    result = run_cli("--baseline", str(path))
    assert result.exit_code == 2
    assert "Result:" not in result.output and "invalid baseline" in result.output


def test_run_require_coverage_lists_documented_codes_nobody_provoked() -> None:
    result = run_cli("--check", "convoso.errors.duplicate_insert_gets_6008", "--require-coverage")
    assert result.exit_code == 1, result.output
    assert "not triggered nor seen" in result.output and "coverage gate fails" in result.output
