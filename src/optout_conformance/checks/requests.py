"""Validation of one request as it went over the wire, and what that request means for the rules.

:func:`validate_request` lists how a request (query string, headers, form or JSON body, every
value a string) breaks an API's OpenAPI 3.1 spec, with the same cached validators and spec
helpers as reply validation (``checks/shapes.py``). :func:`request_negativity` tells, for a
request Schemathesis generated and sent, whether the response rules must treat it as negative
(it breaks the spec in a documented way), as valid, or as neither for sure.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import schemathesis
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from optout_conformance.checks import shapes
from optout_conformance.core.interaction import parse_json_bounded

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
        for error in validator.iter_errors(value):
            errors.append(RequestError(location, name, error.message, disputed, str(error.validator)))
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
        errors.append(RequestError("body", name, error.message, disputed, str(error.validator)))
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


def counts_as_negation(error: RequestError) -> bool:
    """Whether a request error makes the request negative in a way the documents state."""
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
    errors = validate_request(spec, case.method, case.path, query=query, headers=headers,
                                     content_type=content_type, body=body)
    sent = dict(query)
    if content_type.startswith("application/x-www-form-urlencoded"):
        sent.update(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    disputed = frozenset(disputed_fields(spec, case.method, case.path) & set(sent))
    negations = [e for e in errors if counts_as_negation(e)]
    described = "; ".join(f"{e.location} {e.field or ''}: {e.message}".replace("  ", " ") for e in negations)
    if meta.generation.mode.is_negative:
        return SentRequest(True if negations else None, described[:500], disputed)
    huge = any(HUGE_INTEGER.match(v) for values in sent.values() for v in values)
    return SentRequest(False if not errors and not huge and not _maybe_past_the_end(case.path, sent)
                       else None, "", disputed)


def _maybe_past_the_end(path: str, sent: dict[str, list[str]]) -> bool:
    """An Avaamo page beyond the first may lie past the last one, which 003 says nothing about
    (registry avaamo.query.page-past-end: an empty page or an error): its refusal is not judged."""
    pages = sent.get("page", [])
    return path.startswith("/sms/opt-status") and any(p.strip().isdigit() and int(p) > 1 for p in pages)
