"""The reference Avaamo API over real HTTP: token, paths, paging totals, filters, time window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, running_reference

FIXED_NOW = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
NOW_MS = int(FIXED_NOW.timestamp() * 1000)
TOKEN = {"access-token": "reference-token"}
client = httpx.Client(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(seed_records=300, now=lambda: FIXED_NOW)
    with running_reference(config) as running:
        yield running


def get(server: EmbeddedServer, path: str = "/sms/opt-status.json", **params: Any) -> httpx.Response:
    return client.get(server.url("avaamo") + path, params=params, headers=TOKEN)


def page(server: EmbeddedServer, **params: Any) -> dict[str, Any]:
    response = get(server, **params)
    assert response.status_code == 200, response.text
    return response.json()


def all_entries(server: EmbeddedServer, **params: Any) -> list[dict[str, Any]]:
    first = page(server, per_page=100, **params)
    entries = list(first["entries"])
    for number in range(2, first["total_pages"] + 1):
        entries += page(server, per_page=100, page=number, **params)["entries"]
    return entries


def test_missing_or_wrong_token_is_401_json(server: EmbeddedServer) -> None:
    url = server.url("avaamo") + "/sms/opt-status.json"
    for headers in ({}, {"access-token": "wrong"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and "error" in response.json()


def test_both_paths_answer_the_same_defaults(server: EmbeddedServer) -> None:
    with_json, plain = page(server), get(server, "/sms/opt-status").json()
    assert with_json["entries"] == plain["entries"]
    assert (with_json["current_page"], with_json["per_page"], with_json["total_entries"]) == (1, 25, 300)
    assert with_json["total_pages"] == 12 and len(with_json["entries"]) == 25
    assert isinstance(with_json["time_token"], float)


def test_per_page_above_100_is_clamped_and_pages_are_ceil(server: EmbeddedServer) -> None:
    body = page(server, per_page=1000)
    assert body["per_page"] == 100 and len(body["entries"]) == 100 and body["total_pages"] == 3
    assert page(server, per_page=7)["total_pages"] == math.ceil(300 / 7)
    last = page(server, per_page=7, page=43)
    assert len(last["entries"]) == 300 - 42 * 7
    assert page(server, page=999)["entries"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"per_page": "0"},
        {"page": "x"},
        {"per_page": "-3"},
        {"status": "maybe"},
        {"current_status": "opted"},
        {"start_time": "yesterday"},
        {"end_time": "-1"},
    ],
)
def test_invalid_query_values_are_400_json(server: EmbeddedServer, params: dict[str, str]) -> None:
    response = get(server, **params)
    assert response.status_code == 400 and "error" in response.json()


def test_fractional_epoch_milliseconds_are_accepted_as_003_types_times_as_number(
    server: EmbeddedServer,
) -> None:
    whole = get(server, end_time="4102444800000").json()
    fractional = get(server, end_time="4102444800000.5").json()
    assert fractional["total_entries"] == whole["total_entries"] > 0


def test_entries_are_newest_first_with_integer_seconds(server: EmbeddedServer) -> None:
    entries = all_entries(server)
    assert len(entries) == 300
    times = [entry["created_at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert all(isinstance(t, int) and t < NOW_MS // 1000 for t in times)


def test_current_status_is_the_latest_status_of_the_pair(server: EmbeddedServer) -> None:
    entries = all_entries(server)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        latest.setdefault((entry["to_phone"], entry["from_phone"]), entry)
    for entry in entries:
        assert entry["current_status"] == latest[(entry["to_phone"], entry["from_phone"])]["status"]
    assert any(entry["status"] != entry["current_status"] for entry in entries)


def test_status_and_current_status_filters(server: EmbeddedServer) -> None:
    for name in ("status", "current_status"):
        out = all_entries(server, **{name: "opt-out"})
        back_in = all_entries(server, **{name: "opt-in"})
        assert out and back_in and len(out) + len(back_in) == 300
        assert {entry[name] for entry in out} == {"opt-out"}


def test_phone_filters_match_exactly(server: EmbeddedServer) -> None:
    sample = page(server, per_page=1)["entries"][0]
    found = all_entries(server, to_phone=sample["to_phone"])
    assert found and {entry["to_phone"] for entry in found} == {sample["to_phone"]}
    by_sender = all_entries(server, from_phone=sample["from_phone"])
    assert 0 < len(by_sender) < 300 and {entry["from_phone"] for entry in by_sender} == {sample["from_phone"]}
    assert page(server, to_phone=" " + sample["to_phone"][1:])["total_entries"] == 0


def test_time_window_in_milliseconds_is_inclusive(server: EmbeddedServer) -> None:
    entries = all_entries(server)
    middle = entries[150]["created_at"] * 1000
    newer = all_entries(server, start_time=middle)
    older = all_entries(server, end_time=middle)
    assert all(entry["created_at"] * 1000 >= middle for entry in newer)
    assert all(entry["created_at"] * 1000 <= middle for entry in older)
    same_second = sum(1 for entry in entries if entry["created_at"] * 1000 == middle)
    assert len(newer) + len(older) == 300 + same_second
    assert page(server, start_time=NOW_MS + 1)["total_entries"] == 0
    assert page(server, end_time=NOW_MS - 400 * 86_400_000)["total_entries"] == 0


def test_convoso_and_whatcounts_writes_never_show_in_avaamo(server: EmbeddedServer) -> None:
    client.post(
        server.url("convoso") + "/sms-opt-out/insert",
        data={
            "auth_token": "reference-token",
            "phone_number": "2125550150",
            "phone_code": "1",
            "campaign_id": "0",
        },
    )
    client.get(
        server.url("whatcounts") + "/api_web",
        params={
            "c": "smsstopsubscribersend",
            "r": "reference",
            "p": "reference-pass",
            "phone": "12125550150",
            "sender_code": "120162701555",
        },
    )
    assert page(server)["total_entries"] == 300
    assert page(server, to_phone="+12125550150")["total_entries"] == 0
