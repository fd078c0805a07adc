"""Running the reference app over real HTTP on 127.0.0.1: in a background thread (tests, ``run``)
or in the foreground until Ctrl-C (the ``serve`` command)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from optout_conformance.apis import APIS
from optout_conformance.errors import UsageError
from optout_conformance.reference.app import ALL_APIS, create_app
from optout_conformance.reference.config import ReferenceConfig

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0


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


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    return uvicorn.Server(config)


class EmbeddedServer:
    """The app served by uvicorn in a background thread for the duration of a ``with`` block."""

    def __init__(self, app: ASGIApp, host: str = LOOPBACK, port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
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
        self._server = uvicorn_server(self.app)
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
    if "convoso" in apis:
        echo(f"  convoso    auth_token={config.token}")
    if "whatcounts" in apis:
        codes = ",".join(config.sender_codes)
        echo(f"  whatcounts realm={config.realm} password={config.password} sender_code={codes}")
    if "avaamo" in apis:
        echo(f"  avaamo     access-token: {config.token}")
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
