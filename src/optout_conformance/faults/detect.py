"""Detection power: run the suite against every catalog entry and count what it catches.

Each entry is served over real HTTP on 127.0.0.1 (``EmbeddedServer``) and the suite runs
against it through the same loop as ``optout-conformance run`` (``runner.session.ApiSession``:
fingerprint probes, then the checks), once per run profile the entry lists. The order of
checks differs from a plain run on purpose: for a fault, the checks named in ``detected_by``
run first and the run stops at the first of them that fails (the time to detect). A fault is
*detected* only when a check it names fails in every profile it is run in: a fault caught only
by other checks is *missed* (those checks are reported as ``failed_instead``, found by running
the rest of the suite until one fails), because a detection credited to an unnamed check proves
nothing about the named one. A faithful variant gets every check, and any failure or harness
error is a false alarm.

``--workers N`` runs N entries at once in separate processes (the server and the checks of one
entry share a process, so threads alone would leave the second core idle).
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Target
from optout_conformance.core.errors import EXIT_OK, EXIT_VIOLATIONS
from optout_conformance.core.faults import Fault
from optout_conformance.core.results import CheckResult
from optout_conformance.faults import catalog
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.execute import RunLimits, select_checks
from optout_conformance.runner.session import ApiSession, SessionHooks
from optout_conformance.runner.targets import embedded_credentials

# The per-request timeout of a detection run: a fault never makes a check wait longer.
REQUEST_TIMEOUT = 5.0
# A variant's checks stop being started after this many seconds (each check is bounded by its
# own requests and their timeout, so a run always ends).
VARIANT_BUDGET = 240.0
# Seeded records: more than 1000, so that a server serving more than the documented maximum
# page (limit 1000) or the wrong default page size shows it.
SEED_RECORDS = 1200


@dataclass
class VariantOutcome:
    """What the suite did against one catalog entry."""

    name: str
    api: str
    kind: str
    profiles: list[str]
    # fault: detected | missed; faithful: passed | false-alarm
    verdict: str
    # Check ids that failed: for a fault, the named (detected_by) checks that caught it; for a
    # faithful variant, every check that failed (the false alarms).
    caught_by: list[str] = field(default_factory=list)
    # A fault's checks outside its detected_by that failed where no named check did: never a
    # detection (the fault is missed), reported so the gap is visible.
    failed_instead: list[str] = field(default_factory=list)
    # Checks that crashed (harness bugs): never a detection; a false alarm on a faithful variant.
    errors: list[str] = field(default_factory=list)
    # Checks that ran without the evidence their rule needs ("[profile] check id"): not a false
    # alarm, but not a pass either (the table and JSON show them).
    inconclusive: list[str] = field(default_factory=list)
    # One line per failure: check id and rule (what a false alarm or a detection said).
    messages: list[str] = field(default_factory=list)
    checks_run: int = 0
    seconds: float = 0.0
    note: str = ""

    @property
    def is_fault(self) -> bool:
        return self.kind == "fault"


@dataclass
class DetectionResult:
    """Every outcome, in catalog order, and the summary figures."""

    outcomes: list[VariantOutcome] = field(default_factory=list)
    duration: float = 0.0

    @property
    def faults(self) -> list[VariantOutcome]:
        return [o for o in self.outcomes if o.is_fault]

    @property
    def faithful(self) -> list[VariantOutcome]:
        return [o for o in self.outcomes if not o.is_fault]

    @property
    def detected(self) -> int:
        return sum(1 for o in self.faults if o.verdict == "detected")

    @property
    def false_alarms(self) -> int:
        return sum(1 for o in self.faithful if o.verdict == "false-alarm")

    @property
    def median_seconds(self) -> float | None:
        times = [o.seconds for o in self.faults if o.verdict == "detected"]
        return statistics.median(times) if times else None

    @property
    def exit_code(self) -> int:
        ok = self.detected == len(self.faults) and self.false_alarms == 0
        return EXIT_OK if ok else EXIT_VIOLATIONS

    @property
    def missed(self) -> list[str]:
        return [o.name for o in self.faults if o.verdict != "detected"]

    @property
    def with_inconclusive(self) -> int:
        return sum(1 for o in self.faithful if o.inconclusive)

    def summary(self) -> str:
        line = (
            f"detected {self.detected}/{len(self.faults)} faults by their named checks, "
            f"false alarms {self.false_alarms}/{len(self.faithful)} faithful variants"
        )
        if self.median_seconds is not None:
            line += f" (median time to detect {self.median_seconds:.2f} s)"
        if self.with_inconclusive:
            line += f"; {self.with_inconclusive} faithful with inconclusive checks"
        if self.missed:
            line += f"; missed: {', '.join(self.missed)}"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "detected": self.detected,
            "faults": len(self.faults),
            "false_alarms": self.false_alarms,
            "faithful": len(self.faithful),
            "missed": self.missed,
            "median_seconds": self.median_seconds,
            "duration": round(self.duration, 3),
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def ordered_checks(entry: Fault, checks: list[Any]) -> list[Any]:
    """A fault's detected_by checks first (in the order it names them), then the rest."""
    first = [c for name in entry.detected_by for c in checks if c.id == name]
    return first + [c for c in checks if c.id not in entry.detected_by]


class DetectionHooks(SessionHooks):
    """The session's hooks for one entry in one profile: the named checks first, the outcome
    filled check by check, and (for a fault) a stop at the first failure."""

    def __init__(self, entry: Fault, outcome: VariantOutcome, profile: str, *, deadline: float,
                 budget: float) -> None:
        self.entry, self.outcome, self.profile = entry, outcome, profile
        self.deadline, self.budget = deadline, budget
        self.named_failed = False

    def order(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        return ordered_checks(self.entry, list(checks))

    def after_fingerprint(self, ctx: RunContext, error: CheckResult | None) -> None:
        if error is not None:
            self.outcome.note = error.rule

    def before_check(self, ctx: RunContext, spec: CheckSpec) -> str | None:
        if time.perf_counter() > self.deadline:
            self.outcome.note = f"stopped after the {self.budget:g} s budget"
            return self.outcome.note
        return None

    def after_check(self, ctx: RunContext, result: CheckResult) -> bool:
        entry, outcome, profile = self.entry, self.outcome, self.profile
        outcome.checks_run += 1
        named = result.id in entry.detected_by
        if result.status == "inconclusive":
            outcome.inconclusive.append(f"[{profile}] {result.id}")
        if result.status == "error":
            outcome.errors.append(result.id)
            outcome.messages.append(f"[{profile}] {result.id}: error: {result.rule}")
        elif result.status == "failed":
            outcome.messages.append(f"[{profile}] {result.id}: {result.rule}; received: {result.received}")
            if not entry.is_fault or named:
                outcome.caught_by.append(result.id)
            else:
                outcome.failed_instead.append(result.id)
            if entry.is_fault:
                self.named_failed = self.named_failed or named
                # Stop at the first named failure; when none of the named checks failed, at the
                # first other failure (which says what caught it instead).
                return True
        return False


def run_variant(
    name: str, *, budget: float = VARIANT_BUDGET, profiles: Sequence[str] | None = None
) -> VariantOutcome:
    """Serve one entry on 127.0.0.1 and run the suite against it in each of its profiles.

    ``profiles`` narrows the run to some of the entry's profiles (the CI subset runs faithful
    variants in one); a profile the entry does not list is a ValueError.
    """
    entry = catalog.get(name)
    chosen = tuple(entry.profiles if profiles is None else profiles)
    if unknown := [p for p in chosen if p not in entry.profiles]:
        raise ValueError(f"{name} is not run in profile(s) {unknown}; it lists {list(entry.profiles)}")
    outcome = VariantOutcome(
        name=entry.name, api=entry.api, kind=entry.kind, profiles=list(chosen),
        verdict="missed" if entry.is_fault else "passed",
    )
    started = time.perf_counter()
    limits = RunLimits(timeout=REQUEST_TIMEOUT)
    config = ReferenceConfig(
        profile=entry.server_profile or "community", seed_records=SEED_RECORDS
    )
    caught_in: set[str] = set()
    # Each profile's run gets a freshly served entry, as `serve --fault NAME` + `run --profile P`
    # would: a state one run leaves (002's example contact already stopped, on a server that
    # refuses a repeated stop) does not decide the next run's verdicts.
    for profile in chosen:
        app = catalog.build_entry(entry, config, apis=[entry.api])
        with EmbeddedServer(app, host="127.0.0.1", port=0) as server:
            target = Target(api=entry.api, base_url=server.url(entry.api), embedded=True, loopback=True)
            hooks = DetectionHooks(entry, outcome, profile, deadline=started + budget, budget=budget)
            with ApiSession(target, embedded_credentials(), profile, limits, hooks=[hooks]) as session:
                session.run(select_checks(entry.api, limits), in_order=True)
            if hooks.named_failed:
                caught_in.add(profile)
    outcome.seconds = time.perf_counter() - started
    if entry.is_fault:
        if caught_in == set(chosen):
            outcome.verdict = "detected"
    elif outcome.caught_by or outcome.errors:
        outcome.verdict = "false-alarm"
    return outcome


def _run_in_worker(name: str, profiles: Sequence[str] | None) -> VariantOutcome:
    return run_variant(name, profiles=profiles)


def run_detection(
    apis: Collection[str] | None = None,
    names: Collection[str] | None = None,
    *,
    workers: int = 1,
    echo: Callable[[str], None] | None = print,
    profiles_for: Callable[[Fault], Sequence[str]] | None = None,
) -> DetectionResult:
    """Run the suite against every selected entry; ``echo`` gets the table, row by row.

    ``profiles_for`` picks the profiles each entry runs in (default: every profile it lists).
    """
    entries = catalog.select(apis, names)
    started = time.perf_counter()
    say = echo or (lambda _line: None)
    say(table_header())
    outcomes: dict[str, VariantOutcome] = {}
    chosen = {e.name: (tuple(profiles_for(e)) if profiles_for else None) for e in entries}
    if workers <= 1 or len(entries) <= 1:
        for entry in entries:
            outcomes[entry.name] = run_variant(entry.name, profiles=chosen[entry.name])
            say(table_row(outcomes[entry.name]))
    else:
        # spawn: a forked copy of a process that runs server threads can deadlock.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                pool.submit(_run_in_worker, entry.name, chosen[entry.name]): entry.name for entry in entries
            }
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.name] = outcome
                say(table_row(outcome))
    result = DetectionResult(
        outcomes=[outcomes[e.name] for e in entries], duration=time.perf_counter() - started
    )
    say(result.summary())
    return result


COLUMNS = "{name:<46} {api:<10} {verdict:<11} {seconds:>6}  {caught}"


def table_header() -> str:
    return COLUMNS.format(name="fault", api="API", verdict="verdict", seconds="sec", caught="caught by")


def table_row(outcome: VariantOutcome) -> str:
    """One line of the table: name, API, verdict, seconds and the check(s) that failed.

    A missed fault caught only by checks outside its detected_by says so (``failed instead:``);
    a faithful variant's false alarm lists the checks that failed on it.
    """
    caught = ", ".join(outcome.caught_by + [f"{e} (error)" for e in outcome.errors]) or "-"
    if outcome.failed_instead:
        caught += "  (!) failed instead (not named in detected_by): " + ", ".join(outcome.failed_instead)
    if outcome.inconclusive and not outcome.is_fault:
        caught += f"  ({len(outcome.inconclusive)} inconclusive)"
    if outcome.note:
        caught += f"  [{outcome.note}]"
    return COLUMNS.format(
        name=outcome.name, api=outcome.api, verdict=outcome.verdict,
        seconds=f"{outcome.seconds:.2f}", caught=caught,
    )
