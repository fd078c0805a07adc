"""The open-point generator: registry realizations become faithful servers over real HTTP.

Fast tests (no suite run): each realization's operations are known to the generator, a
generated name rebuilds the same server, and the reply transforms and behaviours do what the
registry says, observed over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import httpx
import pytest

from optout_conformance.core.errors import BadChoice
from optout_conformance.faults import catalog, open_points
from optout_conformance.faults.open_points import Choice, from_name, server, server_name
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.registry import OBSERVE, PINNED_PROFILES, get, load_registry

TOKEN = {"auth_token": "reference-token"}
REALIZATIONS = [(e, r) for e in open_points.open_points() for r in e.realizations]


def serve(name: str) -> EmbeddedServer:
    entry = catalog.get(name)
    return EmbeddedServer(
        catalog.build_entry(entry, ReferenceConfig(seed_records=30), apis=[entry.api]),
        host="127.0.0.1",
        port=0,
    )


def choice(entry_id: str, realization: str) -> Choice:
    entry = get(entry_id)
    return Choice(entry, entry.realization(realization))


def test_every_open_point_lists_at_least_two_realizations_one_of_them_the_reference() -> None:
    for entry in open_points.open_points():
        assert len(entry.realizations) >= 2, entry.id
        assert any(not r.apply for r in entry.realizations), f"{entry.id}: no reference realization"
        assert any(r.apply for r in entry.realizations), f"{entry.id}: no realization differs"


@pytest.mark.parametrize(
    ("entry", "realization"), REALIZATIONS, ids=lambda v: getattr(v, "name", getattr(v, "id", ""))
)
def test_every_realizations_operations_are_known_to_the_generator(entry, realization) -> None:
    open_points.validate(entry, realization)


def test_an_unknown_operation_or_behaviour_is_refused() -> None:
    entry = get("convoso.search.order")
    bad = [
        type(entry.realizations[0])("x", {"shuffle": True}),
        type(entry.realizations[0])("y", {"behaviour": "nope"}),
    ]
    for realization in bad:
        with pytest.raises(ValueError, match="unknown"):
            open_points.validate(entry, realization)


def test_the_points_the_documents_leave_open_have_realizations() -> None:
    required = {
        "convoso.error.http-status",
        "convoso.error.uncoded-http-status",
        "convoso.error.uncoded-body",
        "convoso.auth.invalid-token",
        "convoso.auth.failure-body",
        "convoso.response.content-type",
        "convoso.response.extra-fields",
        "convoso.response.field-order",
        "convoso.search.order",
        "convoso.search.limit-above-max",
        "convoso.search.text-filter-matching",
        "convoso.transport.keep-alive",
        "whatcounts.failure-http-status",
        "whatcounts.content-type",
        "whatcounts.reply.trailing-newline",
        "whatcounts.transport.keep-alive",
        "avaamo.query.page-past-end",
        "avaamo.auth.failure-response",
        "avaamo.query.per-page-above-max",
        "avaamo.order",
        "avaamo.response.extra-fields",
        "avaamo.response.field-order",
        "avaamo.transport.keep-alive",
        "convoso.reason-purpose-validity",
        "convoso.update.combination-exists",
        "whatcounts.repeat-stop",
        "whatcounts.phone-country-code",
        "avaamo.query.start-time-without-end-time",
    }
    realized = {e.id for e in open_points.open_points()}
    assert required <= realized, sorted(required - realized)


def test_the_suites_own_readings_are_observed_in_every_profile() -> None:
    for entry_id in (
        "convoso.search.order",
        "avaamo.order",
        "avaamo.response.total-pages-arithmetic",
        "convoso.update.combination-exists",
    ):
        assert all(get(entry_id).profiles[p] == OBSERVE for p in PINNED_PROFILES), entry_id


def test_a_realization_with_a_catalog_name_is_a_faithful_catalog_entry_under_that_name() -> None:
    aliases = open_points.catalog_aliases()
    assert aliases
    for alias, entry, _realization in aliases:
        assert catalog.FAULTS[alias].kind == "faithful"
        assert catalog.FAULTS[alias].api == entry.api


def test_a_generated_name_rebuilds_the_same_choices_and_leaves_reference_choices_out() -> None:
    choices = [
        choice("convoso.search.order", "newest-first"),
        choice("convoso.error.http-status", "http-200"),
    ]
    name = server_name("convoso", "official", choices)
    assert name == "convoso+official+search.order=newest-first"
    rebuilt = from_name(name)
    assert rebuilt.name == name and rebuilt.server_profile == "official"
    assert rebuilt.profiles == ("auto", "official")
    assert catalog.get(name).name == name


@pytest.mark.parametrize(
    "name",
    [
        "convoso+nosuchprofile",
        "convoso+community+search.order=sideways",
        "convoso+community+no.such-point=x",
        "nosuchapi+community",
    ],
)
def test_a_bad_generated_name_is_a_bad_choice(name: str) -> None:
    with pytest.raises(BadChoice):
        catalog.get(name)


def test_reply_transforms_change_coded_errors_only_over_real_http() -> None:
    name = server_name(
        "convoso",
        "community",
        [
            choice("convoso.error.http-status", "http-422"),
            choice("convoso.error.body-shape", "code-as-string"),
            choice("convoso.response.content-type", "json-charset-utf8"),
            choice("convoso.response.extra-fields", "extra-request-id"),
            choice("convoso.transport.keep-alive", "connection-close"),
        ],
    )
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        coded = client.post("/sms-opt-out/search", data={**TOKEN, "offset": "99999999"})
        ok = client.post("/sms-opt-out/search", data={**TOKEN, "limit": "2"})
    assert coded.status_code == 422
    assert coded.json()["code"] == "7231" and coded.json()["request_id"] == "req-0001"
    assert ok.status_code == 200 and ok.json()["success"] is True and len(ok.json()["records"]) == 2
    for reply in (coded, ok):
        assert reply.headers["content-type"] == "application/json; charset=utf-8"
        assert reply.headers["connection"] == "close"
        assert int(reply.headers["content-length"]) == len(reply.content)


def test_auth_failure_realizations_set_the_glossary_code_and_status() -> None:
    name = server_name(
        "convoso",
        "community",
        [
            choice("convoso.auth.invalid-token", "http-403"),
            choice("convoso.auth.failure-body", "code-401"),
        ],
    )
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        reply = client.post("/sms-opt-out/search", data={"auth_token": "wrong"})
    assert reply.status_code == 403
    assert reply.json() == {"success": False, "error": "Invalid authentication token", "code": 401}


def test_field_order_reversed_reverses_the_reply_and_its_records() -> None:
    name = server_name("convoso", "community", [choice("convoso.response.field-order", "reversed")])
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        body = client.post("/sms-opt-out/search", data={**TOKEN, "limit": "1"}).json()
    with serve("convoso+community") as running, httpx.Client(base_url=running.url("convoso")) as client:
        plain = client.post("/sms-opt-out/search", data={**TOKEN, "limit": "1"}).json()
    assert list(body) == list(reversed(list(plain)))
    assert list(body["records"][0]) == list(reversed(list(plain["records"][0])))


def test_whatcounts_failure_served_as_html_with_a_trailing_newline() -> None:
    name = server_name(
        "whatcounts",
        "community",
        [
            choice("whatcounts.content-type", "text-html-utf8"),
            choice("whatcounts.reply.trailing-newline", "crlf"),
            choice("whatcounts.failure-http-status", "http-400"),
        ],
    )
    with serve(name) as running, httpx.Client(base_url=running.url("whatcounts")) as client:
        reply = client.get("/api_web", params={"c": "smsstopsubscribersend", "r": "wrong"})
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "text/html;charset=UTF-8"
    assert reply.text == "FAILURE: Unable to determine customer account (realm)\r\n"


def test_behaviours_compose_newest_first_with_case_insensitive_filters() -> None:
    name = server_name(
        "convoso",
        "community",
        [
            choice("convoso.search.order", "newest-first"),
            choice("convoso.search.text-filter-matching", "case-insensitive"),
        ],
    )
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        ids = [
            int(r["id"])
            for r in client.post("/sms-opt-out/search", data={**TOKEN, "limit": "5"}).json()["records"]
        ]
        reasons = [
            r["reason"]
            for r in client.post("/sms-opt-out/search", data={**TOKEN, "limit": "30"}).json()["records"]
        ]
        reason = next(r for r in reasons if r and r.upper() != r)
        upper = client.post("/sms-opt-out/search", data={**TOKEN, "reason": reason.upper()}).json()
    assert ids == sorted(ids, reverse=True)
    assert upper["records"] and all(r["reason"].upper() == reason.upper() for r in upper["records"])


def test_avaamo_page_past_the_end_is_refused_with_400_and_inside_pages_are_served() -> None:
    name = server_name("avaamo", "community", [choice("avaamo.query.page-past-end", "http-400")])
    headers = {"access-token": "reference-token"}
    with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
        first = client.get("/sms/opt-status.json", params={"per_page": "10"})
        past = client.get(
            "/sms/opt-status.json", params={"per_page": "10", "page": str(first.json()["total_pages"] + 1)}
        )
        last = client.get(
            "/sms/opt-status.json", params={"per_page": "10", "page": str(first.json()["total_pages"])}
        )
    assert first.status_code == 200 and last.status_code == 200 and last.json()["entries"]
    assert past.status_code == 400


def test_every_registry_entry_with_realizations_is_an_open_point_or_a_documented_dispute() -> None:
    for entry in load_registry():
        if entry.realizations:
            assert entry.kind in ("unspecified", "contradiction", "conflict"), entry.id


def test_server_refuses_a_choice_of_another_api() -> None:
    with pytest.raises(ValueError, match="not an open point of avaamo"):
        server("avaamo", "community", [choice("convoso.search.order", "newest-first")])


def test_a_documented_uncoded_error_keeps_its_text_when_errors_outside_the_tables_get_another() -> None:
    name = server_name(
        "convoso",
        "community",
        [
            choice("convoso.update.record-not-found", "record-not-found-text"),
            choice("convoso.error.uncoded-body", "generic-text"),
        ],
    )
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        missing = client.post("/sms-opt-out/update", data={**TOKEN, "id": "999999999", "reason": "x"})
        bad_limit = client.post("/sms-opt-out/search", data={**TOKEN, "limit": "abc"})
    assert missing.json() == {"success": False, "error": "Record not found"}
    assert bad_limit.json() == {"success": False, "error": "Bad Request"}


def test_unknown_campaign_filter_6006_refuses_an_unknown_campaign_and_serves_a_known_one() -> None:
    name = server_name(
        "convoso", "community", [choice("convoso.search.campaign-filter-unknown", "code-6006")]
    )
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        unknown = client.post("/sms-opt-out/search", data={**TOKEN, "campaign_id": "987654"}).json()
        known = client.post("/sms-opt-out/search", data={**TOKEN, "campaign_id": "111"}).json()
    assert unknown["code"] == 6006
    assert known["success"] is True and known["records"]


def test_whatcounts_long_argument_wins_over_a_conflicting_short_one() -> None:
    name = server_name("whatcounts", "community", [choice("whatcounts.alias-conflict", "long-form-wins")])
    stop = {
        "c": "smsstopsubscribersend",
        "realm": "reference",
        "r": "wrong",
        "p": "reference-pass",
        "phone": "12025550123",
        "sender_code": "120162701555",
    }
    with serve(name) as running, httpx.Client(base_url=running.url("whatcounts")) as client:
        reply = client.get("/api_web", params=stop)
    assert reply.text.startswith("SUCCESS")


def test_avaamo_page_zero_is_the_first_page_and_an_unknown_status_is_ignored() -> None:
    name = server_name(
        "avaamo",
        "community",
        [
            choice("avaamo.query.page-zero", "first-page"),
            choice("avaamo.query.invalid-values", "unknown-status-ignored"),
        ],
    )
    headers = {"access-token": "reference-token"}
    with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
        zero = client.get("/sms/opt-status.json", params={"page": "0"})
        maybe = client.get("/sms/opt-status.json", params={"status": "maybe"})
        bad_time = client.get("/sms/opt-status.json", params={"start_time": "yesterday"})
    assert zero.status_code == 200 and zero.json()["current_page"] == 1
    assert maybe.status_code == 200 and maybe.json()["entries"]
    assert bad_time.status_code == 400


def test_avaamo_plus_restored_matches_a_raw_plus_that_decoded_to_a_space() -> None:
    headers = {"access-token": "reference-token"}
    name = server_name("avaamo", "community", [choice("avaamo.query.phone-encoding", "plus-restored")])
    with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
        phone = client.get("/sms/opt-status.json").json()["entries"][0]["to_phone"]
        raw = client.get(f"/sms/opt-status.json?to_phone={phone}")
    with (
        serve("avaamo+community") as running,
        httpx.Client(base_url=running.url("avaamo"), headers=headers) as client,
    ):
        plain = client.get(f"/sms/opt-status.json?to_phone={phone}")
    assert phone.startswith("+")
    assert raw.json()["entries"] and all(e["to_phone"] == phone for e in raw.json()["entries"])
    assert plain.json()["entries"] == []


WHATCOUNTS_STOP = {"c": "smsstopsubscribersend", "r": "reference", "p": "reference-pass",
                   "sender_code": "120162701555"}


def test_a_subscription_requiring_whatcounts_server_stops_only_the_documents_example_contact() -> None:
    name = server_name("whatcounts", "community", [
        choice("whatcounts.stop.subscription-required", "fails-without-subscription"),
        choice("whatcounts.repeat-stop", "repeat-fails"),
    ])
    with serve(name) as running, httpx.Client(base_url=running.url("whatcounts")) as client:
        never = client.get("/api_web", params={**WHATCOUNTS_STOP, "phone": "12025550123"}).text
        example = client.get("/api_web", params={**WHATCOUNTS_STOP, "phone": "12065551212"}).text
        again = client.get("/api_web", params={**WHATCOUNTS_STOP, "phone": "12065551212"}).text
    assert never.startswith("FAILURE: ") and "Subscription" in never
    assert example == "SUCCESS: Stopping message to phone was successful"
    assert again.startswith("FAILURE: ") and "already" in again


def test_whatcounts_country_code_required_refuses_a_ten_digit_phone_only() -> None:
    name = server_name("whatcounts", "community", [
        choice("whatcounts.phone-country-code", "country-code-required"),
    ])
    with serve(name) as running, httpx.Client(base_url=running.url("whatcounts")) as client:
        ten = client.get("/api_web", params={**WHATCOUNTS_STOP, "phone": "2025550123"}).text
        eleven = client.get("/api_web", params={**WHATCOUNTS_STOP, "phone": "12025550123"}).text
    assert ten == "FAILURE: Invalid phone number"
    assert eleven.startswith("SUCCESS")


def _insert(client: httpx.Client, phone: str, **fields: str) -> httpx.Response:
    return client.post("/sms-opt-out/insert", data={
        **TOKEN, "phone_number": phone, "phone_code": "1", "campaign_id": "0", **fields,
    })


def _by_phone(client: httpx.Client, phone: str) -> list[dict]:
    return client.post("/sms-opt-out/search", data={**TOKEN, "phone_number": phone}).json()["records"]


def test_update_replaces_other_applies_an_update_onto_another_records_key_and_keeps_it_unique() -> None:
    name = server_name("convoso", "community", [
        choice("convoso.update.combination-exists", "update-replaces-other"),
    ])
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        _insert(client, "2025550101")
        _insert(client, "2025550102")
        second = _by_phone(client, "2025550102")[0]["id"]
        reply = client.post("/sms-opt-out/update", data={
            **TOKEN, "id": second, "phone_number": "2025550101", "phone_code": "1", "campaign_id": "0",
        }).json()
        now = _by_phone(client, "2025550101")
    assert reply == {"success": True, "data": {"id": str(second)}}
    assert [str(r["id"]) for r in now] == [str(second)]


def test_reason_length_realizations_accept_any_length_or_refuse_above_100() -> None:
    long_reason = "r" * 300
    names = [server_name("convoso", "community", [choice("convoso.reason-purpose-validity", r)])
             for r in ("any-length", "longer-than-100")]
    with serve(names[0]) as running, httpx.Client(base_url=running.url("convoso")) as client:
        any_length = _insert(client, "2025550103", reason=long_reason).json()
    with serve(names[1]) as running, httpx.Client(base_url=running.url("convoso")) as client:
        refused = _insert(client, "2025550104", reason="r" * 101).json()
        hundred = _insert(client, "2025550105", purpose="p" * 100).json()
        purpose = _insert(client, "2025550106", purpose="p" * 101).json()
    assert any_length["success"] is True
    assert refused["code"] == 6058 and purpose["code"] == 6057
    assert hundred["success"] is True


def test_avaamo_start_time_alone_gives_the_latest_three_entries_up_to_it() -> None:
    headers = {"access-token": "reference-token"}
    name = server_name("avaamo", "community", [
        choice("avaamo.query.start-time-without-end-time", "latest-three"),
    ])
    with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
        every = client.get("/sms/opt-status.json", params={"per_page": "100"}).json()["entries"]
        start_ms = sorted(e["created_at"] for e in every)[len(every) // 2] * 1000
        alone = client.get("/sms/opt-status.json", params={"start_time": str(start_ms)}).json()
        window = client.get("/sms/opt-status.json", params={
            "start_time": str(start_ms), "end_time": str(start_ms + 10**12)}).json()
    assert alone["total_entries"] == 3
    assert all(e["created_at"] * 1000 <= start_ms for e in alone["entries"])
    assert window["total_entries"] > 3


def test_a_json_reply_can_end_with_a_line_break_and_stay_valid_json() -> None:
    name = server_name("convoso", "community", [choice("convoso.response.trailing-newline", "crlf")])
    with serve(name) as running, httpx.Client(base_url=running.url("convoso")) as client:
        reply = client.post("/sms-opt-out/search", data={**TOKEN, "limit": "1"})
    assert reply.content.endswith(b"}\r\n")
    assert reply.json()["success"] is True
    assert int(reply.headers["content-length"]) == len(reply.content)


def test_avaamo_total_pages_realizations_floor_and_at_least_one() -> None:
    headers = {"access-token": "reference-token"}
    pages = {}
    for realization in ("floor", "at-least-one"):
        name = server_name("avaamo", "community", [
            choice("avaamo.response.total-pages-arithmetic", realization),
        ])
        with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
            partial = client.get("/sms/opt-status.json", params={"per_page": "7"}).json()
            empty = client.get("/sms/opt-status.json", params={"to_phone": "+10000000000"}).json()
        pages[realization] = (partial["total_entries"], partial["total_pages"], empty["total_pages"])
    total, floor_pages, floor_empty = pages["floor"]
    assert total % 7 and floor_pages == total // 7 and floor_empty == 0
    assert pages["at-least-one"][2] == 1


def test_avaamo_error_body_realizations_rename_or_extend_the_error() -> None:
    headers = {"access-token": "reference-token"}
    bodies = {}
    for realization in ("message-key", "with-status-field"):
        name = server_name("avaamo", "community", [choice("avaamo.error.body-shape", realization)])
        with serve(name) as running, httpx.Client(base_url=running.url("avaamo"), headers=headers) as client:
            bodies[realization] = client.get("/sms/opt-status.json", params={"page": "0"}).json()
    assert set(bodies["message-key"]) == {"message"}
    assert bodies["with-status-field"]["status"] == 400 and "error" in bodies["with-status-field"]
