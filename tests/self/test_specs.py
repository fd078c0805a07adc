"""The OpenAPI specs and their profile narrowing: validity, error tables, discrepancy marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from optout_conformance.core.apis import APIS, PROFILES
from optout_conformance.core.errors import BadChoice, SpecError
from optout_conformance.overlay import resolve
from optout_conformance.registry import load_registry
from optout_conformance.specs import (
    discrepancy_marks,
    error_codes,
    load_spec,
    openapi_dir,
    overlay_path,
    spec_path,
)

REPOSITORY = Path(__file__).resolve().parents[2]
F000, F001 = "000_4120ae5ce1e52dc7.txt", "001_5cae901d395a1be8.txt"

# The error tables of the documents, per operation: code -> message (000; 001 for search).
DOCUMENTED_CODES = {
    "searchSmsOptOut": {
        6006: "Invalid Campaign ID",
        7231: "Invalid offset value",
        6008: "The phone number already exists",
        6026: "Missing or Invalid Country Code",
        6057: "Invalid Purpose Provided",
        6058: "Invalid Reason Provided",  # 001: "Invalid Purpose Provided" (convoso.error.6058-message)
    },
    "insertSmsOptOut": {
        6006: "Invalid Campaign ID",
        6007: "Invalid Phone Number",
        6008: "The phone number already exists",
        6080: "The purpose field is mandatory for campaigns of type 'Purpose'",
        6026: "Missing or Invalid Country Code",
        6057: "Invalid Purpose Provided",
        6058: "Invalid Reason Provided",
    },
    "updateSmsOptOut": {
        6004: "Unknown Campaign ID",
        6008: "The phone number is invalid",
        6026: "Missing or Invalid Country Code",
        6056: "Missing or Invalid value for ID",
        6057: "Invalid Purpose Provided",
        6058: "Invalid Reason Provided",
        6059: "This combination already exists",
        4001: "Missing required field: phone_number / phone_code / campaign_id",
        4002: "phone_number / phone_code / campaign_id must be numeric",
        6080: "The purpose field is mandatory for campaigns of type 'Purpose'",
    },
}

EXAMPLE_000 = {
    "success": True,
    "offset": 0,
    "limit": 100,
    "total": 1250,
    "records": [
        {"id": "12345", "phone_number": "5551234567", "phone_code": "1", "reason": "User Request",
         "purpose": "Marketing", "insert_date": "2026-03-03", "campaign_id": "0",
         "campaign_name": "Global SMS Opt-Out"},
    ],
}  # fmt: skip
EXAMPLE_001 = {
    "success": True,
    "offset": "0",
    "limit": "10",
    "total": "1",
    "records": [
        {"id": "2778557", "phone_number": "8181233567", "phone_code": "1", "reason": "SMS Opt-Out reason",
         "purpose": "SMS Opt-Out purpose", "insert_date": "2024-04-22 17:01:31", "campaign_id": "0",
         "campaign_name": ""},
    ],
}  # fmt: skip

SPEC_VARIANTS = [(api, profile) for api in APIS for profile in ("lenient", "community", "official")]


def schema_validator(spec: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def test_the_openapi_directory_is_the_repositorys_in_a_checkout() -> None:
    assert openapi_dir() == REPOSITORY / "openapi"
    assert spec_path("convoso") == REPOSITORY / "openapi" / "convoso-sms-opt-out.yaml"


@pytest.mark.parametrize(("api", "profile"), SPEC_VARIANTS)
def test_every_spec_and_every_narrowed_spec_is_valid_openapi(api: str, profile: str) -> None:
    validate(load_spec(api, profile))


@pytest.mark.parametrize("api", list(APIS))
def test_schemathesis_loads_every_operation_of_every_spec(api: str) -> None:
    schema = schemathesis.openapi.from_dict(load_spec(api))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == {"convoso": 3, "whatcounts": 2, "avaamo": 2}[api]


def test_only_convoso_has_profile_overlays() -> None:
    assert overlay_path("convoso", "community") and overlay_path("convoso", "official")
    assert overlay_path("convoso", "lenient") is None
    assert overlay_path("avaamo", "official") is None
    assert load_spec("avaamo", "official") == load_spec("avaamo", "lenient")
    assert load_spec("convoso", "auto") == load_spec("convoso", "lenient")


def test_a_loaded_spec_is_a_private_copy() -> None:
    load_spec("convoso")["info"]["title"] = "changed"
    assert load_spec("convoso")["info"]["title"] != "changed"


def test_unknown_api_or_profile_is_a_bad_choice() -> None:
    with pytest.raises(BadChoice):
        load_spec("twilio")
    with pytest.raises(BadChoice):
        load_spec("convoso", "strict")


@pytest.mark.parametrize("profile", ["lenient", "community", "official"])
@pytest.mark.parametrize("operation_id", list(DOCUMENTED_CODES))
def test_every_documented_error_code_is_listed_under_its_operation(operation_id: str, profile: str) -> None:
    listed = {e["code"]: e for e in error_codes("convoso", operation_id, profile) if e["code"] is not None}
    assert sorted(listed) == sorted(DOCUMENTED_CODES[operation_id])
    for code, message in DOCUMENTED_CODES[operation_id].items():
        if (operation_id, code, profile) == ("searchSmsOptOut", 6058, "official"):
            message = "Invalid Purpose Provided"
        assert listed[code]["message"] == message
        assert listed[code]["sources"]


def test_the_6058_search_message_is_pinned_per_profile() -> None:
    def entry(profile: str) -> dict[str, Any]:
        return next(e for e in error_codes("convoso", "searchSmsOptOut", profile) if e["code"] == 6058)

    assert entry("lenient")["variants"] == ["Invalid Purpose Provided"]
    assert "variants" not in entry("community") and entry("community")["message"] == "Invalid Reason Provided"
    assert "variants" not in entry("official") and entry("official")["message"] == "Invalid Purpose Provided"
    assert entry("official")["sources"] == [F000, F001]


def test_uncoded_documented_errors_are_listed() -> None:
    update = {e["message"] for e in error_codes("convoso", "updateSmsOptOut") if e["code"] is None}
    assert update == {"Record not found", "Invalid authentication token"}


def test_error_codes_of_an_unknown_operation_raise_spec_error() -> None:
    with pytest.raises(SpecError, match="no operation"):
        error_codes("convoso", "deleteSmsOptOut")


@pytest.mark.parametrize(
    ("profile", "accepts_000", "accepts_001"),
    [("lenient", True, True), ("community", True, False), ("official", False, True)],
)
def test_each_profile_accepts_exactly_its_documents_search_example(
    profile: str, accepts_000: bool, accepts_001: bool
) -> None:
    validator = schema_validator(load_spec("convoso", profile), "SearchResponse")
    assert validator.is_valid(EXAMPLE_000) is accepts_000
    assert validator.is_valid(EXAMPLE_001) is accepts_001


def test_the_profiles_pin_limit_default_and_offset_maximum() -> None:
    def search_property(profile: str, name: str) -> dict[str, Any]:
        return load_spec("convoso", profile)["components"]["schemas"]["SearchRequest"]["properties"][name]

    assert "default" not in search_property("lenient", "limit")
    assert search_property("community", "limit")["default"] == 1000
    assert search_property("official", "limit")["default"] == 100
    assert search_property("lenient", "offset")["maximum"] == 1000000
    assert search_property("community", "offset")["maximum"] == 100000


def test_error_bodies_of_both_documented_shapes_validate() -> None:
    validator = schema_validator(load_spec("convoso"), "ErrorResponse")
    assert validator.is_valid({"success": False, "code": 6006, "error": "Invalid Campaign ID"})
    assert validator.is_valid({"success": False, "code": "7231", "message": "Invalid offset value"})
    assert validator.is_valid({"success": False, "error": "Invalid authentication token"})
    assert not validator.is_valid({"success": False, "code": 6006})
    assert not validator.is_valid({"success": True, "error": "x"})


def test_whatcounts_replies_match_the_documented_result_formats() -> None:
    validator = schema_validator(load_spec("whatcounts"), "StopReply")
    assert validator.is_valid("SUCCESS: Stopping message to phone was successful")
    assert validator.is_valid("FAILURE: Unable to determine customer account (realm)")
    assert not validator.is_valid("FAILURE: ")
    assert not validator.is_valid("OK")


def test_avaamo_entries_need_an_epoch_created_at_not_the_placeholder() -> None:
    validator = schema_validator(load_spec("avaamo"), "OptStatusEntry")
    entry = {
        "to_phone": "+12929929902",
        "from_phone": "+19090909090",
        "status": "opt-out",
        "current_status": "opt-out",
    }
    assert validator.is_valid({**entry, "created_at": 1675410047})
    assert validator.is_valid({**entry, "created_at": "1675410047186"})
    assert not validator.is_valid({**entry, "created_at": "<<timestamp>>"})


@pytest.mark.parametrize(("api", "profile"), SPEC_VARIANTS)
def test_every_discrepancy_mark_names_a_registry_entry(api: str, profile: str) -> None:
    known = {entry.id for entry in load_registry()}
    marks = discrepancy_marks(load_spec(api, profile))
    assert sorted(set(marks) - known) == []
    assert all(mark.startswith(f"{api}.") for mark in marks)


def test_every_registry_entry_is_marked_where_its_spec_field_says() -> None:
    unmarked = []
    for entry in load_registry():
        if entry.spec_location is None:
            assert entry.spec.removeprefix("none:").strip(), f"{entry.id}: 'none:' needs a reason"
            continue
        nodes = resolve(load_spec(entry.api), entry.spec_location)
        marks = [node.get("x-discrepancy") for node in nodes if isinstance(node, dict)]
        if not any(entry.id == mark or (isinstance(mark, list) and entry.id in mark) for mark in marks):
            unmarked.append((entry.id, entry.spec))
    assert unmarked == []


def test_the_alias_pairs_of_whatcounts_are_described() -> None:
    operation = load_spec("whatcounts")["paths"]["/api_web"]["get"]
    assert operation["x-aliases"] == {
        "command": ["cmd", "c"],
        "realm": ["realm", "r"],
        "password": ["pwd", "p"],
    }
    assert operation["x-required-one-of"] == [["cmd", "c"], ["realm", "r"], ["pwd", "p"]]


def test_profiles_known_to_the_project_all_load() -> None:
    for profile in PROFILES:
        assert load_spec("convoso", profile)["openapi"] == "3.1.0"
