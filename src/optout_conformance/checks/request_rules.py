"""One request-rule engine: a request as it went over the wire, judged against the spec + registry.

:func:`validate_request` lists how a neutral request (query string, headers, form or JSON body,
every value a string) breaks an API's OpenAPI 3.1 spec, with the same cached validators and spec
helpers as reply validation (``checks/shapes.py``). :func:`judge` applies one of two named
policies to those errors:

* :data:`SERVER_MUST_REFUSE` -- what makes a request *negative*: it breaks the spec in a way a
  document states (a required argument missing, a wrong type, a value outside a documented
  enumeration, no credentials), so a server must refuse it. Used by the targeted checks and the
  property phase (``checks/requests.py``).
* :data:`CLIENT_MUST_NOT_SEND` -- what a client must not send: every documented keyword (the
  stated upper bounds included, even on a disputed field) is a violation, citing the sentence
  that states it (a bound's sentence is read from the field's registry entries, so it follows the
  profile the spec is narrowed to); the spec's own choices (patterns, lengths, the minimums no
  document gives) are notes. Used by ``validate`` and ``proxy`` (``cassettes/request_rules.py``).
  Every rule runs on every request: how it travelled (method, body encoding, query string) is
  judged on the request as sent, what its arguments say on the same arguments laid out as the
  spec documents them (:func:`as_documented`: wherever the client put them -- query string, form,
  multipart, JSON body); each field is reported once (:func:`merged`).

The vendor-specific part of each policy (form encoding, undocumented fields, numeric fields,
pages past the end, ...) lives in ``apis/<name>/request_policy.py`` and is reached through the
definition's ``request_policy`` reference; alias pairs are read from the spec's ``x-aliases`` /
``x-required-one-of``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email import policy as email_policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs, urlencode

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from optout_conformance.checks import shapes
from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.core.interaction import parse_json_bounded
from optout_conformance.registry import get as get_entry

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


@dataclass(frozen=True)
class RequestError:
    """One way a request as sent breaks the spec; ``disputed`` when the field is an ``x-discrepancy``."""

    location: str  # query | header | body | content-type | security
    field: str | None
    message: str
    disputed: bool = False
    # The JSON Schema keyword broken ("required", "type", "pattern", ...), "security" or "content-type".
    keyword: str = "required"
    # The field's registry entries (its ``x-discrepancy`` ids) and the keyword's value (the bound).
    marks: tuple[str, ...] = ()
    bound: Any = None


def _wire_readings(text: str) -> list[Any]:
    """The values a form or query string may stand for: the text, an integer, a number, a boolean."""
    readings: list[Any] = [text]
    try:
        readings.append(int(text))
    except ValueError:
        with contextlib.suppress(ValueError):
            readings.append(float(text))
    if text in ("true", "false"):
        readings.append(text == "true")
    return readings


def _field_value(values: list[str], schema: dict[str, Any], validator: Draft202012Validator) -> Any:
    """The reading of a sent field that its schema accepts (the raw text when none does)."""
    if isinstance(schema, dict) and schema.get("type") == "array":
        return values
    readings = _wire_readings(values[-1])
    for reading in readings:
        if validator.is_valid(reading):
            return reading
    # None fits: report against the reading of the declared type (an integer below its minimum
    # is a bound error, not a type error).
    declared = schema.get("type") if isinstance(schema, dict) else None
    types: dict[str, type] = {"integer": int, "number": float, "boolean": bool}
    wanted = types.get(declared) if isinstance(declared, str) else None
    return next((r for r in readings if wanted is not None and type(r) is wanted), values[-1])


def _is_disputed(spec: dict[str, Any], node: Any) -> bool:
    node = shapes.resolve(spec, node)
    return isinstance(node, dict) and "x-discrepancy" in node


def _marks(spec: dict[str, Any], *nodes: Any) -> tuple[str, ...]:
    """The registry ids (``x-discrepancy``) the nodes carry, in order."""
    found: list[str] = []
    for node in nodes:
        node = shapes.resolve(spec, node)
        mark = node.get("x-discrepancy") if isinstance(node, dict) else None
        for name in [mark] if isinstance(mark, str) else (mark or []):
            if str(name) not in found:
                found.append(str(name))
    return tuple(found)


def _security_errors(spec: dict[str, Any], operation: dict[str, Any], headers: Mapping[str, str],
                     query: Mapping[str, list[str]]) -> list[RequestError]:
    requirements = operation.get("security", spec.get("security")) or []
    if not requirements:
        return []
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for requirement in requirements:
        satisfied = True
        for name in requirement:
            scheme = shapes.resolve(spec, schemes.get(name, {}))
            if scheme.get("type") == "apiKey":
                wanted = scheme.get("name", "").lower()
                present = wanted in headers if scheme.get("in") == "header" else wanted in query
                satisfied = satisfied and present
        if satisfied:
            return []
    return [RequestError("security", None, "no credentials of any documented security requirement",
                         keyword="security")]


def _form_fields_declared(spec: dict[str, Any], operation: dict[str, Any], content_type: str,
                          body: bytes) -> dict[str, list[str]]:
    """Form fields that the operation's form body declares too: they stand in for query arguments
    of the same name (WhatCounts POST takes its arguments "in the query string or a form body")."""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    request_body = shapes.resolve(spec, operation.get("requestBody")) or {}
    media = request_body.get("content", {}).get("application/x-www-form-urlencoded", {})
    declared = shapes.resolve(spec, media.get("schema", {})).get("properties", {})
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values for name, values in fields.items() if name in declared}


def _alias_errors(operation: dict[str, Any], query: Mapping[str, list[str]], content_type: str,
                  body: bytes) -> list[RequestError]:
    """``x-required-one-of``: one name of each alias pair (query string or form body) is required."""
    pairs = operation.get("x-required-one-of") or []
    if not pairs:
        return []
    sent = set(query)
    if content_type.startswith("application/x-www-form-urlencoded"):
        sent |= set(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return [
        RequestError("query", names[0], f"one of {' / '.join(names)} is required")
        for names in pairs
        if not sent & set(names)
    ]


def validate_request(
    spec: dict[str, Any],
    method: str,
    path: str,
    *,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    content_type: str,
    body: bytes,
) -> list[RequestError]:
    """Errors of a request as it went over the wire (every value a string) against ``spec``.

    A form or query value counts as valid when any reading of it (text, integer, number, boolean)
    fits its schema, because on the wire the two are indistinguishable. ``headers`` keys are
    lowercase. Used to tell whether a generated "negative" request is still negative after
    credentials were injected into it.
    """
    operation = shapes.find_operation(spec, method, path)
    if operation is None:
        return [RequestError("path", None, f"{method.upper()} {path} is not an operation of the spec")]
    validators = shapes.validators_for(spec)
    errors: list[RequestError] = []
    parameter_pointers: dict[int, str] = {}
    for owner in (shapes.pointer("paths", path), shapes.pointer("paths", path, method.lower())):
        for index, _ in enumerate(shapes.node_at(spec, owner).get("parameters", [])):
            resolved_pointer = shapes.follow(spec, f"{owner}/parameters/{index}")
            parameter_pointers[id(shapes.node_at(spec, resolved_pointer))] = resolved_pointer
    parameters = [shapes.node_at(spec, p) for p in parameter_pointers.values()]
    form_fields = _form_fields_declared(spec, operation, content_type, body)
    for parameter in parameters:
        location, name = parameter.get("in"), parameter.get("name", "")
        if location not in ("query", "header"):
            continue
        sent = (query.get(name) or form_fields.get(name)) if location == "query" else (
            [headers[name.lower()]] if name.lower() in headers else None)
        disputed = "x-discrepancy" in parameter or _is_disputed(spec, parameter.get("schema"))
        if not sent:
            if parameter.get("required"):
                errors.append(RequestError(location, name, f"required {location} parameter missing",
                                           disputed))
            continue
        schema = parameter.get("schema")
        if schema is None:
            continue
        validator = validators.at(shapes.follow(spec, parameter_pointers[id(parameter)]) + "/schema")
        value = _field_value(sent, shapes.resolve(spec, schema), validator)
        marks = _marks(spec, parameter, schema)
        for error in validator.iter_errors(value):
            errors.append(RequestError(location, name, error.message, disputed, str(error.validator),
                                       marks, error.validator_value))
    errors += _security_errors(spec, operation, headers, query)
    errors += _alias_errors(operation, query, content_type, body)
    request_body = shapes.resolve(spec, operation.get("requestBody"))
    if not request_body:
        return errors
    content = request_body.get("content", {})
    actual = content_type.split(";")[0].strip().lower()
    if not body and not request_body.get("required"):
        return errors
    media = next((m for m in content if shapes.media_matches(m, actual)), None)
    if media is None:
        errors.append(RequestError("content-type", None, f"body sent as {actual or '(none)'}",
                                   keyword="content-type"))
        return errors
    body_pointer = shapes.follow(spec, shapes.pointer("paths", path, method.lower(), "requestBody"))
    schema_ref = shapes.follow(spec, body_pointer + shapes.pointer("content", media, "schema"))
    body_schema = shapes.resolve(spec, content[media].get("schema", {}))
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return [*errors, RequestError("body", None, "form body is not UTF-8", keyword="type")]
        properties = body_schema.get("properties", {})
        instance: dict[str, Any] = {}
        for name, values in fields.items():
            if name in properties:
                property_pointer = shapes.follow(spec, schema_ref) + shapes.pointer("properties", name)
                validator = validators.at(property_pointer)
                instance[name] = _field_value(values, shapes.resolve(spec, properties[name]), validator)
            else:
                instance[name] = values[-1]
    else:
        try:
            instance = parse_json_bounded(body or b"null")  # depth-limited: no RecursionError
        except ValueError:
            return [*errors, RequestError("body", None, "body is not JSON", keyword="type")]
    body_validator = validators.at(schema_ref)
    for error in body_validator.iter_errors(instance):
        name = _error_field(error)
        prop = body_schema.get("properties", {}).get(name) if name else None
        disputed = _is_disputed(spec, prop) if prop else False
        if error.validator == "additionalProperties" and isinstance(instance, dict):
            known = body_schema.get("properties", {})
            for extra in sorted(str(k) for k in instance if k not in known):
                errors.append(RequestError("body", extra, f"{extra!r} is not a documented field", False,
                                           "additionalProperties"))
            continue
        errors.append(RequestError("body", name, error.message, disputed, str(error.validator),
                                   _marks(spec, prop) if prop else (), error.validator_value))
    return errors


def disputed_fields(spec: dict[str, Any], method: str, path: str) -> set[str]:
    """Names of the operation's parameters and form fields marked ``x-discrepancy``."""
    operation = shapes.find_operation(spec, method, path)
    if operation is None:
        return set()
    item = shapes.resolve(spec, spec["paths"][path])
    names = set()
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = shapes.resolve(spec, parameter)
        if "x-discrepancy" in parameter or _is_disputed(spec, parameter.get("schema")):
            names.add(parameter.get("name", ""))
    body = shapes.resolve(spec, operation.get("requestBody")) or {}
    for media in body.get("content", {}).values():
        properties = shapes.resolve(spec, media.get("schema", {})).get("properties", {})
        names |= {name for name, prop in properties.items() if _is_disputed(spec, prop)}
    return names


def _error_field(error: ValidationError) -> str | None:
    """The top-level property an error is about (the missing one for ``required``)."""
    if error.absolute_path:
        return str(error.absolute_path[0])
    if error.validator == "required" and isinstance(error.message, str) and error.message.startswith("'"):
        return error.message.split("'")[1]
    return None  # additionalProperties and the other whole-object errors name no single field


# An integer of more than 15 digits is beyond what JSON/JavaScript clients hold exactly (2**53) and
# beyond every value the documents give; a target refusing one is not judged.
HUGE_INTEGER = re.compile(r"^-?[0-9]{16,}$")
FORM = "application/x-www-form-urlencoded"
VIOLATION = "violation"
NOTE = "note"


MULTIPART = "multipart/form-data"


def _json_text(value: Any) -> list[str]:
    """A JSON body's value as the text(s) a form would carry (a list: one per element)."""
    if isinstance(value, list):
        return [t for item in value for t in _json_text(item)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if value is None:
        return [""]
    return [json.dumps(value, separators=(",", ":"))]


@dataclass(frozen=True)
class Request:
    """A request as it went over the wire: method, spec path, query, headers (lowercase), body."""

    method: str
    path: str  # the operation's path in the spec
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    content_type: str
    body: bytes

    def form(self) -> dict[str, list[str]]:
        """The fields of a form body ({} when the body is not a UTF-8 form)."""
        if not self.content_type.startswith(FORM):
            return {}
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}

    def body_kind(self) -> str:
        """What the body is: none, form, multipart, json or other."""
        if not self.body:
            return "none"
        if self.content_type.startswith(FORM):
            return "form"
        if self.content_type.startswith(MULTIPART):
            return "multipart"
        if shapes.is_json_media(self.content_type):
            return "json"
        return "other"

    def body_arguments(self) -> dict[str, list[str]]:
        """The arguments the body carries, whatever its encoding: form fields, the text fields of a
        multipart form, the top-level members of a JSON object (a number as its decimal text)."""
        kind = self.body_kind()
        if kind == "form":
            return parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        if kind == "multipart":
            return _multipart_fields(self.headers.get("content-type", self.content_type), self.body)
        if kind == "json":
            try:
                document = parse_json_bounded(self.body)
            except ValueError:
                return {}
            if isinstance(document, dict):
                return {str(k): _json_text(v) for k, v in document.items()}
        return {}

    def sent(self) -> dict[str, list[str]]:
        """Every argument sent, wherever it travels (query string, then the body)."""
        arguments = {k: list(v) for k, v in self.query.items()}
        for name, values in self.body_arguments().items():
            arguments.setdefault(name, []).extend(values)
        return arguments


def _multipart_fields(content_type: str, body: bytes) -> dict[str, list[str]]:
    """The text fields of a multipart/form-data body ({} when it does not parse)."""
    try:
        message = BytesParser(policy=email_policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        fields: dict[str, list[str]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name or part.get_filename():
                continue
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
            fields.setdefault(str(name), []).append(text)
        return fields
    except Exception:  # a malformed body carries no arguments the rules can read
        return {}


def documented_methods(spec: dict[str, Any], path: str) -> list[str]:
    """The methods the spec documents for ``path`` (upper case, in the spec's order)."""
    item = shapes.resolve(spec, spec.get("paths", {}).get(path, {}))
    return [m.upper() for m in item if m in ("get", "post", "put", "patch", "delete")] if isinstance(
        item, dict) else []


def as_documented(spec: dict[str, Any], request: Request) -> Request:
    """``request`` laid out as the spec documents it: its method if documented (else the path's
    first documented one) and every argument, wherever the client put it (query string, form,
    multipart, JSON), where the operation takes it: query parameters in the query string, the rest
    in a form body when the operation takes one. What the arguments say is judged on this; where
    they travelled is judged on the request as sent (:func:`transport_findings`)."""
    methods = documented_methods(spec, request.path)
    method = request.method.upper()
    if methods and method not in methods:
        method = methods[0]
    operation = shapes.find_operation(spec, method, request.path)
    if operation is None:
        return request
    arguments = request.sent()
    body = shapes.resolve(spec, operation.get("requestBody")) or {}
    if FORM not in body.get("content", {}):
        return replace(request, method=method, query=arguments, content_type="", body=b"")
    item = shapes.resolve(spec, spec["paths"][request.path])
    query_names = {shapes.resolve(spec, p).get("name") for p in
                   [*item.get("parameters", []), *operation.get("parameters", [])]
                   if shapes.resolve(spec, p).get("in") == "query"}
    query = {k: v for k, v in arguments.items() if k in query_names}
    form = {k: v for k, v in arguments.items() if k not in query_names}
    return replace(request, method=method, query=query, content_type=FORM,
                   body=urlencode(form, doseq=True).encode())


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or noteworthy) about a request or a reply."""

    part: str  # "request" | "response"
    severity: str  # VIOLATION | NOTE
    message: str
    source: str
    # The arguments the finding is about: a note on a field a violation already names is dropped
    # (:func:`merged`), so each field is reported once.
    fields: tuple[str, ...] = field(default=(), compare=False)

    def render(self) -> str:
        mark = "x" if self.severity == VIOLATION else "~"
        return f"{mark} {self.part}: {self.message} ({self.source})"


@dataclass(frozen=True)
class Policy:
    """A named reading of request errors: which JSON Schema keywords a document states.

    ``documented``: keywords whose breach counts on an undisputed field; ``disputed``: on an
    ``x-discrepancy`` field (the registry observes what a server does with such a value).
    """

    name: str
    documented: frozenset[str]
    disputed: frozenset[str]

    def counts(self, error: RequestError) -> bool:
        return error.keyword in (self.disputed if error.disputed else self.documented)


SERVER_MUST_REFUSE = Policy("server-must-refuse", DOCUMENTED_NEGATIONS, DISPUTED_NEGATIONS)
# A client is held to every documented bound even on a disputed field: the disputes are about what
# a server does with an out-of-bounds value, not about the bound itself. The documents state upper
# bounds only ("max 1000", "max 100000" / "max 1,000,000", "Maximum value: 100"); no document gives
# a lower one (limit 0, offset -1, page 0, per_page 0: registry convoso.search.invalid-limit,
# avaamo.query.page-zero), so the specs' minimums are notes, like their patterns and lengths (the
# reference's choices, see the Convoso spec's header).
CLIENT_DOCUMENTED = frozenset(
    {"required", "type", "enum", "const", "maximum", "exclusiveMaximum", "security", "content-type", "path"}
)
CLIENT_MUST_NOT_SEND = Policy("client-must-not-send", CLIENT_DOCUMENTED, CLIENT_DOCUMENTED)
POLICIES = {p.name: p for p in (SERVER_MUST_REFUSE, CLIENT_MUST_NOT_SEND)}
LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum"})
UPPER_BOUNDS = frozenset({"maximum", "exclusiveMaximum"})


def counts_as_negation(error: RequestError) -> bool:
    """Whether a request error makes the request negative in a way the documents state."""
    return SERVER_MUST_REFUSE.counts(error)


def source_of(api: str) -> str:
    """The documents a finding about ``api`` cites (its definition's sources)."""
    return " / ".join(APIS[api].sources) if api in APIS else api


def api_of_spec_path(path: str) -> str | None:
    """Which API a spec path belongs to (None: not one of ours)."""
    for name, definition in APIS.items():
        if any(path.startswith(spec_path) for _, spec_path in definition.operations):
            return name
    return None


def vendor_policy(api: str) -> Any:
    """The API's ``request_policy`` module (None: the spec alone speaks)."""
    definition = APIS.get(api)
    reference = getattr(definition, "request_policy", "") if definition is not None else ""
    return load_reference(reference, api) if reference else None


def _stated_max(bound: Any) -> re.Pattern[str] | None:
    """A pattern for a sentence stating ``bound`` as a maximum ("max 1000", "max 1,000,000",
    "Maximum value: 100"), None when the bound is not a number."""
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        return None
    number = int(bound) if float(bound).is_integer() else bound
    spellings = {str(number), f"{number:,}"}
    # The lookahead makes each alternative match only a whole number, so their order is free.
    alternatives = "|".join(re.escape(s) for s in sorted(spellings))
    return re.compile(rf"\bmax(?:imum)?(?: value)?:? ?(?:{alternatives})(?![0-9,])", re.IGNORECASE)


def bound_source(error: RequestError) -> str | None:
    """The sentences stating the bound ``error`` broke, read from the field's registry entries: in
    a narrowed spec the bound is the profile's (community offset: 000's "max 100000" only), in the
    permissive one the largest documented (001's "max 1,000,000"). None: no entry quotes it."""
    pattern = _stated_max(error.bound)
    if pattern is None or not error.marks:
        return None
    stated: dict[str, str] = {}
    for mark in error.marks:
        with contextlib.suppress(Exception):
            for source in get_entry(mark).sources:
                if pattern.search(source.says):
                    stated.setdefault(source.file, source.says)
    return " / ".join(f"{file} ({says})" for file, says in sorted(stated.items())) or None


def _is_open_point(mark: str) -> bool:
    """Whether the registry entry ``mark`` is a point no document fixes (every profile observes)."""
    try:
        return bool(get_entry(mark).is_open_point)
    except Exception:  # an unknown id is test_specs' to report
        return False


def schema_findings(api: str, spec: dict[str, Any], request: Request,
                    policy: Policy = CLIENT_MUST_NOT_SEND) -> list[Finding]:
    """The spec's errors of ``request`` as findings: a violation where ``policy`` counts them.

    A broken upper bound cites the sentences that state it (:func:`bound_source`); a lower bound,
    a pattern or a length is a note (no document states it)."""
    errors = validate_request(spec, request.method.lower(), request.path, query=request.query,
                              headers=request.headers, content_type=request.content_type, body=request.body)
    findings = []
    for error in errors:
        where = f"{error.field}: " if error.field else ""
        counted = policy.counts(error)
        source = (bound_source(error) if error.keyword in UPPER_BOUNDS else None) or source_of(api)
        if counted:
            suffix = ""
        elif error.keyword in LOWER_BOUNDS:
            suffix = " (no document gives a minimum)"
            open_points = [m for m in error.marks if _is_open_point(m)]
            source = source + (f"; registry {', '.join(open_points)}" if open_points else "")
        elif error.keyword == "additionalProperties":
            suffix = ""
        else:
            suffix = " (reference choice or disputed point)"
        findings.append(Finding("request", VIOLATION if counted else NOTE, f"{where}{error.message}{suffix}",
                                source, (error.field,) if error.field else ()))
    return findings


def transport_findings(api: str, spec: dict[str, Any], request: Request) -> list[Finding]:
    """How the request as sent carries its arguments, judged apart from what they say: a body in
    an encoding the operation does not document is a violation (where a sentence gives the
    encoding: the API policy's ``BODY_SOURCE``, else a note); a content type without a body,
    or a body on an operation that takes none, is a note (the arguments are judged all the same)."""
    methods = documented_methods(spec, request.path)
    method = request.method.upper() if request.method.upper() in methods else (methods or [""])[0]
    operation = shapes.find_operation(spec, method, request.path) if method else None
    if operation is None:
        return []
    kind = request.body_kind()
    declared = list((shapes.resolve(spec, operation.get("requestBody")) or {}).get("content", {}))
    if kind == "none":
        if request.content_type:
            return [Finding("request", NOTE, f"Content-Type {request.content_type} sent without a body",
                            source_of(api))]
        return []
    if not declared:
        return [Finding("request", NOTE, f"a {request.content_type or 'untyped'} body on {method} "
                        f"{request.path}, which documents no body (its arguments judged all the same)",
                        source_of(api))]
    if not any(shapes.media_matches(m, request.content_type) for m in declared):
        # A violation where the API's policy names the sentences that give the encoding (its
        # BODY_SOURCE); otherwise the spec's media type is the reference's choice: a note.
        stated = getattr(vendor_policy(api), "BODY_SOURCE", None)
        return [Finding("request", VIOLATION if stated else NOTE,
                        f"body sent as {request.content_type or '(no content type)'}; documented: "
                        f"{', '.join(declared)}", stated or source_of(api))]
    return []


def merged(findings: list[Finding]) -> list[Finding]:
    """Each finding once: exact repeats dropped, and a note dropped when a violation names one of
    its fields (``Reason``: undocumented; ``campaign_id=abc``: not an integer)."""
    violated = {name for f in findings if f.severity == VIOLATION for name in f.fields}
    kept: list[Finding] = []
    for finding in findings:
        if finding in kept or (finding.severity == NOTE and violated & set(finding.fields)):
            continue
        kept.append(finding)
    return kept


def first(values: Mapping[str, list[str]], name: str) -> str | None:
    """The value a server reads for ``name`` (the last one sent), None when absent."""
    found = values.get(name)
    return found[-1] if found else None


def operation_fields(spec: dict[str, Any], method: str, path: str) -> set[str] | None:
    """Every parameter and form-field name of the operation (None: no such operation)."""
    operation = shapes.find_operation(spec, method, path)
    if operation is None:
        return None
    body = shapes.resolve(spec, operation.get("requestBody") or {})
    schema = shapes.resolve(spec, body.get("content", {}).get(FORM, {}).get("schema", {}))
    names = set(schema.get("properties", {}))
    item = shapes.resolve(spec, spec.get("paths", {}).get(path, {}))
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        names.add(shapes.resolve(spec, parameter).get("name", ""))
    return names


def required_form_fields(spec: dict[str, Any], method: str, path: str) -> list[str]:
    """The form body's required field names."""
    operation = shapes.find_operation(spec, method, path) or {}
    body = shapes.resolve(spec, operation.get("requestBody") or {})
    schema = shapes.resolve(spec, body.get("content", {}).get(FORM, {}).get("schema", {}))
    return [str(name) for name in schema.get("required", [])]


def aliases(spec: dict[str, Any], method: str, path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The operation's ``x-aliases``: (what, its names on the wire), in the spec's order."""
    operation = shapes.find_operation(spec, method, path) or {}
    return tuple((str(what), tuple(str(n) for n in names))
                 for what, names in (operation.get("x-aliases") or {}).items())


def parameter_enum(spec: dict[str, Any], method: str, path: str, name: str) -> list[Any]:
    """The ``enum`` of the operation's parameter ``name`` ([] when it has none)."""
    operation = shapes.find_operation(spec, method, path) or {}
    for parameter in operation.get("parameters", []):
        parameter = shapes.resolve(spec, parameter)
        if parameter.get("name") == name:
            return list(shapes.resolve(spec, parameter.get("schema", {})).get("enum", []))
    return []


def server_undecided(api: str, path: str, sent: Mapping[str, list[str]]) -> bool:
    """Whether the API's policy leaves a server's refusal of this request unjudged."""
    undecided = getattr(vendor_policy(api), "server_undecided", None)
    return bool(undecided(path, sent)) if undecided is not None else False


@dataclass(frozen=True)
class Judgement:
    """What ``policy`` makes of one request: ``negative`` (server policy: True, False or None when
    neither for sure), the counted errors, the findings (client policy) and the disputed fields sent."""

    policy: str
    negative: bool | None
    errors: tuple[RequestError, ...] = ()
    findings: tuple[Finding, ...] = ()
    disputed_sent: frozenset[str] = frozenset()

    @property
    def negation(self) -> str:
        return "; ".join(f"{e.location} {e.field or ''}: {e.message}".replace("  ", " ")
                         for e in self.errors)[:500]

    @property
    def breaks_the_policy(self) -> bool:
        """SERVER_MUST_REFUSE: it carries a documented negation (a server must refuse it);
        CLIENT_MUST_NOT_SEND: a document forbids sending it."""
        return bool(self.errors) or bool(self.violations)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == VIOLATION]


def judge(api: str, spec: dict[str, Any], request: Request, policy: Policy, *,
          generated_negative: bool = False) -> Judgement:
    """Judge ``request`` by ``policy`` (the spec's errors, then the API's own request policy).

    SERVER_MUST_REFUSE: a request generated as negative is negative when a counted error remains
    (None otherwise: credentials injected after generation may have overwritten its only negation);
    any other request is valid (False) when it breaks nothing and the API's policy does not leave
    it undecided (None). CLIENT_MUST_NOT_SEND: findings, the API's policy speaking first when it
    has a ``client_findings``.
    """
    vendor = vendor_policy(api)
    sent = request.sent()
    disputed = frozenset(disputed_fields(spec, request.method, request.path) & set(sent))
    if policy is CLIENT_MUST_NOT_SEND:
        # Every rule runs on every request: how it travelled (method, encoding) is judged on the
        # request as sent, what its arguments say on the same arguments laid out as documented.
        documented = as_documented(spec, request)
        client = getattr(vendor, "client_findings", None)
        findings = transport_findings(api, spec, request) + (
            client(spec, documented, sent=request) if client is not None
            else schema_findings(api, spec, documented, policy))
        findings = merged(findings)
        return Judgement(policy.name, any(f.severity == VIOLATION for f in findings), (), tuple(findings),
                         disputed)
    errors = validate_request(spec, request.method, request.path, query=request.query,
                              headers=request.headers, content_type=request.content_type, body=request.body)
    counted = tuple(e for e in errors if policy.counts(e))
    if generated_negative:
        return Judgement(policy.name, True if counted else None, counted, (), disputed)
    huge = any(HUGE_INTEGER.match(v) for values in sent.values() for v in values)
    valid = not errors and not huge and not server_undecided(api, request.path, sent)
    return Judgement(policy.name, False if valid else None, counted, (), disputed)
