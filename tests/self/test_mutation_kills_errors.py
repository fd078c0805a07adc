"""What the Convoso error checks observe, and how an answer reads as 000 or 001.

The points no document fixes (the HTTP status of an error, the code of an update of an unknown id,
an empty or short phone_number on update, which combination 6059 compares, the status of an auth
failure) are observed, never failed: a report shows each observation, so the observations a known
target gets are its observable behaviour. The reference and one-behaviour variants of it run on
127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome

from optout_conformance.apis.convoso.checks import classify
from optout_conformance.apis.convoso.checks.api import S000, S001
from optout_conformance.apis.convoso.reference import ConvosoService, Fields
from optout_conformance.apis.convoso.reference_errors import ConvosoBadRequest
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

ERROR_CHECKS = [spec.id for spec in checks_for("convoso") if spec.family == "errors"]
NON_NUMERIC = "convoso.errors.update_with_a_non_numeric_field_gets_4002"
UNKNOWN_ID = "convoso.errors.update_without_a_known_id_gets_6056"


@contextmanager
def writable(tmp: Path, profile: str = "community",
             service: type[ConvosoService] = ConvosoService) -> Iterator[RunContext]:
    """A context that may write (an embedded loopback target) against the reference."""
    db = str(tmp / f"{profile}-{service.__name__}.db")
    config = ReferenceConfig(profile=profile, db=db, seed_records=20)
    with EmbeddedServer(create_app(config, convoso=service, apis=("convoso",))) as server:
        url = server.url("convoso")
        yield RunContext(
            target=Target(api="convoso", base_url=url, embedded=True, loopback=True),
            credentials=Credentials(token=config.token),
            profile=profile,
            http=HttpClient(url, timeout=10.0),
        )


def verdict(ctx: RunContext, check_id: str) -> str:
    return run_outcome(ctx, CHECKS[check_id])


def observations(ctx: RunContext) -> list[tuple[str, Any, str | None, str]]:
    return [(o.discrepancy_id, o.observed, o.follows, (o.check_id or "").rsplit(".", 1)[-1])
            for o in ctx.observations]


@pytest.mark.parametrize("profile", ["community", "official"])
def test_the_reference_passes_every_error_check_and_each_open_point_is_observed_as_it_answers(
    profile: str, tmp_path: Path
) -> None:
    with writable(tmp_path, profile) as ctx:
        results = {check_id: verdict(ctx, check_id) for check_id in ERROR_CHECKS}
    assert results == dict.fromkeys(ERROR_CHECKS, "passed")
    token_checks = {
        "search": "search_with_an_invalid_or_missing_token_is_refused",
        "insert": "insert_with_an_invalid_token_is_refused",
        "update": "update_with_an_invalid_token_is_refused",
    }

    def refused(operation: str) -> tuple[str, Any, str | None, str]:
        return ("convoso.auth.invalid-token", {"operation": operation, "status": 401}, "Convoso glossary",
                token_checks[operation])

    assert observations(ctx) == [
        ("convoso.error.http-status", 200, None, "insert_with_an_unknown_campaign_gets_6006"),
        ("convoso.update.record-not-found", "code 6056: Missing or Invalid value for ID", None,
         "update_without_a_known_id_gets_6056"),
        ("convoso.update.combination-exists", 6059, None, "update_to_an_existing_combination_gets_6059"),
        ("convoso.update.non-numeric-field-code", {"phone_number": 4002}, None, NON_NUMERIC.rsplit(".")[-1]),
        ("convoso.update.non-numeric-field-code", {"phone_code": 4002}, None, NON_NUMERIC.rsplit(".")[-1]),
        ("convoso.update.non-numeric-field-code", {"campaign_id": 4002}, None, NON_NUMERIC.rsplit(".")[-1]),
        ("convoso.update.optional-vs-4001", {"empty-field": 4001}, None, NON_NUMERIC.rsplit(".")[-1]),
        ("convoso.error.6008-meaning", {"short-numeric": 6008}, None, NON_NUMERIC.rsplit(".")[-1]),
        ("convoso.error.http-status", 401, None, token_checks["search"]),
        refused("search"),
        refused("search"),
        refused("insert"),
        refused("update"),
    ]


class UnknownIdRecordNotFound(ConvosoService):
    """Faithful: an update of an id no record has gets 000's Error Handling answer
    {"success": false, "error": "Record not found"} (no code); a missing id still gets 6056."""

    def find_update_record(self, value: str) -> ConvosoRecord:
        if value.isdigit() and self.store.get_convoso(int(value)) is None:
            raise ConvosoBadRequest("Record not found")
        return super().find_update_record(value)


class EmptyPhoneNumberLeftAlone(ConvosoService):
    """Faithful: phone_number is "Required: No" on update, so an empty one changes nothing and the
    update succeeds (registry convoso.update.optional-vs-4001)."""

    def update(self, fields: Fields) -> dict[str, Any]:
        if fields.get("phone_number") == "":
            fields = {name: value for name, value in fields.items() if name != "phone_number"}
        return super().update(fields)


def observed(ctx: RunContext, discrepancy_id: str) -> list[Any]:
    return [o.observed for o in ctx.observations if o.discrepancy_id == discrepancy_id]


def test_an_unknown_id_answered_record_not_found_without_a_code_passes_and_is_observed(
    tmp_path: Path,
) -> None:
    with writable(tmp_path, service=UnknownIdRecordNotFound) as ctx:
        assert verdict(ctx, UNKNOWN_ID) == "passed"
    assert observed(ctx, "convoso.update.record-not-found") == ["code None: Record not found"]


def test_an_empty_phone_number_accepted_on_update_passes_and_is_observed_as_accepted(tmp_path: Path) -> None:
    with writable(tmp_path, service=EmptyPhoneNumberLeftAlone) as ctx:
        assert verdict(ctx, NON_NUMERIC) == "passed"
    assert observed(ctx, "convoso.update.optional-vs-4001") == [{"empty-field": "accepted"}]


class OffsetBetweenMaximaRefusedWithoutCode(ConvosoService):
    """An offset of 500,000 refused with HTTP 400 and no code: neither 000's 7231 nor 001's success."""

    def parse_offset(self, value: str) -> int:
        if value == "500000":
            raise ConvosoBadRequest("offset too large")
        return super().parse_offset(value)


@pytest.mark.parametrize(
    ("profile", "service", "reading"),
    [
        ("community", ConvosoService, ("offset 500000 -> 7231", S000)),
        ("official", ConvosoService, ("offset 500000 accepted", S001)),
    ],
)
def test_an_offset_between_the_two_maxima_reads_as_000_when_refused_with_7231_and_001_when_accepted(
    profile: str, service: type[ConvosoService], reading: tuple[str, str], tmp_path: Path
) -> None:
    with writable(tmp_path, profile, service) as ctx:
        assert classify.offset_between_maxima(ctx) == reading
        [exchange] = ctx.http.exchanges
    assert exchange.data is not None
    assert (exchange.data["offset"], exchange.data["limit"]) == ("500000", "1")


def test_an_offset_between_the_two_maxima_refused_without_7231_reads_as_neither(tmp_path: Path) -> None:
    with writable(tmp_path, service=OffsetBetweenMaximaRefusedWithoutCode) as ctx:
        text, follows = classify.offset_between_maxima(ctx)
    assert follows is None
    assert text.startswith("inconclusive: HTTP 400") and "offset too large" in text
