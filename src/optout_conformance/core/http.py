"""The one transport of every phase: deadlines, rate limit, a body cap, an exchange log, curl.

Targeted checks, fingerprint probes, the property phase (``checks/property_requests.py`` sends
Schemathesis' cases through :meth:`HttpClient.send`), the reachability probe and recording all
send through :class:`HttpClient`. Its promises, whatever the target does:

- it connects only to the target's origin, parsed once by ``core/urls.py`` (the same parse the
  writes guard uses); a request for any other origin is refused before it is sent, so credentials
  never leave the target's origin;
- redirects are never followed: a 3xx is the reply that is judged;
- each request has one deadline (``timeout``) covering connect, headers and the whole body: every
  socket read and write is bounded by the time left (:class:`DeadlineBackend`), so a server that
  trickles a byte a second cannot stretch it; a run-wide deadline (``deadline``) bounds all of a
  run's requests, and once it has passed a request is not sent and the check is inconclusive;
- a reply is read streamed and at most :data:`MAX_BODY_BYTES` of it kept (``Exchange.truncated``);
- JSON is parsed with a nesting limit (:func:`parse_json_bounded`), never a ``RecursionError``.

Each request becomes an :class:`Exchange` that the report can show and reproduce with curl.
Credentials never appear in a curl command or a report: they are replaced by the environment
variable a user would set (``$OPTOUT_CONFORMANCE_TOKEN`` ...).
"""

from __future__ import annotations

import codecs
import contextvars
import ssl
import threading
import time
import typing
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpcore
import httpx

from optout_conformance.core.interaction import KEPT_OF_TRUNCATED, MAX_BODY_BYTES, Exchange
from optout_conformance.core.outcomes import CheckInconclusive
from optout_conformance.core.urls import TargetUrl, UrlError, parse_url

DEFAULT_TIMEOUT = 10.0
# The run-wide deadline a CLI run uses unless told otherwise (``--deadline``), in seconds.
DEFAULT_RUN_DEADLINE = 900.0


class RunDeadline:
    """The run-wide deadline shared by every client of a run: ``seconds`` from construction."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0


# The deadline of the request this thread (or asyncio task) is sending: monotonic seconds, or None.
_request_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline",
                                                                                default=None)


def _time_left(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left of this thread's or task's request deadline."""
    ends = _request_deadline.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with the request deadline applied to connect, reads and writes."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, _time_left(timeout), local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _CappedStream:
    """A reply's raw byte stream that ends after ``MAX_BODY_BYTES + 1`` bytes, so nothing above
    the HTTP connection (the client's reader, or vcrpy, which joins whole streams when it records)
    ever holds more than that of one reply."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        left = MAX_BODY_BYTES + 1
        for chunk in self._stream:
            if len(chunk) >= left:
                yield chunk[:left]
                return
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class _CappedPool(httpcore.ConnectionPool):
    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        response = super().handle_request(request)
        response.stream = _CappedStream(response.stream)
        return response


def deadline_transport() -> httpx.HTTPTransport:
    """An httpx transport whose sockets obey the request deadline and whose replies end after
    ``MAX_BODY_BYTES + 1`` raw bytes (no proxies from the environment, no retries)."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = _CappedPool(  # the default pool, but on the deadline backend
        ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=100,
        max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=DeadlineBackend(),
    )
    return transport


class AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    """The asyncio form of :class:`DeadlineStream`."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _time_left(timeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _time_left(timeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        stream = await self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout))
        return AsyncDeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    """The asyncio form of :class:`DeadlineBackend`."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, _time_left(timeout), local_address,
                                                 socket_options)
        return AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not targets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def async_deadline_client(timeout: float = DEFAULT_TIMEOUT) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on the deadline backend: no redirects, no environment proxies
    (for :func:`fetch_bounded`, e.g. the proxy's upstream)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=100,
        max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=AsyncDeadlineBackend(),
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport, trust_env=False)


@dataclass
class BoundedReply:
    """What :func:`fetch_bounded` got: the reply (at most ``MAX_BODY_BYTES`` of its body) or an error."""

    status: int | None = None
    reason: str = ""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""
    truncated: bool = False
    error: str | None = None


async def fetch_bounded(client: httpx.AsyncClient, base: TargetUrl, method: str, path: str, *,
                        query: str = "", headers: Mapping[str, str] | None = None,
                        content: bytes | None = None, timeout: float = DEFAULT_TIMEOUT,
                        raw: bool = False) -> BoundedReply:
    """One request to ``base`` + ``path`` (the URL built from ``core/urls.py``'s parse, so only
    ``base``'s origin is ever contacted), under one deadline over connect, headers and body, the
    body read streamed up to ``MAX_BODY_BYTES``, redirects not followed. Never raises for what the
    server does: a transport failure is ``BoundedReply.error``. ``raw``: the body as sent, still in
    its Content-Encoding (for callers that decode every coding themselves, e.g. the proxy)."""
    reply = BoundedReply()
    try:
        target = base.join(path)
    except UrlError as exc:
        reply.error = f"invalid path: {exc}"
        return reply
    url = httpx.URL(scheme=target.scheme, host=target.host, port=target.port, path=target.path)
    if query:
        url = url.copy_with(query=quote(query, safe="!$%&'()*+,/:;=?@[]~").encode("ascii"))
    token = _request_deadline.set(time.monotonic() + timeout)
    try:
        async with client.stream(method, url, headers=dict(headers or {}), content=content) as response:
            reply.status, reply.reason = response.status_code, response.reason_phrase
            reply.headers = response.headers
            body = bytearray()
            async for chunk in (response.aiter_raw() if raw else response.aiter_bytes()):
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    reply.truncated = True
                    break
            reply.content = bytes(body[:MAX_BODY_BYTES])
    except (httpx.TimeoutException, httpcore.TimeoutException):
        reply.error = f"no complete answer within {timeout:g} s (timeout)"
    except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
        reply.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        _request_deadline.reset(token)
    return reply


class OffTarget(ValueError):
    """A request for a URL outside the target's origin: refused, never sent."""


class RateLimiter:
    """At most ``rate`` requests per second across every thread (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class HttpClient:
    """Requests against one API's base URL. Thread-safe; every exchange is logged.

    ``timeout`` is each request's deadline (connect, headers and the whole body); ``deadline``
    the run's (a :class:`RunDeadline` shared with other clients, or seconds from now; None: none).
    ``base_url`` must pass ``core/urls.py`` (a :class:`~optout_conformance.core.urls.UrlError`
    otherwise).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        rate: RateLimiter | None = None,
        secrets: Mapping[str, str] | None = None,
        deadline: RunDeadline | float | None = None,
    ) -> None:
        self.target: TargetUrl = parse_url(base_url)
        self.base_url = str(self.target)
        self.timeout = timeout
        self.rate = rate or RateLimiter(None)
        self.secrets = {k: v for k, v in (secrets or {}).items() if k}
        self.deadline = RunDeadline(deadline) if isinstance(deadline, int | float) else deadline
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=deadline_transport())
        self._label = threading.local()

    @contextmanager
    def labelled(self, check_id: str | None) -> Iterator[None]:
        """Tag every exchange this thread sends inside the block with ``check_id``."""
        previous = getattr(self._label, "check_id", None)
        self._label.check_id = check_id
        try:
            yield
        finally:
            self._label.check_id = previous

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        """``text`` with every whole occurrence of a credential of this client (raw or
        percent-encoded) replaced by its variable; a credential inside a longer word is left
        alone (a one-letter password must not rewrite ordinary words)."""
        return Exchange(method="", url="", secrets=self.secrets).redact(text)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None) -> Exchange:
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path: str, *, data: Mapping[str, str] | None = None,
             params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Exchange:
        return self.request("POST", path, params=params, data=data, headers=headers)

    def url_for(self, path: str) -> httpx.URL:
        """The URL of ``path`` under the base URL, built from the parsed parts (never re-parsed)."""
        target = self.target.join(path)
        return httpx.URL(scheme=target.scheme, host=target.host, port=target.port, path=target.path)

    def path_of(self, url: str) -> str:
        """The path of ``url`` under the base URL; :class:`OffTarget` for another origin or a path
        outside the base path (its query string, if any, is not part of the answer)."""
        try:
            parsed = parse_url(url.split("?", 1)[0])
        except UrlError as exc:
            raise OffTarget(str(exc)) from None
        if parsed.origin != self.target.origin:
            raise OffTarget(f"{parsed.scheme}://{parsed.netloc} is not the target's origin "
                            f"{self.target.scheme}://{self.target.netloc}: request not sent")
        base = self.target.path
        if parsed.path != base and not parsed.path.startswith(base + "/"):
            raise OffTarget(f"{parsed.path} is outside the target's base path {base}: request not sent")
        return parsed.path[len(base):]

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Exchange:
        """Send one request. Transport failures are recorded in ``Exchange.error``, never raised;
        once the run's deadline has passed, raises ``CheckInconclusive`` without sending."""
        exchange = Exchange(
            method=method,
            url=self.base_url + path,
            params={k: str(v) for k, v in (params or {}).items()},
            data={k: str(v) for k, v in data.items()} if data is not None else None,
            headers=dict(headers or {}),
            secrets=self.secrets,
            check_id=getattr(self._label, "check_id", None),
        )
        self.send_exchange(exchange, content=content)
        return exchange

    def send_exchange(self, exchange: Exchange, *, content: bytes | None = None, raw_query: str | None = None,
                      wire_headers: Mapping[str, str] | None = None) -> tuple[httpx.Headers | None, bytes]:
        """Send ``exchange``'s request (its ``url`` must be under the base URL), fill in the reply
        and log it; returns the reply's headers as sent (repeated names kept; None on no reply) and
        its body bytes as kept (decoded, at most ``MAX_BODY_BYTES``; the start of a cut-off one).

        ``content``: the body as bytes (instead of ``exchange.data``); ``raw_query``: the query
        string as given (instead of ``exchange.params``, so repeated names survive);
        ``wire_headers``: the headers to send when they differ from the logged ones."""
        if raw_query is None and "?" in exchange.url:  # a path given with its query string, as is
            raw_query = exchange.url.split("?", 1)[1]
            if exchange.params:
                raw_query += "&" + urlencode(exchange.params)
        url = self.url_for(self.path_of(exchange.url))
        if raw_query:
            url = url.copy_with(query=quote(raw_query, safe="!$%&'()*+,/:;=?@[]~").encode("ascii"))
        self._check_run_deadline(exchange)
        self.rate.wait()
        self._check_run_deadline(exchange)
        timeout = self.timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline.remaining())
        started = time.perf_counter()
        deadline_token = _request_deadline.set(time.monotonic() + timeout)
        reply_headers: httpx.Headers | None = None
        kept = b""
        try:
            with self._client.stream(
                exchange.method,
                url,
                params=None if raw_query else (exchange.params or None),
                data=exchange.data if content is None else None,
                content=content,
                headers=exchange.headers if wire_headers is None else dict(wire_headers),
            ) as response:
                exchange.status = response.status_code
                reply_headers = response.headers
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        exchange.truncated = True
                        break
                kept = bytes(body[:KEPT_OF_TRUNCATED if exchange.truncated else MAX_BODY_BYTES])
                del body
                exchange.text = kept.decode(_codec(response.encoding), errors="replace")
        except httpx.TimeoutException:
            exchange.error = f"no complete answer within {timeout:g} s (timeout)"
        except httpx.InvalidURL as exc:
            exchange.error = f"invalid URL: {exc}"
        except (httpx.HTTPError, httpcore.TimeoutException) as exc:
            if isinstance(exc, httpcore.TimeoutException):
                exchange.error = f"no complete answer within {timeout:g} s (timeout)"
            else:
                exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            _request_deadline.reset(deadline_token)
        exchange.elapsed = time.perf_counter() - started
        with self._lock:
            self.exchanges.append(exchange)
        return reply_headers, kept

    def _check_run_deadline(self, exchange: Exchange) -> None:
        if self.deadline is not None and self.deadline.passed:
            raise CheckInconclusive(
                f"run deadline of {self.deadline.seconds:g} s reached: {exchange.method} "
                f"{exchange.redact(exchange.url)} not sent (--deadline)"
            )


def _codec(encoding: str | None) -> str:
    """A codec Python knows for the reply's charset (a hostile charset falls back to UTF-8)."""
    try:
        return codecs.lookup(encoding or "utf-8").name
    except (LookupError, ValueError):
        return "utf-8"
