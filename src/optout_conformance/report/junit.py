"""The JUnit XML report (``--junitxml PATH``): one testcase per check, one testsuite per API.

CI systems read it as test results: ``classname`` is ``optout_conformance.<api>.<family>``, the
name is the check id; a failed check is a ``<failure>`` (message = the rule, text = Received /
Documented / source / curl), a crashed check an ``<error>``, a skipped one ``<skipped>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from optout_conformance.runner.results import CheckResult, RunResult


def build_tree(run: RunResult) -> ET.ElementTree:
    root = ET.Element(
        "testsuites",
        name="optout-conformance",
        tests=str(len(run.checks)),
        failures=str(sum(c.status == "failed" for c in run.checks)),
        errors=str(sum(c.status == "error" for c in run.checks)),
        skipped=str(sum(c.status == "skipped" for c in run.checks)),
        time=f"{run.duration:.3f}",
    )
    for api in run.apis:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=api.api,
            tests=str(len(api.checks)),
            failures=str(api.count("failed")),
            errors=str(api.count("error")),
            skipped=str(api.count("skipped")),
            time=f"{api.duration:.3f}",
            timestamp=run.started_at,
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("base_url", api.base_url),
            ("embedded", str(api.embedded).lower()),
            ("profile", api.profile),
            ("effective_profile", api.effective_profile),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        for point in api.fingerprint:
            ET.SubElement(
                properties, "property", name=f"fingerprint.{point.discrepancy_id}",
                value=point.follows or "no document",
            )
        for result in api.checks:
            _testcase(suite, result)
    ET.indent(root)
    return ET.ElementTree(root)


def _testcase(suite: ET.Element, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"optout_conformance.{result.api}.{result.family}",
        name=result.id,
        time=f"{result.duration:.3f}",
    )
    if result.status == "failed":
        element = ET.SubElement(case, "failure", message=result.rule, type="CheckFailed")
        lines = [
            result.rule,
            f"Received: {result.received}",
            f"Documented: {result.documented}",
            f"Source: {result.source}",
        ]
        if result.exchange:
            lines.append(f"Reproduce: {result.exchange.get('curl', '')}")
        element.text = "\n".join(lines)
    elif result.status == "error":
        ET.SubElement(case, "error", message=result.rule, type="HarnessError").text = result.rule
    elif result.status == "skipped":
        ET.SubElement(case, "skipped", message=result.rule)


def write_junit(run: RunResult, path: str | Path) -> Path:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    build_tree(run).write(file, encoding="utf-8", xml_declaration=True)
    return file
