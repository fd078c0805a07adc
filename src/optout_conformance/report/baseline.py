"""Known-failure baselines: adopt the suite as a CI gate on a target that already has faults.

A baseline file lists the checks that fail today (YAML; JSON is valid YAML too)::

    version: 1
    known_failures:
      - check: convoso.limits.limit_above_the_maximum_is_clamped_or_rejected   # required
        reason: "our gateway passes limit through; PLAT-123"                   # required
        api: convoso            # optional: only this API (default: the check id's)
        target: https://staging.example.test/v1   # optional: only this base URL ("embedded" = the
                                                  # embedded reference server); default any target
        profile: official       # optional: only when the run's profile or the applied one is this
        link: https://tracker.example.test/PLAT-123                            # optional

Its JSON Schema ships beside this module (``baseline.schema.json``). :func:`apply_baseline`
gives every check of a run one verdict:

===================  ============================================  ===============
report status        listed in the baseline                        gate
===================  ============================================  ===============
failed / error       yes -> ``known``                              passes
failed / error       no  -> ``failed`` / ``error``                 fails
passed               yes -> ``stale`` ("fixed — stale entry")      fails
passed               no  -> ``passed``                             passes
inconclusive         either -> ``inconclusive``                    passes (fails with strict=True
                                                                   unless listed: then ``known``)
skipped              either -> ``skipped``                         passes
===================  ============================================  ===============

so a baseline can only shrink truthfully, like pytest's ``xfail_strict``. Entries that match no
check of the run (a check not selected, another API) are reported as *unused* and change
nothing. The functions work on the JSON report's dict (``json_report.report_document``, schema
``report.schema.json``); a ``RunResult`` passed in is converted with ``report_document``, so a report
written anywhere and a run in progress are handled alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from optout_conformance.core.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from optout_conformance.core.results import RunResult
from optout_conformance.report.coverage import coverage_gate
from optout_conformance.report.json_report import report_document

SCHEMA_FILE = Path(__file__).with_name("baseline.schema.json")
FORMAT_VERSION = 1
EMBEDDED = "embedded"

KNOWN, STALE = "known", "stale"
# Every verdict a check can get, in report order, with the words a person reads.
VERDICT_LABELS = {
    "failed": "failed",
    "error": "error",
    STALE: "fixed — stale entry",
    KNOWN: "known",
    "inconclusive": "inconclusive",
    "skipped": "skipped",
    "passed": "passed",
}
FAILING_STATUSES = ("failed", "error")


class BaselineError(UsageError):
    """A baseline file that is missing, unreadable or does not follow the schema (exit 2)."""


@dataclass(frozen=True)
class BaselineEntry:
    """One known failure."""

    check: str
    reason: str
    api: str | None = None
    target: str | None = None
    profile: str | None = None
    link: str | None = None

    @property
    def check_api(self) -> str:
        return self.api or self.check.split(".", 1)[0]

    def matches(self, api: Mapping[str, Any], check_id: str) -> bool:
        """Does this entry cover ``check_id`` in the report's API section ``api``?"""
        if check_id != self.check or api.get("api") != self.check_api:
            return False
        if self.target is not None:
            if self.target == EMBEDDED:
                if not api.get("embedded"):
                    return False
            elif _norm_url(self.target) != _norm_url(str(api.get("base_url", ""))):
                return False
        return self.profile is None or self.profile in (api.get("profile"), api.get("effective_profile"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check}
        for key in ("api", "target", "profile"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["reason"] = self.reason
        if self.link is not None:
            out["link"] = self.link
        return out

    def describe(self) -> str:
        scope = [f"{k}={getattr(self, k)}" for k in ("api", "target", "profile") if getattr(self, k)]
        return self.check + (f" ({', '.join(scope)})" if scope else "")


@dataclass(frozen=True)
class Baseline:
    entries: tuple[BaselineEntry, ...] = ()
    path: str | None = None

    def find(self, api: Mapping[str, Any], check_id: str) -> BaselineEntry | None:
        return next((e for e in self.entries if e.matches(api, check_id)), None)


@dataclass(frozen=True)
class Verdict:
    """What the gate makes of one check of the run."""

    api: str
    check_id: str
    family: str
    status: str  # the report's status
    verdict: str  # a key of VERDICT_LABELS
    entry: BaselineEntry | None = None
    fails_gate: bool = False

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


@dataclass
class BaselineOutcome:
    """Every check's verdict, the entries no check matched, and the gate's exit code."""

    verdicts: list[Verdict] = field(default_factory=list)
    unused: list[BaselineEntry] = field(default_factory=list)
    strict: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATIONS if any(v.fails_gate for v in self.verdicts) else EXIT_OK

    @property
    def stale(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict == STALE]

    @property
    def known(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict == KNOWN]

    @property
    def new_failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict in FAILING_STATUSES]

    def verdict_of(self, api: str, check_id: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.api == api and v.check_id == check_id), None)

    def counts(self, api: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(VERDICT_LABELS, 0)
        for v in self.verdicts:
            if api is None or v.api == api:
                counts[v.verdict] += 1
        return counts

    def lines(self) -> list[str]:
        """The gate's account for a terminal: one line per known, stale and new failure."""
        out = []
        for v in self.known:
            assert v.entry is not None
            link = f" [{v.entry.link}]" if v.entry.link else ""
            out.append(f"known: {v.check_id} ({v.entry.reason}){link}")
        for v in self.stale:
            out.append(f"fixed — stale entry: {v.check_id} passes now; remove it from the baseline")
        for v in self.new_failures:
            out.append(f"not in the baseline: {v.check_id} ({v.status})")
        if self.strict:
            out += [f"not in the baseline: {v.check_id} (inconclusive, --strict)"
                    for v in self.verdicts if v.verdict == "inconclusive" and v.fails_gate]
        for entry in self.unused:
            out.append(f"unused entry (no such check in this run): {entry.describe()}")
        verdict = "passes" if self.exit_code == EXIT_OK else "fails"
        out.append(
            f"baseline gate {verdict} (exit {self.exit_code}): {len(self.known)} known, "
            f"{len(self.stale)} stale, {len(self.new_failures)} new failures"
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "verdicts": [
                {"api": v.api, "check": v.check_id, "status": v.status, "verdict": v.verdict,
                 **({"reason": v.entry.reason} if v.entry else {}),
                 **({"link": v.entry.link} if v.entry and v.entry.link else {})}
                for v in self.verdicts
            ],
            "unused": [e.to_dict() for e in self.unused],
        }


@cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def parse_baseline(document: Any, source: str = "baseline") -> Baseline:
    """A Baseline from an already-parsed document; BaselineError (exit 2) when it is invalid."""
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "top level"
        raise BaselineError(
            f"invalid baseline {source}: {where}: {first.message} (format: docs/ci.md)"
        )
    entries = tuple(BaselineEntry(**item) for item in document["known_failures"])
    return Baseline(entries, source)


def load_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file; BaselineError (exit 2, one line) when it is bad."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {file}: {exc.__class__.__name__}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise BaselineError(f"baseline {file} is not valid YAML{where}") from None
    return parse_baseline(document, str(file))


def report_dict(run: Any) -> dict[str, Any]:
    """The JSON report's dict of a RunResult (or the dict itself)."""
    if isinstance(run, Mapping):
        return dict(run)
    if isinstance(run, RunResult):
        return report_document(run)
    raise TypeError(f"not a run result or JSON report: {type(run).__name__}")


def apply_baseline(run: Any, baseline: Baseline, *, strict: bool = False) -> BaselineOutcome:
    """Every check's verdict under ``baseline`` (see the module docstring's table).

    ``run`` is a RunResult or its JSON report dict. ``strict``: an inconclusive check fails the
    gate too unless the baseline lists it (then it is known).
    """
    report = report_dict(run)
    outcome = BaselineOutcome(strict=strict)
    used: set[BaselineEntry] = set()
    for api in report.get("apis", []):
        for check in api.get("checks", []):
            status = check.get("status")
            entry = baseline.find(api, check.get("id", ""))
            if entry is not None:
                used.add(entry)
            if status in FAILING_STATUSES:
                verdict = KNOWN if entry else status
            elif status == "passed":
                verdict = STALE if entry else "passed"
            elif status == "inconclusive" and strict and entry:
                verdict = KNOWN
            else:
                verdict = status if status in VERDICT_LABELS else "error"
            fails = verdict in ("failed", "error", STALE) or (strict and verdict == "inconclusive")
            outcome.verdicts.append(Verdict(api.get("api", ""), check.get("id", ""),
                                            check.get("family", ""), str(status), verdict, entry, fails))
    outcome.unused = [e for e in baseline.entries if e not in used]
    return outcome


def updated_baseline(run: Any, keep_reasons_from: Baseline | None = None) -> Baseline:
    """The baseline of ``run``: one entry per failed or errored check.

    An entry of ``keep_reasons_from`` that matches a still failing check is kept as it is
    (reason, link, scope); an entry whose check did not run is kept too (a partial run cannot
    tell it is stale); an entry whose check now passes (or was skipped/inconclusive) is dropped.
    A new failure's reason is the failure's rule, to be edited by a person.
    """
    report = report_dict(run)
    old = keep_reasons_from or Baseline()
    entries: list[BaselineEntry] = []
    ran: set[BaselineEntry] = set()
    for api in report.get("apis", []):
        for check in api.get("checks", []):
            entry = old.find(api, check.get("id", ""))
            if entry is not None:
                ran.add(entry)
            if check.get("status") not in FAILING_STATUSES:
                continue
            if entry is None:
                reason = (check.get("rule") or check.get("status") or "").strip().splitlines()
                entry = BaselineEntry(check=check["id"], api=api.get("api"),
                                      reason=f"new failure: {reason[0] if reason else check['status']}")
            if entry not in entries:
                entries.append(entry)
    entries += [e for e in old.entries if e not in ran and e not in entries]
    return Baseline(tuple(entries))


def render_baseline(baseline: Baseline) -> str:
    header = (
        "# optout-conformance known-failure baseline (format: docs/ci.md, schema:\n"
        "# optout_conformance/report/baseline.schema.json). A listed failure is reported as\n"
        "# known; a listed check that passes is a stale entry and fails the gate.\n"
    )
    document = {"version": FORMAT_VERSION, "known_failures": [e.to_dict() for e in baseline.entries]}
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def write_baseline(run: Any, path: str | Path, keep_reasons_from: Baseline | None = None) -> Path:
    """Write the baseline of ``run`` (see :func:`updated_baseline`) to ``path``; return the path."""
    baseline = updated_baseline(run, keep_reasons_from)
    parse_baseline(yaml.safe_load(render_baseline(baseline)), "being written")  # never write a bad file
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(render_baseline(baseline), encoding="utf-8")
    return file


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


@dataclass
class GateResult:
    """The exit code of a run under its CI options, and the lines that explain it."""

    exit_code: int
    lines: list[str]
    baseline: BaselineOutcome | None = None


def gate(run: Any, *, baseline: Baseline | None = None, require_coverage: bool = False,
         strict: bool = False) -> GateResult:
    """The exit code ``run --baseline/--require-coverage`` ends with (0 or 1).

    Without a baseline it is the run's own exit code (``exit_code`` of the report; with
    ``strict`` an inconclusive check fails too); with one, the baseline gate's. With
    ``require_coverage`` each API's :func:`~optout_conformance.report.coverage.coverage_gate`
    must pass as well; its lines are included either way only when it is required.
    """
    report = report_dict(run)
    lines: list[str] = []
    outcome = None
    if baseline is not None:
        outcome = apply_baseline(report, baseline, strict=strict)
        code = outcome.exit_code
        lines += outcome.lines()
    else:
        code = int(report.get("exit_code", EXIT_OK))
        if strict and any(c.get("status") == "inconclusive"
                          for api in report.get("apis", []) for c in api.get("checks", [])):
            code = EXIT_VIOLATIONS
    if require_coverage:
        for api in report.get("apis", []):
            ok, api_lines = coverage_gate(api)
            lines += api_lines
            if not ok:
                code = EXIT_VIOLATIONS
    return GateResult(code, lines, outcome)
