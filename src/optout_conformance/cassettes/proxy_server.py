"""The HTTP server the ``proxy`` command runs on: uvicorn with the reference server's bounds, on the
fastest parser and event loop installed.

The proxy's added latency is mostly the extra hop: parsing the client's request and writing the
reply (the server side), and the request to the upstream (``cassettes/upstream.py``). uvicorn's
pure-Python h11 protocol costs a few tenths of a millisecond per request more than its ``httptools``
one (llhttp, in C), and the asyncio event loop more than ``uvloop``. Both are dependencies of this
package (what ``uvicorn[standard]`` brings); when either is absent (a platform without a wheel:
uvloop has none for Windows) the server falls back to h11 and asyncio: the same bounds, slower.

The bounds are the reference server's (``reference/server.py``): a request's headers and body must
arrive within ``READ_TIMEOUT`` seconds, at most ``MAX_CONNECTIONS`` open connections (more are
answered 503 and closed), at most ``MAX_CONCURRENCY`` requests in progress (503), and the request
line and headers at most ``MAX_HEADER_BYTES`` (larger: 400 and the connection closed).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from optout_conformance.reference.server import (
    KEEP_ALIVE_TIMEOUT,
    MAX_CONCURRENCY,
    MAX_CONNECTIONS,
    MAX_HEADER_BYTES,
    READ_TIMEOUT,
    ReadDeadline,
    careful_protocol,
    uvicorn_server,
)

HAVE_HTTPTOOLS = importlib.util.find_spec("httptools") is not None
HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


class HeadersTooLarge(Exception):
    """The request line and headers exceed ``MAX_HEADER_BYTES``."""


def careful_httptools_protocol(read_timeout: float = READ_TIMEOUT,
                               max_connections: int = MAX_CONNECTIONS) -> type[Any]:
    """uvicorn's httptools protocol with the bounds of ``reference.server.CarefulH11Protocol``:
    a read timeout per request, a cap on open connections, and a cap on the header bytes (llhttp
    has none of its own)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class CarefulHttpToolsProtocol(ReadDeadline, HttpToolsProtocol):
        _header_bytes = 0

        def _count_header_bytes(self, count: int) -> None:
            self._header_bytes += count
            if self._header_bytes > MAX_HEADER_BYTES:
                raise HeadersTooLarge(f"request line and headers larger than {MAX_HEADER_BYTES} bytes")

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            if self._read_deadline is None:  # a pipelined request: its own time to arrive
                self._arm_read_deadline()
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count_header_bytes(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_header_bytes(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_message_complete(self) -> None:
            self._disarm_read_deadline()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_read_deadline()  # waiting for the next request's bytes

    return type("CarefulHttpToolsProtocol", (CarefulHttpToolsProtocol,),
                {"read_timeout": read_timeout, "max_connections": max_connections})


def proxy_server(app: ASGIApp, *, fast: bool = True) -> uvicorn.Server:
    """The proxy's uvicorn server: httptools and uvloop when installed and ``fast``, else the
    reference server's h11 server on asyncio (``reference.server.uvicorn_server``)."""
    if not (fast and HAVE_HTTPTOOLS):
        return uvicorn_server(app)
    careful_protocol(READ_TIMEOUT, MAX_CONNECTIONS)  # the same checks of the bounds
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2,
        http=careful_httptools_protocol(READ_TIMEOUT, MAX_CONNECTIONS), timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        limit_concurrency=MAX_CONCURRENCY, loop="uvloop" if HAVE_UVLOOP else "asyncio",
    )
    return uvicorn.Server(config)
