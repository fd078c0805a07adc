"""Validation of one reply (status, content type, body) against an API's OpenAPI 3.1 spec.

The specs' schemas are JSON Schema Draft 2020-12 (OpenAPI 3.1), so a reply body is validated with
``jsonschema`` against the schema found under ``paths.<path>.<method>.responses.<status>.content``;
``$ref``s resolve against the whole spec document. ``validate_response`` is pure (the cassette
validator calls it without a run context); ``assert_conforms`` is the form checks use. Requests
are validated in ``checks/requests.py`` with the same validators and spec helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from optout_conformance.core.interaction import JsonTooDeep, parse_json_bounded
from optout_conformance.core.outcomes import CheckFailed

if TYPE_CHECKING:
    from optout_conformance.core.context import CheckContext
    from optout_conformance.core.interaction import Exchange

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


def node_at(spec: dict[str, Any], json_pointer: str) -> Any:
    """The node a JSON pointer designates (its own ``$ref`` not followed)."""
    target: Any = spec
    for raw in json_pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        target = target[int(token)] if isinstance(target, list) else target[token]
    return target


def follow(spec: dict[str, Any], json_pointer: str) -> str:
    """The pointer a node's local ``$ref`` chain ends at (the pointer itself when it has none)."""
    for _ in range(20):
        node = node_at(spec, json_pointer)
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


def media_matches(declared: str, actual: str) -> bool:
    """Whether a declared media type (``*/*``, ``text/*`` allowed) covers the actual one."""
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
    media = next((m for m in content if media_matches(m, actual)), None)
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
            instance = parse_json_bounded(instance)  # depth-limited: no RecursionError
        except json.JSONDecodeError as exc:
            return [f"$: body is not JSON ({exc.msg} at position {exc.pos})"]
        except JsonTooDeep as exc:
            return [f"$: body is not JSON the suite reads ({exc})"]
    return schema_errors(spec, schema_pointer, instance)


@lru_cache(maxsize=64)
def _operation_label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def assert_conforms(ctx: CheckContext, exchange: Exchange, method: str, path: str) -> None:
    """Fail the check when the reply does not match the profile-narrowed spec (first error's path)."""
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
