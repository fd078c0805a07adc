"""Tiny hostile HTTP servers on 127.0.0.1, each misbehaving in one way.

Raw asyncio (no HTTP framework, so they can break HTTP itself), one background thread per server.
Every request a server gets is recorded (method, target, headers, body), so a test can tell what a
client sent where. ``python tests/hostile/hostile_servers.py NAME`` serves one until Ctrl-C.

Behaviours (:data:`BEHAVIOURS`): ``html`` (an HTML page, 200), ``invalid-json`` (``application/json``
that is not JSON), ``huge`` (a 50 MB JSON reply), ``silent`` (accepts, never answers), ``trickle``
(headers at once, then the body one byte a second), ``reset`` (reads the request, then resets the
connection), ``redirect`` (307 to the same path on another origin: :class:`Recorder`), ``nested``
(JSON nested 100,000 levels deep), ``echo`` (a JSON reply echoing the request's headers, query and
body, so every credential comes back). :class:`Recorder` is the other origin: it answers 200
``{}`` and records whatever reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

HUGE_BYTES = 50 * 1024 * 1024
NESTED_DEPTH = 100_000


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[["HostileServer", Request, asyncio.StreamWriter], Awaitable[None]]


async def _reply(writer: asyncio.StreamWriter, status: str, content_type: str, body: bytes,
                 extra: str = "") -> None:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n")
    writer.write(head.encode("latin-1") + body)
    await writer.drain()


async def html(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    await _reply(writer, "200 OK", "text/html", b"<!doctype html><html><body><h1>Welcome</h1></body></html>")


async def invalid_json(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    await _reply(writer, "200 OK", "application/json", b'{"success": tru, "data": [')


async def huge(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE_BYTES}\r\n"
            "Connection: close\r\n\r\n")
    writer.write(head.encode())
    chunk = b'{"success": true, "pad": "' + b"x" * (1024 * 1024 - 27)
    sent = 0
    while sent < HUGE_BYTES:
        piece = chunk[: HUGE_BYTES - sent]
        writer.write(piece)
        sent += len(piece)
        await writer.drain()  # raises once the client has gone: the reply ends there


async def silent(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def trickle(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    body = b'{"success": true, "data": []}' + b" " * 100
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    writer.write(head.encode())
    await writer.drain()
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1.0)


async def reset(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:  # SO_LINGER 0: close() sends RST instead of FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def redirect(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    location = (server.redirect_to or "http://127.0.0.1:9") + request.target
    await _reply(writer, "307 Temporary Redirect", "text/plain", b"moved", f"Location: {location}\r\n")


async def nested(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    body = b'{"success": true, "data": ' + b"[" * NESTED_DEPTH + b"]" * NESTED_DEPTH + b"}"
    await _reply(writer, "200 OK", "application/json", body)


async def echo(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    echoed = {"success": False, "code": 401, "text": "Invalid auth_token " + request.target,
              "headers": request.headers, "body": request.body.decode("utf-8", errors="replace")}
    cookie = request.headers.get("access-token", "") or request.target
    await _reply(writer, "200 OK", "application/json", json.dumps(echoed).encode(),
                 f"Set-Cookie: echoed={cookie[:200].replace(chr(13), '').replace(chr(10), '')}\r\n")


async def ok_empty(server: HostileServer, request: Request, writer: asyncio.StreamWriter) -> None:
    await _reply(writer, "200 OK", "application/json", b"{}")


BEHAVIOURS: dict[str, Handler] = {
    "html": html, "invalid-json": invalid_json, "huge": huge, "silent": silent, "trickle": trickle,
    "reset": reset, "redirect": redirect, "nested": nested, "echo": echo,
}


@dataclass
class HostileServer:
    """One behaviour on 127.0.0.1 (an ephemeral port), served from a background thread."""

    behaviour: str
    redirect_to: str | None = None
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self._handler = ok_empty if self.behaviour == "recorder" else BEHAVIOURS[self.behaviour]
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"hostile-{self.behaviour}")
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"hostile server {self.behaviour} did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()
        self._loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.received.append(Received(request.method, request.target, request.headers, request.body))
            await self._handler(self, request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                asyncio.CancelledError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in BEHAVIOURS:
        print(f"usage: hostile_servers.py {{{'|'.join(BEHAVIOURS)}}}", file=sys.stderr)
        return 2
    with HostileServer(argv[0]) as server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
