"""The reference app and its embedded server: start and stop, restarts on the same file, routing,
and bad input of every kind answered without a 5xx."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from optout_conformance.core.errors import BadChoice
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, running_reference, serve_forever

client = httpx.Client(timeout=10)
SEARCH = "/v1/sms-opt-out/search"
INSERT = "/v1/sms-opt-out/insert"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with running_reference(ReferenceConfig(seed_records=50)) as running:
        yield running


def test_starts_in_well_under_a_second_and_stops_cleanly() -> None:
    app = create_app(ReferenceConfig(seed_records=10))
    began = time.perf_counter()
    with EmbeddedServer(app) as running:
        started = time.perf_counter() - began
        assert running.base_url.startswith("http://127.0.0.1:")
        assert running.url("convoso").endswith("/v1") and running.url("avaamo").endswith("/api/v2")
        port = running.port
    assert started < 0.5
    with pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/v1/sms-opt-out/search")


def test_a_restart_on_the_same_file_keeps_the_data(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "restart.db"), seed_records=20)
    fields = {"auth_token": config.token, "phone_number": "2125550160", "phone_code": "1", "campaign_id": "0"}
    with running_reference(config) as first:
        assert client.post(first.base_url + INSERT, data=fields).json() == {"success": True}
    with running_reference(config) as second:
        body = client.post(second.base_url + SEARCH, data={"auth_token": config.token}).json()
        assert body["total"] == 21
        assert client.post(second.base_url + INSERT, data=fields).json()["code"] == 6008


def test_only_the_chosen_apis_are_served() -> None:
    with running_reference(ReferenceConfig(seed_records=0), apis=["avaamo"]) as running:
        assert client.post(running.base_url + SEARCH, data={}).status_code == 404
        assert client.get(running.url("avaamo") + "/sms/opt-status").status_code == 401
    with pytest.raises(BadChoice):
        create_app(ReferenceConfig(seed_records=0), apis=["nope"])


def test_unknown_paths_are_404_and_wrong_methods_405(server: EmbeddedServer) -> None:
    assert client.get(server.base_url + "/v1/nothing").status_code == 404
    assert client.get(server.base_url + SEARCH).status_code == 405
    assert client.post(server.url("avaamo") + "/sms/opt-status.json").status_code == 405


def test_an_oversized_convoso_body_is_400_with_a_clear_error(server: EmbeddedServer) -> None:
    response = client.post(
        server.base_url + SEARCH, data={"auth_token": "reference-token", "x": "a" * 70_000}
    )
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Request body too large (limit 65536 bytes)"}


def test_an_oversized_streamed_body_without_length_is_refused(server: EmbeddedServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"a" * 8192

    response = client.post(
        server.base_url + SEARCH,
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and "too large" in response.json()["error"]


def test_undecodable_form_bytes_are_a_clear_400(server: EmbeddedServer) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    for body in (b"auth_token=reference-token&reason=%ff%fe", b"auth_token=reference-token&\xff\xfe=1"):
        response = client.post(server.base_url + SEARCH, content=body, headers=form)
        assert response.status_code == 400 and "UTF-8" in response.json()["error"]


def test_a_multipart_form_is_read_like_a_urlencoded_one(server: EmbeddedServer) -> None:
    response = client.post(
        server.base_url + SEARCH,
        files={"x": ("a.txt", b"1")},
        data={"auth_token": "reference-token", "limit": "3"},
    )
    assert response.status_code == 200 and len(response.json()["records"]) == 3


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"auth_token": "reference-token"}'),
        ("text/plain", b"auth_token=reference-token"),
        ("multipart/form-data; boundary=zzz", b"--zzz\r\nbroken"),
        ("multipart/form-data", b"no boundary at all"),
        ("application/x-www-form-urlencoded; charset=latin-1", "reason=\u00e9".encode("latin-1")),
        ("", b""),
    ],
)
def test_wrong_or_broken_content_types_never_give_5xx(
    server: EmbeddedServer, content_type: str, body: bytes
) -> None:
    for path in (SEARCH, INSERT, "/v1/sms-opt-out/update", "/bin/api_web"):
        response = client.post(server.base_url + path, content=body, headers={"content-type": content_type})
        assert response.status_code < 500, (path, response.text)


def test_random_bytes_never_give_5xx(server: EmbeddedServer) -> None:
    generator = random.Random(1234)
    paths = (SEARCH, INSERT, "/v1/sms-opt-out/update", "/bin/api_web")
    for index in range(60):
        body = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 400)))
        kind = ("application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/json")[
            index % 3
        ]
        response = client.post(
            server.base_url + paths[index % 4], content=body, headers={"content-type": kind}
        )
        assert response.status_code < 500, response.text


def test_hostile_values_in_fields_never_give_5xx(server: EmbeddedServer) -> None:
    token = {"auth_token": "reference-token"}
    hostile = ["9" * 5000, "-" + "9" * 30, "\x00", "' OR 1=1 --", "1e9", " 1", "\u202e", "%00"]
    for value in hostile:
        for name in ("offset", "limit", "id", "campaign_id", "phone_code", "insert_date", "reason"):
            assert client.post(server.base_url + SEARCH, data={**token, name: value}).status_code < 500
        for name in ("id", "campaign_id", "phone_number"):
            update = {**token, "id": "1", name: value}
            assert client.post(server.base_url + "/v1/sms-opt-out/update", data=update).status_code < 500
        params = {"page": value, "per_page": value, "start_time": value, "to_phone": value}
        avaamo = client.get(
            server.url("avaamo") + "/sms/opt-status",
            params=params,
            headers={"access-token": "reference-token"},
        )
        assert avaamo.status_code < 500


def test_serve_forever_prints_urls_and_credentials_then_stops_on_ctrl_c() -> None:
    lines: list[str] = []

    def interrupt_once_serving() -> None:
        """Wait (bounded) until the printed base URL answers, then send SIGINT as Ctrl-C does."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            urls = [word for line in list(lines) for word in line.split() if word.endswith("/api/v2")]
            if urls:
                try:
                    client.get(urls[0] + "/sms/opt-status")
                    break
                except httpx.TransportError:
                    pass
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_serving)
    interrupter.start()
    serve_forever(ReferenceConfig(seed_records=0), echo=lines.append)
    interrupter.join(timeout=10)
    text = "\n".join(lines)
    assert "/v1" in text and "/bin" in text and "/api/v2" in text
    assert "auth_token=reference-token" in text and "password=reference-pass" in text
    assert lines[-1] == "reference server stopped"


# -- care with clients it cannot trust ------------------------------------------------------------

READ_TIMEOUT = 0.5


@pytest.fixture
def careful() -> Iterator[EmbeddedServer]:
    """The reference with a short read timeout and room for four connections."""
    app = create_app(ReferenceConfig(seed_records=5))
    try:
        with EmbeddedServer(app, read_timeout=READ_TIMEOUT, max_connections=4) as running:
            yield running
    finally:
        app.state.store.close()


def _connect(server: EmbeddedServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes the connection (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _search_works(server: EmbeddedServer) -> bool:
    reply = httpx.post(server.url("convoso") + "/sms-opt-out/search", timeout=5,
                       data={"auth_token": "reference-token", "limit": "1"})
    return reply.status_code == 200 and reply.json()["success"] is True


def test_a_client_sending_its_headers_slowly_is_disconnected_and_others_are_served(
        careful: EmbeddedServer) -> None:
    slow = _connect(careful)
    began = time.monotonic()
    closed = False
    try:
        for byte in b"POST /v1/sms-opt-out/search HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200:
            slow.sendall(bytes([byte]))
            assert _search_works(careful)  # served while the slow client trickles
            time.sleep(0.05)
            if time.monotonic() - began > READ_TIMEOUT * 6:
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    closed = closed or _closed_by_server(slow, 2)
    slow.close()
    assert closed
    assert time.monotonic() - began < READ_TIMEOUT * 8


def test_a_client_that_never_finishes_its_body_is_disconnected_and_others_are_served(
        careful: EmbeddedServer) -> None:
    stuck = _connect(careful)
    stuck.sendall(b"POST /v1/sms-opt-out/insert HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
                  b"auth_token=reference-token&phone_number=")
    assert _search_works(careful)
    began = time.monotonic()
    assert _closed_by_server(stuck, READ_TIMEOUT * 6)
    assert time.monotonic() - began < READ_TIMEOUT * 6
    stuck.close()
    assert _search_works(careful)


def test_an_idle_new_connection_is_closed_after_the_read_timeout(careful: EmbeddedServer) -> None:
    idle = _connect(careful)
    assert _closed_by_server(idle, READ_TIMEOUT * 6)
    idle.close()


def test_beyond_the_connection_limit_new_connections_get_503_until_held_ones_go(
        careful: EmbeddedServer) -> None:
    held = [_connect(careful) for _ in range(4)]
    try:
        time.sleep(0.1)
        extra = _connect(careful)
        extra.settimeout(2)
        reply = extra.recv(4096)
        extra.close()
        assert reply.startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    assert _search_works(careful)


def test_a_client_disconnecting_mid_body_leaves_no_traceback_in_the_log(
        careful: EmbeddedServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            sock = _connect(careful)
            sock.sendall(b"POST /v1/sms-opt-out/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                         b"auth_token=")
            time.sleep(0.1)
            sock.close()
        time.sleep(0.3)
        assert _search_works(careful)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
