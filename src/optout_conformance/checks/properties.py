"""The property phase: Schemathesis-generated requests for every operation, judged by the response rules.

For each operation of the profile-narrowed spec, Hypothesis draws positive and negative cases
(``operation.as_strategy``) and Schemathesis' coverage phase adds boundary cases (±1 around every
documented bound), capped by us. How cases get their credentials, reach the target and join the
exchange log is ``checks/property_requests.py``'s. Write operations are generated only against
the embedded server or a loopback target: their values are arbitrary phones and ids, never the
fictional 555-01XX numbers a live target's writes must use, so ``--allow-writes`` on a remote
target leaves them out with a note. Every reply is judged by ``not_a_server_error``,
``response_schema_conformance`` and ``checks/schemathesis_checks.py`` (registry-aware through
``ctx.expect``); the first failure of an operation stops that operation. With generated writes
allowed, Convoso's spec link (insert -> search) also runs as Schemathesis' state machine: half
the examples (at least 2) as sequences of up to 4 steps, judged alike, plus the rule that an
insert answered success true is listed by the linked search for its number
(``run_linked_sequences``).

Exact and repeatable: generation is derandomized unless ``ctx.seed`` is given (then Hypothesis is
seeded with it), so a target gets the same verdict on every run. The undocumented variants of an
operation (WhatCounts POST, registry ``whatcounts.http-method``; Avaamo's path without ``.json``,
registry ``avaamo.path.json-suffix``) are probed once first: a target that does not serve them is
observed, not exercised there. Requests share the run's rate limit, timeout and exchange log,
labelled with the check id. A failure that Hypothesis reports as flaky
is reported like any failure when it broke a documented rule; anything else is a
``PropertyPhaseError`` naming what was raised.

Budget (measured against the embedded reference over real HTTP, community profile, writes allowed,
2 cores; CPU seconds of client and server together, about the wall time on an idle machine):
default 18 examples per operation and mode, all three APIs ~7.6 s (Convoso 4.1, WhatCounts 2.3,
Avaamo 1.2); ``--fast`` (5) ~3.0 s. With the exchange log and the variant probes, each phase run
alone through ``optout-conformance run --check`` (wall time): Convoso 3.5, WhatCounts 2.8, Avaamo
1.9 s; a full ``run`` 13-15 s. Convoso dominates: a search answers up to 1000 records, each
one validated. The linked sequences (Convoso, default 9 sequences of up to 4 steps) left a full
``run`` within measuring noise (``benchmarks/bench_run.py --only full``: 10.4 s before, 9.9 after).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from optout_conformance.checks.judgement import dialect_of
from optout_conformance.checks.property_requests import (
    REMOTE_WRITES_NOTE,
    VARIANT_OPERATIONS,
    WRITE_OPERATIONS,
    coverage_cases,
    generated_writes_allowed,
    inject_credentials,
    judge_reply,
    links_operations,
    load_schema,
    run_linked_sequences,
    send_case,
    unserved_variants,
)
from optout_conformance.checks.schemathesis_checks import response_checks
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext, Credentials
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped

DEFAULT_EXAMPLES = 18
FAST_EXAMPLES = 5
SEQUENCE_LABEL = "POST /sms-opt-out/insert -> POST /sms-opt-out/search"

class PropertyPhaseError(RuntimeError):
    """The phase could not reach a verdict (Hypothesis raised something that is not a broken rule)."""


@dataclass
class OperationOutcome:
    """What the phase did on one operation."""

    label: str
    cases: int = 0
    skipped: str | None = None
    failure: str | None = None  # the failing check's message, with the reproducing curl


@dataclass
class PhaseResult:
    """Every operation's outcome, and how long the phase took."""

    api: str
    outcomes: list[OperationOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[OperationOutcome]:
        return [o for o in self.outcomes if o.failure]

    @property
    def cases(self) -> int:
        return sum(o.cases for o in self.outcomes)


class _OperationFailed(Exception):
    """Stops Hypothesis once an operation has failed (raised again, identically, on its replay)."""


@dataclass
class PhaseOptions:
    """How the phase runs, besides what it runs against.

    ``http``: the run's client, whose rate limit, timeout and exchange log the phase's requests
    share (None: no limit, no log); ``check_id`` labels the logged exchanges; ``expect``: the run's
    ``CheckContext.expect`` (None: every registry entry pinned); ``unserved``: operationId -> why the
    operation is not exercised (a variant the target does not serve); ``sequences``: run the
    linked insert -> search sequences too (Convoso, generated writes allowed).
    """

    writes: bool = False
    max_examples: int = DEFAULT_EXAMPLES
    seed: int | None = None
    coverage: bool = True
    redact: Callable[[str], str] = lambda text: text
    http: HttpClient | None = None
    check_id: str | None = None
    expect: Callable[[str], Any] | None = None
    unserved: Mapping[str, str] = field(default_factory=dict)
    sequences: bool = True


def run_property_phase(
    spec: dict[str, Any],
    api: str,
    credentials: Credentials,
    *,
    base_url: str | None = None,
    app: Any | None = None,
    writes: bool = False,
    max_examples: int = DEFAULT_EXAMPLES,
    seed: int | None = None,
    coverage: bool = True,
    redact: Callable[[str], str] = lambda text: text,
    options: PhaseOptions | None = None,
) -> PhaseResult:
    """Run generated cases for every operation of ``spec`` against ``base_url`` (or the ASGI ``app``).

    ``options`` replaces the keyword arguments ``writes`` to ``redact`` when given.
    """
    started = time.perf_counter()
    if options is None:
        options = PhaseOptions(writes, max_examples, seed, coverage, redact)
    schema = load_schema(spec, api, credentials, base_url=base_url, app=app)
    checks = [not_a_server_error, response_schema_conformance, *response_checks(options.expect)]
    result = PhaseResult(api)
    session = requests.Session()
    try:
        for loaded in schema.get_all_operations():
            operation = loaded.ok()
            outcome = OperationOutcome(operation.label)
            result.outcomes.append(outcome)
            operation_id = operation.definition.raw.get("operationId")
            if operation_id in WRITE_OPERATIONS and not options.writes:
                outcome.skipped = "writes are not allowed on this target"
                continue
            if operation_id in options.unserved:
                outcome.skipped = options.unserved[operation_id]
                continue
            examples = options.max_examples
            budget = max(2, examples // 5) if operation_id in VARIANT_OPERATIONS else examples
            _run_operation(operation, schema, api, credentials, outcome, session, budget, options, checks)
        linked = links_operations(schema.raw_schema)
        if linked and options.writes and options.sequences and not result.failures:
            outcome = OperationOutcome(SEQUENCE_LABEL)
            result.outcomes.append(outcome)
            outcome.cases, outcome.failure = run_linked_sequences(
                schema, api, credentials, max_examples=max(2, options.max_examples // 2), checks=checks,
                session=session, http=options.http, check_id=options.check_id, redact=options.redact,
                seed=options.seed)
    finally:
        session.close()
    result.seconds = time.perf_counter() - started
    return result


def _run_operation(operation: Any, schema: Any, api: str, credentials: Credentials,
                   outcome: OperationOutcome, session: requests.Session, max_examples: int,
                   options: PhaseOptions, checks: list[Any]) -> None:
    seed, redact, http = options.seed, options.redact, options.http

    def run_case(case: Case) -> None:
        if outcome.failure:
            raise _OperationFailed
        inject_credentials(case, api, credentials)
        outcome.cases += 1
        response, failure = send_case(case, session=session, in_process=schema.app is not None, http=http)
        if failure is None:
            failure = judge_reply(case, response, checks=checks, http=http, check_id=options.check_id)
        if failure is not None:
            outcome.failure = redact(failure)
            raise _OperationFailed

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        if outcome.failure:
            return
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(max_examples=max_examples, deadline=None, derandomize=seed is None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck),
                  report_multiple_bugs=False)
        @hypothesis.given(strategy)
        def generated(case: Case) -> None:
            run_case(case)

        test = hypothesis.seed(seed)(generated) if seed is not None else generated
        try:
            test()
        except _OperationFailed:
            return
        except hypothesis.errors.Unsatisfiable:
            continue
        except (hypothesis.errors.Flaky, BaseExceptionGroup) as flaky:
            _settle_flaky(flaky, outcome, redact)
            return
    if options.coverage and not outcome.failure:
        for case in coverage_cases(schema, operation, max(2, max_examples // 2)):
            try:
                run_case(case)
            except _OperationFailed:
                return


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside nested groups (a Schemathesis FailureGroup is kept whole); Hypothesis
    wraps a BaseException put into a FlakyFailure, so the wrapped one is taken from its cause."""
    if isinstance(error, hypothesis.errors._WrappedBaseException) and error.__cause__ is not None:
        return _leaves(error.__cause__)
    if isinstance(error, BaseExceptionGroup) and not isinstance(error, FailureGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _settle_flaky(error: BaseException, outcome: OperationOutcome, redact: Callable[[str], str]) -> None:
    """Turn what Hypothesis reported as flaky into the operation's failure, or raise a clear error.

    A broken documented rule seen once is a verdict even if a replay did not see it again (the
    first reply is what the target sent); the failure with its curl is kept.
    """
    if outcome.failure:
        return
    for leaf in _leaves(error):
        if isinstance(leaf, FailureGroup):
            outcome.failure = redact(f"{leaf.exceptions[0].title}\n{leaf}")
            return
    first = next((leaf for leaf in _leaves(error) if not isinstance(leaf, _OperationFailed)), error)
    line = (str(first).strip().splitlines() or [""])[0]
    raise PropertyPhaseError(
        f"the property phase on {outcome.label} ended without a verdict: Hypothesis raised "
        f"{type(error).__name__} ({type(first).__name__}: {line[:200]})"
    ) from error


def _phase_check(api: str) -> Callable[[CheckContext], None]:
    def generated_requests_follow_the_spec(ctx: CheckContext) -> None:
        """Generated positive, negative and boundary requests get documented replies (every operation)."""
        examples = ctx.max_examples or (FAST_EXAMPLES if ctx.fast else DEFAULT_EXAMPLES)
        secrets = ctx.credentials.secrets()

        def redact(text: str) -> str:
            for secret, variable in secrets.items():
                text = text.replace(secret, variable)
            return text

        writes = generated_writes_allowed(ctx)
        options = PhaseOptions(
            writes=writes, max_examples=examples, seed=ctx.seed, redact=redact, http=ctx.http,
            check_id=ctx.current_check, expect=ctx.expect, unserved=unserved_variants(ctx, writes=writes),
        )
        if not ctx.writes_allowed:
            ctx.note(f"{api} property phase: read operations only (writes are not allowed on this "
                     "target; pass --allow-writes to exercise the write operations)")
        elif not writes:
            ctx.note(REMOTE_WRITES_NOTE.format(api=api))
        result = run_property_phase(ctx.spec(), api, ctx.credentials, base_url=ctx.target.base_url,
                                    options=options)
        for outcome in result.failures:
            raise CheckFailed(
                f"generated requests to {outcome.label} get documented replies",
                received=outcome.failure or "",
                documented="no server error, replies of the documented shape, negative data rejected, "
                "valid data accepted or refused with a documented error",
                source=f"openapi spec of {api} (profile {ctx.effective_profile})",
            )
        if not result.cases:
            reasons = sorted({o.skipped for o in result.outcomes if o.skipped})
            raise CheckSkipped("; ".join(reasons) or "no operation could be exercised")

    generated_requests_follow_the_spec.__name__ = f"{api}_generated_requests_follow_the_spec"
    return generated_requests_follow_the_spec


# The sentences behind the response rules the phase applies (checks/response.py: replies of the
# documented form, negative data refused, valid data served or refused with a documented error,
# no server failure), and those behind the parameters it generates: each dialect's PROPERTY_CITES.
for _api in APIS:
    _dialect = dialect_of(_api)
    if _dialect is None:
        continue
    check(id=f"{_api}.properties.generated_requests_follow_the_spec", api=_api, family="properties",
          source=_dialect.PROPERTY_SOURCE, fast=True, cites=_dialect.PROPERTY_CITES)(_phase_check(_api))
