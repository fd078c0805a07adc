"""The JUnit XML report (``--junitxml PATH``): one testcase per check, one testsuite per API.

CI systems read it as test results: ``classname`` is ``optout_conformance.<api>.<family>``, the
name is the check id; a failed check is a ``<failure>`` (message = the rule, text = Received /
Documented / source / curl), a crashed check an ``<error>``, a skipped one ``<skipped>``.

JUnit has no "inconclusive": such a check is a ``<skipped>`` testcase whose message starts with
"inconclusive: " (then the evidence it lacked), so CI never shows it as passed; the ``skipped``
attributes count it, and each testsuite's ``inconclusive`` property gives its own count. Under
``--strict`` an inconclusive check fails the run: it is a ``<failure type="Inconclusive">``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from optout_conformance.core.results import CheckResult, RunResult


def build_tree(run: RunResult) -> ET.ElementTree:
    root = ET.Element(
        "testsuites",
        name="optout-conformance",
        tests=str(len(run.checks)),
        failures=str(sum(_as_failure(c, run.strict) for c in run.checks)),
        errors=str(sum(c.status == "error" for c in run.checks)),
        skipped=str(sum(_as_skip(c, run.strict) for c in run.checks)),
        time=f"{run.duration:.3f}",
    )
    for api in run.apis:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=api.api,
            tests=str(len(api.checks)),
            failures=str(sum(_as_failure(c, run.strict) for c in api.checks)),
            errors=str(api.count("error")),
            skipped=str(sum(_as_skip(c, run.strict) for c in api.checks)),
            time=f"{api.duration:.3f}",
            timestamp=run.started_at,
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("base_url", api.base_url),
            ("embedded", str(api.embedded).lower()),
            ("profile", api.profile),
            ("effective_profile", api.effective_profile),
            ("inconclusive", str(api.count("inconclusive"))),
            ("strict", str(run.strict).lower()),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        for point in api.fingerprint:
            ET.SubElement(
                properties, "property", name=f"fingerprint.{point.discrepancy_id}",
                value=point.follows or "no document",
            )
        for result in api.checks:
            _testcase(suite, result, run.strict)
    ET.indent(root)
    return ET.ElementTree(root)


def _as_failure(result: CheckResult, strict: bool) -> bool:
    return result.status == "failed" or (result.status == "inconclusive" and strict)


def _as_skip(result: CheckResult, strict: bool) -> bool:
    return result.status == "skipped" or (result.status == "inconclusive" and not strict)


def _testcase(suite: ET.Element, result: CheckResult, strict: bool = False) -> None:
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
    elif result.status == "inconclusive":
        message = f"inconclusive: {result.rule}"
        if strict:
            ET.SubElement(case, "failure", message=message, type="Inconclusive").text = (
                f"{message}\n(--strict: an inconclusive check fails the run)\nSource: {result.source}"
            )
        else:
            ET.SubElement(case, "skipped", message=message)


def write_junit(run: RunResult, path: str | Path) -> Path:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    build_tree(run).write(file, encoding="utf-8", xml_declaration=True)
    return file
