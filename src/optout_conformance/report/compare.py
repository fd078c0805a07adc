"""``optout-conformance compare``: merge JSON reports into one comparison matrix.

Reports produced anywhere (several targets, CI jobs or machines; ``run --report-json``) are read
and merged: per API, rows are its checks grouped by family, columns are the targets (one column
per report that ran the API), cells are the check's verdict in that report — passed / failed /
known / inconclusive / skipped / error (plus ``stale`` when a ``--baseline`` lists a check that
passes, and ``—`` when the report did not run the check). Below them, one row per disputed point
of the fingerprint says which document each target follows.

A column is named by the report's target: its base URL, or ``reference (<profile>)`` for the
embedded server; ``LABEL=PATH`` names it explicitly. Outputs: a terminal table, Markdown (fits
``$GITHUB_STEP_SUMMARY``), one self-contained HTML page, and a shields.io endpoint JSON per
target and API (``{"schemaVersion": 1, "label": "conformance", "message": "62/65", ...}``).

Compare is informational: it exits 0 whatever the cells say (each run's own exit code is the
gate); an unreadable or malformed report, or a bad baseline, exits 2 with one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from optout_conformance.core.errors import UsageError
from optout_conformance.report.baseline import Baseline, apply_baseline

STATUSES = ("passed", "failed", "inconclusive", "skipped", "error")
CELL_ORDER = ("failed", "error", "stale", "known", "inconclusive", "skipped", "passed")
MISSING = "—"
TERMINAL_CELLS = {"passed": "pass", "failed": "FAIL", "error": "ERROR", "known": "known",
                  "stale": "STALE", "inconclusive": "inconcl.", "skipped": "skip"}
BADGE_COLOURS = {"conformant": "brightgreen", "gate passes": "yellow", "failing": "red"}


class ReportError(UsageError):
    """A report given to compare that cannot be read or is not a run report (exit 2)."""


@dataclass
class Column:
    """One target of one API, as one report saw it."""

    label: str
    report: str
    api: str
    base_url: str
    embedded: bool
    profile: str
    effective_profile: str
    cells: dict[str, str] = field(default_factory=dict)  # check id -> verdict
    families: dict[str, str] = field(default_factory=dict)  # check id -> family
    fingerprint: dict[str, dict[str, Any]] = field(default_factory=dict)  # discrepancy id -> point

    def count(self, verdict: str) -> int:
        return sum(1 for v in self.cells.values() if v == verdict)

    @property
    def applicable(self) -> int:
        """Checks that ran to a verdict on this target (skipped ones are not counted)."""
        return len(self.cells) - self.count("skipped")

    @property
    def score(self) -> str:
        return f"{self.count('passed')}/{self.applicable}"

    @property
    def state(self) -> str:
        if any(self.count(v) for v in ("failed", "error", "stale")):
            return "failing"
        return "conformant" if self.count("passed") == self.applicable else "gate passes"

    def badge(self) -> dict[str, Any]:
        return {"schemaVersion": 1, "label": "conformance", "message": self.score,
                "color": BADGE_COLOURS[self.state]}


@dataclass
class Matrix:
    columns: list[Column] = field(default_factory=list)

    @property
    def apis(self) -> list[str]:
        return list(dict.fromkeys(c.api for c in self.columns))

    def columns_of(self, api: str) -> list[Column]:
        return [c for c in self.columns if c.api == api]

    def rows(self, api: str) -> list[tuple[str, list[str]]]:
        """(family, check ids in first-seen order) for one API, families in first-seen order."""
        families: dict[str, list[str]] = {}
        for column in self.columns_of(api):
            for check_id, family in column.families.items():
                ids = families.setdefault(family, [])
                if check_id not in ids:
                    ids.append(check_id)
        return list(families.items())

    def points(self, api: str) -> list[tuple[str, str]]:
        """(discrepancy id, subject) of every disputed point any target of the API showed."""
        seen: dict[str, str] = {}
        for column in self.columns_of(api):
            for point_id, point in column.fingerprint.items():
                seen.setdefault(point_id, str(point.get("subject") or point_id))
        return list(seen.items())


# ---------------------------------------------------------------------------------------- reading


def read_report(path: str | Path) -> dict[str, Any]:
    """One JSON run report; ReportError (exit 2, one line) when it is unreadable or not a report."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"report not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read report {file}: {exc.__class__.__name__}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"report {file} is not JSON (line {exc.lineno}: {exc.msg})") from None
    problem = _report_problem(document)
    if problem:
        raise ReportError(f"{file} is not an optout-conformance JSON report: {problem}")
    return document


def _report_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "not a JSON object"
    version = str(document.get("schema_version", ""))
    if not version.startswith("1."):
        return f"schema_version {version or 'missing'} (this tool reads 1.x)"
    apis = document.get("apis")
    if not isinstance(apis, list):
        return "no 'apis' list"
    for index, api in enumerate(apis):
        if not isinstance(api, dict) or not isinstance(api.get("api"), str):
            return f"apis[{index}] has no 'api' name"
        checks = api.get("checks")
        if not isinstance(checks, list):
            return f"apis[{index}] has no 'checks' list"
        for number, check in enumerate(checks):
            if not isinstance(check, dict) or not isinstance(check.get("id"), str):
                return f"apis[{index}].checks[{number}] has no 'id'"
            if check.get("status") not in STATUSES:
                return f"apis[{index}].checks[{number}] has status {check.get('status')!r}"
    return None


def split_label(argument: str) -> tuple[str | None, str]:
    """``LABEL=PATH`` -> (LABEL, PATH); a plain path (or an existing file with '=') -> (None, it)."""
    label, sep, path = argument.partition("=")
    if sep and label and "/" not in label and not Path(argument).exists():
        return label, path
    return None, argument


def build_matrix(arguments: Sequence[str], baseline: Baseline | None = None) -> Matrix:
    """The matrix of the reports named by ``arguments`` (paths or LABEL=PATH)."""
    if not arguments:
        raise ReportError("no report given", hint="optout-conformance compare REPORT.json …")
    matrix = Matrix()
    for argument in arguments:
        label, path = split_label(argument)
        report = read_report(path)
        outcome = apply_baseline(report, baseline) if baseline is not None else None
        for api in report["apis"]:
            column = Column(
                label=label or _default_label(api), report=path, api=api["api"],
                base_url=str(api.get("base_url", "")), embedded=bool(api.get("embedded")),
                profile=str(api.get("profile", "")),
                effective_profile=str(api.get("effective_profile", "")),
            )
            for check in api["checks"]:
                verdict = check["status"]
                if outcome is not None:
                    found = outcome.verdict_of(api["api"], check["id"])
                    verdict = found.verdict if found else verdict
                column.cells[check["id"]] = verdict
                column.families[check["id"]] = str(check.get("family") or "other")
            for point in api.get("fingerprint") or []:
                if isinstance(point, dict) and "discrepancy_id" in point:
                    column.fingerprint[str(point["discrepancy_id"])] = point
            matrix.columns.append(column)
    _disambiguate(matrix.columns)
    return matrix


def _default_label(api: dict[str, Any]) -> str:
    if api.get("embedded"):
        return f"reference ({api.get('effective_profile') or api.get('profile')})"
    return str(api.get("base_url") or "target")


def _disambiguate(columns: list[Column]) -> None:
    """Columns of one API with the same label get their report's file name appended."""
    for column in columns:
        twins = [c for c in columns if c.api == column.api and c.label == column.label]
        if len(twins) > 1:
            for twin in twins:
                twin.label = f"{twin.label} [{Path(twin.report).name}]"
    for api in {c.api for c in columns}:  # same file name twice: number them
        seen: dict[str, int] = {}
        for column in (c for c in columns if c.api == api):
            seen[column.label] = seen.get(column.label, 0) + 1
            if seen[column.label] > 1:
                column.label = f"{column.label} #{seen[column.label]}"


# -------------------------------------------------------------------------------------- rendering


def follows_text(point: dict[str, Any] | None) -> str:
    """A fingerprint cell: the document followed (its number) and the observed value."""
    if point is None:
        return MISSING
    follows = point.get("follows")
    document = str(follows)[:3] if follows else "no document"
    observed = point.get("observed")
    shown = json.dumps(observed, ensure_ascii=False) if not isinstance(observed, str) else observed
    if len(shown) > 28:
        shown = shown[:27] + "…"
    return f"{document} ({shown})"


def rule_name(check_id: str) -> str:
    return check_id.split(".", 2)[-1]


def render_terminal(matrix: Matrix) -> str:
    lines: list[str] = []
    for api in matrix.apis:
        columns = matrix.columns_of(api)
        lines.append(f"== {api}: {len(columns)} target(s)")
        for index, column in enumerate(columns, 1):
            lines.append(f"  [{index}] {column.label}  ({column.report}; profile {column.profile}"
                         f" -> {column.effective_profile}): {column.score} passed, {column.state}")
        width = max(9, *(len(str(i)) + 2 for i in range(len(columns))))
        header = "  " + "check".ljust(60) + "".join(f"[{i}]".ljust(width) for i in range(1, len(columns) + 1))
        lines.append(header.rstrip())
        for family, ids in matrix.rows(api):
            lines.append(f"  {family}")
            for check_id in ids:
                name = rule_name(check_id)
                name = name if len(name) <= 56 else name[:55] + "…"
                cells = "".join(TERMINAL_CELLS.get(c.cells.get(check_id, ""), MISSING).ljust(width)
                                for c in columns)
                lines.append(f"    {name.ljust(58)}{cells}".rstrip())
        points = matrix.points(api)
        if points:
            lines.append("  fingerprint (document followed, observed value)")
            for point_id, subject in points:
                lines.append(f"    {subject}")
                for index, column in enumerate(columns, 1):
                    lines.append(f"      [{index}] {follows_text(column.fingerprint.get(point_id))}")
        lines.append("")
    lines.append("compare is informational (exit 0); each run's exit code is its gate.")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(matrix: Matrix) -> str:
    out = ["# optout-conformance comparison", ""]
    for api in matrix.apis:
        columns = matrix.columns_of(api)
        out += [f"## {api}", "", "| target | report | profile | passed | verdict |",
                "| --- | --- | --- | --- | --- |"]
        out += [f"| {_md(c.label)} | `{_md(c.report)}` | {c.profile} → {c.effective_profile} | "
                f"{c.score} | {c.state} |" for c in columns]
        out += ["", "| family | check | " + " | ".join(_md(c.label) for c in columns) + " |",
                "| --- | --- | " + " | ".join("---" for _ in columns) + " |"]
        for family, ids in matrix.rows(api):
            for check_id in ids:
                cells = " | ".join(_md_cell(c.cells.get(check_id)) for c in columns)
                out.append(f"| {family} | `{rule_name(check_id)}` | {cells} |")
        points = matrix.points(api)
        if points:
            out += ["", "Fingerprint: which document each target follows on each disputed point.", "",
                    "| disputed point | " + " | ".join(_md(c.label) for c in columns) + " |",
                    "| --- | " + " | ".join("---" for _ in columns) + " |"]
            for point_id, subject in points:
                cells = " | ".join(_md(follows_text(c.fingerprint.get(point_id))) for c in columns)
                out.append(f"| {_md(subject)} | {cells} |")
        out.append("")
    return "\n".join(out)


def _md_cell(verdict: str | None) -> str:
    if verdict is None:
        return MISSING
    return {"failed": "**failed**", "error": "**error**", "stale": "**fixed — stale entry**"}.get(
        verdict, verdict)


HTML_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.2em .5em;font-size:.9em;text-align:left;vertical-align:top}
th.family{background:#f0f0f0}
.passed{background:#e3f4e4}.failed,.error,.stale{background:#fbdada;font-weight:bold}
.known{background:#fff1c2}.inconclusive{background:#e6e6f7}.skipped{color:#777}
"""


def render_html(matrix: Matrix) -> str:
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             "<title>optout-conformance comparison</title>",
             f"<style>{HTML_STYLE}</style></head><body>",
             "<h1>optout-conformance comparison</h1>"]
    for api in matrix.apis:
        columns = matrix.columns_of(api)
        parts.append(f"<h2>{escape(api)}</h2><table><tr><th>check</th>"
                     + "".join(f"<th>{escape(c.label)}<br><small>{escape(c.score)} passed, "
                               f"{escape(c.state)}</small></th>" for c in columns) + "</tr>")
        for family, ids in matrix.rows(api):
            parts.append(f'<tr><th class="family" colspan="{len(columns) + 1}">{escape(family)}</th></tr>')
            for check_id in ids:
                cells = "".join(
                    f'<td class="{c.cells.get(check_id, "missing")}">'
                    f"{escape(_label(c.cells.get(check_id)))}</td>" for c in columns)
                parts.append(f"<tr><td><code>{escape(rule_name(check_id))}</code></td>{cells}</tr>")
        points = matrix.points(api)
        if points:
            parts.append(f'<tr><th class="family" colspan="{len(columns) + 1}">fingerprint '
                         "(document followed)</th></tr>")
            for point_id, subject in points:
                cells = "".join(f"<td>{escape(follows_text(c.fingerprint.get(point_id)))}</td>"
                                for c in columns)
                parts.append(f"<tr><td>{escape(subject)}</td>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _label(verdict: str | None) -> str:
    if verdict is None:
        return MISSING
    return "fixed — stale entry" if verdict == "stale" else verdict


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "target"


def write_badges(matrix: Matrix, directory: str | Path) -> list[Path]:
    """One shields.io endpoint JSON per target and API: ``<target-slug>-<api>.json``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for column in matrix.columns:
        file = folder / f"{slug(column.label)}-{column.api}.json"
        file.write_text(json.dumps(column.badge()) + "\n", encoding="utf-8")
        written.append(file)
    return written


def write_text(path: str | Path, text: str, *, append: bool = False) -> Path:
    """Write (or append, for $GITHUB_STEP_SUMMARY) ``text``; OSError -> exit 2, one line."""
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror or exc.__class__.__name__}") from None
    return file
