"""What running one check means, and the run's limits; the loop itself is ``runner.session``.

A check's outcome is what it raised: nothing -> passed, ``CheckFailed`` -> failed,
``CheckInconclusive`` -> inconclusive, ``CheckSkipped`` -> skipped, anything else -> error (a bug
in the harness, reported with the traceback's last line; it never stops the run). Write checks
are skipped with the reason when writes are not allowed on the target. What checks say about the
run itself (``ctx.note``: a part not exercised and why) joins the API's notes in the report,
after the fingerprint's.

Fail closed: a ``--check`` id that is unknown or belongs to an API the run does not select is a
usage error (:class:`UnknownCheck`, exit 2, with close matches) raised before any target is
contacted; a crash of the fingerprint probes is an ERROR result ``<api>.fingerprint`` (exit 1),
never a silent fallback to what an unprobed target would be held to.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import importlib
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from optout_conformance.checks.fingerprint import LABELS
from optout_conformance.checks.registry import checks_for, load_all
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import UsageError
from optout_conformance.core.http import DEFAULT_RUN_DEADLINE, DEFAULT_TIMEOUT, HttpClient, RateLimiter
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.core.results import CheckResult, FingerprintPoint
from optout_conformance.runner.context import RunContext

SEED_FILES = {"community": "000_4120ae5ce1e52dc7.txt", "official": "001_5cae901d395a1be8.txt"}
WRITES_SKIP_REASON = "writes are not allowed on this target (pass --allow-writes)"


@dataclass(frozen=True)
class RunLimits:
    """How a run behaves, apart from what it targets: threads, budget, rate, timeouts, safety."""

    workers: int = 1
    fast: bool = False
    max_examples: int | None = None
    seed: int | None = None
    rate: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    allow_writes: bool = False
    check_ids: tuple[str, ...] = ()  # run only these (empty: all selected)
    strict: bool = False  # an inconclusive check fails the gate (exit 1)
    deadline: float | None = DEFAULT_RUN_DEADLINE  # seconds for all of an API's requests (--deadline)


class UnknownCheck(UsageError):
    """A ``--check`` id that no check has, or whose API the run does not select (exit 2)."""


def without_userinfo(url: str) -> str:
    """The URL without ``user:password@`` (reports never carry credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def select_checks(api: str, limits: RunLimits) -> list[CheckSpec]:
    """The API's checks the run executes: the ``--fast`` subset or all, or exactly the checks
    ``limits.check_ids`` names (named checks run even when ``--fast`` would leave them out)."""
    if limits.check_ids:
        return [c for c in checks_for(api) if c.id in limits.check_ids]
    return checks_for(api, fast=limits.fast)


def validate_check_ids(apis: Sequence[str], check_ids: Sequence[str]) -> None:
    """Raise :class:`UnknownCheck` (one line) for ids no check has, naming close matches, and for
    ids of an API not in ``apis``."""
    catalog = load_all()
    problems = []
    for check_id in dict.fromkeys(check_ids):
        spec = catalog.get(check_id)
        if spec is None:
            problems.append(f"unknown check id {check_id!r} ({_close_matches(check_id, list(catalog))})")
        elif spec.api not in apis:
            problems.append(
                f"check {check_id!r} belongs to {spec.api}, but the run selects only "
                f"{', '.join(apis)} (add --api {spec.api} or --api all)"
            )
    if problems:
        raise UnknownCheck("; ".join(problems))


def _close_matches(wanted: str, ids: list[str]) -> str:
    """'did you mean: a, b' from the ids most like ``wanted`` (whole id, or its last part)."""
    found = difflib.get_close_matches(wanted, ids, n=3, cutoff=0.6)
    tails = {check_id.rsplit(".", 1)[-1]: check_id for check_id in ids}
    for tail in difflib.get_close_matches(wanted.rsplit(".", 1)[-1], list(tails), n=3, cutoff=0.6):
        if tails[tail] not in found:
            found.append(tails[tail])
    if not found:
        return f"no close match among the {len(ids)} check ids"
    return "did you mean: " + ", ".join(found[:3])


def make_context(
    target: Target,
    credentials: Credentials,
    profile: str,
    limits: RunLimits,
    rate: RateLimiter | None = None,
) -> RunContext:
    """A fresh RunContext (and HTTP client) for one API's target."""
    http = HttpClient(
        target.base_url, timeout=limits.timeout, rate=rate, secrets=credentials.secrets(),
        deadline=limits.deadline,
    )
    # max_examples None: the property phase picks its own budget (a small one when ctx.fast).
    return RunContext(
        target=target,
        credentials=credentials,
        profile=profile,
        http=http,
        allow_writes=limits.allow_writes,
        max_examples=limits.max_examples,
        seed=limits.seed,
        fast=limits.fast,
    )


FINGERPRINT_SOURCE = "openapi/discrepancies.yaml (the fingerprint probes of the disputed points)"


def probe_fingerprint(ctx: RunContext) -> CheckResult | None:
    """Run the fingerprint probes (``checks.fingerprint.detect``): None when they ran, else an
    ERROR result ``<api>.fingerprint`` with the crash's last line (the probes missing, or a probe
    raising anything but the CheckFailed/CheckSkipped that ``detect`` records as inconclusive).

    The checks still run after a crash (with whatever was pinned before it), but the run exits 1:
    a target the probes could not read is never quietly held to the lenient profile instead.
    """
    started = time.perf_counter()
    problem = None
    status = "error"
    try:
        module = importlib.import_module("optout_conformance.checks.fingerprint")
    except ModuleNotFoundError as exc:
        if exc.name != "optout_conformance.checks.fingerprint":
            raise
        problem = "fingerprint probes not available: the disputed points were not probed"
    else:
        try:
            with ctx.http.labelled(None):
                module.detect(ctx)
        except CheckInconclusive as stopped:  # the run deadline passed mid-probe: not a crash
            status, problem = "inconclusive", f"fingerprint probes stopped: {stopped.reason}"
        except Exception as exc:  # a probe crash must not stop the run; it is an ERROR, though
            problem = f"fingerprint probes crashed: {_last_line(exc)}"
    if problem is None:
        return None
    return CheckResult(
        id=f"{ctx.api}.fingerprint",
        api=ctx.api,
        family="fingerprint",
        source=FINGERPRINT_SOURCE,
        status=status,
        rule=problem,
        duration=time.perf_counter() - started,
        doc="The fingerprint probes: which document the target follows on each disputed point.",
    )


# One property phase at a time in the process, whatever the API: on CPython 3.11 building ASTs
# from several threads at once (Hypothesis and Schemathesis do) can fail with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905).
_PROPERTY_PHASE = threading.Lock()


def changes_data(spec: CheckSpec) -> bool:
    """Whether a check may write to the target: flagged ``writes``, or the property phase (it
    sends generated inserts and updates when writes are allowed)."""
    return spec.writes or spec.family == "properties"


def run_check(ctx: RunContext, spec: CheckSpec) -> CheckResult:
    """Run one check in its own view of the context; never raises."""
    result = CheckResult(
        id=spec.id,
        api=spec.api,
        family=spec.family,
        source=spec.source,
        status="passed",
        doc=spec.doc,
        writes=spec.writes,
    )
    if spec.writes and not ctx.writes_allowed:
        result.status, result.rule = "skipped", WRITES_SKIP_REASON
        return result
    # Shares the run's HTTP client, observations, fingerprint and locks; only current_check differs.
    view = dataclasses.replace(ctx, current_check=spec.id)
    exclusive = _PROPERTY_PHASE if spec.family == "properties" else contextlib.nullcontext()
    with exclusive:  # the duration is the check's own, without waiting for the lock
        started = time.perf_counter()
        _outcome_of(spec, view, result)
        result.duration = time.perf_counter() - started
    return result


def _outcome_of(spec: CheckSpec, view: RunContext, result: CheckResult) -> None:
    """Call the check and record in ``result`` what it raised."""
    try:
        with view.http.labelled(spec.id):
            spec.function(view)
    except CheckFailed as failure:
        result.status = "failed"
        result.rule = failure.rule
        result.received = failure.received
        result.documented = failure.documented
        result.source = failure.source or spec.source
        result.exchange = failure.exchange.to_dict() if failure.exchange is not None else None
    except CheckInconclusive as inconclusive:
        result.status, result.rule = "inconclusive", inconclusive.reason
    except CheckSkipped as skip:
        result.status, result.rule = "skipped", skip.reason
    except Exception as exc:  # a crashing check is a harness bug: reported, never fatal
        result.status, result.rule = "error", _last_line(exc)
    for name in ("rule", "received", "documented"):  # a target may echo a credential into any of them
        if isinstance(getattr(result, name), str):
            setattr(result, name, view.http.redact(getattr(result, name)))


def _last_line(exc: BaseException) -> str:
    """The traceback's last line, kept to one line: ``Type: first message line (at file:line)``.

    The location is the innermost frame, so a harness bug can be found without a rerun."""
    lines = traceback.format_exception_only(type(exc), exc)
    text = lines[0].strip().splitlines()[0] if lines and lines[0].strip() else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        innermost = frames[-1]
        text += f" (at {Path(innermost.filename).name}:{innermost.lineno})"
    return text


def fingerprint_points(ctx: RunContext, probe_observations: Sequence[Any]) -> list[FingerprintPoint]:
    """The disputed points the target showed a variant on, one per discrepancy id.

    From the probes' observations (their ``follows`` names a seed file or a profile) and from
    ``ctx.fingerprint`` (id -> profile) for points pinned without an observation.
    """
    points: dict[str, FingerprintPoint] = {}
    for obs in probe_observations:
        points[obs.discrepancy_id] = FingerprintPoint(
            discrepancy_id=obs.discrepancy_id,
            subject=discrepancy_subject(obs.discrepancy_id),
            observed=obs.observed,
            follows=SEED_FILES.get(obs.follows or "", obs.follows),
        )
    for discrepancy_id, shown in ctx.fingerprint.items():
        point = points.get(discrepancy_id)
        if point is None:
            points[discrepancy_id] = FingerprintPoint(
                discrepancy_id, discrepancy_subject(discrepancy_id), None, SEED_FILES.get(shown, shown)
            )
        elif point.follows is None:
            point.follows = SEED_FILES.get(shown, shown)
    return list(points.values())


def discrepancy_subject(discrepancy_id: str) -> str:
    """A short name for a registry entry ("limit default"): the probes' label, else the id's end."""
    label = LABELS.get(discrepancy_id)
    return label or discrepancy_id.rsplit(".", 1)[-1].replace("-", " ").replace("_", " ")
