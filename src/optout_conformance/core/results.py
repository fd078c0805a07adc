"""What a run found: one result per check, grouped per API, with the run's exit code.

These are plain data: the reporters (``optout_conformance.report``) read them; the JSON report's
content is ``report.json_report.report_document`` (its schema is ``report/report.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optout_conformance.core.context import Observation
from optout_conformance.core.errors import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS
from optout_conformance.core.interaction import Exchange

STATUSES = ("passed", "failed", "inconclusive", "skipped", "error")
# Statuses of a documented error code in the run's coverage table (see CodeCoverage).
TRIGGERED, SEEN, NOT_SEEN = "triggered", "seen", "not seen"
# Statuses of a check that ran (skipped ones did not): a run with none of them checked nothing.
EXECUTED = ("passed", "failed", "inconclusive", "error")


@dataclass
class CheckResult:
    """The outcome of one check on one API's target.

    ``failed`` = the target broke a documented rule; ``error`` = the check itself crashed (a
    harness bug, reported with the traceback's last line in ``rule``); ``inconclusive`` = the check
    ran but lacked the evidence its rule needs; ``skipped`` = it did not run. ``inconclusive`` and
    ``skipped`` carry their reason in ``rule``.
    """

    id: str
    api: str
    family: str
    source: str
    status: str
    rule: str = ""
    received: str | None = None
    documented: str | None = None
    exchange: dict[str, Any] | None = None
    duration: float = 0.0
    doc: str = ""
    writes: bool = False

    @property
    def title(self) -> str:
        return self.id.rsplit(".", 1)[-1].replace("_", " ")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "family": self.family,
            "source": self.source,
            "status": self.status,
            "rule": self.rule,
            "received": self.received,
            "documented": self.documented,
            "exchange": self.exchange,
            "duration": round(self.duration, 4),
            "doc": self.doc,
            "writes": self.writes,
        }


@dataclass
class FingerprintPoint:
    """One disputed point and the variant the target showed on it."""

    discrepancy_id: str
    subject: str
    observed: Any
    follows: str | None  # seed file name, or None when the observation matched no document

    def to_dict(self) -> dict[str, Any]:
        return {
            "discrepancy_id": self.discrepancy_id,
            "subject": self.subject,
            "observed": jsonable(self.observed),
            "follows": self.follows,
        }


@dataclass(frozen=True)
class CodeCoverage:
    """One documented (operation, code) of an API's error table and whether the run saw it.

    ``status``: *triggered* (a check naming the code got it back; ``check_ids`` are those
    checks), *seen* (another exchange got it back), or *not seen*. ``excused_by``: the registry
    entry marking the code as having no documented cause on that operation ("" when none), so
    that the coverage gate does not require it. The run computes these rows
    (``checks.coverage``); the reports only render them.
    """

    operation: str
    code: int
    message: str
    status: str
    check_ids: tuple[str, ...] = ()
    excused_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "check_ids": list(self.check_ids),
            "excused_by": self.excused_by or None,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> CodeCoverage:
        """A row of the JSON report back (``excused_by`` absent in a report before 1.3: none)."""
        return cls(str(row["operation"]), int(row["code"]), str(row.get("message", "")), str(row["status"]),
                   tuple(row.get("check_ids") or ()), str(row.get("excused_by") or ""))


@dataclass
class ApiResult:
    """Everything one API's part of the run produced."""

    api: str
    base_url: str
    embedded: bool
    profile: str
    effective_profile: str
    writes_allowed: bool
    checks: list[CheckResult] = field(default_factory=list)
    fingerprint: list[FingerprintPoint] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    # Problems of the run itself on this API (the fingerprint probes crashed, ...).
    notes: list[str] = field(default_factory=list)
    duration: float = 0.0
    # The documented error codes and whether the run saw each (empty for an API whose replies
    # carry no numeric codes).
    error_codes: list[CodeCoverage] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUSES}

    @property
    def ok(self) -> bool:
        return not (self.count("failed") or self.count("error"))


@dataclass
class RunResult:
    """The whole run: one ApiResult per API, in the order they ran."""

    apis: list[ApiResult] = field(default_factory=list)
    started_at: str = ""
    duration: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    # --strict: an inconclusive check fails the gate like a failed one.
    strict: bool = False

    @property
    def checks(self) -> list[CheckResult]:
        return [c for api in self.apis for c in api.checks]

    def count(self, status: str) -> int:
        return sum(api.count(status) for api in self.apis)

    @property
    def executed(self) -> int:
        """How many checks ran (any status but skipped)."""
        return sum(self.count(status) for status in EXECUTED)

    @property
    def exit_code(self) -> int:
        """1 when a check failed or errored, or (``strict``) was inconclusive; else 2 when no check
        ran at all (every one skipped, or none selected: nothing was checked); else 0 (skipped and,
        without ``strict``, inconclusive checks allowed)."""
        if not all(api.ok for api in self.apis) or (self.strict and self.count("inconclusive")):
            return EXIT_VIOLATIONS
        if not self.executed:
            return EXIT_USAGE
        return EXIT_OK

    @property
    def verdict(self) -> str:
        """The result line's words for the exit code: why the gate passed or not."""
        code = self.exit_code
        inconclusive = self.count("inconclusive")
        if code == EXIT_USAGE:
            return "nothing checked (no check ran)"
        if code == EXIT_VIOLATIONS:
            if self.count("failed") or self.count("error"):
                return "NOT conformant"
            return f"NOT conformant: {inconclusive} inconclusive under --strict"
        if inconclusive:
            return f"conformant, {inconclusive} inconclusive"
        return "conformant"


def jsonable(value: Any) -> Any:
    """Observed values as JSON: containers kept, anything exotic as its repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return repr(value)
