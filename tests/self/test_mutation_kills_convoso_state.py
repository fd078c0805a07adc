"""The Convoso write checks (apis/convoso/checks/state.py) against the reference server and
one-behaviour variants of it, over real HTTP on 127.0.0.1.

The rules (000): an insert is visible to the next search with the fields sent ("Honor opt-out
immediately", workflow "Checking SMS Opt-Out Status"); a refused duplicate (6008) leaves one
record of the triple; an update answers ``data.id`` and search shows the new reason and purpose
("Record updated with new reason"); ``-BLANK-`` clears reason and purpose; a colliding update
(6059) changes nothing; an update with id and reason only keeps number, code and campaign.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome

from optout_conformance.apis.convoso.checks import state
from optout_conformance.apis.convoso.checks.api import S000
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
PREFIX = "oc-statetest"
VISIBLE = "convoso.state.insert_is_visible_to_the_next_search"
DUPLICATE = "convoso.state.duplicate_insert_leaves_a_single_record"
APPLIED = "convoso.state.update_is_applied_and_visible"
BLANK = "convoso.state.blank_clears_reason_and_purpose"
COLLIDING = "convoso.state.refused_colliding_update_changes_nothing"
REASON_ONLY = "convoso.state.update_with_id_and_reason_only_succeeds"
STATE_CHECKS = [VISIBLE, DUPLICATE, APPLIED, BLANK, COLLIDING, REASON_ONLY]
Fields = dict[str, str]
CONTEXTS = itertools.count()


@contextmanager
def serve(tmp: Path, service: type[ConvosoService] = ConvosoService, profile: str = "community"
          ) -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(profile=profile, db=str(tmp / f"{service.__name__}.db"), seed_records=3)
    with EmbeddedServer(create_app(config, convoso=service, apis=("convoso",))) as server:
        yield server


@contextmanager
def serve_fault(tmp: Path, name: str) -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(profile="community", db=str(tmp / f"{name}.db"), seed_records=3)
    with EmbeddedServer(build_app(name, config, apis=("convoso",))) as server:
        yield server


def context(server: EmbeddedServer, *, writes: bool = True, profile: str = "community",
            run_prefix: str | None = None) -> RunContext:
    """A context (each with its own run prefix, hence its own fictional numbers, unless given)."""
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url, loopback=writes),
        credentials=Credentials(token=TOKEN),
        profile=profile,
        http=HttpClient(url, timeout=5.0),
        run_prefix=run_prefix or f"{PREFIX}-{next(CONTEXTS)}",
    )


def outcome(ctx: RunContext, check_id: str) -> str:
    spec = CHECKS[check_id]
    assert spec.function.__module__ == state.__name__
    return run_outcome(ctx, spec)


def failure_of(server: EmbeddedServer, check_id: str) -> CheckFailed:
    ctx = context(server, run_prefix=PREFIX)
    ctx.current_check = check_id
    with pytest.raises(CheckFailed) as caught:
        CHECKS[check_id].function(ctx)
    return caught.value


def writes_sent(ctx: RunContext) -> list[str]:
    return [e.url for e in ctx.http.exchanges if e.url.endswith(("/insert", "/update"))]


@pytest.mark.parametrize("profile", ["community", "official"])
def test_every_write_check_passes_against_the_reference(profile: str, tmp_path: Path) -> None:
    with serve(tmp_path, profile=profile) as server:
        verdicts = {check_id: outcome(context(server, profile=profile), check_id)
                    for check_id in STATE_CHECKS}
    assert set(verdicts.values()) == {"passed"}, verdicts


def test_on_a_read_only_target_every_write_check_is_skipped_without_writing(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        ctx = context(server, writes=False)
        verdicts = {check_id: outcome(ctx, check_id) for check_id in STATE_CHECKS}
    assert set(verdicts.values()) == {"skipped: writes are not allowed on this target (pass --allow-writes)"}
    assert writes_sent(ctx) == []


# -- an insert is visible with the fields sent ----------------------------------------------------


def insert_changing(name: str, value: str | None) -> type[ConvosoService]:
    """Bug: an insert stores ``name`` as ``value`` (None: as if it had not been sent)."""

    class Variant(ConvosoService):
        def insert(self, fields: Fields) -> dict[str, Any]:
            changed = {k: v for k, v in fields.items() if k != name}
            return super().insert(changed if value is None else {**changed, name: value})

    Variant.__name__ = f"InsertStores_{name}_as_{value}"
    return Variant


class InsertAppendsToReason(ConvosoService):
    """Bug: an insert stores its reason with a suffix."""

    def insert(self, fields: Fields) -> dict[str, Any]:
        return super().insert({**fields, "reason": fields.get("reason", "") + " (web)"})


class InsertNotStored(ConvosoService):
    """Bug: an insert answers success and stores nothing."""

    def insert(self, fields: Fields) -> dict[str, Any]:
        return self.format_insert_response()


class SearchServesEveryRecordTwice(ConvosoService):
    """Bug: every record appears twice on a page."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        return [record for record in super().page(where, offset, limit) for _ in (1, 2)]


class InsertPrefixesTheNumberSearchMatchesByContainment(ConvosoService):
    """Bug: an insert stores the number with a 1 in front; search matches phone_number by
    containment (matching is unspecified), so it still serves the record for the number sent."""

    def insert(self, fields: Fields) -> dict[str, Any]:
        return super().insert({**fields, "phone_number": "1" + fields.get("phone_number", "")})

    def filter_phone_number(self, value: str) -> Where | None:
        return None if value == "" else ("instr(phone_number, ?) > 0", [value])


@pytest.mark.parametrize("service", [
    InsertPrefixesTheNumberSearchMatchesByContainment,
    insert_changing("purpose", None),
    insert_changing("purpose", "Survey"),
    insert_changing("reason", None),
    InsertAppendsToReason,
    insert_changing("phone_code", "44"),
    insert_changing("phone_code", "0"),
    insert_changing("campaign_id", "111"),
    insert_changing("campaign_id", "-1"),
    InsertNotStored,
    SearchServesEveryRecordTwice,
], ids=lambda service: service.__name__)
def test_an_insert_not_found_once_with_every_field_sent_fails(
    service: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, service) as server:
        failure = failure_of(server, VISIBLE)
    assert failure.documented.startswith("one record {'phone_code': '1', 'campaign_id': 0, 'reason': ")
    assert failure.documented.endswith(", 'purpose': 'Marketing'}")
    assert failure.source == S000
    assert failure.exchange is not None and failure.exchange.url.endswith("/insert")


# -- a refused duplicate leaves one record --------------------------------------------------------


def test_a_refused_duplicate_is_counted_in_the_global_campaign_only(tmp_path: Path) -> None:
    """The number may be opted out of other campaigns too: those records are not duplicates."""
    with serve(tmp_path) as server:
        ctx = context(server, run_prefix=PREFIX)
        phone = ctx.fictional_phone()  # the number the check will create (same run prefix)
        for campaign, purpose in (("111", ""), ("-1", "Survey")):
            answer = ctx.http.post("/sms-opt-out/insert", data={
                "auth_token": TOKEN, "phone_number": phone, "phone_code": "1", "campaign_id": campaign,
                "purpose": purpose})
            assert answer.json()["success"] is True
        assert outcome(context(server, run_prefix=PREFIX), DUPLICATE) == "passed"


@pytest.mark.parametrize("service", [SearchServesEveryRecordTwice, InsertNotStored],
                         ids=lambda service: service.__name__)
def test_a_refused_duplicate_must_leave_exactly_one_record(
    service: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, service) as server:
        failure = failure_of(server, DUPLICATE)
    assert failure.source == S000


def test_a_duplicate_stored_despite_6008_fails_counting_the_records(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-duplicate-stored-despite-6008") as server:
        failure = failure_of(server, DUPLICATE)
    assert failure.received.startswith("2 records of (") and failure.received.endswith(", 1, 0)")
    assert failure.documented == "one record"


class SearchAddsAnotherGlobalNumber(ConvosoService):
    """Every page also lists a global record of another, smaller number (a target whose number
    search matches loosely: how it matches is not this rule's business)."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        other = ConvosoRecord(999999, "1000000000", "1", 0, "another number", "", "2026-01-01 00:00:00")
        return [*super().page(where, offset, limit), other]


def test_the_duplicate_rule_counts_only_global_records_of_the_number_it_inserted(tmp_path: Path) -> None:
    with serve(tmp_path, SearchAddsAnotherGlobalNumber) as server:
        assert outcome(context(server, run_prefix=PREFIX), DUPLICATE) == "passed"


# -- an update is applied and visible -------------------------------------------------------------


def update_changing(name: str, change: Callable[[str], str | None]) -> type[ConvosoService]:
    """Bug: an update stores ``change(value)`` for ``name`` (None: the field is ignored)."""

    class Variant(ConvosoService):
        def update(self, fields: Fields) -> dict[str, Any]:
            if name in fields:
                value = change(fields[name])
                fields = {k: v for k, v in fields.items() if k != name}
                if value is not None:
                    fields[name] = value
            return super().update(fields)

    Variant.__name__ = f"UpdateChanges_{name}"
    return Variant


@pytest.mark.parametrize("service", [
    update_changing("reason", lambda value: None),
    update_changing("reason", lambda value: value + " (edited)"),
    update_changing("purpose", lambda value: None),
    update_changing("purpose", lambda value: "Survey"),
], ids=["reason-ignored", "reason-suffixed", "purpose-ignored", "purpose-replaced"])
def test_an_update_whose_reason_or_purpose_search_does_not_show_fails(
    service: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, service) as server:
        failure = failure_of(server, APPLIED)
    assert failure.documented == f"reason '{PREFIX} updated', purpose 'Reminder'"
    assert failure.received.startswith("after update: {")


class UpdateAnswersWithoutData(ConvosoService):
    """Bug: an update answers {"success": true} without data.id."""

    def format_update_response(self, record_id: int) -> dict[str, Any]:
        return {"success": True}


class UpdateAnswersAnotherId(ConvosoService):
    """Bug: an update answers the id of another record."""

    def format_update_response(self, record_id: int) -> dict[str, Any]:
        return {"success": True, "data": {"id": str(record_id + 1)}}


@pytest.mark.parametrize(("service", "received"), [
    (UpdateAnswersWithoutData, "data = None"),
    (UpdateAnswersAnotherId, "data = {'id': "),
])
def test_an_update_must_answer_the_records_id_in_data(
    service: type[ConvosoService], received: str, tmp_path: Path
) -> None:
    with serve(tmp_path, service) as server:
        failure = failure_of(server, APPLIED)
    assert failure.received.startswith(received)
    assert failure.documented.startswith('data: {"id": "') and failure.documented.endswith('"}')
    assert failure.source == f"{S000} (Update Response Fields: data.id Updated record ID)"


class UpdatedRecordVanishes(ConvosoService):
    """Bug: a record no longer appears in search once it was updated."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.updated: set[str] = set()

    def update(self, fields: Fields) -> dict[str, Any]:
        self.updated.add(fields.get("id", ""))
        return super().update(fields)

    def filter_id(self, value: str) -> Where | None:
        return ("0", []) if value in self.updated else super().filter_id(value)


class SearchByIdServesTheRecordTwice(ConvosoService):
    """Bug: a search by id serves the record twice."""

    def search(self, fields: Fields) -> dict[str, Any]:
        body = super().search(fields)
        if fields.get("id"):
            body["records"] = body["records"] * 2
        return body


class IdFilterIgnored(ConvosoService):
    """A lax id filter (judged by the filter checks): search id=X serves every record."""

    def filter_id(self, value: str) -> Where | None:
        return None


def test_an_updated_record_must_stay_findable_by_its_id(tmp_path: Path) -> None:
    with serve(tmp_path, UpdatedRecordVanishes) as server:
        failure = failure_of(server, APPLIED)
    assert failure.received.startswith("0 records with id ") and failure.received.endswith(" after the write")
    assert failure.documented == "the record stays findable by id"
    with serve(tmp_path, SearchByIdServesTheRecordTwice) as server:
        assert failure_of(server, REASON_ONLY).received.startswith("2 records with id ")


def test_a_read_back_by_id_keeps_only_the_record_with_that_id(tmp_path: Path) -> None:
    with serve(tmp_path, IdFilterIgnored) as server:
        assert outcome(context(server), APPLIED) == "passed"
        assert outcome(context(server), REASON_ONLY) == "passed"


# -- -BLANK- clears reason and purpose ------------------------------------------------------------


def blank_kept_in(name: str) -> type[ConvosoService]:
    """Bug: -BLANK- clears every field but ``name``, which keeps the literal text."""

    class Variant(ConvosoService):
        def update(self, fields: Fields) -> dict[str, Any]:
            answer = super().update(fields)
            if fields.get(name) == "-BLANK-":
                self.store.update_convoso(int(fields["id"]), {name: "-BLANK-"})
            return answer

    Variant.__name__ = f"BlankKeptIn_{name}"
    return Variant


@pytest.mark.parametrize("name", ["reason", "purpose"])
def test_blank_must_clear_both_reason_and_purpose(name: str, tmp_path: Path) -> None:
    with serve(tmp_path, blank_kept_in(name)) as server:
        failure = failure_of(server, BLANK)
    assert f"{name} '-BLANK-'" in failure.received and failure.documented == "both empty"


# -- a colliding update changes nothing -----------------------------------------------------------


def test_a_colliding_update_that_changes_a_record_fails(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-colliding-update-half-applied") as server:
        failure = failure_of(server, COLLIDING)
    assert failure.received.startswith("record now {")
    assert f"'reason': '{PREFIX} collided'" in failure.received
    assert failure.documented.startswith("unchanged {")


class CollisionAnsweredWithSuccessOne(ConvosoService):
    """Bug: a colliding update changes nothing but answers {"success": 1}, a number, not 000's true
    or false (a JSON 1 is no boolean)."""

    def update(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().update(fields)
        except ConvosoError as error:
            if error.code != 6059:
                raise
            return {"success": 1}


def test_a_colliding_update_answered_success_1_is_neither_accepted_nor_refused_and_fails(
    tmp_path: Path,
) -> None:
    # Only {"success": true} is an accepted update (judged by the 6059 check, skipped here); 1 is not.
    with serve(tmp_path, CollisionAnsweredWithSuccessOne) as server:
        failure = failure_of(server, COLLIDING)
    assert failure.received.endswith('{"success":1}'), failure.received


# -- an update with id and reason only keeps the rest ---------------------------------------------


@pytest.mark.parametrize("service", [
    update_changing("reason", lambda value: None),
], ids=["reason-ignored"])
def test_an_update_with_id_and_reason_only_that_does_not_apply_the_reason_fails(
    service: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, service) as server:
        failure = failure_of(server, REASON_ONLY)
    assert "'reason': 'Complaint'" in failure.documented
    assert "'reason': 'Complaint'" not in failure.received


class UpdateResetsAbsentFields(ConvosoService):
    """Bug: an update that does not send phone_code and campaign_id moves the record to code 44
    of campaign 111."""

    def update(self, fields: Fields) -> dict[str, Any]:
        return super().update({"phone_code": "44", "campaign_id": "111", **fields})


def test_an_update_with_id_and_reason_only_must_keep_code_and_campaign(tmp_path: Path) -> None:
    with serve(tmp_path, UpdateResetsAbsentFields) as server:
        failure = failure_of(server, REASON_ONLY)
    assert "'phone_code': '44'" in failure.received and "'campaign_id': '111'" in failure.received
    assert "'phone_code': '1'" in failure.documented and "'campaign_id': '0'" in failure.documented
    assert failure.rule == "an update with id and reason only succeeds" and failure.source == S000
