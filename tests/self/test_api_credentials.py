"""Each API's credential fields are read from its spec: wire names and where they travel come from
the security schemes, parameters, form bodies and ``x-aliases``; the definition keeps only the
run's key, the environment variable and whether the value is secret."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from optout_conformance.core.apis import (
    APIS,
    ApiInfo,
    Credential,
    CredentialField,
    derive_credentials,
    is_definition,
)
from optout_conformance.core.context import Credentials
from optout_conformance.core.definition import ApiLoadError, project_openapi_dir

# What the three built-in definitions declared by hand before the fields were read from the specs.
DECLARED_BEFORE = {
    "convoso": (Credential("token", ("auth_token",), "form", "OPTOUT_CONFORMANCE_TOKEN"),),
    "whatcounts": (
        Credential("realm", ("realm", "r"), "query-or-form", "OPTOUT_CONFORMANCE_REALM", secret=False),
        Credential("password", ("pwd", "p"), "query-or-form", "OPTOUT_CONFORMANCE_PASSWORD"),
        Credential("sender_code", ("sender_code",), "query-or-form", "OPTOUT_CONFORMANCE_SENDER_CODE",
                   secret=False),
    ),
    "avaamo": (Credential("token", ("access-token",), "header", "OPTOUT_CONFORMANCE_TOKEN"),),
}


def spec_of(api: str) -> dict[str, Any]:
    with (project_openapi_dir() / APIS[api].spec_file).open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


def fields_of(api: str) -> tuple[CredentialField, ...]:
    definition = APIS[api]
    assert isinstance(definition, ApiInfo)
    return definition.credential_fields


@pytest.mark.parametrize("api", sorted(DECLARED_BEFORE))
def test_each_built_in_apis_credentials_read_from_its_spec_equal_the_former_declaration(api: str) -> None:
    assert APIS[api].credentials == DECLARED_BEFORE[api]


@pytest.mark.parametrize("api", sorted(DECLARED_BEFORE))
def test_no_built_in_definition_spells_a_wire_name_itself(api: str) -> None:
    source = (Path(__import__(f"optout_conformance.apis.{api}", fromlist=["x"]).__file__ or "")).read_text()
    for credential in DECLARED_BEFORE[api]:
        for wire in credential.wire:
            assert f'"{wire}"' not in source.replace(f'"{credential.key}"', "")


def test_a_spec_copy_with_a_renamed_api_key_changes_the_wire_name(tmp_path: Path) -> None:
    spec = spec_of("avaamo")
    spec["components"]["securitySchemes"]["AccessToken"]["name"] = "x-avaamo-key"
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    definition = dataclasses.replace(APIS["avaamo"], spec_dir=tmp_path, spec_file="copy.yaml")  # type: ignore[type-var]
    assert definition.credentials == (
        Credential("token", ("x-avaamo-key",), "header", "OPTOUT_CONFORMANCE_TOKEN"),
    )


def test_a_scheme_moved_to_the_query_string_travels_there() -> None:
    spec = spec_of("avaamo")
    spec["components"]["securitySchemes"]["AccessToken"]["in"] = "query"
    (credential,) = derive_credentials(spec, fields_of("avaamo"))
    assert (credential.wire, credential.travels) == (("access-token",), "query")


def test_the_aliases_come_from_the_operations_x_aliases() -> None:
    spec = spec_of("whatcounts")
    for operation in spec["paths"]["/api_web"].values():
        operation["x-aliases"] = {"realm": ["realm", "account"], "password": ["pwd", "p"]}
        operation["x-required-one-of"] = [["realm", "account"], ["pwd", "p"]]
    realm, password, sender_code = derive_credentials(spec, fields_of("whatcounts"))
    assert realm.wire == ("realm", "account")
    assert password.wire == ("pwd", "p")
    assert sender_code.wire == ("sender_code",)


def test_without_the_post_form_body_whatcounts_credentials_travel_in_the_query_only() -> None:
    spec = spec_of("whatcounts")
    del spec["paths"]["/api_web"]["post"]["requestBody"]
    assert {c.travels for c in derive_credentials(spec, fields_of("whatcounts"))} == {"query"}


def test_convosos_token_travels_where_the_request_bodies_carry_it() -> None:
    spec = spec_of("convoso")
    renamed = copy.deepcopy(spec)
    renamed["components"]["securitySchemes"]["AuthToken"]["name"] = "api_token"
    # No request body carries api_token: it travels where the scheme's `in` says.
    (credential,) = derive_credentials(renamed, fields_of("convoso"))
    assert (credential.wire, credential.travels) == (("api_token",), "query")
    for schema in ("SearchRequest", "InsertRequest", "UpdateRequest"):
        properties = renamed["components"]["schemas"][schema]["properties"]
        properties["api_token"] = properties.pop("auth_token")
    (credential,) = derive_credentials(renamed, fields_of("convoso"))
    assert (credential.wire, credential.travels) == (("api_token",), "form")


def test_the_definition_keeps_what_the_spec_cannot_say() -> None:
    fields = tuple(dataclasses.replace(f, env="MY_TOKEN", secret=False) for f in fields_of("convoso"))
    (credential,) = derive_credentials(spec_of("convoso"), fields)
    assert (credential.key, credential.env, credential.secret) == ("token", "MY_TOKEN", False)


def test_a_field_naming_nothing_in_the_spec_is_one_load_error_naming_the_api() -> None:
    fields = (CredentialField("token", "#/components/securitySchemes/Missing", "OPTOUT_CONFORMANCE_TOKEN"),)
    with pytest.raises(ApiLoadError, match=r"^API 'avaamo': credential 'token': the spec has nothing at"):
        derive_credentials(spec_of("avaamo"), fields, "avaamo")


def test_a_place_the_suite_cannot_send_is_a_load_error() -> None:
    spec = spec_of("avaamo")
    spec["components"]["securitySchemes"]["AccessToken"]["in"] = "cookie"
    with pytest.raises(ApiLoadError, match="travels in \\['cookie'\\]"):
        derive_credentials(spec, fields_of("avaamo"), "avaamo")


def test_discovery_reads_no_spec_and_a_missing_spec_fails_when_credentials_are_read(tmp_path: Path) -> None:
    definition = dataclasses.replace(APIS["avaamo"], spec_dir=tmp_path)  # type: ignore[type-var]
    assert is_definition(definition)
    with pytest.raises(ApiLoadError, match="cannot read its spec"):
        _ = definition.credentials


def test_the_values_scrubbed_are_those_of_the_fields_a_definition_marks_secret() -> None:
    credentials = Credentials(token="tok-1", realm="acme", password="pw-1", sender_code="1201")
    assert credentials.secrets() == {"tok-1": "$OPTOUT_CONFORMANCE_TOKEN",
                                     "pw-1": "$OPTOUT_CONFORMANCE_PASSWORD"}
    secret = {item.key for definition in APIS.values() for item in definition.credential_fields
              if item.secret}
    assert secret == {"token", "password"}
