"""The proxy's way to its upstream: a small HTTP/1.1 client over asyncio streams, with kept-alive
connections to the one origin it is made for.

Why not ``httpx.AsyncClient``: its per-request overhead (URL and header models, the connection pool's
bookkeeping, the anyio stream layers) cost about a millisecond of the proxy's added latency, as much
as the whole judgement of a request. This client does one thing, and keeps every bound of
``core.http.fetch_bounded``, the transport the proxy used before:

* **one origin**: it connects only to the origin of the base URL it is made for; a path is appended
  by ``TargetUrl.join`` (``core/urls.py``'s checks), so no request leaves that origin and no
  credential is ever sent to another host. No environment proxy, no ``.netrc``: nothing is read
  from the environment;
* **one deadline** over connect, sending, the headers and the whole body (``timeout``): an upstream
  that does not answer completely in time is an error ("... (timeout)");
* **a reply cap**: at most ``MAX_BODY_BYTES`` (2 MiB) of a body are read; a larger reply is
  ``truncated`` and its connection closed, the rest never read;
* **redirects are not followed**: a 3xx is returned as it came (the proxy decides what to do);
* the body is returned **as sent** (still in its Content-Encoding: the proxy decodes every coding
  itself), chunked transfer coding removed;
* never raises for what the upstream does: a transport failure is ``BoundedReply.error``.

A connection is kept for the next request when both sides ended the exchange cleanly; one idle for
more than :data:`KEEPALIVE_EXPIRY` seconds (the reference server closes idle connections after 5)
or one the server has closed is not used again. A request that fails on a kept connection before
any byte of a reply arrived (the server closed it as the request was sent) is sent once more on a
new connection, as HTTP clients do for a connection that went stale (RFC 9112, 9.3.1).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from urllib.parse import quote

import h11
import httpx

from optout_conformance.core.http import BoundedReply
from optout_conformance.core.interaction import MAX_BODY_BYTES
from optout_conformance.core.urls import TargetUrl, UrlError

KEEPALIVE_EXPIRY = 4.0  # seconds; below the reference server's (and uvicorn's) 5 s keep-alive
MAX_IDLE = 20  # kept-alive connections at most
MAX_REPLY_HEADER_BYTES = 100 * 1024  # status line and headers of a reply (httpcore's h11 bound)
READ_SIZE = 64 * 1024
MAX_REMEMBERED_PATHS = 256  # request targets of paths kept (bounded: forgotten all at once when full)
# What fetch_bounded leaves unquoted in a query (the same request target as before).
QUERY_SAFE = "!$%&'()*+,/:;=?@[]~"


class _StaleConnection(Exception):
    """A kept connection failed before any byte of a reply arrived."""


class _Connection:
    __slots__ = ("http", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.http = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_REPLY_HEADER_BYTES)
        self.idle_since = 0.0

    def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.close()


class UpstreamClient:
    """Requests to the origin of ``base`` (a parsed base URL), each under ``timeout`` seconds."""

    def __init__(self, base: TargetUrl, timeout: float) -> None:
        self.base = base
        self.timeout = timeout
        self.host_header = base.host if base.port in (None, _default_port(base.scheme)) else \
            f"{base.host}:{base.port}"
        if ":" in base.host and not base.host.startswith("["):  # an IPv6 literal in Host
            self.host_header = self.host_header.replace(base.host, f"[{base.host}]", 1)
        self._port = base.port or _default_port(base.scheme)
        self._ssl = ssl.create_default_context() if base.scheme == "https" else None
        self._idle: list[_Connection] = []
        # a path's request target, checked and percent-encoded once (a client asks for few paths)
        self._raw_paths: dict[str, str] = {}
        self.connections_made = 0  # for tests: how many connections were opened

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def fetch(self, method: str, path: str, *, query: str = "",
                    headers: Mapping[str, str] | None = None, content: bytes = b"") -> BoundedReply:
        """One request to the base URL + ``path`` (+ ``?query``); never raises for what the upstream does."""
        reply = BoundedReply()
        raw_path = self._raw_paths.get(path)
        if raw_path is None:
            try:
                target = self.base.join(path)
            except UrlError as exc:
                reply.error = f"invalid path: {exc}"
                return reply
            url = httpx.URL(scheme=target.scheme, host=target.host, port=target.port, path=target.path)
            raw_path = url.raw_path.decode("ascii")
            if len(self._raw_paths) >= MAX_REMEMBERED_PATHS:
                self._raw_paths.clear()
            self._raw_paths[path] = raw_path
        request_target = raw_path + ("?" + quote(query, safe=QUERY_SAFE) if query else "")
        sent = [("host", self.host_header)]
        sent += [(k, v) for k, v in (headers or {}).items() if k.lower() not in ("host", "content-length")]
        if content or method.upper() in ("POST", "PUT", "PATCH"):
            sent.append(("content-length", str(len(content))))
        try:
            request = h11.Request(method=method, target=request_target, headers=sent)
        except h11.LocalProtocolError as exc:
            reply.error = f"invalid request: {exc}"
            return reply
        try:
            async with asyncio.timeout(self.timeout):
                connection = self._kept()
                if connection is not None:
                    try:
                        await self._exchange(connection, request, content, reply)
                        return reply
                    except _StaleConnection:
                        reply = BoundedReply()  # sent once more, on a new connection
                connection = await self._connect()
                try:
                    await self._exchange(connection, request, content, reply)
                except _StaleConnection as exc:
                    raise (exc.__cause__ or ConnectionError("connection closed")) from None
        except TimeoutError:
            return BoundedReply(error=f"no complete answer within {self.timeout:g} s (timeout)")
        except (OSError, h11.ProtocolError, EOFError, ssl.SSLError) as exc:
            text = str(exc)
            return BoundedReply(error=f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        return reply

    def _kept(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if (now - connection.idle_since < KEEPALIVE_EXPIRY and not connection.reader.at_eof()
                    and not connection.writer.is_closing()):
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(
            self.base.host, self._port, ssl=self._ssl,
            server_hostname=self.base.host if self._ssl is not None else None, limit=READ_SIZE)
        self.connections_made += 1
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, request: h11.Request, content: bytes,
                        reply: BoundedReply) -> None:
        """Send the request, read the reply into ``reply``; the connection is kept or closed."""
        http = connection.http
        received_any = False
        try:
            data = http.send(request) or b""
            if content:
                data += http.send(h11.Data(data=content)) or b""
            data += http.send(h11.EndOfMessage()) or b""
            connection.writer.write(data)
            await connection.writer.drain()
            body = bytearray()
            while True:
                event = http.next_event()
                if event is h11.NEED_DATA:
                    chunk = await connection.reader.read(READ_SIZE)
                    if chunk:
                        received_any = True
                    http.receive_data(chunk)  # b"": the server closed the connection
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    reply.status = event.status_code
                    reply.reason = event.reason.decode("latin-1")
                    reply.headers = httpx.Headers(event.headers.raw_items())
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > MAX_BODY_BYTES:
                        reply.truncated = True
                        reply.content = bytes(body[:MAX_BODY_BYTES])
                        connection.close()  # the rest is never read
                        return
                elif isinstance(event, h11.EndOfMessage):
                    reply.content = bytes(body)
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise h11.RemoteProtocolError("the server closed the connection without a complete reply")
        except BaseException as exc:
            connection.close()
            if not received_any and connection.idle_since and isinstance(
                    exc, (OSError, h11.ProtocolError, EOFError)):
                raise _StaleConnection() from exc
            raise
        if http.our_state is h11.DONE and http.their_state is h11.DONE and len(self._idle) < MAX_IDLE:
            http.start_next_cycle()
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
