"""Response-level rules: one reply judged on its own, by the property phase and by targeted checks.

Each rule is a plain function over a :class:`Reply` (status, content type, body of one operation)
that returns a :class:`Violation` or None, and is registered with Schemathesis as a
``@schemathesis.check`` ``(ctx, response, case)`` too. :func:`assert_reply` runs them on an
``Exchange`` and raises ``CheckFailed``; the cassette validator calls the rule functions directly.

What counts as a rejection: an HTTP status >= 400, a Convoso JSON body with ``"success": false``
(000 "Error Handling"; public fact: the convoso-js SDK treats such a body as an API error), a
WhatCounts ``FAILURE:`` line (002 "Results"), an Avaamo JSON body with ``error`` and no ``entries``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import schemathesis
from schemathesis.core.failures import Failure, Severity

from optout_conformance.checks import shapes

if TYPE_CHECKING:
    from optout_conformance.runner.context import RunContext
    from optout_conformance.runner.http import Exchange

CONVOSO = "000_4120ae5ce1e52dc7.txt, 001_5cae901d395a1be8.txt"
WHATCOUNTS = "002_b0345f491e7a5826.txt"
AVAAMO = "003_725be0800b974dd2.txt"
SUCCESS_LINE = "SUCCESS: Stopping message to phone was successful"
FAILURE_LINE = re.compile(r"^FAILURE:\s*\S")
# Keywords whose breach makes a request negative in a way the documents state (a required argument
# missing, a wrong type, a value outside a documented enumeration, no credentials). Patterns,
# lengths and bounds are mostly the specs' own choices to steer generation (see the Convoso spec's
# header; 003 gives end_time as a "Number" with no bound), and the documented bounds (offset,
# limit, page, per_page) are all disputed, so breaking them does not oblige a target to reject.
# On a disputed (`x-discrepancy`) field only a missing value counts: what a disputed value does is
# the registry's to observe.
DOCUMENTED_NEGATIONS = frozenset(
    {"required", "type", "enum", "const", "security", "content-type"}
)
DISPUTED_NEGATIONS = frozenset({"required", "security", "content-type"})


def api_of_path(path: str) -> str | None:
    """Which API a spec path belongs to (None: not one of ours)."""
    if path.startswith("/sms-opt-out/"):
        return "convoso"
    if path.startswith("/api_web"):
        return "whatcounts"
    if path.startswith("/sms/opt-status"):
        return "avaamo"
    return None


@dataclass(frozen=True)
class Reply:
    """One reply of one operation, in the form every rule reads."""

    method: str
    path: str  # the spec's path template
    status: int
    content_type: str
    text: str

    @property
    def api(self) -> str | None:
        return api_of_path(self.path)

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @classmethod
    def from_exchange(cls, exchange: Exchange, method: str, path: str) -> Reply:
        return cls(method.upper(), path, exchange.status or 0, exchange.content_type, exchange.text)

    @classmethod
    def from_response(cls, response: schemathesis.Response, case: schemathesis.Case) -> Reply:
        content_type = (response.headers.get("content-type") or [""])[0]
        return cls(
            case.method.upper(),
            case.path,
            response.status_code,
            content_type.split(";")[0].strip().lower(),
            response.content.decode(response.encoding or "utf-8", errors="replace"),
        )


@dataclass(frozen=True)
class Violation:
    """A broken rule, in CheckFailed's terms."""

    rule: str
    received: str
    documented: str
    source: str


@dataclass(frozen=True)
class Rejection:
    """How a reply refused a request: at HTTP level or in its body; the error code when one came."""

    level: str  # "http" | "body"
    code: int | None
    message: str | None


def _code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def rejection(reply: Reply) -> Rejection | None:
    """The rejection a reply expresses, or None when it accepted the request."""
    body = reply.json()
    code = message = None
    if isinstance(body, dict):
        code = _code(body.get("code"))
        text = body.get("message", body.get("error"))
        message = text if isinstance(text, str) else None
    if reply.status >= 400:
        return Rejection("http", code, message)
    if reply.api == "convoso" and isinstance(body, dict) and body.get("success") in (False, "false", 0):
        return Rejection("body", code, message)
    if reply.api == "whatcounts" and FAILURE_LINE.match(reply.text.strip()):
        return Rejection("body", None, reply.text.strip()[len("FAILURE:"):].strip())
    if reply.api == "avaamo" and isinstance(body, dict) and "error" in body and "entries" not in body:
        return Rejection("body", code, message)
    return None


def documented_errors(spec: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    operation = shapes.find_operation(spec, method, path) or {}
    return list(operation.get("x-error-codes") or [])


def _documented(found: Rejection, errors: list[dict[str, Any]]) -> bool:
    if found.code is not None:
        return any(_code(e.get("code")) == found.code for e in errors)
    texts = {str(t).lower() for e in errors for t in [e.get("message"), *(e.get("variants") or [])] if t}
    return found.message is not None and found.message.strip().lower() in texts


def text_reply_conforms(reply: Reply) -> Violation | None:
    """WhatCounts replies are `SUCCESS: Stopping message to phone was successful` or `FAILURE: <reason>`.

    002 "Results": "outputs either a SUCCESS or FAILURE message", success format quoted exactly,
    failure format "FAILURE: [Reason]". Server errors (5xx) are judged by not_a_server_error.
    """
    if reply.api != "whatcounts" or reply.status >= 500:
        return None
    line = reply.text.strip()
    if line == SUCCESS_LINE or FAILURE_LINE.match(line):
        return None
    return Violation(
        "WhatCounts reply is a SUCCESS or FAILURE message",
        received=repr(reply.text[:200]),
        documented=f"{SUCCESS_LINE!r} or 'FAILURE: <reason>'",
        source=f"{WHATCOUNTS} (Results)",
    )


def documented_error_code(reply: Reply, spec: dict[str, Any]) -> Violation | None:
    """A Convoso error code must be one of the operation's documented codes (its `x-error-codes`).

    000 and 001 list the error codes of each operation in an "Error Codes" table.
    """
    if reply.api != "convoso":
        return None
    found = rejection(reply)
    if found is None or found.code is None:
        return None
    errors = documented_errors(spec, reply.method, reply.path)
    codes = sorted({c for e in errors if (c := _code(e.get("code"))) is not None})
    if found.code in codes:
        return None
    return Violation(
        f"{reply.method} {reply.path} error code is documented for the operation",
        received=f"code {found.code} ({found.message or 'no message'})",
        documented=f"one of {', '.join(map(str, codes))}",
        source=f"{CONVOSO} (Error Codes table of the operation)",
    )


def profile_shape_conforms(reply: Reply, spec: dict[str, Any]) -> Violation | None:
    """A reply under a documented status matches the profile-narrowed spec (status, type, body).

    Error statuses are documented by no seed document, so a 4xx the spec does not list is left
    to the registry (observed); 5xx is not_a_server_error's.
    """
    if reply.status >= 500 or reply.api is None:
        return None
    errors = shapes.validate_response(spec, reply.method, reply.path, reply.status, reply.content_type,
                                      reply.text)
    if not errors or (reply.status >= 400 and errors[0].startswith("HTTP status")):
        return None
    if errors[0].startswith("$") and not shapes.is_json_media(reply.content_type):
        return None  # a text body: text_reply_conforms judges it
    if errors[0].endswith("is not an operation of the spec"):
        return None  # a method or path no document mentions (coverage phase probes): not judged
    source = {"convoso": CONVOSO, "whatcounts": WHATCOUNTS, "avaamo": AVAAMO}[reply.api]
    return Violation(
        f"{reply.method} {reply.path} reply matches the documented shape",
        received=f"{errors[0]} (HTTP {reply.status} {reply.content_type or 'no content type'})",
        documented=f"the response schema of {reply.method} {reply.path}",
        source=f"{source} (response fields)",
    )


def body_level_rejection(reply: Reply, spec: dict[str, Any], negative: bool | None,
                         negation: str = "", disputed_sent: Collection[str] = ()) -> Violation | None:
    """Negative data is rejected (HTTP or body level); positive data only with a documented error.

    ``negative``: True for a request that breaks the spec in a documented way (see
    :func:`request_negativity`), False for a valid one, None when unknown (nothing is judged);
    ``negation`` says how the request breaks the spec (for the report); ``disputed_sent`` names
    the ``x-discrepancy`` fields the request carried: a rejection of valid data whose message
    names one of them concerns a point the documents leave open (e.g. 001: insert_date "format
    varies by implementation"), so it is not judged.
    Convoso: a rejection of valid data must carry an error code or message documented for the
    operation (000/001 Error Codes tables; 6006 for an unknown campaign or 6008 for a duplicate
    are legitimate). WhatCounts: 002 "Results" lets any stop fail ("if a subscription does not
    exist, if the phone number is not found"), so only the negative half applies. Avaamo: 003
    documents no error at all, so valid requests must be served.
    """
    if negative is None or reply.api is None or reply.status >= 500:
        return None
    found = rejection(reply)
    source = {"convoso": CONVOSO, "whatcounts": WHATCOUNTS, "avaamo": AVAAMO}[reply.api]
    if negative and found is None:
        return Violation(
            f"{reply.method} {reply.path} rejects a request that breaks the documented parameters",
            received=f"accepted: HTTP {reply.status} {reply.text[:200]!r}"
            + (f"; the request breaks the spec: {negation}" if negation else ""),
            documented="an error (HTTP error status, success false, or FAILURE: <reason>)",
            source=f"{source} (parameters)",
        )
    if negative or found is None or reply.api == "whatcounts":
        return None
    errors = documented_errors(spec, reply.method, reply.path)
    if reply.api == "convoso" and _documented(found, errors):
        return None
    if found.message and any(re.search(rf"\b{re.escape(name)}\b", found.message, re.IGNORECASE)
                             for name in disputed_sent):
        return None
    return Violation(
        f"{reply.method} {reply.path} accepts a request that follows the documented parameters",
        received=f"rejected: HTTP {reply.status} {reply.text[:200]!r}",
        documented="success, or an error code documented for the operation"
        if reply.api == "convoso" else "a page of entries",
        source=f"{source} (parameters, Error Codes)",
    )


def counts_as_negation(error: shapes.RequestError) -> bool:
    return error.keyword in (DISPUTED_NEGATIONS if error.disputed else DOCUMENTED_NEGATIONS)


@dataclass(frozen=True)
class SentRequest:
    """What a request as sent means for the rules: negative, valid, or neither for sure (None)."""

    negative: bool | None
    negation: str = ""  # how it breaks the spec (the documented negations, one line)
    disputed_sent: frozenset[str] = frozenset()  # x-discrepancy fields it carried


# An integer of more than 15 digits is beyond what JSON/JavaScript clients hold exactly (2**53) and
# beyond every value the documents give; a target refusing one is not judged.
HUGE_INTEGER = re.compile(r"^-?[0-9]{16,}$")


def request_negativity(case: schemathesis.Case, response: schemathesis.Response) -> SentRequest:
    """Judge the request as sent (see :class:`SentRequest`).

    Generation mode alone is not enough: credentials injected after generation can overwrite the
    only "negation" of a case, so the request is re-validated as it went over the wire.
    """
    meta = case.meta
    if meta is None:
        return SentRequest(None)
    request = response.request
    url = urlsplit(str(request.url))
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k.lower(): str(v) for k, v in request.headers.items()}
    spec = case.operation.schema.raw_schema
    query = parse_qs(url.query, keep_blank_values=True)
    content_type = headers.get("content-type", "")
    errors = shapes.validate_request(spec, case.method, case.path, query=query, headers=headers,
                                     content_type=content_type, body=body)
    sent = dict(query)
    if content_type.startswith("application/x-www-form-urlencoded"):
        sent.update(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    disputed = frozenset(shapes.disputed_fields(spec, case.method, case.path) & set(sent))
    negations = [e for e in errors if counts_as_negation(e)]
    described = "; ".join(f"{e.location} {e.field or ''}: {e.message}".replace("  ", " ") for e in negations)
    if meta.generation.mode.is_negative:
        return SentRequest(True if negations else None, described[:500], disputed)
    huge = any(HUGE_INTEGER.match(v) for values in sent.values() for v in values)
    return SentRequest(False if not errors and not huge else None, "", disputed)


class DocumentedRuleBroken(Failure):
    """A reply broke a rule a source document states (Received / Documented, with the source)."""

    code = "ST990"
    kind_title = "Documented rule broken"

    @classmethod
    def of(cls, violation: Violation, case: schemathesis.Case) -> DocumentedRuleBroken:
        return cls(
            operation=case.operation.label,
            title=violation.rule,
            message=f"Received: {violation.received}\n"
            f"Documented: {violation.documented} ({violation.source})",
            severity=Severity.HIGH,
        )


def _raise(violation: Violation | None, case: schemathesis.Case) -> None:
    if violation is not None:
        raise DocumentedRuleBroken.of(violation, case)


@schemathesis.check
def check_body_level_rejection(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                               case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`body_level_rejection` (000/001 Error Codes; 002 Results)."""
    reply = Reply.from_response(response, case)
    if reply.api is not None:
        sent = request_negativity(case, response)
        _raise(body_level_rejection(reply, case.operation.schema.raw_schema, sent.negative, sent.negation,
                                    sent.disputed_sent), case)
    return None


@schemathesis.check
def check_text_reply_conforms(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                              case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`text_reply_conforms` (002 Results)."""
    _raise(text_reply_conforms(Reply.from_response(response, case)), case)
    return None


@schemathesis.check
def check_profile_shape_conforms(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                 case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`profile_shape_conforms` (the narrowed spec loaded)."""
    _raise(profile_shape_conforms(Reply.from_response(response, case), case.operation.schema.raw_schema),
           case)
    return None


@schemathesis.check
def check_documented_error_code(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`documented_error_code` (000/001 Error Codes tables)."""
    _raise(documented_error_code(Reply.from_response(response, case), case.operation.schema.raw_schema),
           case)
    return None


RESPONSE_CHECKS = (
    check_body_level_rejection,
    check_text_reply_conforms,
    check_profile_shape_conforms,
    check_documented_error_code,
)


def reply_violations(reply: Reply, spec: dict[str, Any], *, negative: bool | None = None) -> list[Violation]:
    """Every response rule's violation for one reply (the cassette validator's entry point)."""
    found = [
        text_reply_conforms(reply),
        documented_error_code(reply, spec),
        profile_shape_conforms(reply, spec),
        body_level_rejection(reply, spec, negative),
    ]
    return [v for v in found if v is not None]


def assert_reply(ctx: RunContext, exchange: Exchange, method: str, path: str, *,
                 negative: bool | None = None) -> None:
    """Raise CheckFailed for the first response rule the exchange's reply breaks."""
    from optout_conformance.runner.context import CheckFailed

    if exchange.error or exchange.status is None:
        raise CheckFailed(f"{method.upper()} {path} answers", received=exchange.error or "no reply",
                          documented="an HTTP reply", source=ctx.api, exchange=exchange)
    if exchange.status >= 500:
        raise CheckFailed(f"{method.upper()} {path} does not fail with a server error",
                          received=exchange.summary(), documented="a reply or a documented rejection",
                          source="Convoso glossary: 500 = server failed", exchange=exchange)
    for violation in reply_violations(Reply.from_exchange(exchange, method, path), ctx.spec(),
                                      negative=negative):
        raise CheckFailed(violation.rule, received=violation.received, documented=violation.documented,
                          source=violation.source, exchange=exchange)
