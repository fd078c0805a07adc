"""The Overlay 1.0 applier: JSONPath subset, update merge, remove, strictness."""

from __future__ import annotations

import copy
import re

import pytest

from optout_conformance.core.errors import SpecError
from optout_conformance.overlay import WILDCARD, apply_overlay, merge, parse_path, resolve


def overlay(*actions: dict) -> dict:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


DOCUMENT = {
    "info": {"title": "API", "tags": ["a"]},
    "paths": {"/a/b.json": {"get": {"x-codes": [{"code": 1}, {"code": 2}, {"code": 3}]}}},
    "components": {
        "schemas": {"S": {"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}}}
    },
}


def test_supported_path_syntax_is_split_into_segments() -> None:
    assert parse_path("$") == []
    assert parse_path("$.info.title") == ["info", "title"]
    assert parse_path("$.paths['/a/b.json'].get[\"x-codes\"][1]") == [
        "paths",
        "/a/b.json",
        "get",
        "x-codes",
        1,
    ]
    assert parse_path("$.paths[*].get") == ["paths", WILDCARD, "get"]
    assert parse_path("$.x-error-codes") == ["x-error-codes"]


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("$..title", "recursive descent"),
        ("$.paths.*", "wildcard '.*'"),
        ("$.a[?(@.code == 1)]", "filter expression"),
        ("$.a[1:2]", "syntax '[1:2]'"),
        ("$.a['x','y']", "syntax"),
        ("info.title", "starting with '$'"),
    ],
)
def test_unsupported_path_syntax_raises_spec_error_naming_it(expression: str, named: str) -> None:
    with pytest.raises(SpecError, match=re.escape(named)):
        parse_path(expression)


def test_resolve_returns_every_selected_value() -> None:
    assert resolve(DOCUMENT, "$.paths[*].get['x-codes'][*].code") == [1, 2, 3]
    assert resolve(DOCUMENT, "$.paths['/missing']") == []


def test_merge_merges_objects_recursively_concatenates_arrays_and_replaces_scalars() -> None:
    merged = merge({"a": {"b": 1, "c": [1]}, "d": "x"}, {"a": {"c": [2], "e": 3}, "d": "y"})
    assert merged == {"a": {"b": 1, "c": [1, 2], "e": 3}, "d": "y"}


def test_update_of_an_object_merges_and_leaves_the_input_untouched() -> None:
    before = copy.deepcopy(DOCUMENT)
    result = apply_overlay(
        DOCUMENT, overlay({"target": "$.components.schemas.S", "update": {"required": ["y"], "title": "S"}})
    )
    assert result["components"]["schemas"]["S"]["required"] == ["x", "y"]
    assert result["components"]["schemas"]["S"]["title"] == "S"
    assert before == DOCUMENT


def test_update_of_an_array_appends_the_value() -> None:
    result = apply_overlay(DOCUMENT, overlay({"target": "$.info.tags", "update": "b"}))
    assert result["info"]["tags"] == ["a", "b"]


def test_update_of_the_root_merges_into_the_document() -> None:
    result = apply_overlay(DOCUMENT, overlay({"target": "$", "update": {"x-profile": "p"}}))
    assert result["x-profile"] == "p"
    assert result["info"] == DOCUMENT["info"]


def test_remove_deletes_keys_and_every_selected_array_item() -> None:
    result = apply_overlay(
        DOCUMENT,
        overlay(
            {"target": "$.components.schemas.S.properties.x", "remove": True},
            {"target": "$.paths['/a/b.json'].get['x-codes'][*]", "remove": True},
        ),
    )
    assert result["components"]["schemas"]["S"]["properties"] == {}
    assert result["paths"]["/a/b.json"]["get"]["x-codes"] == []


def test_remove_of_one_array_item_keeps_the_others_in_order() -> None:
    result = apply_overlay(
        DOCUMENT, overlay({"target": "$.paths['/a/b.json'].get['x-codes'][1]", "remove": True})
    )
    assert result["paths"]["/a/b.json"]["get"]["x-codes"] == [{"code": 1}, {"code": 3}]


def test_remove_wins_over_update_in_the_same_action() -> None:
    result = apply_overlay(DOCUMENT, overlay({"target": "$.info.title", "remove": True, "update": "ignored"}))
    assert "title" not in result["info"]


def test_actions_apply_in_order() -> None:
    result = apply_overlay(
        DOCUMENT,
        overlay(
            {"target": "$.components.schemas.S.properties.x", "remove": True},
            {"target": "$.components.schemas.S.properties", "update": {"x": {"type": "integer"}}},
        ),
    )
    assert result["components"]["schemas"]["S"]["properties"]["x"] == {"type": "integer"}


def test_a_target_that_selects_nothing_is_an_error_unless_not_strict() -> None:
    missing = overlay({"target": "$.components.schemas.Missing", "update": {"a": 1}})
    with pytest.raises(SpecError, match="selects nothing"):
        apply_overlay(DOCUMENT, missing)
    assert apply_overlay(DOCUMENT, missing, strict=False) == DOCUMENT


@pytest.mark.parametrize(
    "bad",
    [
        {"overlay": "2.0.0", "actions": [{"target": "$", "update": {}}]},
        {"overlay": "1.0.0", "actions": []},
        {"overlay": "1.0.0", "actions": [{"update": {}}]},
        {"overlay": "1.0.0", "actions": [{"target": "$.info"}]},
    ],
)
def test_malformed_overlays_are_rejected(bad: dict) -> None:
    with pytest.raises(SpecError):
        apply_overlay(DOCUMENT, bad)


def test_update_of_an_object_with_a_non_object_is_rejected() -> None:
    with pytest.raises(SpecError, match="must be an object"):
        apply_overlay(DOCUMENT, overlay({"target": "$.info", "update": "text"}))
