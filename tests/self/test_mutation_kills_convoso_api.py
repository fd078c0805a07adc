"""The helpers every Convoso check speaks through (apis/convoso/checks/api.py), on hand-made replies
and on small scripted targets over real HTTP on 127.0.0.1.

What they state: a request that must succeed gets HTTP 2xx with ``"success": true`` (000 and 001);
an error is ``"success": false`` with an ``error`` or ``message`` string (000's Error Handling, the
convoso-js SDK fact) and a documented code whose message (or 000's Error Handling wording of it)
appears in the text; a 5xx is a server failure (glossary fact); ``total`` is a non-negative integer
or numeric string; records are objects; data a check lacks is created only by a check registered
with ``writes`` on a target that allows writes, else the check is inconclusive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.apis.convoso.checks import api, limits, state
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

TOKEN = "scripted-token"
Reply = Callable[[str, dict[str, str]], tuple[int, Any]]


def exchange(body: Any = None, status: int | None = 200, *, text: str | None = None,
             error: str | None = None) -> Exchange:
    """A hand-made reply to a search (``body`` serialized as JSON unless ``text`` is given)."""
    return Exchange(
        method="POST",
        url="http://127.0.0.1:1/v1/sms-opt-out/search",
        data={"auth_token": TOKEN},
        status=None if error else status,
        response_headers={"content-type": "application/json"},
        text=text if text is not None else json.dumps(body),
        error=error,
    )


def offline_context(*, writes: bool = True, check: str | None = None) -> RunContext:
    """A context whose HTTP client is never used (helpers that only read a reply)."""
    url = "http://127.0.0.1:9/v1"
    return RunContext(
        target=Target(api="convoso", base_url=url, loopback=writes),
        credentials=Credentials(token=TOKEN),
        profile="lenient",
        http=HttpClient(url, timeout=1.0),
        current_check=check,
    )


class Scripted:
    """A target over real HTTP whose reply to each request is ``reply(path, form fields)``; it
    keeps every form it received."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.received: list[tuple[str, dict[str, str]]] = []

        async def answer(request: Request) -> Response:
            fields = {k: str(v) for k, v in (await request.form()).items()}
            path = request.url.path.removeprefix("/v1")
            self.received.append((path, fields))
            status, body = self.reply(path, fields)
            if isinstance(body, str):
                return Response(body, status_code=status, media_type="text/plain")
            return JSONResponse(body, status_code=status)

        self.server = EmbeddedServer(Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])]))

    def __enter__(self) -> Scripted:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def context(self, *, writes: bool = True, check: str | None = None) -> RunContext:
        url = self.server.url("convoso")
        return RunContext(
            target=Target(api="convoso", base_url=url, loopback=writes),
            credentials=Credentials(token=TOKEN),
            profile="lenient",
            http=HttpClient(url, timeout=5.0),
            current_check=check,
        )

    def sent(self, path: str) -> list[dict[str, str]]:
        return [fields for p, fields in self.received if p == path]


def failure(call: Callable[[], Any]) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        call()
    return caught.value


# -- what a failure shows ------------------------------------------------------------------------


def test_a_value_in_a_failure_is_shown_whole_up_to_120_characters_and_cut_with_an_ellipsis_after() -> None:
    whole = "x" * 118  # repr adds the two quotes: 120 characters
    assert api.short(whole) == repr(whole)
    longer = "x" * 119
    assert api.short(longer) == repr(longer)[:120] + "…"
    assert api.short(None) == "None"


# -- the body of a reply -------------------------------------------------------------------------


def test_a_transport_error_fails_the_rule_with_the_error_as_received() -> None:
    caught = failure(lambda: api.json_object(exchange(error="connection reset"), "rule", api.S000))
    assert caught.received == "connection reset" and caught.documented == "a JSON answer"


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_a_server_failure_citing_the_glossary(status: int) -> None:
    caught = failure(lambda: api.json_object(exchange({"success": True}, status), "rule", api.S000))
    assert caught.source == f"{api.S000}; {api.GLOSSARY}"
    assert caught.documented == "no server failure (HTTP 5xx)"


@pytest.mark.parametrize("status", [None, 200, 400, 499])
def test_a_json_object_below_500_is_read(status: int | None) -> None:
    assert api.json_object(exchange({"success": False, "code": 1}, status), "rule", api.S000) == {
        "success": False, "code": 1}


def test_a_body_that_is_not_json_fails_as_such() -> None:
    caught = failure(lambda: api.json_object(exchange(text="<html>down</html>"), "rule", api.BOTH))
    assert caught.documented == "a JSON object body" and caught.source == api.BOTH
    assert caught.received.startswith("body is not JSON")


def test_a_json_body_that_is_not_an_object_fails_naming_its_type() -> None:
    caught = failure(lambda: api.json_object(exchange([1, 2]), "rule", api.BOTH))
    assert caught.received.startswith("JSON list: ")
    assert caught.documented == "a JSON object with `success`"


@pytest.mark.parametrize("status", [200, 201, 299])
def test_a_success_is_any_2xx_with_success_true(status: int) -> None:
    assert api.success(exchange({"success": True, "x": 1}, status), "rule", api.S000)["x"] == 1


@pytest.mark.parametrize(("status", "body"), [
    (199, {"success": True}),
    (300, {"success": True}),
    (400, {"success": True}),
    (200, {"success": "true"}),
    (200, {"success": 1}),
    (200, {"success": False}),
    (200, {}),
])
def test_a_success_needs_both_a_2xx_and_the_boolean_success_true(status: int, body: dict[str, Any]) -> None:
    caught = failure(lambda: api.success(exchange(body, status), "rule", api.S000))
    assert caught.documented == 'HTTP 2xx with {"success": true, ...}'
    assert caught.exchange is not None and caught.exchange.status == status


def test_a_search_serves_its_records_as_a_list_of_objects() -> None:
    body, items = api.records(exchange({"success": True, "records": [{"id": "1"}, {"id": "2"}]}), "rule")
    assert items == [{"id": "1"}, {"id": "2"}] and body["records"] is items
    assert api.records(exchange({"success": True, "records": []}), "rule")[1] == []


@pytest.mark.parametrize("served", [None, {"id": "1"}, "[]", [{"id": "1"}, "2"], [[]]])
def test_records_that_are_not_a_list_of_objects_fail(served: Any) -> None:
    caught = failure(lambda: api.records(exchange({"success": True, "records": served}), "rule", api.S001))
    assert caught.documented == "records: an array of record objects" and caught.source == api.S001
    assert caught.received == f"records = {api.short(served)}"


@pytest.mark.parametrize(("served", "total"), [(0, 0), (12, 12), ("7", 7), ("0", 0)])
def test_total_is_a_non_negative_integer_or_numeric_string(served: Any, total: int) -> None:
    assert api.total_of(exchange({}), {"total": served}, "rule") == total


@pytest.mark.parametrize("served", [-1, "-1", "ten", None, 1.5])
def test_a_total_that_is_no_count_fails(served: Any) -> None:
    caught = failure(lambda: api.total_of(exchange({}), {"total": served}, "rule"))
    assert caught.received == f"total = {api.short(served)}" and caught.source == api.BOTH


@pytest.mark.parametrize(("status", "body", "error"), [
    (200, {"success": False}, True),
    (200, {"success": True}, False),
    (299, {"success": True}, False),
    (200, {}, False),
    (199, {"success": True}, True),
    (300, {"success": True}, True),
    (400, {"success": True}, True),
    (None, {"success": True}, True),
])
def test_an_answer_is_an_error_when_success_is_false_or_the_status_is_not_2xx(
    status: int | None, body: dict[str, Any], error: bool
) -> None:
    assert api.is_error(exchange(body, status), body) is error


# -- error answers -------------------------------------------------------------------------------


def test_an_error_body_is_success_false_with_an_error_or_message_string_and_its_status_is_observed() -> None:
    ctx = offline_context()
    assert api.error_body(ctx, exchange({"success": False, "error": "x"}, 400), "rule", api.S000)
    assert api.error_body(ctx, exchange({"success": False, "message": "x"}, 400), "rule", api.S000)
    assert api.error_body(ctx, exchange({"success": False, "error": "y"}, 422), "rule", api.S000)
    statuses = [o.observed for o in ctx.observations if o.discrepancy_id == "convoso.error.http-status"]
    assert statuses == [400, 422]


@pytest.mark.parametrize(
    "body", [{"success": True, "error": "x"}, {"error": "x"}, {"success": "false", "error": "x"}]
)
def test_an_error_body_without_success_false_fails(body: dict[str, Any]) -> None:
    caught = failure(lambda: api.error_body(offline_context(), exchange(body, 400), "rule", api.S001))
    assert caught.documented == 'an error answer {"success": false, ...}' and caught.source == api.S001


@pytest.mark.parametrize("body", [{"success": False}, {"success": False, "error": 6006, "message": None}])
def test_an_error_body_without_a_message_string_fails_citing_the_error_handling_table(
    body: dict[str, Any],
) -> None:
    caught = failure(lambda: api.error_body(offline_context(), exchange(body, 400), "rule", api.S001))
    assert caught.documented == "an `error` or `message` string in the error body"
    assert caught.source.startswith(f"{api.S000} (Error Handling)")


def test_an_observation_is_recorded_once_per_value() -> None:
    ctx = offline_context()
    api.observe_once(ctx, "point", 1, follows="a")
    api.observe_once(ctx, "point", 1, follows="b")
    api.observe_once(ctx, "other", 1)
    api.observe_once(ctx, "point", 2)
    api.observe_once(ctx, "zzz", 1)
    assert [(o.discrepancy_id, o.observed, o.follows) for o in ctx.observations] == [
        ("point", 1, "a"), ("other", 1, None), ("point", 2, None), ("zzz", 1, None)]


def test_the_message_of_an_error_is_its_error_string_else_its_message_string() -> None:
    assert api.message_of({"error": "e", "message": "m"}) == "e"
    assert api.message_of({"error": 6006, "message": "m"}) == "m"
    assert api.message_of({"message": "m"}) == "m"
    assert api.message_of({"error": None, "message": 3}) is None


@pytest.mark.parametrize(("received", "documented", "matches"), [
    ("Invalid offset value", "Invalid offset value", True),
    ("  INVALID   offset value. ", "Invalid offset value", True),
    ("Error: invalid offset value!", "Invalid offset value", True),
    ("Invalid offset", "Invalid offset value", False),
    (None, "Invalid offset value", False),
    # 000's Error Handling table words some coded errors differently: either text is documented.
    ("Campaign not found", "Invalid Campaign ID", True),
    ("Campaign not found", "Unknown Campaign ID", True),
    ("Phone already in SMS opt-out", "The phone number already exists", True),
    ("Campaign not found", "Invalid offset value", False),
    # 6058's wording in 001 depends on the profile: it is not a text variant of every profile.
    ("Invalid Purpose Provided", "Invalid Reason Provided", False),
])
def test_an_error_message_matches_its_documented_text_or_the_error_handling_wording(
    received: str | None, documented: str, matches: bool
) -> None:
    assert api.message_matches(received, documented) is matches


def test_the_error_handling_wordings_are_read_from_the_spec_entries_marked_as_text_variants() -> None:
    api.message_variants.cache_clear()  # read the spec afresh in this test
    assert api.message_variants() == {
        "Invalid Campaign ID": ("Campaign not found",),
        "Invalid Phone Number": ("Invalid phone number",),
        "The phone number already exists": ("Phone already in SMS opt-out",),
        "Unknown Campaign ID": ("Campaign not found",),
    }


CODES = {7231: "Invalid offset value", 6006: "Invalid Campaign ID"}


@pytest.mark.parametrize("code", [7231, "7231"])
def test_a_documented_code_with_its_message_passes_and_is_returned(code: Any) -> None:
    ex = exchange({"success": False, "code": code, "error": "Invalid offset value"}, 400)
    assert api.assert_error(offline_context(), ex, rule="r", codes=CODES, source=api.S000) == (
        7231, "Invalid offset value")


@pytest.mark.parametrize("body", [
    {"success": False, "code": 6008, "error": "Invalid offset value"},
    {"success": False, "error": "Invalid offset value"},
    {"success": False, "code": "x", "error": "Invalid offset value"},
])
def test_an_error_without_one_of_the_documented_codes_fails_listing_them(body: dict[str, Any]) -> None:
    ex = exchange(body, 400)
    caught = failure(lambda: api.assert_error(offline_context(), ex, rule="r", codes=CODES, source=api.S000))
    assert caught.documented == "code 7231 'Invalid offset value' or 6006 'Invalid Campaign ID'"
    assert caught.received == f"code {api.short(body.get('code'))}, message 'Invalid offset value'"
    assert caught.source == api.S000


def test_a_documented_code_with_another_message_fails() -> None:
    ex = exchange({"success": False, "code": 6006, "error": "Invalid offset value"}, 400)
    caught = failure(lambda: api.assert_error(offline_context(), ex, rule="r", codes=CODES, source=api.S000))
    assert caught.documented == "code 6006 'Invalid Campaign ID'"
    assert caught.received == "code 6006 with message 'Invalid offset value'"


def test_a_message_documented_without_a_code_passes_only_without_a_code() -> None:
    ctx = offline_context()
    codes = {6056: "Missing or Invalid value for ID"}
    bare = exchange({"success": False, "error": "Record not found"}, 404)
    assert api.assert_error(ctx, bare, rule="r", codes=codes, source=api.S000,
                            code_optional_for=("Record not found",)) == (None, "Record not found")
    coded = exchange({"success": False, "code": 6008, "error": "Record not found"}, 404)
    caught = failure(lambda: api.assert_error(ctx, coded, rule="r", codes=codes, source=api.S000,
                                              code_optional_for=("Record not found",)))
    assert caught.documented == "code 6056 'Missing or Invalid value for ID' (or 'Record not found')"
    other = exchange({"success": False, "error": "Something else"}, 404)
    caught = failure(lambda: api.assert_error(ctx, other, rule="r", codes=codes, source=api.S000,
                                              code_optional_for=("Record not found",)))
    assert caught.received == "code None, message 'Something else'"


# -- who may write -------------------------------------------------------------------------------

FLAGGED = "convoso.state.update_is_applied_and_visible"
UNFLAGGED = "convoso.limits.records_never_outnumber_the_limit_sent"


def test_only_a_check_registered_with_writes_may_write_and_only_where_writes_are_allowed() -> None:
    assert CHECKS[FLAGGED].function is state.update_is_applied_and_visible
    assert CHECKS[UNFLAGGED].function is limits.records_never_outnumber_the_limit_sent
    assert CHECKS[FLAGGED].writes and not CHECKS[UNFLAGGED].writes
    assert api.may_write(offline_context(check=FLAGGED)) is True
    assert api.may_write(offline_context(check=None)) is True
    assert api.may_write(offline_context(check="no.such.check")) is True
    assert api.may_write(offline_context(check=UNFLAGGED)) is False
    assert api.may_write(offline_context(writes=False, check=FLAGGED)) is False
    assert api.may_write(offline_context(writes=False)) is False


def test_a_write_from_an_unflagged_check_is_a_bug_of_the_suite_and_no_writes_a_skip() -> None:
    api.require_flagged_writes(offline_context(check=FLAGGED))
    with pytest.raises(RuntimeError, match=f"{UNFLAGGED} writes to the target but is not registered"):
        api.require_flagged_writes(offline_context(check=UNFLAGGED))
    with pytest.raises(CheckSkipped):
        api.require_flagged_writes(offline_context(writes=False, check=FLAGGED))


def test_missing_evidence_is_inconclusive_saying_why_unless_the_check_may_create_it() -> None:
    api.lacking(offline_context(check=FLAGGED), "x")
    with pytest.raises(CheckInconclusive, match=r"^needs 3 records, and this check only reads$"):
        api.lacking(offline_context(check=UNFLAGGED), "3 records")
    with pytest.raises(CheckInconclusive, match=r"^needs 3 records, and writes are not allowed$"):
        api.lacking(offline_context(writes=False, check=FLAGGED), "3 records")


# -- the requests the checks send ---------------------------------------------------------------


def ok(path: str, fields: dict[str, str]) -> tuple[int, Any]:
    return 200, {"success": True, "offset": 0, "limit": 1, "total": 0, "records": []}


def test_a_request_carries_the_real_token_a_given_one_or_none_and_only_the_fields_given() -> None:
    with Scripted(ok) as target:
        ctx = target.context()
        api.call(ctx, api.SEARCH, limit=3, reason=None, offset=0)
        api.call(ctx, api.SEARCH, token=None, limit=1)
        api.call(ctx, api.SEARCH, token="wrong", limit=1)
    assert target.sent(api.SEARCH) == [
        {"auth_token": TOKEN, "limit": "3", "offset": "0"},
        {"limit": "1"},
        {"auth_token": "wrong", "limit": "1"},
    ]


def test_an_insert_goes_to_the_global_campaign_with_phone_code_1_unless_told_otherwise() -> None:
    with Scripted(ok) as target:
        ctx = target.context()
        api.insert(ctx, "5550100")
        api.insert(ctx, "5550101", campaign_id="-1", phone_code="44", reason="r", purpose="p")
    assert target.sent(api.INSERT) == [
        {"auth_token": TOKEN, "phone_number": "5550100", "phone_code": "1", "campaign_id": "0"},
        {"auth_token": TOKEN, "phone_number": "5550101", "phone_code": "44", "campaign_id": "-1",
         "reason": "r", "purpose": "p"},
    ]


def test_a_read_back_asks_for_a_full_page_and_a_total_for_one_record() -> None:
    with Scripted(lambda p, f: (200, {"success": True, "total": "41", "records": [{"id": "1"}]})) as target:
        ctx = target.context()
        assert api.find(ctx, "rule", phone_number="5550100") == [{"id": "1"}]
        assert api.total_records(ctx, "rule", reason="x") == 41
    assert target.sent(api.SEARCH) == [
        {"auth_token": TOKEN, "limit": "1000", "phone_number": "5550100"},
        {"auth_token": TOKEN, "limit": "1", "reason": "x"},
    ]


# -- data the checks create, on the reference server ---------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    db = str(tmp_path_factory.mktemp("api") / "r.db")
    config = ReferenceConfig(profile="community", db=db, seed_records=3)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        yield server


def reference_context(
    server: EmbeddedServer, *, writes: bool = True, check: str | None = FLAGGED
) -> RunContext:
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url, loopback=writes),
        credentials=Credentials(token=ReferenceConfig().token),
        profile="community",
        http=HttpClient(url, timeout=5.0),
        current_check=check,
    )


def inserts(ctx: RunContext) -> list[Exchange]:
    return [e for e in ctx.http.exchanges if e.url.endswith(api.INSERT)]


def test_a_created_record_is_inserted_into_the_global_campaign_and_read_back_as_search_shows_it(
    reference: EmbeddedServer,
) -> None:
    ctx = reference_context(reference)
    record = api.create_record(ctx, rule="convoso.state.a_rule_with_a_long_name_of_more_than_forty_chars")
    [sent] = inserts(ctx)
    assert sent.data is not None
    assert sent.data["reason"] == f"{ctx.run_prefix} a_rule_with_a_long_name_of_more_than_for"
    assert record["phone_number"] == sent.data["phone_number"] and record["campaign_id"] == "0"
    assert record["reason"] == sent.data["reason"]
    purpose = api.create_record(ctx, rule="r", campaign_id="-1", reason="", purpose="Survey")
    assert (purpose["campaign_id"], purpose["reason"], purpose["purpose"]) == ("-1", "", "Survey")


def test_a_created_record_that_search_does_not_show_fails_the_setup() -> None:
    def forgetful(path: str, fields: dict[str, str]) -> tuple[int, Any]:
        record = {"id": "1", "phone_number": fields.get("phone_number"), "campaign_id": "7"}
        return 200, {"success": True, "total": 1, "records": [record] if path == api.SEARCH else []}

    with Scripted(forgetful) as target:
        caught = failure(lambda: api.create_record(target.context(), rule="r"))
    assert caught.message.startswith("r (setup: insert of a valid record, 000 Insert)")
    assert caught.received.startswith("0 records for the inserted number")


def test_a_sample_too_small_is_topped_up_by_a_writing_check_and_inconclusive_for_a_reader(
    tmp_path: Path,
) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "two.db"), seed_records=2)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        reader = reference_context(server, check=UNFLAGGED)
        too_few = r"needs 3 record\(s\) matching no filter \(the target has 2\)"
        with pytest.raises(CheckInconclusive, match=too_few):
            api.sample(reader, "rule", minimum=3)
        assert len(api.sample(reader, "rule", minimum=2)) == 2
        assert len(api.sample(reader, "rule", minimum=1)) == 2
        assert len(api.sample(reader, "rule")) == 2
        writer = reference_context(server)
        _, items = api.sample_page(writer, "rule", minimum=4)
        assert len(items) == 4 and len(inserts(writer)) == 2
        assert len(api.sample(writer, "rule", minimum=4, limit=3)) == 3
    assert not inserts(reader)


def test_a_sample_needs_one_record_unless_told_otherwise(tmp_path: Path) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "none.db"), seed_records=0)
    one = r"needs 1 record\(s\) matching \{'reason': 'x'\}"
    app = create_app(config, apis=("convoso",))
    with EmbeddedServer(app) as server, pytest.raises(CheckInconclusive, match=one):
        api.sample(reference_context(server, check=UNFLAGGED), "rule", reason="x")


def test_a_total_too_small_is_topped_up_to_exactly_the_minimum(tmp_path: Path) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "five.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = reference_context(server)
        assert api.ensure_total(ctx, "rule", 5) == 5 and not inserts(ctx)
        assert api.ensure_total(ctx, "rule", 7) == 7
        assert len(inserts(ctx)) == 2
        reader = reference_context(server, check=UNFLAGGED)
        assert api.ensure_total(reader, "rule", 7) == 7
        with pytest.raises(CheckInconclusive, match=r"needs at least 8 records \(the target has 7\)"):
            api.ensure_total(reader, "rule", 8)


def test_a_target_whose_total_ignores_the_inserts_fails_the_setup() -> None:
    with Scripted(lambda p, f: (200, {"success": True, "total": 2, "records": []})) as target:
        ctx = target.context()
        caught = failure(lambda: api.ensure_total(ctx, "rule", 4))
    assert len(target.sent(api.INSERT)) == 2
    assert caught.received == "total 2 after inserting 4 records' worth"
    assert caught.documented == "every inserted record counted in total (total: Total matching records)"


def test_a_filter_check_needs_a_record_the_filter_must_leave_out() -> None:
    page = {"success": True, "total": 2, "records": [{"reason": "a"}, {"reason": "b"}]}
    with Scripted(lambda p, f: (200, page)) as target:
        ctx = target.context()
        api.outsider(ctx, "rule", lambda r: r["reason"] == "a", {"reason": "a"})
        all_match = r"does not match \{'reason': 'a'\} \(all 2 served match\)"
        with pytest.raises(CheckInconclusive, match=all_match):
            api.outsider(ctx, "rule", lambda r: True, {"reason": "a"})
    assert target.sent(api.SEARCH)[0]["limit"] == "1000"


def test_text_matching_sets_case_and_surrounding_whitespace_aside() -> None:
    assert api.matches_text("  Opted OUT  by   phone ", "opted out")
    assert api.matches_text("Complaint", "complaint")
    assert not api.matches_text("Complaint", "complaints")
    assert not api.matches_text(None, "x")
    assert api.fold(None) == "" and api.text(None) == "" and api.text(12) == "12"


def test_a_refused_insert_read_back_must_show_no_record_of_the_number() -> None:
    refused = exchange({"success": False, "code": 6006, "error": "Invalid Campaign ID"}, 400)
    stored = {"success": True, "records": [{"phone_number": "5550100"}, {"phone_number": "55501000"}]}
    with Scripted(lambda p, f: (200, stored)) as target:
        ctx = target.context()
        api.not_stored(ctx, "rule", "5550199", refused, api.S000)
        caught = failure(lambda: api.not_stored(ctx, "rule", "5550100", refused, api.S000))
    assert caught.message.startswith("rule (read back)")
    assert caught.documented == "a refused insert stores nothing"
    assert "yet search shows {'phone_number': '5550100'}" in caught.received
