"""``optout-conformance compare`` on real reports: the embedded reference in two profiles (both
faithful) and a faulty variant served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from optout_conformance.cli import cli
from optout_conformance.config import RawSettings, resolve_settings
from optout_conformance.faults.catalog import FAULTS, build_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.report.baseline import load_baseline
from optout_conformance.report.compare import build_matrix
from optout_conformance.report.json_report import write_json
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import run as execute

FAULT = "convoso-duplicate-insert-accepted"
FAILING = FAULTS[FAULT].detected_by[0]
CHECKS = (*FAULTS[FAULT].detected_by, "convoso.limits.limit_1000_is_accepted_and_filled",
          "convoso.errors.insert_with_an_unknown_campaign_gets_6006")


def write_report(path: Path, *, profile: str = "auto", fault: str | None = None,
                 checks: tuple[str, ...] = CHECKS) -> Path:
    limits = RunLimits(check_ids=checks)
    if fault is None:
        result = execute(resolve_settings(RawSettings(profile=profile), api="convoso", environ={}), limits)
    else:
        with EmbeddedServer(build_app(fault, ReferenceConfig())) as server:
            raw = RawSettings(targets=(server.url("convoso"),), token="reference-token", profile=profile)
            result = execute(resolve_settings(raw, api="convoso", environ={}), limits)
    return write_json(result, path)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    return {
        "community": write_report(folder / "community.json", profile="community"),
        "official": write_report(folder / "official.json", profile="official"),
        "faulty": write_report(folder / "faulty.json", fault=FAULT),
    }


def compare(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["compare", *args], env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_compare_of_three_reports_prints_the_matrix_with_each_targets_fingerprint(
    reports: dict[str, Path],
) -> None:
    code, out = compare(str(reports["community"]), str(reports["official"]), str(reports["faulty"]))
    assert code == 0
    assert "[1] reference (community)" in out and "[2] reference (official)" in out
    assert "[3] http://127.0.0.1:" in out
    row = next(line for line in out.splitlines() if line.strip().startswith(FAILING.split(".", 2)[2]))
    assert row.split()[1:] == ["pass", "pass", "FAIL"]
    # fingerprint: the community reference follows 000 on the default limit, the official one 001
    lines = out.splitlines()
    start = lines.index("    limit default")
    assert lines[start + 1].startswith("      [1] 000 (1000)")
    assert lines[start + 2].startswith("      [2] 001 (100)")


def test_markdown_suits_the_step_summary_and_is_appended_to_it(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    code, _ = compare(*map(str, reports.values()), "--markdown", str(summary),
                      env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    assert code == 0 and text.startswith("earlier step\n# optout-conformance comparison")
    assert "| family | check | reference (community) | reference (official) | http://127.0.0.1:" in text
    assert f"| errors | `{FAILING.split('.', 2)[2]}` | passed | passed | **failed** |" in text
    assert "| limit default | 000 (1000) | 001 (100) |" in text


def test_badges_are_shields_endpoint_json_per_target_and_api(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    code, out = compare(f"ref={reports['community']}", f"vendor={reports['faulty']}",
                        "--badges", str(tmp_path / "badges"))
    assert code == 0 and "badges written: 2" in out
    ref = json.loads((tmp_path / "badges" / "ref-convoso.json").read_text(encoding="utf-8"))
    vendor = json.loads((tmp_path / "badges" / "vendor-convoso.json").read_text(encoding="utf-8"))
    faulty = json.loads(reports["faulty"].read_text(encoding="utf-8"))["apis"][0]["counts"]
    assert ref == {"schemaVersion": 1, "label": "conformance", "message": f"{len(CHECKS)}/{len(CHECKS)}",
                   "color": "brightgreen"}
    assert vendor == {"schemaVersion": 1, "label": "conformance",
                      "message": f"{faulty['passed']}/{faulty['total'] - faulty['skipped']}", "color": "red"}


def test_a_baseline_shows_listed_failures_as_known(reports: dict[str, Path], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(f"version: 1\nknown_failures:\n  - check: {FAILING}\n    reason: upsert\n",
                        encoding="utf-8")
    matrix = build_matrix([str(reports["community"]), str(reports["faulty"])],
                          baseline=load_baseline(baseline))
    reference, faulty = matrix.columns
    assert faulty.cells[FAILING] == "known" and faulty.state == "gate passes"
    assert reference.cells[FAILING] == "stale" and reference.state == "failing"
    code, out = compare(str(reports["faulty"]), "--baseline", str(baseline),
                        "--html", str(tmp_path / "m.html"))
    row = next(line for line in out.splitlines() if line.strip().startswith(FAILING.split(".", 2)[2]))
    assert code == 0 and row.split()[1:] == ["known"]
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert '<td class="known">known</td>' in page and "<script" not in page


def test_a_check_one_report_did_not_run_shows_a_dash(reports: dict[str, Path], tmp_path: Path) -> None:
    fewer = write_report(tmp_path / "fewer.json", profile="community", checks=CHECKS[:1])
    matrix = build_matrix([str(reports["community"]), str(fewer)])
    _, out = compare(str(reports["community"]), str(fewer))
    assert set(matrix.columns[0].cells) - set(matrix.columns[1].cells)
    row = next(line for line in out.splitlines() if "limit_1000_is_accepted_and_filled" in line)
    assert row.split()[1:] == ["pass", "—"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "not a JSON object"),
        ('{"schema_version": "2.0", "apis": []}', "schema_version 2.0"),
        ('{"schema_version": "1.1", "apis": [{"api": "convoso"}]}', "no 'checks' list"),
        ('{"schema_version": "1.1", "apis": [{"api": "convoso", "checks": [{"id": "a", "status": "meh"}]}]}',
         "status 'meh'"),
    ],
)
def test_a_bad_report_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, out = compare(str(bad))
    assert code == 2 and out.startswith("error: ") and message in out
    assert out.strip().count("\n") == 0


def test_a_missing_report_exits_2_naming_it(tmp_path: Path) -> None:
    code, out = compare(str(tmp_path / "nope.json"))
    assert code == 2 and out.strip() == f"error: report not found: {tmp_path / 'nope.json'}"


def test_the_example_workflow_runs_a_job_per_target_and_merges_their_reports_with_compare() -> None:
    import yaml

    workflow = Path(__file__).resolve().parents[2] / "examples" / "github-actions" / "matrix.yml"
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    per_target = jobs["conformance"]
    assert len(per_target["strategy"]["matrix"]["include"]) >= 2
    runs = " ".join(step.get("run", "") for step in per_target["steps"])
    assert "optout-conformance run" in runs and "--report-json reports/${{ matrix.name }}.json" in runs
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in per_target["steps"])
    merge = jobs["compare"]
    assert merge["needs"] == "conformance" and merge["if"] == "always()"
    script = " ".join(step.get("run", "") for step in merge["steps"])
    assert 'optout-conformance compare "${args[@]}"' in script
    assert '--markdown "$GITHUB_STEP_SUMMARY"' in script and "--badges badges/" in script
