"""The reference Convoso API over real HTTP: codes, messages, defaults and bounds per profile,
filters, -BLANK- clearing, key collisions and concurrent duplicate inserts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, running_reference

FIXED_NOW = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
TOKEN = "reference-token"
_numbers = iter(range(100))
# One client for the module: a client per request would spend its time building TLS contexts.
client = httpx.Client(timeout=10)


def fresh_phone() -> str:
    """A fictional number (NPA-555-01XX) no seeded record and no other test uses."""
    return f"212555{100 + next(_numbers):04d}"


def start(tmp_path_factory: pytest.TempPathFactory, profile: str) -> Iterator[EmbeddedServer]:
    db = Path(tmp_path_factory.mktemp(profile)) / "reference.db"
    config = ReferenceConfig(profile=profile, db=str(db), now=lambda: FIXED_NOW)
    with running_reference(config) as server:
        yield server


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    yield from start(tmp_path_factory, "community")


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    yield from start(tmp_path_factory, "official")


def call(server: EmbeddedServer, operation: str, **fields: str) -> httpx.Response:
    data = {"auth_token": TOKEN, **fields}
    return client.post(f"{server.url('convoso')}/sms-opt-out/{operation}", data=data)


def coded(response: httpx.Response) -> tuple[int, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is False, body
    return body["code"], body["error"]


def insert(server: EmbeddedServer, **fields: str) -> dict[str, Any]:
    values = {"phone_code": "1", "campaign_id": "111", **fields}
    return call(server, "insert", **values).json()


def record_of(server: EmbeddedServer, phone: str) -> dict[str, Any]:
    records = call(server, "search", phone_number=phone).json()["records"]
    assert len(records) == 1, records
    return records[0]


# -- authentication and paging ------------------------------------------------------------------


def test_missing_or_wrong_token_is_401_with_the_documented_text(community: EmbeddedServer) -> None:
    for data in ({}, {"auth_token": "wrong"}):
        response = client.post(f"{community.url('convoso')}/sms-opt-out/search", data=data)
        assert response.status_code == 401
        assert response.json() == {"success": False, "error": "Invalid authentication token"}


def test_community_search_defaults_to_1000_records_with_integer_paging(community: EmbeddedServer) -> None:
    body = call(community, "search").json()
    assert (body["offset"], body["limit"], body["total"]) == (0, 1000, 1200)
    assert len(body["records"]) == 1000
    assert [int(r["id"]) for r in body["records"]] == sorted(int(r["id"]) for r in body["records"])


def test_official_search_defaults_to_100_records_with_string_paging(official: EmbeddedServer) -> None:
    body = call(official, "search").json()
    assert (body["offset"], body["limit"], body["total"]) == ("0", "100", "1200")
    assert len(body["records"]) == 100


def test_limit_above_1000_is_clamped_and_echoed(community: EmbeddedServer) -> None:
    body = call(community, "search", limit="5000").json()
    assert body["limit"] == 1000 and len(body["records"]) == 1000


@pytest.mark.parametrize("limit", ["0", "-5", "abc", "1.5"])
def test_invalid_limit_is_400_without_code(community: EmbeddedServer, limit: str) -> None:
    response = call(community, "search", limit=limit)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Invalid limit value"}


@pytest.mark.parametrize("offset", ["abc", "-1", "100001", "9" * 5000])
def test_community_offset_outside_0_to_100000_is_7231(community: EmbeddedServer, offset: str) -> None:
    assert coded(call(community, "search", offset=offset)) == (7231, "Invalid offset value")


def test_offsets_at_each_profiles_maximum_are_accepted(
    community: EmbeddedServer, official: EmbeddedServer
) -> None:
    assert call(community, "search", offset="100000").json()["records"] == []
    assert call(official, "search", offset="1000000").json()["records"] == []
    assert coded(call(official, "search", offset="1000001"))[0] == 7231


def test_offset_pages_follow_each_other(community: EmbeddedServer) -> None:
    first = call(community, "search", limit="10", offset="0", campaign_id="111").json()["records"]
    second = call(community, "search", limit="10", offset="10", campaign_id="111").json()["records"]
    assert int(first[-1]["id"]) < int(second[0]["id"])


# -- record format per profile --------------------------------------------------------------------


def test_records_follow_each_profiles_date_and_global_name(
    community: EmbeddedServer, official: EmbeddedServer
) -> None:
    ours = call(community, "search", campaign_id="0", limit="1").json()["records"][0]
    theirs = call(official, "search", campaign_id="0", limit="1").json()["records"][0]
    assert ours["campaign_name"] == "Global SMS Opt-Out" and theirs["campaign_name"] == ""
    assert len(ours["insert_date"]) == 10 and len(theirs["insert_date"]) == 19
    assert theirs["insert_date"].startswith(ours["insert_date"])
    assert all(isinstance(value, str) for value in ours.values())


def test_campaign_names_of_the_other_campaigns(community: EmbeddedServer) -> None:
    names = {
        cid: call(community, "search", campaign_id=cid, limit="1").json()["records"][0]["campaign_name"]
        for cid in ("-1", "111", "222")
    }
    assert names == {"-1": "Purpose Opt-Out", "111": "Sales Campaign", "222": "Support Campaign"}


# -- filters -----------------------------------------------------------------------------------------


def test_each_campaign_filter_returns_only_that_campaign(community: EmbeddedServer) -> None:
    for cid in ("0", "-1", "111", "222"):
        body = call(community, "search", campaign_id=cid).json()
        assert body["total"] == 300 and {r["campaign_id"] for r in body["records"]} == {cid}


def test_unknown_campaign_filter_is_empty_and_non_integer_is_6006(community: EmbeddedServer) -> None:
    assert call(community, "search", campaign_id="987654").json()["total"] == 0
    assert coded(call(community, "search", campaign_id="abc")) == (6006, "Invalid Campaign ID")


def test_blank_and_notblank_filter_reason_and_purpose(community: EmbeddedServer) -> None:
    for column in ("reason", "purpose"):
        blank = call(community, "search", **{column: "-BLANK-"}).json()
        filled = call(community, "search", **{column: "-NOTBLANK-"}).json()
        assert blank["total"] > 0 and filled["total"] > 0
        assert blank["total"] + filled["total"] == 1200
        assert all(r[column] == "" for r in blank["records"])
        assert all(r[column] != "" for r in filled["records"])


def test_purpose_type_records_always_have_a_purpose(community: EmbeddedServer) -> None:
    assert call(community, "search", campaign_id="-1", purpose="-BLANK-").json()["total"] == 0


def test_id_phone_code_text_and_date_filters_match_exactly(community: EmbeddedServer) -> None:
    sample = call(community, "search", limit="1", offset="7").json()["records"][0]
    for name in ("id", "phone_number", "reason"):
        records = call(community, "search", **{name: sample[name]}).json()["records"]
        assert records and all(r[name] == sample[name] for r in records)
    assert call(community, "search", phone_number=sample["phone_number"][:-1]).json()["total"] == 0
    assert call(community, "search", id="abc").json()["total"] == 0
    codes = call(community, "search", phone_code="44").json()["records"]
    assert codes and {r["phone_code"] for r in codes} == {"44"}
    dated = call(community, "search", insert_date=sample["insert_date"]).json()
    assert 0 < dated["total"] < 1200 and {r["insert_date"] for r in dated["records"]} == {
        sample["insert_date"]
    }


def test_malformed_insert_date_filter_is_400(community: EmbeddedServer) -> None:
    for value in ("03/03/2026", "2026-02-30", "2026-3-3"):
        response = call(community, "search", insert_date=value)
        assert response.status_code == 400 and response.json()["success"] is False


def test_search_codes_for_phone_code_reason_and_purpose(
    community: EmbeddedServer, official: EmbeddedServer
) -> None:
    assert coded(call(community, "search", phone_code="abc")) == (6026, "Missing or Invalid Country Code")
    assert coded(call(community, "search", purpose="x" * 256)) == (6057, "Invalid Purpose Provided")
    assert coded(call(community, "search", reason="x" * 256)) == (6058, "Invalid Reason Provided")
    assert coded(call(official, "search", reason="x" * 256)) == (6058, "Invalid Purpose Provided")


# -- insert ------------------------------------------------------------------------------------------


def test_insert_succeeds_and_the_record_is_found(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    assert insert(community, phone_number=phone, reason="User Request") == {"success": True}
    record = record_of(community, phone)
    assert record["campaign_id"] == "111" and record["reason"] == "User Request"
    assert record["insert_date"] == "2026-03-03"


def test_insert_duplicate_is_6008_but_another_campaign_is_not(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    assert insert(community, phone_number=phone)["success"] is True
    assert coded(call(community, "insert", phone_number=phone, phone_code="1", campaign_id="111")) == (
        6008,
        "The phone number already exists",
    )
    assert insert(community, phone_number=phone, campaign_id="0")["success"] is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"phone_number": "55501ABCDE"}, (6007, "Invalid Phone Number")),
        ({"phone_number": "123"}, (6007, "Invalid Phone Number")),
        ({"phone_number": ""}, (6007, "Invalid Phone Number")),
        ({"phone_code": ""}, (6026, "Missing or Invalid Country Code")),
        ({"phone_code": "12345"}, (6026, "Missing or Invalid Country Code")),
        ({"campaign_id": "987654"}, (6006, "Invalid Campaign ID")),
        ({"campaign_id": "abc"}, (6006, "Invalid Campaign ID")),
        ({"reason": "r" * 256}, (6058, "Invalid Reason Provided")),
        ({"purpose": "p" * 256}, (6057, "Invalid Purpose Provided")),
        ({"campaign_id": "-1"}, (6080, "The purpose field is mandatory for campaigns of type 'Purpose'")),
        (
            {"campaign_id": "-1", "purpose": ""},
            (6080, "The purpose field is mandatory for campaigns of type 'Purpose'"),
        ),
    ],
)
def test_insert_error_codes(
    community: EmbeddedServer, fields: dict[str, str], expected: tuple[int, str]
) -> None:
    values = {"phone_number": "2125550199", "phone_code": "1", "campaign_id": "111", **fields}
    assert coded(call(community, "insert", **values)) == expected


def test_insert_reason_6058_keeps_the_reason_text_in_the_official_profile(official: EmbeddedServer) -> None:
    response = call(
        official, "insert", phone_number="2125550198", phone_code="1", campaign_id="0", reason="r" * 256
    )
    assert coded(response) == (6058, "Invalid Reason Provided")


def test_insert_with_empty_reason_and_purpose_stores_blanks(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    assert insert(community, phone_number=phone, reason="", purpose="")["success"] is True
    record = record_of(community, phone)
    assert (record["reason"], record["purpose"]) == ("", "")


def test_eight_concurrent_duplicate_inserts_give_one_success(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    barrier = threading.Barrier(8)
    results: list[dict[str, Any]] = []

    def attempt() -> None:
        barrier.wait(timeout=5)
        results.append(insert(community, phone_number=phone, campaign_id="222"))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sum(1 for r in results if r["success"]) == 1
    assert sorted(r.get("code", 0) for r in results) == [0] + [6008] * 7


# -- update ------------------------------------------------------------------------------------------


def test_update_reason_and_blank_clearing(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    insert(community, phone_number=phone, reason="User Request", purpose="Marketing")
    record_id = record_of(community, phone)["id"]
    body = call(community, "update", id=record_id, reason="Complaint", purpose="-BLANK-").json()
    assert body == {"success": True, "data": {"id": record_id}}
    record = record_of(community, phone)
    assert (record["reason"], record["purpose"]) == ("Complaint", "")
    call(community, "update", id=record_id, reason="-BLANK-")
    assert record_of(community, phone)["reason"] == ""


def test_update_moving_onto_another_records_key_is_6059(community: EmbeddedServer) -> None:
    first, second = fresh_phone(), fresh_phone()
    insert(community, phone_number=first)
    insert(community, phone_number=second)
    second_id = record_of(community, second)["id"]
    assert coded(call(community, "update", id=second_id, phone_number=first)) == (
        6059,
        "This combination already exists",
    )
    assert call(community, "update", id=second_id, phone_number=first, campaign_id="222").json()["success"]


def test_update_to_purpose_campaign_or_clearing_its_purpose_is_6080(community: EmbeddedServer) -> None:
    phone = fresh_phone()
    insert(community, phone_number=phone, purpose="")
    record_id = record_of(community, phone)["id"]
    assert coded(call(community, "update", id=record_id, campaign_id="-1"))[0] == 6080
    assert call(community, "update", id=record_id, campaign_id="-1", purpose="Survey").json()["success"]
    assert coded(call(community, "update", id=record_id, purpose="-BLANK-"))[0] == 6080


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"id": ""}, (6056, "Missing or Invalid value for ID")),
        ({"id": "abc"}, (6056, "Missing or Invalid value for ID")),
        ({"id": "999999999"}, (6056, "Missing or Invalid value for ID")),
        ({"phone_number": ""}, (4001, "Missing required field: phone_number / phone_code / campaign_id")),
        ({"campaign_id": ""}, (4001, "Missing required field: phone_number / phone_code / campaign_id")),
        ({"phone_number": "55501ABCDE"}, (4002, "phone_number / phone_code / campaign_id must be numeric")),
        ({"phone_code": "x1"}, (4002, "phone_number / phone_code / campaign_id must be numeric")),
        ({"campaign_id": "abc"}, (4002, "phone_number / phone_code / campaign_id must be numeric")),
        ({"phone_code": "12345"}, (6026, "Missing or Invalid Country Code")),
        ({"phone_number": "123"}, (6008, "The phone number is invalid")),
        ({"campaign_id": "987654"}, (6004, "Unknown Campaign ID")),
        ({"reason": "r" * 256}, (6058, "Invalid Reason Provided")),
        ({"purpose": "p" * 256}, (6057, "Invalid Purpose Provided")),
    ],
)
def test_update_error_codes(
    community: EmbeddedServer, fields: dict[str, str], expected: tuple[int, str]
) -> None:
    values = {"id": "2", **fields}
    assert coded(call(community, "update", **values)) == expected


def test_update_with_id_and_reason_only_succeeds(community: EmbeddedServer) -> None:
    assert call(community, "update", id="3", reason="Complaint").json() == {
        "success": True,
        "data": {"id": "3"},
    }
