"""How the fingerprint reads which Convoso document a target follows, on hand-written values.

000: default limit 1000, integer paging fields, insert_date a date. 001: default limit 100, a
numeric-string total, insert_date a date and time. Anything that fits neither pins nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from optout_conformance.apis.convoso.checks import classify
from optout_conformance.checks.fingerprint import PROBE, S000, S001, json_type, pin
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.runner.context import RunContext


@pytest.mark.parametrize(("total", "served", "default"), [
    (150, 100, 100), (101, 100, 100),
    (100, 100, None),  # every record fits in 100: either default would serve them all
    (1500, 1000, 1000), (500, 500, 1000), (101, 101, 1000),
    (50, 50, None), (1500, 999, None), (1500, 25, None),
])
def test_the_default_page_shows_a_documented_default_only_when_it_tells_them_apart(
    total: int, served: int, default: int | None
) -> None:
    assert classify.observed_default(total, served) == default


@pytest.mark.parametrize(("value", "kind"), [
    (5, "integer"), (0, "integer"), (True, "bool"), ("5", "numeric-string"), ("x", "str"),
    (None, "NoneType"), (5.0, "float"),
])
def test_a_paging_field_is_read_as_integer_numeric_string_or_its_json_type(value: Any, kind: str) -> None:
    assert classify.field_kind(value) == kind


@pytest.mark.parametrize(("kinds", "follows"), [
    ({"offset": "integer", "limit": "integer", "total": "integer"}, S000),
    ({"offset": "integer", "limit": "numeric-string", "total": "numeric-string"}, S001),
    ({"offset": "numeric-string", "limit": "integer", "total": "numeric-string"}, S001),
    ({"offset": "integer", "limit": "integer", "total": "str"}, None),
    ({"offset": "str", "limit": "integer", "total": "numeric-string"}, None),
    ({"offset": "integer", "limit": "str", "total": "numeric-string"}, None),
    ({"offset": "numeric-string", "limit": "numeric-string", "total": "integer"}, None),
])
def test_paging_field_types_follow_000_when_all_integers_and_001_when_total_is_a_numeric_string(
    kinds: dict[str, str], follows: str | None
) -> None:
    assert classify.paging_follows(kinds) == follows


@pytest.mark.parametrize(("dates", "follows"), [
    (["2026-03-03", "2025-12-31"], S000),
    (["2026-03-03 10:00:00", "2025-12-31 23:59:59"], S001),
    (["2026-03-03", "2026-03-03 10:00:00"], None),
    (["2026-03-03T10:00:00"], None),
    (["2026-03-03 10:00"], None),
    ([], None),
])
def test_insert_dates_follow_a_document_only_when_every_one_has_its_format(
    dates: list[str], follows: str | None
) -> None:
    assert classify.date_follows(dates) == follows


def context(api: str) -> RunContext:
    url = "http://127.0.0.1:9"  # nothing is sent: the observations are made by hand
    return RunContext(target=Target(api=api, base_url=url, embedded=True, loopback=True),
                      credentials=Credentials(), profile="auto", http=HttpClient(url, timeout=1.0))


def test_a_probe_naming_one_convoso_document_pins_its_profile_and_observes_every_answer() -> None:
    ctx = context("convoso")
    ctx.current_check = PROBE
    pin(ctx, "convoso.search.limit-default", 100, S001)
    pin(ctx, "convoso.paging.types", {"offset": "integer", "total": "integer"}, S000)
    pin(ctx, "convoso.search.empty-reason", "", "a note of the registry")
    assert ctx.fingerprint == {"convoso.search.limit-default": "official",
                               "convoso.paging.types": "community"}
    assert [(o.discrepancy_id, o.follows, o.check_id) for o in ctx.observations] == [
        ("convoso.search.limit-default", S001, PROBE),
        ("convoso.paging.types", S000, PROBE),
        ("convoso.search.empty-reason", "a note of the registry", PROBE),
    ]


@pytest.mark.parametrize(("value", "name"), [
    (None, "null"), (True, "boolean"), (False, "boolean"), (0, "integer"), (7, "integer"), (1.5, "number"),
    ("", "string"), ("7", "string"), ([], "array"), ([1], "array"), ({}, "object"), ({"a": 1}, "object"),
])
def test_every_json_value_is_named_by_its_json_type(value: Any, name: str) -> None:
    assert json_type(value) == name
