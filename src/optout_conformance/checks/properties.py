"""The property phase: Schemathesis-generated requests for every operation, judged by the response rules.

For each operation of the profile-narrowed spec, Hypothesis draws positive and negative cases
(``operation.as_strategy``) and Schemathesis' coverage phase adds boundary cases (±1 around every
documented bound; it is not capped by ``max_examples``, so we cap it ourselves). Credentials are
injected after generation, only into the fields a case generated as strings, so a case whose
negation is a missing or mistyped credential stays negative; Avaamo's ``access-token`` header goes
through Schemathesis' own auth mechanism (``schema.auth``), which skips cases that negate it.
Every reply is judged by ``not_a_server_error``, ``response_schema_conformance`` and the rules of
``checks/response.py`` (registry-aware through ``ctx.expect``); the first failure of an operation
stops that operation.

Exact and repeatable: generation is derandomized unless ``ctx.seed`` is given (then Hypothesis is
seeded with it), so a target gets the same verdict on every run. The undocumented variants of an
operation (WhatCounts POST, registry ``whatcounts.http-method``; Avaamo's path without ``.json``,
registry ``avaamo.path.json-suffix``) are probed once first: a target that does not serve them is
observed, not exercised there. Requests go through the run's rate limit and timeout and join its
exchange log (``ctx.http``), labelled with the check id. A failure that Hypothesis reports as flaky
is reported like any failure when it broke a documented rule; anything else is a
``PropertyPhaseError`` naming what was raised.

Budget (measured against the embedded reference over real HTTP, community profile, writes allowed,
2 cores; CPU seconds of client and server together, about the wall time on an idle machine):
default 18 examples per operation and mode, all three APIs ~7.6 s (Convoso 4.1, WhatCounts 2.3,
Avaamo 1.2); ``--fast`` (5) ~3.0 s. With the exchange log and the variant probes, each phase run
alone through ``optout-conformance run --check`` (wall time): Convoso 3.5, WhatCounts 2.8, Avaamo
1.9 s; a full ``run`` 13-15 s. Convoso dominates: a search answers up to 1000 records, each
one validated.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import hypothesis
import requests
from hypothesis import HealthCheck, Phase, settings
from schemathesis import AuthContext, Case, GenerationMode
from schemathesis.auths import set_on_generated_case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi import from_dict
from schemathesis.specs.openapi.checks import response_schema_conformance

from optout_conformance.checks.registry import check
from optout_conformance.checks.response import response_checks
from optout_conformance.runner.context import CheckFailed, CheckSkipped, Credentials, RunContext
from optout_conformance.runner.http import MAX_BODY_BYTES, Exchange, HttpClient

DEFAULT_EXAMPLES = 18
FAST_EXAMPLES = 5
# Operations that change the target's data: they run only when writes are allowed.
WRITE_OPERATIONS = frozenset(
    {"insertSmsOptOut", "updateSmsOptOut", "smsStopSubscriberSend", "smsStopSubscriberSendPost"}
)
# Undocumented or disputed variants of another operation (POST for WhatCounts' GET, Avaamo's path
# without .json): the same parameters, so a fifth of the budget is enough to see them answer alike.
VARIANT_OPERATIONS = frozenset({"smsStopSubscriberSendPost", "getSmsOptStatusWithoutSuffix"})
# How each variant operation is probed: registry id, method, path, the key its observation uses
# (the same as the targeted checks' observations of the point).
VARIANT_PROBES = {
    "getSmsOptStatusWithoutSuffix": ("avaamo.path.json-suffix", "GET", "/sms/opt-status", "without .json"),
    "smsStopSubscriberSendPost": ("whatcounts.http-method", "POST", "/api_web", "POST"),
}
# Statuses meaning "no such resource or method here": the variant is not served.
NOT_SERVED = frozenset({404, 405, 501})
# Request headers the HTTP library adds by itself: left out of the logged exchange (and its curl).
LIBRARY_HEADERS = frozenset(
    {"user-agent", "accept", "accept-encoding", "connection", "content-length", "x-schemathesis-testcaseid"}
)


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


def inject_credentials(case: Case, api: str, credentials: Credentials) -> None:
    """Put real credentials into the fields the case generated as strings (never into a negation)."""
    replacements: dict[str, str | None] = {}
    if api == "convoso":
        replacements = {"auth_token": credentials.token}
    elif api == "whatcounts":
        replacements = {
            "realm": credentials.realm, "r": credentials.realm,
            "pwd": credentials.password, "p": credentials.password,
            "sender_code": credentials.sender_code,
        }
    containers = [case.query, case.body if isinstance(case.body, dict) else None]
    for container in containers:
        if not isinstance(container, dict):
            continue
        for name, value in replacements.items():
            if value and isinstance(container.get(name), str):
                container[name] = value


def _load_schema(spec: dict[str, Any], api: str, credentials: Credentials, *, base_url: str | None,
                 app: Any | None) -> Any:
    schema = from_dict(spec)
    # Set right after loading: operations built later read it (a later update is ignored).
    if base_url is not None:
        schema.config.update(base_url=base_url)
    if app is not None:
        schema.app = app
    if api == "avaamo" and credentials.token:
        token = credentials.token

        @schema.auth(refresh_interval=None)
        class _AccessToken:
            """Avaamo's access-token header (003 Headers), skipped by cases that negate it."""

            def get(self, case: Case, context: AuthContext) -> str:
                return token

            def set(self, case: Case, data: str, context: AuthContext) -> None:
                case.headers["access-token"] = data

    return schema


def _coverage_cases(schema: Any, operation: Any, limit: int) -> Iterable[Case]:
    """Schemathesis' coverage phase (boundaries ±1, missing parameters), at most ``limit`` cases."""
    config = schema.config.generation_for(operation=operation, phase="coverage")
    cases = schema.iter_coverage_cases(
        operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=config,
    )
    context = AuthContext(operation=operation, app=operation.app)
    documented = (case for case in cases if case.method.upper() == operation.method.upper())
    for case in itertools.islice(documented, limit):
        set_on_generated_case(case, context, None)
        yield case


@dataclass
class PhaseOptions:
    """How the phase runs, besides what it runs against.

    ``http``: the run's client, whose rate limit, timeout and exchange log the phase's requests
    share (None: no limit, no log); ``check_id`` labels the logged exchanges; ``expect``: the run's
    ``RunContext.expect`` (None: every registry entry pinned); ``unserved``: operationId -> why the
    operation is not exercised (a variant the target does not serve).
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
    schema = _load_schema(spec, api, credentials, base_url=base_url, app=app)
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
    finally:
        session.close()
    result.seconds = time.perf_counter() - started
    return result


def logged_exchange(response: Any, http: HttpClient, check_id: str | None) -> Exchange:
    """The run's form of one generated request and its reply (for the report and its curl)."""
    request = response.request
    url = urlsplit(str(request.url))
    body = request.body or b""
    body = body.encode("utf-8") if isinstance(body, str) else body
    headers = {k: str(v) for k, v in request.headers.items() if k.lower() not in LIBRARY_HEADERS}
    form = headers.get("Content-Type", headers.get("content-type", "")).startswith(
        "application/x-www-form-urlencoded")
    data = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)) if form else None
    text = response.content[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", errors="replace")
    return Exchange(
        method=str(request.method), url=urlunsplit(url._replace(query="")),
        params=dict(parse_qsl(url.query, keep_blank_values=True)), data=data, headers=headers,
        status=response.status_code, text=text, truncated=len(response.content) > MAX_BODY_BYTES,
        response_headers={k.lower(): v[0] for k, v in response.headers.items() if v},
        elapsed=response.elapsed, check_id=check_id, secrets=http.secrets,
    )


def _run_operation(operation: Any, schema: Any, api: str, credentials: Credentials,
                   outcome: OperationOutcome, session: requests.Session, max_examples: int,
                   options: PhaseOptions, checks: list[Any]) -> None:
    seed, redact, http = options.seed, options.redact, options.http

    def run_case(case: Case) -> None:
        if outcome.failure:
            raise _OperationFailed
        inject_credentials(case, api, credentials)
        outcome.cases += 1
        kwargs: dict[str, Any] = {"session": session} if schema.app is None else {}
        if http is not None:
            http.rate.wait()
            kwargs["timeout"] = http.timeout
        try:
            response = case.call(**kwargs)
        except requests.RequestException as exc:  # no reply: a verdict, not a crash (nor a flaky one)
            outcome.failure = redact(f"{case.method.upper()} {case.path} answers\nReceived: "
                                     f"{type(exc).__name__}: {exc}\nReproduce with:\n    "
                                     f"{case.as_curl_command()}")
            raise _OperationFailed from None
        if http is not None:
            http.exchanges.append(logged_exchange(response, http, options.check_id))
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            outcome.failure = redact(f"{group.exceptions[0].title}\n{group}")
            raise _OperationFailed from None
        except AssertionError as exc:  # a custom check failing with a bare AssertionError
            outcome.failure = redact(f"{exc}\nReproduce with:\n    {case.as_curl_command()}")
            raise _OperationFailed from None

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
        for case in _coverage_cases(schema, operation, max(2, max_examples // 2)):
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


def unserved_variants(ctx: RunContext) -> dict[str, str]:
    """operationId -> reason, for each undocumented variant operation the target does not serve.

    One probe each (no arguments for WhatCounts' POST, so it changes nothing); a variant not
    served is observed on its registry entry, where only the documented form is binding.
    """
    unserved: dict[str, str] = {}
    for operation_id, (discrepancy_id, method, path, key) in VARIANT_PROBES.items():
        if not discrepancy_id.startswith(ctx.api + ".") or (
                operation_id in WRITE_OPERATIONS and not ctx.writes_allowed):
            continue
        headers = {"access-token": ctx.credentials.token} if ctx.api == "avaamo" and ctx.credentials.token \
            else None
        exchange = ctx.http.request(method, path, headers=headers, data={} if method == "POST" else None)
        if exchange.status in NOT_SERVED:
            ctx.observe(discrepancy_id, {key: exchange.status})
            unserved[operation_id] = (f"{method} {path} is not served (HTTP {exchange.status}); only the "
                                      f"documented form is binding (registry {discrepancy_id})")
    return unserved


def _phase_check(api: str) -> Callable[[RunContext], None]:
    def generated_requests_follow_the_spec(ctx: RunContext) -> None:
        """Generated positive, negative and boundary requests get documented replies (every operation)."""
        examples = ctx.max_examples or (FAST_EXAMPLES if ctx.fast else DEFAULT_EXAMPLES)
        secrets = ctx.credentials.secrets()

        def redact(text: str) -> str:
            for secret, variable in secrets.items():
                text = text.replace(secret, variable)
            return text

        options = PhaseOptions(
            writes=ctx.writes_allowed, max_examples=examples, seed=ctx.seed, redact=redact, http=ctx.http,
            check_id=ctx.current_check, expect=ctx.expect, unserved=unserved_variants(ctx),
        )
        if not ctx.writes_allowed:
            ctx.note(f"{api} property phase: read operations only (writes are not allowed on this "
                     "target; pass --allow-writes to exercise the write operations)")
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


SOURCES = {
    "convoso": "000_4120ae5ce1e52dc7.txt, 001_5cae901d395a1be8.txt "
    "(parameters, response fields, error codes)",
    "whatcounts": "002_b0345f491e7a5826.txt (Arguments, Results)",
    "avaamo": "003_725be0800b974dd2.txt (Query Parameters, Headers, Response attributes)",
}

for _api, _source in SOURCES.items():
    check(id=f"{_api}.properties.generated_requests_follow_the_spec", api=_api, family="properties",
          source=_source, fast=True)(_phase_check(_api))
