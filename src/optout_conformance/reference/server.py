"""Running the reference app over real HTTP on 127.0.0.1: in a background thread (tests, ``run``)
or in the foreground until Ctrl-C (the ``serve`` command).

The server is careful with the clients it cannot trust (a conformance suite points odd clients at
it on purpose):

* **read timeout**: a request's headers and body must arrive within ``READ_TIMEOUT`` seconds
  from the moment the server waits for them (a new connection, or the end of the previous reply),
  or the connection is closed. uvicorn's own ``timeout_keep_alive`` (5 s) only bounds the idle
  time between requests: a client that sends its headers one byte a second, or never finishes its
  body, would otherwise hold a connection (and a file descriptor) forever;
* **connection limit**: beyond ``MAX_CONNECTIONS`` open connections a new one is answered
  ``503`` and closed at once, so held connections cannot exhaust the process's file descriptors
  and the server keeps answering; ``limit_concurrency`` (uvicorn) answers ``503`` when more than
  ``MAX_CONCURRENCY`` requests are in progress;
* **header size**: h11 refuses headers larger than ``MAX_HEADER_BYTES`` (``431``/``400``);
  bodies are bounded by the services (``ReferenceConfig.max_body_bytes``);
* a client that disconnects mid-body is not an error (``app.client_gone``: no traceback).

The timeouts live in a subclass of uvicorn's h11 protocol (``CarefulH11Protocol``), the one
protocol uvicorn runs without the optional ``httptools``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from types import TracebackType
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from optout_conformance.core.apis import APIS
from optout_conformance.core.errors import UsageError
from optout_conformance.reference.app import ALL_APIS, create_app
from optout_conformance.reference.config import ReferenceConfig

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0
READ_TIMEOUT = 10.0  # seconds for a request's headers and body to arrive
KEEP_ALIVE_TIMEOUT = 5  # seconds a connection may idle between requests (uvicorn's default)
MAX_CONNECTIONS = 512  # open connections; more are answered 503 and closed
MAX_CONCURRENCY = 256  # requests in progress (uvicorn limit_concurrency); more are answered 503
MAX_HEADER_BYTES = 16 * 1024  # request line and headers (h11_max_incomplete_event_size)

_OVERLOADED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\n"
               b"content-length: 26\r\n\r\nToo many open connections\n")


class ReadDeadline:
    """The bounds of a careful server connection, for any of uvicorn's HTTP protocols (mixed in
    before it): beyond ``max_connections`` open connections a new one is answered 503 and closed;
    a request must arrive within ``read_timeout`` seconds of the server waiting for it, or the
    connection is closed. The protocol arms the deadline when it waits for a request and disarms it
    when the request is complete."""

    read_timeout: float = READ_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    # provided by uvicorn's protocol classes
    connections: set[Any]
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    logger: Any

    def connection_made(self, transport: Any) -> None:  # an asyncio.Transport
        self._read_deadline: asyncio.TimerHandle | None = None
        if len(self.connections) >= self.max_connections:
            transport.write(_OVERLOADED)
            transport.close()
            self.transport = transport
            return
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_read_deadline()

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm_read_deadline(self) -> None:
        deadline = getattr(self, "_read_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        """The request did not arrive in time: close the connection (an app waiting for the
        body sees a disconnect)."""
        self._read_deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request took over %.1f s to arrive",
                             self.read_timeout)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)  # type: ignore[misc]


class CarefulH11Protocol(ReadDeadline, H11Protocol):
    """uvicorn's h11 protocol with a request read timeout and a cap on open connections."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.ERROR, h11.CLOSED, h11.MUST_CLOSE):
            self._disarm_read_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is not h11.DONE:
            self._arm_read_deadline()  # waiting for the next request's bytes


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 = any free port), so the port is known before serving."""
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without
    # it every keep-alive response waits ~40 ms (Nagle against delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="choose another --port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def careful_protocol(read_timeout: float = READ_TIMEOUT,
                     max_connections: int = MAX_CONNECTIONS) -> type[CarefulH11Protocol]:
    """The protocol class with these bounds (a subclass: uvicorn instantiates it per connection)."""
    if read_timeout <= 0 or max_connections < 1:
        raise UsageError("read_timeout must be > 0 and max_connections >= 1")
    return type("CarefulH11Protocol", (CarefulH11Protocol,),
                {"read_timeout": read_timeout, "max_connections": max_connections})


def uvicorn_server(app: ASGIApp, *, read_timeout: float = READ_TIMEOUT,
                   max_connections: int = MAX_CONNECTIONS,
                   max_concurrency: int = MAX_CONCURRENCY) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2,
        http=careful_protocol(read_timeout, max_connections), timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        limit_concurrency=max_concurrency, h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return uvicorn.Server(config)


class EmbeddedServer:
    """The app served by uvicorn in a background thread for the duration of a ``with`` block."""

    def __init__(self, app: ASGIApp, host: str = LOOPBACK, port: int = 0, **limits: Any) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.limits = limits  # read_timeout, max_connections, max_concurrency (uvicorn_server)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the port actually bound)."""
        return f"http://{self.host}:{self.port}"

    def url(self, api: str) -> str:
        """The base URL of one API: base_url + ``/v1``, ``/bin`` or ``/api/v2``."""
        return self.base_url + APIS[api].base_path

    def start(self) -> EmbeddedServer:
        """Bind, serve in a daemon thread, return once the server accepts connections."""
        self._socket = bind(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn_server(self.app, **self.limits)
        sockets = [self._socket]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": sockets}, name=f"reference-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"reference server did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread (bounded)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(
    config: ReferenceConfig,
    host: str = LOOPBACK,
    port: int = 0,
    apis: Collection[str] = ALL_APIS,
    app: ASGIApp | None = None,
    echo: Callable[[str], object] = print,
) -> None:
    """Serve in the foreground until Ctrl-C (the ``serve`` command): print each API's base URL
    and the credentials in force first, then stop cleanly."""
    app = app if app is not None else create_app(config, apis=apis)
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    base = f"http://{host}:{bound}"
    echo(f"reference server ({config.profile} profile), database {config.db}")
    for name in APIS:
        if name in apis:
            echo(f"  {name:<10} {base}{APIS[name].base_path}")
    for name, definition in APIS.items():
        if name in apis and definition.serve_note:
            note = definition.serve_note.format(config=config, sender_codes=",".join(config.sender_codes))
            echo(f"  {name:<10} {note}")
    echo("press Ctrl-C to stop")
    try:
        uvicorn_server(app).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    echo("reference server stopped")


@contextlib.contextmanager
def running_reference(config: ReferenceConfig | None = None, **app_options: Any) -> Iterator[EmbeddedServer]:
    """A reference app (``create_app(config, **app_options)``) served on 127.0.0.1 for a ``with``
    block; the store it opened is closed afterwards unless the caller passed its own."""
    config = config if config is not None else ReferenceConfig()
    app = create_app(config, **app_options)
    try:
        with EmbeddedServer(app) as server:
            yield server
    finally:
        if "store" not in app_options:
            app.state.store.close()
