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

Every generated request goes out through the run's :class:`~optout_conformance.core.http.HttpClient`
(:func:`send_case`), not Schemathesis' own ``requests`` session: ``case.call`` is given a session
(:func:`transport_session`) whose only adapter hands the prepared request to the client, so the
property phase has the targeted checks' promises: connections only to the target's origin (parsed
once by ``core/urls.py``), no redirect followed (a 3xx is the reply judged), no proxy or
``.netrc`` credentials from the environment, one deadline over connect, headers and body, a body
cap, the run deadline and the exchange log. A reply the suite cannot judge (larger than
``MAX_BODY_BYTES``, or JSON nested deeper than ``MAX_JSON_DEPTH``) makes the check inconclusive.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import weakref
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import hypothesis
import requests
import requests.adapters
import urllib3
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import AuthContext, Case, GenerationMode
from schemathesis.auths import set_on_generated_case
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.openapi import from_dict
from urllib3._collections import HTTPHeaderDict

from optout_conformance.checks.schemathesis_checks import inserted_number_is_listed
from optout_conformance.core.apis import APIS, Credential
from optout_conformance.core.context import CheckContext, Credentials
from optout_conformance.core.http import HttpClient
from optout_conformance.core.interaction import MAX_BODY_BYTES, Exchange, JsonTooDeep, parse_json_bounded
from optout_conformance.core.outcomes import CheckInconclusive

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


def _credentials_of(api: str) -> tuple[Credential, ...]:
    definition = APIS.get(api)
    return tuple(definition.credentials) if definition is not None else ()


def generated_writes_allowed(ctx: CheckContext) -> bool:
    """Whether the phase may send generated write requests: writes allowed, and the target is the
    embedded server or loopback (``--allow-writes`` alone does not let arbitrary data out)."""
    return ctx.writes_allowed and (ctx.target.embedded or ctx.target.loopback)


def inject_credentials(case: Case, api: str, credentials: Credentials) -> None:
    """Put real credentials into the fields the case generated as strings (never into a negation)."""
    # Every wire name (and alias) of each credential the definition sends in the query or form.
    replacements: dict[str, str | None] = {
        wire: getattr(credentials, credential.key, None)
        for credential in _credentials_of(api) if credential.travels != "header" for wire in credential.wire
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
    header = next((c for c in _credentials_of(api) if c.travels == "header"), None)
    token = getattr(credentials, header.key, None) if header is not None else None
    if header is not None and token:
        wire = header.wire[0]

        @schema.auth(refresh_interval=None)
        class _AccessToken:
            """The definition's header credential (Avaamo's access-token, 003 Headers), skipped by
            cases that negate it."""

            def get(self, case: Case, context: AuthContext) -> str:
                return str(token)

            def set(self, case: Case, data: str, context: AuthContext) -> None:
                case.headers[wire] = data

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
    text = response.content[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", errors="replace")
    return dataclasses.replace(
        request_exchange(response.request, http, check_id),
        check_id=check_id,
        status=response.status_code, text=text, truncated=len(response.content) > MAX_BODY_BYTES,
        response_headers={k.lower(): v[0] for k, v in response.headers.items() if v},
        elapsed=response.elapsed,
    )


def unserved_variants(ctx: CheckContext, *, writes: bool | None = None) -> dict[str, str]:
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
        headers = {c.wire[0]: value for c in _credentials_of(ctx.api) if c.travels == "header"
                   and (value := getattr(ctx.credentials, c.key, None))} or None
        exchange = ctx.http.request(method, path, headers=headers, data={} if method == "POST" else None)
        if exchange.status in NOT_SERVED:
            ctx.observe(discrepancy_id, {key: exchange.status})
            unserved[operation_id] = (f"{method} {path} is not served (HTTP {exchange.status}); only the "
                                      f"documented form is binding (registry {discrepancy_id})")
    return unserved


def links_operations(spec: dict[str, Any]) -> bool:
    """Whether the spec links operations (OpenAPI ``links``; Convoso: insert -> search): the phase
    then also runs linked sequences, at most SEQUENCE_STEPS steps each."""
    return any(isinstance(reply, dict) and reply.get("links")
               for item in (spec.get("paths") or {}).values() if isinstance(item, dict)
               for operation in item.values() if isinstance(operation, dict)
               for reply in (operation.get("responses") or {}).values())


SEQUENCE_STEPS = 4
# The default seed of the linked sequences (see run_linked_sequences).
SEQUENCE_SEED = 0


class _SequenceStopped(Exception):
    """Stops the state machine once a sequence has failed (raised again on any replay)."""


class ClientAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` adapter that sends through the run's :class:`HttpClient` (and only to its
    target's origin). Transport failures become ``requests`` exceptions, as Schemathesis expects."""

    def __init__(self, http: HttpClient) -> None:
        super().__init__()
        self.http = http

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        exchange = request_exchange(request, self.http)
        url = urlsplit(str(request.url))
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        headers = {k: str(v) for k, v in request.headers.items() if k.lower() != "content-length"}
        reply_headers, kept = self.http.send_exchange(exchange, content=body or None, raw_query=url.query,
                                                wire_headers=headers)
        _SENT[request] = exchange
        if exchange.error is not None:
            if "timeout" in exchange.error:
                raise requests.exceptions.Timeout(exchange.error, request=request)
            raise requests.exceptions.ConnectionError(exchange.error, request=request)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(kept), headers=HTTPHeaderDict(list((reply_headers or {}).items())),
            status=exchange.status or 0, version=11, preload_content=False, decode_content=False,
        )
        response = requests.adapters.HTTPAdapter().build_response(request, raw)
        response._content = kept  # already decoded and capped by the client
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        pass


# The exchange each prepared request was sent as (so a reply is logged once, by the client).
_SENT: weakref.WeakKeyDictionary[requests.PreparedRequest, Exchange] = weakref.WeakKeyDictionary()


class _NoRedirectSession(requests.Session):
    """A session that never follows a redirect (a 3xx is the reply under test)."""

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Any:
        return iter(())


def transport_session(http: HttpClient) -> requests.Session:
    """A ``requests`` session for ``case.call`` whose every request goes through ``http``:
    no environment proxies or ``.netrc``, no redirects, no cookies kept."""
    session = _NoRedirectSession()
    session.trust_env = False
    session.max_redirects = 0
    for prefix in list(session.adapters):
        session.adapters.pop(prefix).close()
    adapter = ClientAdapter(http)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def request_exchange(request: Any, http: HttpClient, check_id: str | None = None) -> Exchange:
    """The run's form of a prepared request (for the exchange log and its curl)."""
    url = urlsplit(str(request.url))
    body = request.body or b""
    body = body.encode("utf-8") if isinstance(body, str) else body
    headers = {k: str(v) for k, v in request.headers.items() if k.lower() not in LIBRARY_HEADERS}
    form = headers.get("Content-Type", headers.get("content-type", "")).startswith(
        "application/x-www-form-urlencoded")
    data = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)) if form else None
    label = getattr(http._label, "check_id", None) if check_id is None else check_id
    return Exchange(
        method=str(request.method), url=urlunsplit(url._replace(query="")),
        params=dict(parse_qsl(url.query, keep_blank_values=True)), data=data, headers=headers,
        check_id=label, secrets=http.secrets,
    )


def send_case(case: Case, *, session: requests.Session | None = None, in_process: bool,
              http: HttpClient | None) -> tuple[Any, str | None]:
    """Send one generated case through the run's client (rate limit, deadlines, body cap, log).

    Returns ``(response, None)``, or ``(None, failure text with curl)`` when no reply came: a
    dropped connection or a timeout is a verdict on the target, not a crash of the phase. A reply
    the suite cannot judge (cut off at ``MAX_BODY_BYTES``, JSON nested too deep) raises
    ``CheckInconclusive``, as does the run deadline. ``session`` is ignored (kept for callers);
    ``in_process`` cases (an ASGI app, no network) go through Schemathesis' own transport.
    """
    if in_process:
        try:
            return case.call(), None
        except requests.RequestException as exc:
            return None, _unanswered(case, exc)
    client = http if http is not None else HttpClient(case.operation.base_url or "")
    own = transport_session(client)
    try:
        response = case.call(session=own, timeout=client.timeout)
    except requests.RequestException as exc:
        return None, _unanswered(case, exc)
    finally:
        own.close()
        if http is None:
            client.close()
    _judgeable(case, response)
    return response, None


def _unanswered(case: Case, exc: Exception) -> str:
    return (f"{case.method.upper()} {case.path} answers\nReceived: {type(exc).__name__}: {exc}"
            f"\nReproduce with:\n    {case.as_curl_command()}")


def _judgeable(case: Case, response: Any) -> None:
    """Raise CheckInconclusive for a reply the checks cannot read: cut off, or JSON too deep."""
    label = f"{case.method.upper()} {case.path}"
    exchange = _SENT.get(response.request)
    if exchange is not None and exchange.truncated:
        raise CheckInconclusive(f"{label} answered more than {MAX_BODY_BYTES} bytes: the reply was cut "
                                "off there and could not be judged")
    content = response.content or b""
    if content.lstrip()[:1] in (b"[", b"{"):
        try:
            parse_json_bounded(content)
        except JsonTooDeep as exc:
            raise CheckInconclusive(f"{label} answered {exc}: the reply could not be judged") from None
        except ValueError:
            pass  # not JSON: the response checks say whether that breaks a documented rule


def judge_reply(case: Case, response: Any, *, checks: list[Any], http: HttpClient | None,
                check_id: str | None) -> str | None:
    """Log the exchange in the run's log, then judge the reply; the first failure's text, or None."""
    sent = _SENT.get(response.request)
    if sent is not None and check_id is not None:
        sent.check_id = check_id
    elif sent is None and http is not None:  # not sent by the client (an ASGI app): log it here
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
