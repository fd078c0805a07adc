"""The pytest plugin (``optout_conformance.pytest_plugin``, entry point ``pytest11``): the suite runs
under pytest from a directory outside this repository, with ``-k``, ``-n`` and ``--junitxml``.

Each test runs pytest in a subprocess whose working directory is a temporary directory (no
conftest.py or pyproject of this repository applies there), against the embedded reference server
or a faulty variant served on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from optout_conformance.checks.registry import checks_for
from optout_conformance.faults.catalog import build_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.targets import embedded_credentials

REPOSITORY = Path(__file__).resolve().parents[2]
FAULT = "convoso-limit-above-max-served"
NAMED_CHECK = "convoso.limits.limit_above_1000_never_serves_more_than_1000_records"


def run_pytest(
    directory: Path, *args: str, extra_path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest --pyargs optout_conformance ARGS`` in ``directory``, outside the repository."""
    assert REPOSITORY not in directory.resolve().parents, "the run must happen outside the repository"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPTOUT_CONFORMANCE_", "PYTEST_", "HYPOTHESIS_"))}
    env.pop("PYTHONPATH", None)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "optout_conformance", "-p", "no:randomly",
         "-p", "no:cacheprovider", "-rsf", *args],
        cwd=directory, env=env, capture_output=True, text=True, timeout=300,
    )


def junit_cases(path: Path) -> dict[str, ET.Element]:
    """check id -> its <testcase> element (the id is the parametrization's bracket)."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        cases[name[name.index("[") + 1 : -1]] = case
    return cases


def test_the_suite_runs_from_outside_the_repository_with_k_xdist_and_junitxml(tmp_path: Path) -> None:
    limits_checks = [c.id for c in checks_for("convoso") if c.family == "limits"]
    assert len(limits_checks) >= 3
    xml_path = tmp_path / "junit.xml"
    result = run_pytest(tmp_path, "--api", "convoso", "-k", "limits", "-n", "2",
                        f"--junitxml={xml_path}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "created: 2/2 workers" in output
    assert f"{len(limits_checks)} passed" in output
    cases = junit_cases(xml_path)
    assert sorted(cases) == sorted(limits_checks)  # one item per check, its id the check id
    assert all(len(case) == 0 for case in cases.values())  # no <failure>, <skipped> or <error>


def test_a_check_failing_on_a_faulty_target_fails_its_item_with_the_rule_and_the_curl(tmp_path: Path) -> None:
    """The fault's named check fails against it; the other selected check still passes."""
    config = ReferenceConfig(seed_records=1200)
    with EmbeddedServer(build_app(FAULT, config, apis=["convoso"]), host="127.0.0.1", port=0) as server:
        xml_path = tmp_path / "junit.xml"
        result = run_pytest(
            tmp_path, "--api", "convoso", "--target", server.url("convoso"),
            "--token", embedded_credentials().token or "",
            "-k", "limit_above_1000 or offset_zero_and", f"--junitxml={xml_path}",
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed, 1 passed" in output
    cases = junit_cases(xml_path)
    assert set(cases) == {NAMED_CHECK, "convoso.limits.offset_zero_and_the_documented_maximum_are_accepted"}
    failure = cases[NAMED_CHECK].find("failure")
    assert failure is not None
    assert "Received:" in (failure.get("message") or "") + (failure.text or "")
    assert failure.text is not None and "Reproduce: curl" in failure.text


INCONCLUSIVE_PLUGIN = '''
from optout_conformance.core.checks import check
from optout_conformance.core.outcomes import CheckInconclusive


@check(id="avaamo.robustness.plugin_inconclusive", api="avaamo", family="robustness", source="test")
def inconclusive(ctx):
    ctx.http.get("/sms/opt-status.json")
    raise CheckInconclusive("no entries to judge the rule on")
'''


def test_an_inconclusive_check_is_reported_as_a_skip_with_its_reason(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "oc_inconclusive_plugin.py").write_text(INCONCLUSIVE_PLUGIN)
    xml_path = tmp_path / "junit.xml"
    result = run_pytest(tmp_path, "-p", "oc_inconclusive_plugin", "--api", "avaamo",
                        "-k", "plugin_inconclusive", f"--junitxml={xml_path}", extra_path=plugins)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 skipped" in output
    assert "inconclusive: no entries to judge the rule on" in output
    skipped = junit_cases(xml_path)["avaamo.robustness.plugin_inconclusive"].find("skipped")
    assert skipped is not None
    assert "inconclusive: no entries to judge the rule on" in (skipped.get("message") or "")


def test_a_bad_api_option_ends_the_session_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "--api", "nosuchapi")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nosuchapi" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
