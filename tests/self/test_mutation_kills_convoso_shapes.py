"""The Convoso reply-shape checks (apis/convoso/checks/shapes.py) against the reference server and
one-behaviour variants of it, over real HTTP on 127.0.0.1.

The rules: replies match the profile-narrowed spec (a search page and its 7231 refusal; insert and
update successes and refusals); insert_date is "2026-03-03" (000) or "2024-04-22 17:01:31" (001);
the global campaign is named "Global SMS Opt-Out" (000) or "" (001), a string in either; offset,
limit and total are integers (000) or, in 001, total a numeric string (offset and limit either).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome

from optout_conformance.apis.convoso.checks import shapes
from optout_conformance.apis.convoso.checks.api import BOTH, S000, S001
from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoError
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.faults.catalog import build_app
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Where
from optout_conformance.runner.context import RunContext

TOKEN = ReferenceConfig().token
SEARCH_SHAPES = "convoso.shapes.search_replies_conform_to_the_spec"
WRITE_SHAPES = "convoso.shapes.insert_and_update_replies_conform_to_the_spec"
DATE = "convoso.shapes.insert_date_has_the_profile_format"
NAME = "convoso.shapes.global_campaign_name_follows_the_profile"
PAGING = "convoso.shapes.paging_fields_have_the_profile_types"
SHAPE_CHECKS = [SEARCH_SHAPES, WRITE_SHAPES, DATE, NAME, PAGING]
DBS = itertools.count()


@contextmanager
def serve(tmp: Path, profile: str = "community", service: type[ConvosoService] = ConvosoService,
          records: int = 5) -> Iterator[EmbeddedServer]:
    db = str(tmp / f"{service.__name__}-{next(DBS)}.db")
    config = ReferenceConfig(profile=profile, db=db, seed_records=records)
    with EmbeddedServer(create_app(config, convoso=service, apis=("convoso",))) as server:
        yield server


@contextmanager
def serve_fault(tmp: Path, name: str, profile: str = "community") -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(profile=profile, db=str(tmp / f"{name}.db"), seed_records=5)
    with EmbeddedServer(build_app(name, config, apis=("convoso",))) as server:
        yield server


def context(server: EmbeddedServer, profile: str, *, writes: bool = True) -> RunContext:
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url, loopback=writes),
        credentials=Credentials(token=TOKEN),
        profile=profile,
        http=HttpClient(url, timeout=5.0),
    )


def outcome(ctx: RunContext, check_id: str) -> str:
    spec = CHECKS[check_id]
    assert spec.function.__module__ == shapes.__name__
    return run_outcome(ctx, spec)


def failure_of(server: EmbeddedServer, profile: str, check_id: str) -> CheckFailed:
    ctx = context(server, profile)
    ctx.current_check = check_id
    with pytest.raises(CheckFailed) as caught:
        CHECKS[check_id].function(ctx)
    return caught.value


def observed(ctx: RunContext, discrepancy_id: str) -> list[tuple[Any, str | None]]:
    return [(o.observed, o.follows) for o in ctx.observations if o.discrepancy_id == discrepancy_id]


@pytest.mark.parametrize(("server_profile", "run_profile"), [
    ("community", "community"), ("official", "official"), ("community", "lenient"), ("official", "lenient"),
])
def test_every_shape_check_passes_against_the_reference(
    server_profile: str, run_profile: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        ctx = context(server, run_profile)
        verdicts = {check_id: outcome(ctx, check_id) for check_id in SHAPE_CHECKS}
    assert set(verdicts.values()) == {"passed"}, verdicts


# -- search replies against the spec ---------------------------------------------------------------


def test_a_search_shape_is_judged_only_once_a_record_is_seen(tmp_path: Path) -> None:
    with serve(tmp_path, records=0) as server:
        verdict = outcome(context(server, "community", writes=False), SEARCH_SHAPES)
        assert verdict == ("inconclusive: needs at least 1 record, so that a record's shape is seen, "
                           "and writes are not allowed")
    with serve(tmp_path, records=1) as server:
        assert outcome(context(server, "community", writes=False), SEARCH_SHAPES) == "passed"


class NegativeOffsetAsZero(ConvosoService):
    """Bug: offset=-1 is served as offset 0 instead of 7231."""

    def parse_offset(self, value: str) -> int:
        return 0 if value.startswith("-") else super().parse_offset(value)


def test_a_search_that_should_be_refused_and_succeeds_fails_as_such(tmp_path: Path) -> None:
    with serve(tmp_path, service=NegativeOffsetAsZero) as server:
        failure = failure_of(server, "community", SEARCH_SHAPES)
    assert failure.rule == "POST /sms-opt-out/search is refused with a documented body"
    assert failure.source == BOTH


def test_a_search_page_that_does_not_match_the_spec_fails(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-record-id-as-integer") as server:
        failure = failure_of(server, "community", SEARCH_SHAPES)
    assert "reply conforms to the community spec" in failure.rule
    assert failure.exchange is not None and (failure.exchange.data or {}).get("limit") == "5"


class SearchRefusedAsServerFailure(ConvosoService):
    """Bug: every search answers HTTP 500."""

    def search(self, fields: dict[str, str]) -> dict[str, Any]:
        raise RuntimeError("down")


def test_a_search_that_should_succeed_and_fails_cites_both_documents(tmp_path: Path) -> None:
    with serve(tmp_path, service=SearchRefusedAsServerFailure) as server:
        failure = failure_of(server, "community", SEARCH_SHAPES)
    assert failure.rule == "POST /sms-opt-out/search succeeds with a documented body"
    assert failure.source.startswith(BOTH)


# -- insert and update replies against the spec ---------------------------------------------------


def test_the_write_shapes_are_skipped_without_writing_on_a_read_only_target(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        ctx = context(server, "community", writes=False)
        assert outcome(ctx, WRITE_SHAPES).startswith("skipped: writes are not allowed")
    assert not [e for e in ctx.http.exchanges if e.url.endswith(("/insert", "/update"))]


class UnknownCampaignAccepted(ConvosoService):
    """Bug: an insert into an unknown campaign succeeds (stored in campaign 111)."""

    def validate_insert_campaign(self, value: str) -> int:
        try:
            return super().validate_insert_campaign(value)
        except ConvosoError:
            return 111


class UpdateWithoutIdAccepted(ConvosoService):
    """Bug: an update without an id answers success."""

    def update(self, fields: dict[str, str]) -> dict[str, Any]:
        if not fields.get("id"):
            return {"success": True, "data": {"id": "0"}}
        return super().update(fields)


class InsertRefused(ConvosoService):
    """Bug: every insert is refused as invalid."""

    def insert(self, fields: dict[str, str]) -> dict[str, Any]:
        raise ConvosoError(6007, fields.get("phone_number", ""))


@pytest.mark.parametrize(("service", "rule"), [
    (UnknownCampaignAccepted, "POST /sms-opt-out/insert is refused with a documented body"),
    (UpdateWithoutIdAccepted, "POST /sms-opt-out/update is refused with a documented body"),
    (InsertRefused, "POST /sms-opt-out/insert succeeds with a documented body"),
], ids=lambda value: value.__name__ if isinstance(value, type) else "")
def test_a_write_answered_the_other_way_than_the_request_calls_for_fails_citing_000(
    service: type[ConvosoService], rule: str, tmp_path: Path
) -> None:
    with serve(tmp_path, service=service) as server:
        failure = failure_of(server, "community", WRITE_SHAPES)
    assert failure.rule == rule and failure.source == S000


def test_an_update_reply_without_data_fails_the_spec(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-update-reply-without-data") as server:
        failure = failure_of(server, "community", WRITE_SHAPES)
    assert failure.rule.startswith("POST /sms-opt-out/update reply conforms")


# -- insert_date ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("server_profile", "run_profile", "documented"), [
    ("official", "community", "YYYY-MM-DD"),
    ("community", "official", "YYYY-MM-DD HH:MM:SS"),
])
def test_an_insert_date_of_the_other_profile_fails_a_pinned_run(
    server_profile: str, run_profile: str, documented: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        failure = failure_of(server, run_profile, DATE)
    assert failure.documented == documented and failure.source == f"{S000}; {S001}"
    assert failure.received.startswith("insert_date '")


@pytest.mark.parametrize(("server_profile", "follows"), [("community", S000), ("official", S001)])
def test_either_insert_date_format_passes_a_lenient_run_and_is_observed(
    server_profile: str, follows: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        ctx = context(server, "lenient")
        assert outcome(ctx, DATE) == "passed"
    [(value, seen)] = observed(ctx, "convoso.record.insert_date-format")
    assert seen == follows and len(value) == (10 if follows == S000 else 19)


class LastRecordDateWithSlashes(ConvosoService):
    """Bug: the record with the highest id shows insert_date as MM/DD/YYYY."""

    def format_record(self, record: ConvosoRecord) -> dict[str, str]:
        formatted = super().format_record(record)
        if record.id == self.store.count_convoso(("", [])):
            formatted["insert_date"] = "03/03/2026"
        return formatted


def test_every_sampled_record_has_a_documented_insert_date(tmp_path: Path) -> None:
    with serve(tmp_path, service=LastRecordDateWithSlashes) as server:
        failure = failure_of(server, "lenient", DATE)
    assert failure.received.startswith("insert_date '03/03/2026'")
    assert failure.documented == "YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"


def test_an_insert_date_is_judged_only_once_a_record_is_seen(tmp_path: Path) -> None:
    with serve(tmp_path, records=0) as server:
        verdict = outcome(context(server, "community", writes=False), DATE)
    assert verdict.startswith("inconclusive: needs 1 record(s) matching no filter (the target has 0)")


# -- the global campaign's name -------------------------------------------------------------------


@pytest.mark.parametrize(("server_profile", "run_profile", "documented"), [
    ("official", "community", "'Global SMS Opt-Out'"),
    ("community", "official", "''"),
])
def test_a_global_campaign_name_of_the_other_profile_fails_a_pinned_run(
    server_profile: str, run_profile: str, documented: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        failure = failure_of(server, run_profile, NAME)
    assert failure.documented == documented and failure.source == f"{S000}; {S001}"


@pytest.mark.parametrize(("server_profile", "seen"), [
    ("community", ("Global SMS Opt-Out", S000)), ("official", ("", S001)),
])
def test_either_global_campaign_name_passes_a_lenient_run_and_is_observed(
    server_profile: str, seen: tuple[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        ctx = context(server, "lenient")
        assert outcome(ctx, NAME) == "passed"
    assert observed(ctx, "convoso.record.global-campaign_name") == [seen]


def test_a_single_global_record_is_enough_to_judge_and_observe_the_name(tmp_path: Path) -> None:
    with serve(tmp_path, records=0) as server:
        writer = context(server, "lenient")
        fields = {"auth_token": TOKEN, "phone_number": writer.fictional_phone(), "phone_code": "1",
                  "campaign_id": "0"}
        answer = writer.http.post("/sms-opt-out/insert", data=fields)
        assert answer.json()["success"] is True
        ctx = context(server, "lenient", writes=False)
        assert outcome(ctx, NAME) == "passed"
    assert observed(ctx, "convoso.record.global-campaign_name") == [("Global SMS Opt-Out", S000)]


class GlobalCampaignNameNull(ConvosoService):
    """Bug: campaign_name null on global records."""

    def campaign_name(self, campaign_id: int) -> Any:
        return None if campaign_id == 0 else super().campaign_name(campaign_id)


def test_a_global_campaign_name_that_is_no_string_fails_a_lenient_run(tmp_path: Path) -> None:
    with serve(tmp_path, service=GlobalCampaignNameNull) as server:
        failure = failure_of(server, "lenient", NAME)
    assert failure.documented == "a string"
    assert failure.received.startswith("campaign_name None on global record")


def only_campaign_served(campaign_id: str, name: str) -> type[ConvosoService]:
    """A target whose campaign filter is lax and whose records all belong to ``campaign_id``."""

    class Variant(ConvosoService):
        def filter_campaign_id(self, value: str) -> Where | None:
            return None

        def format_record(self, record: ConvosoRecord) -> dict[str, str]:
            return {**super().format_record(record), "campaign_id": campaign_id, "campaign_name": name}

    return Variant


@pytest.mark.parametrize(("campaign_id", "name"), [("111", "Sales Campaign"), ("-1", "Purpose Opt-Out")])
def test_a_global_campaign_name_is_judged_only_on_a_record_of_campaign_0(
    campaign_id: str, name: str, tmp_path: Path
) -> None:
    with serve(tmp_path, service=only_campaign_served(campaign_id, name)) as server:
        verdict = outcome(context(server, "community"), NAME)
    assert verdict == "inconclusive: needs a record of the global campaign 0, and this check only reads"


# -- paging field types ---------------------------------------------------------------------------


@pytest.mark.parametrize(("server_profile", "run_profile", "received", "documented"), [
    ("official", "community", "offset = '0' (numeric-string)", "integer"),
    ("community", "official", "total = 5 (integer)", "numeric-string"),
])
def test_paging_fields_of_the_other_profile_fail_a_pinned_run(
    server_profile: str, run_profile: str, received: str, documented: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        failure = failure_of(server, run_profile, PAGING)
    assert failure.received == received and failure.documented == documented


class OfficialIntegerOffsetAndLimit(ConvosoService):
    """Faithful in 001: offset and limit as integers, total as a numeric string (001's table types
    only total; its example shows strings)."""

    def format_search_response(self, offset: int, limit: int, total: int,
                               records: list[ConvosoRecord]) -> dict[str, Any]:
        return {**super().format_search_response(offset, limit, total, records), "offset": offset,
                "limit": limit}


def test_official_offset_and_limit_may_be_integers_or_numeric_strings(tmp_path: Path) -> None:
    with serve(tmp_path, "official", OfficialIntegerOffsetAndLimit) as server:
        ctx = context(server, "official")
        assert outcome(ctx, PAGING) == "passed"
    assert observed(ctx, "convoso.search.paging-field-types") == [
        ({"offset": "integer", "limit": "integer", "total": "numeric-string"}, S001)]


class TotalAsFloat(ConvosoService):
    """Bug: total as a JSON number with a fraction."""

    def format_search_response(self, offset: int, limit: int, total: int,
                               records: list[ConvosoRecord]) -> dict[str, Any]:
        return {**super().format_search_response(offset, limit, total, records), "total": total + 0.5}


def test_a_paging_field_of_neither_type_fails_a_lenient_run(tmp_path: Path) -> None:
    with serve(tmp_path, service=TotalAsFloat) as server:
        failure = failure_of(server, "lenient", PAGING)
    assert failure.received == "total = 5.5 (float)" and failure.documented == "integer or numeric-string"


@pytest.mark.parametrize(("server_profile", "kinds", "follows"), [
    ("community", {"offset": "integer", "limit": "integer", "total": "integer"}, S000),
    ("official", {"offset": "numeric-string", "limit": "numeric-string", "total": "numeric-string"}, S001),
])
def test_the_paging_field_types_are_observed_with_the_document_they_follow(
    server_profile: str, kinds: dict[str, str], follows: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile) as server:
        ctx = context(server, "lenient")
        assert outcome(ctx, PAGING) == "passed"
    assert observed(ctx, "convoso.search.paging-field-types") == [(kinds, follows)]


def test_a_pinned_field_kind_allows_only_itself_and_an_open_one_either() -> None:
    assert shapes.allowed_kinds({"total": "numeric-string"}, "total") == ("numeric-string",)
    assert shapes.allowed_kinds({"total": "integer"}, "total") == ("integer",)
    either = ("integer", "numeric-string")
    assert shapes.allowed_kinds({"offset": "integer-or-numeric-string"}, "offset") == either
    assert shapes.allowed_kinds(None, "total") == ("integer", "numeric-string")
