"""Validation of one reply (status, content type, body) against an API's OpenAPI 3.1 spec.

The specs' schemas are JSON Schema Draft 2020-12 (OpenAPI 3.1), so a reply body is validated with
``jsonschema`` against the schema found under ``paths.<path>.<method>.responses.<status>.content``;
``$ref``s resolve against the whole spec document. ``validate_response`` is pure (the cassette
validator calls it without a run context); ``assert_conforms`` is the form checks use.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

if TYPE_CHECKING:
    from optout_conformance.runner.context import RunContext
    from optout_conformance.runner.http import Exchange

SPEC_URI = "urn:optout-conformance:spec"
JSON_MEDIA_SUFFIXES = ("/json", "+json")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    """A JSON pointer (``/paths/~1x/get``) from raw tokens."""
    return "".join("/" + _escape(str(t)) for t in tokens)


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a node without one."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        seen += 1
        if seen > 20:
            raise ValueError(f"$ref cycle at {node['$ref']}")
        target: Any = spec
        for raw in node["$ref"][2:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            target = target[int(token)] if isinstance(target, list) else target[token]
        node = target
    return node


def _node(spec: dict[str, Any], json_pointer: str) -> Any:
    target: Any = spec
    for raw in json_pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        target = target[int(token)] if isinstance(target, list) else target[token]
    return target


def follow(spec: dict[str, Any], json_pointer: str) -> str:
    """The pointer a node's local ``$ref`` chain ends at (the pointer itself when it has none)."""
    for _ in range(20):
        node = _node(spec, json_pointer)
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return json_pointer
        json_pointer = ref[1:]
    raise ValueError(f"$ref cycle at {json_pointer}")


class _SpecValidators:
    """Validators for schemas inside one spec document, keyed by JSON pointer (cached)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self._cache: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, Any] = {}

    def fast_at(self, schema_pointer: str) -> Any:
        """A jsonschema-rs validator (replies can hold 1000 records: pure Python is too slow there).

        The root is the spec itself with a ``$ref`` to the schema, so local ``$ref``s resolve.
        """
        validator = self._fast.get(schema_pointer)
        if validator is None:
            root = {**self.spec, "$ref": "#" + schema_pointer}
            validator = jsonschema_rs.Draft202012Validator(root)
            self._fast[schema_pointer] = validator
        return validator

    def at(self, schema_pointer: str) -> Draft202012Validator:
        validator = self._cache.get(schema_pointer)
        if validator is None:
            validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=self.registry)
            self._cache[schema_pointer] = validator
        return validator


_validators: dict[int, tuple[dict[str, Any], _SpecValidators]] = {}


def validators_for(spec: dict[str, Any]) -> _SpecValidators:
    """The validator cache of a spec document (specs are loaded once and cached by ``specs``)."""
    entry = _validators.get(id(spec))
    if entry is None or entry[0] is not spec:
        entry = (spec, _SpecValidators(spec))
        _validators[id(spec)] = entry
    return entry[1]


def json_path(error: ValidationError) -> str:
    """``$.records[3].id`` for an error's instance location."""
    text = "$"
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def schema_errors(spec: dict[str, Any], schema_pointer: str, instance: Any) -> list[str]:
    """Every error of ``instance`` against the schema at ``schema_pointer``, the most relevant first.

    jsonschema-rs decides (fast); only an invalid instance is validated again with ``jsonschema``,
    whose ``best_match`` looks inside ``oneOf`` branches for the error that explains the failure.
    """
    validators = validators_for(spec)
    if validators.fast_at(schema_pointer).is_valid(instance):
        return []
    errors = list(validators.at(schema_pointer).iter_errors(instance))
    best = best_match(errors)
    ordered = ([best] if best is not None else []) + [e for e in errors if e is not best]
    return [f"{json_path(e)}: {e.message[:300]}" for e in ordered]


def _status_keys(status: int) -> Iterator[str]:
    yield str(status)
    yield f"{str(status)[0]}XX"
    yield f"{str(status)[0]}xx"
    yield "default"


def _media_matches(declared: str, actual: str) -> bool:
    declared = declared.split(";")[0].strip().lower()
    if declared in (actual, "*/*"):
        return True
    major, _, minor = declared.partition("/")
    return minor == "*" and actual.split("/")[0] == major


def is_json_media(content_type: str) -> bool:
    return content_type.endswith(JSON_MEDIA_SUFFIXES)


def find_operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    item = spec.get("paths", {}).get(path)
    if not isinstance(item, dict):
        return None
    operation = resolve(spec, item).get(method.lower())
    return operation if isinstance(operation, dict) else None


def validate_response(
    spec: dict[str, Any], method: str, path: str, status: int, content_type: str, body: Any
) -> list[str]:
    """Errors of one reply against ``spec`` (empty: the reply conforms).

    ``path`` is the spec's path template (``/sms-opt-out/search``), ``content_type`` the media type
    without parameters, ``body`` the reply text (or bytes, or an already parsed JSON value).
    """
    operation = find_operation(spec, method, path)
    if operation is None:
        return [f"{method.upper()} {path} is not an operation of the spec"]
    responses = operation.get("responses", {})
    status_key = next((k for k in _status_keys(status) if k in responses), None)
    if status_key is None:
        return [f"HTTP status {status} is not documented for {method.upper()} {path} "
                f"(documented: {', '.join(sorted(responses))})"]
    response = resolve(spec, responses[status_key])
    content = response.get("content")
    actual = (content_type or "").split(";")[0].strip().lower()
    if not content:
        return []
    media = next((m for m in content if _media_matches(m, actual)), None)
    if media is None:
        return [f"content type {actual or '(none)'!r} is not documented for HTTP {status} "
                f"(documented: {', '.join(content)})"]
    if "schema" not in content[media]:
        return []
    schema_pointer = pointer(
        "paths", path, method.lower(), "responses", status_key, "content", media, "schema"
    )
    instance = body
    if isinstance(instance, bytes):
        instance = instance.decode("utf-8", errors="replace")
    if is_json_media(actual) and isinstance(instance, str):
        try:
            instance = json.loads(instance)
        except json.JSONDecodeError as exc:
            return [f"$: body is not JSON ({exc.msg} at position {exc.pos})"]
    return schema_errors(spec, schema_pointer, instance)


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
    node = resolve(spec, node)
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
            scheme = resolve(spec, schemes.get(name, {}))
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
    from urllib.parse import parse_qs

    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    request_body = resolve(spec, operation.get("requestBody")) or {}
    media = request_body.get("content", {}).get("application/x-www-form-urlencoded", {})
    declared = resolve(spec, media.get("schema", {})).get("properties", {})
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values for name, values in fields.items() if name in declared}


def _alias_errors(operation: dict[str, Any], query: Mapping[str, list[str]], content_type: str,
                  body: bytes) -> list[RequestError]:
    """``x-required-one-of``: one name of each alias pair (query string or form body) is required."""
    from urllib.parse import parse_qs

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
    from urllib.parse import parse_qs

    operation = find_operation(spec, method, path)
    if operation is None:
        return [RequestError("path", None, f"{method.upper()} {path} is not an operation of the spec")]
    validators = validators_for(spec)
    errors: list[RequestError] = []
    parameter_pointers: dict[int, str] = {}
    for owner in (pointer("paths", path), pointer("paths", path, method.lower())):
        for index, _ in enumerate(_node(spec, owner).get("parameters", [])):
            resolved_pointer = follow(spec, f"{owner}/parameters/{index}")
            parameter_pointers[id(_node(spec, resolved_pointer))] = resolved_pointer
    parameters = [_node(spec, p) for p in parameter_pointers.values()]
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
        validator = validators.at(follow(spec, parameter_pointers[id(parameter)]) + "/schema")
        value = _field_value(sent, resolve(spec, schema), validator)
        for error in validator.iter_errors(value):
            errors.append(RequestError(location, name, error.message, disputed, str(error.validator)))
    errors += _security_errors(spec, operation, headers, query)
    errors += _alias_errors(operation, query, content_type, body)
    request_body = resolve(spec, operation.get("requestBody"))
    if not request_body:
        return errors
    content = request_body.get("content", {})
    actual = content_type.split(";")[0].strip().lower()
    if not body and not request_body.get("required"):
        return errors
    media = next((m for m in content if _media_matches(m, actual)), None)
    if media is None:
        errors.append(RequestError("content-type", None, f"body sent as {actual or '(none)'}",
                                   keyword="content-type"))
        return errors
    body_pointer = follow(spec, pointer("paths", path, method.lower(), "requestBody"))
    schema_ref = follow(spec, body_pointer + pointer("content", media, "schema"))
    body_schema = resolve(spec, content[media].get("schema", {}))
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return [*errors, RequestError("body", None, "form body is not UTF-8", keyword="type")]
        properties = body_schema.get("properties", {})
        instance: dict[str, Any] = {}
        for name, values in fields.items():
            if name in properties:
                validator = validators.at(follow(spec, schema_ref) + pointer("properties", name))
                instance[name] = _field_value(values, resolve(spec, properties[name]), validator)
            else:
                instance[name] = values[-1]
    else:
        try:
            instance = json.loads(body or b"null")
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
    operation = find_operation(spec, method, path)
    if operation is None:
        return set()
    item = resolve(spec, spec["paths"][path])
    names = set()
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = resolve(spec, parameter)
        if "x-discrepancy" in parameter or _is_disputed(spec, parameter.get("schema")):
            names.add(parameter.get("name", ""))
    body = resolve(spec, operation.get("requestBody")) or {}
    for media in body.get("content", {}).values():
        properties = resolve(spec, media.get("schema", {})).get("properties", {})
        names |= {name for name, prop in properties.items() if _is_disputed(spec, prop)}
    return names


def _error_field(error: ValidationError) -> str | None:
    """The top-level property an error is about (the missing one for ``required``)."""
    if error.absolute_path:
        return str(error.absolute_path[0])
    if error.validator == "required" and isinstance(error.message, str) and error.message.startswith("'"):
        return error.message.split("'")[1]
    if error.validator == "additionalProperties":
        return None
    return None


@lru_cache(maxsize=64)
def _operation_label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def assert_conforms(ctx: RunContext, exchange: Exchange, method: str, path: str) -> None:
    """Fail the check when the reply does not match the profile-narrowed spec (first error's path)."""
    from optout_conformance.runner.context import CheckFailed

    if exchange.error:
        raise CheckFailed(
            f"{_operation_label(method, path)} answers",
            received=exchange.error,
            documented="an HTTP reply",
            source="spec " + ctx.api,
            exchange=exchange,
        )
    assert exchange.status is not None
    errors = validate_response(
        ctx.spec(), method, path, exchange.status, exchange.content_type, exchange.text
    )
    if errors:
        raise CheckFailed(
            f"{_operation_label(method, path)} reply conforms to the {ctx.effective_profile} spec",
            received=f"{errors[0]} (HTTP {exchange.status} {exchange.content_type}; "
            f"{len(errors)} error(s))",
            documented=f"the response schema of {_operation_label(method, path)}",
            source=f"openapi spec of {ctx.api}, profile {ctx.effective_profile}",
            exchange=exchange,
        )
