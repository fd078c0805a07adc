"""Reply validation against an OpenAPI 3.1 document (checks/shapes.py), on a small hand-made spec.

The rules OpenAPI states and the suite relies on: a status is matched exactly first, then by its
range (``4XX``), then ``default``; a media range (``*/*``, ``text/*``) covers its types; a
``$ref`` is a JSON pointer (RFC 6901: ``~1`` is ``/``, ``~0`` is ``~``) into the document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from optout_conformance.checks import shapes
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.runner.context import RunContext

OBJECT = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/a/b": {"get": {"responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
            "404": {"content": {"text/plain": {}}},
            "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "default": {"description": "anything, no content"},
        }}},
        "/c": {"get": {"responses": {"200": {"content": {"text/*": {"schema": {"type": "string"}}}}}}},
        "/d": {"get": {"responses": {"201": {"content": {"*/*": {}}}}}},
    },
    "components": {"schemas": {
        "Page": {"type": "object", "required": ["records"],
                 "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Rec"}}}},
        "Rec": OBJECT,
        "Error": {"type": "object", "required": ["error"]},
        "a/b~c": {"type": "integer"},
        "Alias": {"$ref": "#/components/schemas/a~1b~0c"},
        "Loop": {"$ref": "#/components/schemas/Loop"},
    }},
}


def errors(path: str, status: int, content_type: str, body: Any) -> list[str]:
    return shapes.validate_response(SPEC, "GET", path, status, content_type, body)


def test_a_status_matches_its_own_key_before_its_range_and_the_range_before_default() -> None:
    assert errors("/a/b", 404, "text/plain", "not found") == []
    assert errors("/a/b", 400, "application/json", '{"error": "x"}') == []
    assert errors("/a/b", 400, "application/json", "{}")[0].startswith("$: 'error' is a required property")
    assert errors("/a/b", 503, "text/html", "<p>down</p>") == []


def test_a_status_no_key_covers_is_undocumented() -> None:
    assert errors("/d", 200, "application/json", "{}") == [
        "HTTP status 200 is not documented for GET /d (documented: 201)"]


def test_an_operation_missing_from_the_spec_is_named() -> None:
    assert errors("/nowhere", 200, "application/json", "{}") == [
        "GET /nowhere is not an operation of the spec"]


@pytest.mark.parametrize(("path", "status", "content_type", "covered"), [
    ("/c", 200, "text/plain; charset=utf-8", True),
    ("/c", 200, "TEXT/CSV", True),  # media types are case-insensitive (RFC 9110)
    ("/c", 200, "application/json", False),
    ("/d", 201, "application/octet-stream", True),
    ("/a/b", 200, "application/problem+json", False),
])
def test_a_media_range_covers_exactly_its_types(
    path: str, status: int, content_type: str, covered: bool
) -> None:
    result = errors(path, status, content_type, '"text"')
    assert (not any("content type" in e for e in result)) is covered, result


@pytest.mark.parametrize(("declared", "actual", "covered"), [
    ("text/plain", "text/plain", True),
    ("*/*", "application/json", True),
    ("text/*", "text/html", True),
    ("text/html", "text/plain", False),  # a concrete subtype covers only itself
    ("text/plain", "text/*", False),
    ("application/*", "text/plain", False),
])
def test_a_declared_media_type_covers_itself_and_a_range_covers_its_major_type_only(
    declared: str, actual: str, covered: bool
) -> None:
    assert shapes.media_matches(declared, actual) is covered


def test_the_error_names_the_json_path_of_the_offending_value() -> None:
    body = json.dumps({"records": [{"id": "1"}, {"id": 2}]})
    assert errors("/a/b", 200, "application/json", body) == ["$.records[1].id: 2 is not of type 'string'"]


def test_a_json_body_that_does_not_parse_is_reported_with_its_position() -> None:
    assert errors("/a/b", 200, "application/json", b'{"records": [') == [
        "$: body is not JSON (Expecting value at position 13)"]


def test_json_media_types_include_structured_suffixes() -> None:
    assert shapes.is_json_media("application/json") and shapes.is_json_media("application/problem+json")
    assert not shapes.is_json_media("text/plain") and not shapes.is_json_media("application/jsonp")


def test_a_json_pointer_escapes_slash_and_tilde_and_refs_resolve_through_them() -> None:
    assert shapes.pointer("paths", "/a/b", "get") == "/paths/~1a~1b/get"
    assert shapes.pointer("x~y") == "/x~0y"
    alias = SPEC["components"]["schemas"]["Alias"]
    assert shapes.resolve(SPEC, alias) == {"type": "integer"}
    assert shapes.follow(SPEC, "/components/schemas/Alias") == "/components/schemas/a~1b~0c"
    assert shapes.node_at(SPEC, shapes.pointer("paths", "/a/b", "get", "responses", "404")) == {
        "content": {"text/plain": {}}}


def test_a_ref_cycle_is_an_error_not_a_hang() -> None:
    loop = SPEC["components"]["schemas"]["Loop"]
    with pytest.raises(ValueError, match="cycle"):
        shapes.resolve(SPEC, loop)
    with pytest.raises(ValueError, match="cycle"):
        shapes.follow(SPEC, "/components/schemas/Loop")


@pytest.mark.parametrize(("hops", "resolves"), [(20, True), (21, False)])
def test_a_chain_of_up_to_20_refs_resolves_and_a_longer_one_is_taken_for_a_cycle(
    hops: int, resolves: bool
) -> None:
    # R0 -> R1 -> ... -> R{hops - 1} -> {"type": "string"}: 20 hops at most, then a cycle is assumed.
    schemas: dict[str, Any] = {f"R{n}": {"$ref": f"#/components/schemas/R{n + 1}"} for n in range(hops)}
    schemas[f"R{hops}"] = {"type": "string"}
    spec = {"components": {"schemas": schemas}}
    start = schemas["R0"]
    if resolves:
        assert shapes.resolve(spec, start) == {"type": "string"}
    else:
        with pytest.raises(ValueError, match="cycle"):
            shapes.resolve(spec, start)


LISTED = {
    "components": {"schemas": {"Either": {"oneOf": [{"type": "string"},
                                                    {"$ref": "#/components/schemas/N"}]},
                               "N": {"type": "integer"},
                               "First": {"$ref": "#/components/schemas/Either/oneOf/0"}}},
}


def test_a_json_pointer_steps_into_arrays_by_index() -> None:
    assert shapes.resolve(LISTED, {"$ref": "#/components/schemas/Either/oneOf/1"}) == {"type": "integer"}
    assert shapes.node_at(LISTED, "/components/schemas/Either/oneOf/0") == {"type": "string"}
    assert shapes.follow(LISTED, "/components/schemas/Either/oneOf/1") == "/components/schemas/N"
    assert shapes.resolve(LISTED, {"$ref": "#/components/schemas/First"}) == {"type": "string"}


def test_a_specs_validators_are_built_once_and_belong_to_that_spec() -> None:
    first, other = {"openapi": "3.1.0"}, {"openapi": "3.1.0"}
    assert shapes.validators_for(first) is shapes.validators_for(first)
    assert shapes.validators_for(first).spec is first and shapes.validators_for(other).spec is other


def test_json_nested_past_the_limit_is_refused_with_a_reason_not_a_crash() -> None:
    deep = "[" * 100 + "]" * 100
    result = errors("/a/b", 200, "application/json", deep)
    assert len(result) == 1 and result[0].startswith("$: body is not JSON the suite reads ("), result


def test_a_reply_without_a_content_type_is_named_as_such() -> None:
    assert errors("/c", 200, "", "text") == [
        "content type '(none)' is not documented for HTTP 200 (documented: text/*)"]


def context() -> RunContext:
    url = "http://127.0.0.1:9/api/v2"
    return RunContext(target=Target(api="avaamo", base_url=url), credentials=Credentials(), profile="lenient",
                      http=HttpClient(url, timeout=1.0))


def test_a_check_fails_a_reply_off_the_spec_naming_the_first_error_and_how_many_there_are() -> None:
    reply = Exchange(method="GET", url="http://127.0.0.1:9/api/v2/sms/opt-status.json", status=200,
                     response_headers={"content-type": "application/json"}, text='{"entries": 3}')
    with pytest.raises(CheckFailed) as failed:
        shapes.assert_conforms(context(), reply, "get", "/sms/opt-status.json")
    assert failed.value.rule == "GET /sms/opt-status.json reply conforms to the lenient spec"
    # Five required fields missing and entries not an array: six errors, the most relevant first.
    assert failed.value.received == "$: 'current_page' is a required property (HTTP 200 application/json; " \
        "6 error(s))", failed.value.received
    assert failed.value.source == "openapi spec of avaamo, profile lenient"


def test_a_check_fails_a_request_that_got_no_reply() -> None:
    lost = Exchange(method="GET", url="http://127.0.0.1:9/api/v2/sms/opt-status.json",
                    error="ConnectError: refused")
    with pytest.raises(CheckFailed) as failed:
        shapes.assert_conforms(context(), lost, "GET", "/sms/opt-status.json")
    assert failed.value.rule == "GET /sms/opt-status.json answers"
    assert failed.value.received == "ConnectError: refused"
    assert failed.value.source == "spec avaamo"
