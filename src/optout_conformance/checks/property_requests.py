"""The property phase's requests: how generated cases are built, sent, logged and held back.

The schema is loaded with the target's base URL and Avaamo's access-token as Schemathesis auth
(skipped by cases that negate it); :func:`inject_credentials` puts the other APIs' credentials
into the fields a case generated as strings, so a negation of a credential stays negative;
:func:`coverage_cases` caps Schemathesis' coverage phase (it is not capped by ``max_examples``);
:func:`logged_exchange` turns a reply into the run's ``Exchange`` for the report and its curl;
:func:`unserved_variants` probes the undocumented variant operations once, and
:func:`generated_writes_allowed` says whether write operations may be generated at all;
:func:`run_linked_sequences` runs the spec's links (Convoso insert -> search) as Schemathesis'
state machine, each step sent, logged and judged like a single case, plus the sequence rule
:func:`~optout_conformance.checks.schemathesis_checks.inserted_number_is_listed`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import hypothesis
import requests
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import AuthContext, Case, GenerationMode
from schemathesis.auths import set_on_generated_case
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.openapi import from_dict

from optout_conformance.checks.schemathesis_checks import inserted_number_is_listed
from optout_conformance.runner.context import Credentials, RunContext
from optout_conformance.runner.http import MAX_BODY_BYTES, Exchange, HttpClient

# Operations that change the target's data: they run only when generated writes are allowed.
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
REMOTE_WRITES_NOTE = (
    "{api} property phase: write operations not generated (the target is neither the embedded "
    "server nor loopback): generated writes carry arbitrary phone numbers and record ids with the "
    "real credentials, while writes on a live target use fictional 555-01XX numbers and the run "
    "prefix (the targeted write checks do)"
)


def generated_writes_allowed(ctx: RunContext) -> bool:
    """Whether the phase may send generated write requests: writes allowed, and the target is the
    embedded server or loopback (``--allow-writes`` alone does not let arbitrary data out)."""
    return ctx.writes_allowed and (ctx.target.embedded or ctx.target.loopback)


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


def load_schema(spec: dict[str, Any], api: str, credentials: Credentials, *, base_url: str | None,
                app: Any | None) -> Any:
    """The Schemathesis schema of ``spec``, bound to ``base_url`` (or the ASGI ``app``)."""
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


def coverage_cases(schema: Any, operation: Any, limit: int) -> Iterable[Case]:
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


def unserved_variants(ctx: RunContext, *, writes: bool | None = None) -> dict[str, str]:
    """operationId -> reason, for each undocumented variant operation the target does not serve.

    One probe each (no arguments for WhatCounts' POST, so it changes nothing); a variant not
    served is observed on its registry entry, where only the documented form is binding. A write
    variant is probed only when ``writes`` (default: :func:`generated_writes_allowed`).
    """
    writes = generated_writes_allowed(ctx) if writes is None else writes
    unserved: dict[str, str] = {}
    for operation_id, (discrepancy_id, method, path, key) in VARIANT_PROBES.items():
        if not discrepancy_id.startswith(ctx.api + ".") or (operation_id in WRITE_OPERATIONS and not writes):
            continue
        headers = {"access-token": ctx.credentials.token} if ctx.api == "avaamo" and ctx.credentials.token \
            else None
        exchange = ctx.http.request(method, path, headers=headers, data={} if method == "POST" else None)
        if exchange.status in NOT_SERVED:
            ctx.observe(discrepancy_id, {key: exchange.status})
            unserved[operation_id] = (f"{method} {path} is not served (HTTP {exchange.status}); only the "
                                      f"documented form is binding (registry {discrepancy_id})")
    return unserved


# APIs whose spec links operations (Convoso: insert -> search); at most this many steps a sequence.
SEQUENCE_APIS = frozenset({"convoso"})
SEQUENCE_STEPS = 4
# The default seed of the linked sequences (see run_linked_sequences).
SEQUENCE_SEED = 0


class _SequenceStopped(Exception):
    """Stops the state machine once a sequence has failed (raised again on any replay)."""


def send_case(case: Case, *, session: requests.Session, in_process: bool,
              http: HttpClient | None) -> tuple[Any, str | None]:
    """Send one generated case through the run's session, rate limit and timeout.

    Returns ``(response, None)``, or ``(None, failure text with curl)`` when no reply came: a
    dropped connection or a timeout is a verdict on the target, not a crash of the phase.
    """
    kwargs: dict[str, Any] = {} if in_process else {"session": session}
    if http is not None:
        http.rate.wait()
        kwargs["timeout"] = http.timeout
    try:
        return case.call(**kwargs), None
    except requests.RequestException as exc:
        return None, (f"{case.method.upper()} {case.path} answers\nReceived: {type(exc).__name__}: {exc}"
                      f"\nReproduce with:\n    {case.as_curl_command()}")


def judge_reply(case: Case, response: Any, *, checks: list[Any], http: HttpClient | None,
                check_id: str | None) -> str | None:
    """Log the exchange in the run's log, then judge the reply; the first failure's text, or None."""
    if http is not None:
        http.exchanges.append(logged_exchange(response, http, check_id))
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        return f"{group.exceptions[0].title}\n{group}"
    except AssertionError as exc:  # a custom check failing with a bare AssertionError
        return f"{exc}\nReproduce with:\n    {case.as_curl_command()}"
    return None


def run_linked_sequences(schema: Any, api: str, credentials: Credentials, *, max_examples: int,
                         checks: list[Any], session: requests.Session, http: HttpClient | None,
                         check_id: str | None, redact: Callable[[str], str],
                         seed: int | None = None) -> tuple[int, str | None]:
    """Run the spec's linked sequences; (steps sent, the first failure with its curl, or None).

    ``max_examples`` sequences of at most ``SEQUENCE_STEPS`` steps, drawn from ``seed`` (the run's
    ``--seed``; ``SEQUENCE_SEED`` when none is given), so the same seed gives the same sequences.
    Whether a step follows the link is one of those draws: the sequence rule is a sampled extra,
    the targeted state checks are what pin "an insert is visible to the next search". Each
    step gets the credentials, rate limit, timeout and exchange log of single cases and is judged
    by ``checks``; a linked search is also judged against the insert it follows.
    """
    steps = 0
    failure: str | None = None
    sent: dict[str, tuple[Case, Any]] = {}

    def fail(text: str) -> None:
        nonlocal failure
        failure = redact(text)
        raise _SequenceStopped

    class LinkedSequences(schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput:
            nonlocal steps
            if failure:
                raise _SequenceStopped
            case = input.case
            inject_credentials(case, api, credentials)
            steps += 1
            response, unanswered = send_case(case, session=session, in_process=schema.app is not None,
                                             http=http)
            if unanswered:
                fail(unanswered)
            self.after_call(response, case)
            judged = judge_reply(case, response, checks=checks, http=http, check_id=check_id)
            if judged:
                fail(judged)
            parent = sent.get(input.transition.parent_id) if input.transition is not None else None
            broken = inserted_number_is_listed(*parent, case, response) if parent else None
            if parent and broken is not None:
                fail(f"{broken.title}\n{broken.message}\nReproduce with:\n    "
                     f"{parent[0].as_curl_command()}\n    {case.as_curl_command()}")
            sent[case.id] = (case, response)
            return StepOutput(response, case)

    budget = settings(max_examples=max_examples, stateful_step_count=SEQUENCE_STEPS, deadline=None,
                      derandomize=True, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    try:
        # A fixed seed, not derandomize's digest of this module's source: with the digest, any edit
        # of the step code drew other sequences (and with them whether a link is followed at all).
        hypothesis.seed(SEQUENCE_SEED if seed is None else seed)(LinkedSequences)
        run_state_machine_as_test(LinkedSequences, settings=budget)
    except _SequenceStopped:
        pass
    except (hypothesis.errors.Flaky, BaseExceptionGroup):
        if failure is None:
            raise
    return steps, failure
