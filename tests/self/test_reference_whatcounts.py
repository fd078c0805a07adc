"""The reference WhatCounts API over real HTTP: both argument forms, GET and POST, every failure."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, running_reference

SUCCESS = "SUCCESS: Stopping message to phone was successful"
SHORT = {"c": "smsstopsubscribersend", "r": "reference", "p": "reference-pass"}
LONG = {"cmd": "smsstopsubscribersend", "realm": "reference", "pwd": "reference-pass"}
STOP = {"phone": "12125550142", "sender_code": "120162701555"}
client = httpx.Client(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with running_reference(ReferenceConfig(seed_records=0), apis=["whatcounts"]) as running:
        yield running


def stop_get(server: EmbeddedServer, **arguments: str) -> httpx.Response:
    return client.get(f"{server.url('whatcounts')}/api_web", params=arguments)


def reply(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_short_and_long_argument_forms_both_succeed(server: EmbeddedServer) -> None:
    assert reply(stop_get(server, **SHORT, **STOP)) == SUCCESS
    assert reply(stop_get(server, **LONG, **STOP)) == SUCCESS
    assert (
        reply(stop_get(server, c="smsstopsubscribersend", realm="reference", p="reference-pass", **STOP))
        == SUCCESS
    )


def test_post_with_query_string_or_form_body_succeeds(server: EmbeddedServer) -> None:
    url = f"{server.url('whatcounts')}/api_web"
    assert reply(client.post(url, params={**SHORT, **STOP})) == SUCCESS
    assert reply(client.post(url, data={**SHORT, **STOP})) == SUCCESS
    assert reply(client.post(url, params=SHORT, data=STOP)) == SUCCESS


def test_stop_is_recorded_once_and_repeats_succeed(server: EmbeddedServer) -> None:
    phone = {"phone": "12125550143", "sender_code": "120162701555"}
    assert reply(stop_get(server, **SHORT, **phone)) == SUCCESS
    assert reply(stop_get(server, **SHORT, **phone)) == SUCCESS
    recorded = server.app.state.services["whatcounts"].store.whatcounts_stops()
    stops = [stop for stop in recorded if stop[0] == "12125550143"]
    assert [stop[:3] for stop in stops] == [("12125550143", "120162701555", "reference")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"r": "other"}, "FAILURE: Unable to determine customer account (realm)"),
        ({"r": ""}, "FAILURE: Unable to determine customer account (realm)"),
        ({"p": "wrong"}, "FAILURE: Realm and password do not match"),
        ({"c": ""}, "FAILURE: Missing required argument: cmd"),
        ({"c": "smssubscribe"}, "FAILURE: Unknown command: smssubscribe"),
        ({"phone": ""}, "FAILURE: Missing required argument: phone"),
        ({"phone": "(212) 555-0142"}, "FAILURE: Invalid phone number"),
        ({"phone": "212-555-0142"}, "FAILURE: Invalid phone number"),
        ({"sender_code": ""}, "FAILURE: Missing required argument: sender_code"),
        ({"sender_code": "999999999999"}, "FAILURE: Invalid sender code"),
        ({"realm": "other"}, "FAILURE: Conflicting values for realm and r"),
    ],
)
def test_failures_are_http_200_text_with_a_reason(
    server: EmbeddedServer, change: dict[str, str], expected: str
) -> None:
    arguments = {**SHORT, **STOP, **change}
    assert (
        reply(stop_get(server, **{k: v for k, v in arguments.items() if v != "" or k in change})) == expected
    )


def test_missing_realm_argument_is_the_realm_failure(server: EmbeddedServer) -> None:
    arguments = {"c": "smsstopsubscribersend", "p": "reference-pass", **STOP}
    assert reply(stop_get(server, **arguments)) == "FAILURE: Unable to determine customer account (realm)"


def test_equal_long_and_short_values_are_accepted(server: EmbeddedServer) -> None:
    assert reply(stop_get(server, **SHORT, **LONG, **STOP)) == SUCCESS


def test_undecodable_or_oversized_form_body_is_a_failure_not_an_error(server: EmbeddedServer) -> None:
    url = f"{server.url('whatcounts')}/api_web"
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert reply(client.post(url, content=b"phone=%ff%fe&c=\xff", headers=form)).startswith("FAILURE: ")
    huge = reply(client.post(url, content=b"a" * (65 * 1024), headers=form))
    assert huge.startswith("FAILURE: Request body too large")
