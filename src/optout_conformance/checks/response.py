"""Response-level rules: one reply judged on its own, by the property phase and by targeted checks.

Each rule is a plain function over a :class:`Reply` (status, content type, body of one operation)
that returns a :class:`Violation` or None; its Schemathesis form ``(ctx, response, case)`` is in
``checks/schemathesis_checks.py``. :func:`assert_reply` runs them on an ``Exchange`` and raises
``CheckFailed``; the cassette validator calls the rule functions directly.

What counts as a rejection: an HTTP status >= 400, a Convoso JSON body with ``"success": false``
(000 "Error Handling"; public fact: the convoso-js SDK treats such a body as an API error), a
WhatCounts ``FAILURE:`` line (002 "Results"), an Avaamo JSON body with ``error`` and no ``entries``.

Which error codes an operation may answer is registry-aware: besides the codes of its own table
(``x-error-codes``), :func:`codes_let_through` adds the codes of a contradiction between tables
that the profile in force leaves open (lenient, or auto without a fingerprint on the point).
Which requests count as negative is ``checks/requests.py``'s to say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import schemathesis
from jsonschema.exceptions import ValidationError, best_match

from optout_conformance.checks import shapes
from optout_conformance.checks.judgement import api_of_path, dialect_of, json_or_none, read
from optout_conformance.core.apis import APIS
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.core.reading import UNREADABLE, Reading, as_int
from optout_conformance.registry import load_registry

if TYPE_CHECKING:
    from optout_conformance.core.context import CheckContext
    from optout_conformance.core.interaction import Exchange, Interaction

def source_of(api: str) -> str:
    """The documents a rule about ``api``'s replies stand on: the API definition's sources (each
    dialect's ``SOURCE`` names the same documents)."""
    return ", ".join(APIS[api].sources)


def server_error_source(api: str) -> str:
    """Why a server error is never a documented reply of ``api``."""
    found = dialect_of(api)
    return str(found.SERVER_ERROR_SOURCE) if found is not None else api


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
        return json_or_none(self.text)

    def reading(self) -> Reading:
        """What this reply says (``checks.judgement``: status first, then the API's dialect)."""
        return read(self.api, self.status, self.content_type, self.text)

    @classmethod
    def from_interaction(cls, interaction: Interaction, path: str) -> Reply:
        """The reply of ``interaction`` to the operation at spec path ``path``."""
        return cls(interaction.method.upper(), path, interaction.status, interaction.content_type,
                   interaction.text)

    @classmethod
    def from_exchange(cls, exchange: Exchange, method: str, path: str) -> Reply:
        return cls.from_interaction(replace(exchange.interaction(), method=method), path)

    @classmethod
    def from_response(cls, response: schemathesis.Response, case: schemathesis.Case) -> Reply:
        content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
        text = response.content.decode(response.encoding or "utf-8", errors="replace")
        return cls(case.method.upper(), case.path, response.status_code, content_type, text)


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


def rejection(reply: Reply) -> Rejection | None:
    """The rejection a reply expresses, or None when it accepted the request (its reading refused)."""
    found = reply.reading()
    return Rejection(found.level, found.code, found.message) if found.refused else None


def documented_errors(spec: dict[str, Any], method: str, path: str) -> list[dict[str, Any]]:
    """The operation's error table (``x-error-codes``: code, message, variants, sources)."""
    operation = shapes.find_operation(spec, method, path) or {}
    return list(operation.get("x-error-codes") or [])


def codes_let_through(path: str, expect: Callable[[str], Any]) -> frozenset[int]:
    """Error codes the registry lets through on the operation at ``path`` besides its own table.

    A registry entry whose pinned value names one code per operation (e.g.
    ``convoso.error.unknown-campaign-code``: 6006 on search and insert, 6004 on update, both from
    000) is a contradiction between the operations' tables; where ``expect(id)`` is None (the
    profile in force pins no variant) a target may answer any of those codes on any of them.
    """
    api, operation = api_of_path(path), path.rstrip("/").rsplit("/", 1)[-1]
    allowed: set[int] = set()
    for entry in load_registry():
        if entry.api != api or operation not in entry.operations or expect(entry.id) is not None:
            continue
        for value in entry.profiles.values():
            if isinstance(value, dict) and value and set(value) <= set(entry.operations):
                allowed |= {code for v in value.values() if (code := as_int(v)) is not None}
    return frozenset(allowed)


def _documented(found: Rejection, errors: list[dict[str, Any]], let_through: Collection[int] = ()) -> bool:
    if found.code is not None:
        return found.code in let_through or any(as_int(e.get("code")) == found.code for e in errors)
    texts = {str(t).lower() for e in errors for t in [e.get("message"), *(e.get("variants") or [])] if t}
    return found.message is not None and found.message.strip().lower() in texts


def text_reply_conforms(reply: Reply) -> Violation | None:
    """A reply in a text dialect (WhatCounts: ``SUCCESS: Stopping message to phone was successful``
    or ``FAILURE: <reason>``) is readable in it.

    002 "Results": "outputs either a SUCCESS or FAILURE message", success format quoted exactly,
    failure format "FAILURE: [Reason]". Server errors (5xx) are judged by not_a_server_error.
    """
    found = dialect_of(reply.api)
    text_format = getattr(found, "TEXT_FORMAT", None)
    if found is None or text_format is None or reply.status >= 500:
        return None
    if reply.status >= 400:  # the status refused: the body is read by the dialect all the same
        if found.read(reply.status, reply.content_type, reply.text, reply.json()).kind != UNREADABLE:
            return None
    elif reply.reading().kind != UNREADABLE:
        return None
    return Violation(str(found.TEXT_RULE), received=repr(reply.text[:200]), documented=text_format,
                     source=f"{found.SOURCE} (Results)")


def documented_error_code(reply: Reply, spec: dict[str, Any], let_through: Collection[int] = ()
                          ) -> Violation | None:
    """A Convoso error code must be one of the operation's documented codes (its `x-error-codes`).

    000 and 001 list the error codes of each operation in an "Error Codes" table; ``let_through``
    adds the codes the registry allows there too (:func:`codes_let_through`). The token codes of
    the glossary (:data:`AUTH_CODES`: 401 missing or invalid token, 403 token not valid for the
    office; a public fact) are documented for every operation. Whether the token sent was in fact
    wrong is :func:`body_level_rejection`'s to judge.
    """
    found_dialect = dialect_of(reply.api)
    if found_dialect is None or not found_dialect.CODED_ERRORS:
        return None
    found = rejection(reply)
    if found is None or found.code is None:
        return None
    errors = documented_errors(spec, reply.method, reply.path)
    codes = sorted({c for e in errors if (c := as_int(e.get("code"))) is not None})
    if found.code in codes or found.code in let_through or found.code in found_dialect.AUTH_CODES:
        return None
    return Violation(
        f"{reply.method} {reply.path} error code is documented for the operation",
        received=f"code {found.code} ({found.message or 'no message'})",
        documented=f"one of {', '.join(map(str, sorted({*codes, *let_through})))}",
        source=f"{found_dialect.SOURCE} (Error Codes table of the operation)",
    )


def _branch_errors(error: ValidationError, best: ValidationError | None) -> list[ValidationError]:
    """Every error of the ``oneOf``/``anyOf`` branch that explains ``error`` (the branch ``best``,
    the failure's best match, lies in), nested branches expanded alike; any other error is itself."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    node = best if best is not None else best_match(error.context)
    while node is not None and node.parent is not None and node.parent is not error:
        node = node.parent
    if node is None or node.parent is not error:  # best lies elsewhere: this node's own best match
        node = best_match(error.context)
    branch = node.relative_schema_path[0] if node is not None and node.relative_schema_path else None
    return [leaf for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == branch
            for leaf in _branch_errors(e, best)]


def every_schema_error(spec: dict[str, Any], reply: Reply) -> list[str]:
    """Every schema error of a JSON reply under its documented status and media type, the most
    relevant first ([] when there is none or the reply is not one to read this way): a reply
    answered as one ``oneOf`` branch lists all that branch's errors, not only the first."""
    operation = shapes.find_operation(spec, reply.method, reply.path) or {}
    responses = operation.get("responses", {})
    status = str(reply.status)
    key = next((k for k in (status, f"{status[0]}XX", f"{status[0]}xx", "default") if k in responses), None)
    if key is None:
        return []
    content = shapes.resolve(spec, responses[key]).get("content") or {}
    media = next((m for m in content if shapes.media_matches(m, reply.content_type)), None)
    if media is None or "schema" not in content[media] or not shapes.is_json_media(reply.content_type):
        return []
    instance = reply.json()
    if instance is None:
        return []
    schema_pointer = shapes.pointer("paths", reply.path, reply.method.lower(), "responses", key, "content",
                                    media, "schema")
    errors = list(shapes.validators_for(spec).at(schema_pointer).iter_errors(instance))
    best = best_match(errors)
    leaves = [leaf for e in errors for leaf in _branch_errors(e, best)]
    ordered = [best, *(e for e in leaves if e is not best)] if best in leaves else leaves
    return [f"{shapes.json_path(e)}: {e.message[:300]}" for e in ordered]


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
    source = source_of(reply.api)
    listed = (every_schema_error(spec, reply) if errors[0].startswith("$") else None) or errors[:1]
    return Violation(
        f"{reply.method} {reply.path} reply matches the documented shape",
        received=f"{'; '.join(listed)} (HTTP {reply.status} {reply.content_type or 'no content type'})",
        documented=f"the response schema of {reply.method} {reply.path}",
        source=f"{source} (response fields)",
    )


def body_level_rejection(reply: Reply, spec: dict[str, Any], negative: bool | None,
                         negation: str = "", disputed_sent: Collection[str] = (),
                         let_through: Collection[int] = ()) -> Violation | None:
    """Negative data is rejected (HTTP or body level); positive data only with a documented error.

    ``negative``: True for a request that breaks the spec in a documented way (see
    :func:`request_negativity`), False for a valid one, None when unknown (nothing is judged);
    ``negation`` says how the request breaks the spec (for the report); ``disputed_sent`` names
    the ``x-discrepancy`` fields the request carried: a rejection of valid data whose message
    names one of them concerns a point the documents leave open (e.g. 001: insert_date "format
    varies by implementation"), so it is not judged; ``let_through`` as for documented_error_code.
    Convoso: a rejection of valid data must carry an error code or message documented for the
    operation (000/001 Error Codes tables; 6006 for an unknown campaign or 6008 for a duplicate
    are legitimate). WhatCounts: 002 "Results" lets any stop fail ("if a subscription does not
    exist, if the phone number is not found"), so only the negative half applies. Avaamo: 003
    documents no error at all, so valid requests must be served.
    """
    if negative is None or reply.api is None or reply.status >= 500:
        return None
    found = rejection(reply)
    source = source_of(reply.api)
    if negative and found is None:
        return Violation(
            f"{reply.method} {reply.path} rejects a request that breaks the documented parameters",
            received=f"accepted: HTTP {reply.status} {reply.text[:200]!r}"
            + (f"; the request breaks the spec: {negation}" if negation else ""),
            documented="an error (HTTP error status, success false, or FAILURE: <reason>)",
            source=f"{source} (parameters)",
        )
    rejected_valid = getattr(dialect_of(reply.api), "REJECTED_VALID", "")
    if negative or found is None or not rejected_valid:
        return None
    errors = documented_errors(spec, reply.method, reply.path)
    if getattr(dialect_of(reply.api), "CODED_ERRORS", False) and _documented(found, errors, let_through):
        return None
    if found.message and any(re.search(rf"\b{re.escape(name)}\b", found.message, re.IGNORECASE)
                             for name in disputed_sent):
        return None
    if found.code is None and disputed_sent:
        # No document says which values of a disputed field a server takes (001: insert_date
        # "format varies by implementation"), and no table has a code for refusing one: an
        # uncoded refusal of such a request is not judged, whatever words it uses (registry
        # convoso.error.uncoded-body: "Bad Request" is as good as a message naming the field).
        return None
    return Violation(
        f"{reply.method} {reply.path} accepts a request that follows the documented parameters",
        received=f"rejected: HTTP {reply.status} {reply.text[:200]!r}",
        documented=rejected_valid,
        source=f"{source} (parameters, Error Codes)",
    )


def reply_violations(reply: Reply, spec: dict[str, Any], *, negative: bool | None = None,
                     let_through: Collection[int] = ()) -> list[Violation]:
    """Every response rule's violation for one reply (the cassette validator's entry point)."""
    found = [
        text_reply_conforms(reply),
        documented_error_code(reply, spec, let_through),
        profile_shape_conforms(reply, spec),
        body_level_rejection(reply, spec, negative, let_through=let_through),
    ]
    return [v for v in found if v is not None]


def assert_reply(ctx: CheckContext, exchange: Exchange, method: str, path: str, *,
                 negative: bool | None = None) -> None:
    """Raise CheckFailed for the first response rule the exchange's reply breaks."""
    if exchange.error or exchange.status is None:
        raise CheckFailed(f"{method.upper()} {path} answers", received=exchange.error or "no reply",
                          documented="an HTTP reply", source=ctx.api, exchange=exchange)
    if exchange.status >= 500:
        raise CheckFailed(f"{method.upper()} {path} does not fail with a server error",
                          received=exchange.summary(), documented="a reply or a documented rejection",
                          source=server_error_source(ctx.api), exchange=exchange)
    for violation in reply_violations(Reply.from_exchange(exchange, method, path), ctx.spec(),
                                      negative=negative, let_through=codes_let_through(path, ctx.expect)):
        raise CheckFailed(violation.rule, received=violation.received, documented=violation.documented,
                          source=violation.source, exchange=exchange)
