"""``proxy``: a validating proxy between a client and an upstream API (or the reference server).

The proxy serves the API's base path (``/v1``, ``/bin``, ``/api/v2``) on 127.0.0.1: point a client
at ``http://127.0.0.1:PORT/v1`` instead of ``https://api.convoso.com/v1``. Every request is judged
by :mod:`request_rules` *before* it is forwarded (limit above 1000, missing auth_token, JSON instead
of form encoding, non-numeric phone, undocumented parameters, missing required fields, ...);
every reply by the same response rules as ``validate``. Each finding is printed on the terminal
and appended to a JSON file (a JSON array, rewritten whole after each request so it is always
valid JSON), and the traffic is saved as one vcrpy cassette, with every credential value seen in
a request (or given on the command line) scrubbed.

The proxy forwards whatever the client sent, even when it breaks the rules: it reports, it does
not block, so the client sees what the upstream really answers. Its bounds: ``--upstream`` is
parsed by ``core/urls.py``; the upstream is reached through the suite's transport
(``core.http.fetch_bounded``: one deadline, a 2 MiB reply cap, no redirects followed); an
upstream that does not answer in time is answered 504 to the client, one that fails otherwise
(reset, more than 2 MiB, a redirect to another origin, JSON nested past the depth limit) 502,
each with one terminal line; a client body over 1 MiB is answered 413 and not forwarded.
"""

from __future__ import annotations

import contextlib
import copy as copying
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from optout_conformance.cassettes.encoding import UndecodableBody, decode
from optout_conformance.cassettes.interactions import Interaction, identify
from optout_conformance.cassettes.request_rules import NOTE, VIOLATION, Finding, request_findings
from optout_conformance.cassettes.scrub import PLACEHOLDER, Scrubber, credential_values
from optout_conformance.cassettes.validate import response_findings, spec_for
from optout_conformance.core.apis import APIS
from optout_conformance.core.errors import UsageError
from optout_conformance.core.http import BoundedReply, async_deadline_client, fetch_bounded
from optout_conformance.core.interaction import MAX_BODY_BYTES as HTTP_MAX_BODY_BYTES
from optout_conformance.core.interaction import JsonTooDeep, parse_json_bounded
from optout_conformance.core.urls import TargetUrl, UrlError, parse_url
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, bind, uvicorn_server
from optout_conformance.runner.targets import embedded_credentials

# The largest request body a client may send through the proxy; a bigger one is answered 413.
MAX_BODY_BYTES = 1024 * 1024
# Hop-by-hop and transport headers the proxy does not pass on.
SKIPPED_REQUEST_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding",
                                     "accept-encoding", "keep-alive"})
SKIPPED_RESPONSE_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "content-encoding",
                                      "keep-alive", "date", "server"})
CASSETTE_NAME = "proxy.yaml"
VIOLATIONS_NAME = "violations.json"


@dataclass
class ProxyLog:
    """Findings and traffic of a proxy session, written to ``out`` after every request."""

    out: Path | None
    secrets: set[str] = field(default_factory=set)
    findings: list[dict[str, Any]] = field(default_factory=list)
    traffic: list[tuple[VcrRequest, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scrubber(self) -> Scrubber:
        return Scrubber(self.secrets)

    @property
    def violations(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == VIOLATION]

    def add(self, method: str, path: str, found: Iterable[Finding], request: VcrRequest,
            response: dict[str, Any]) -> None:
        with self.lock:
            for finding in found:
                self.findings.append({"time": round(time.time(), 3), "method": method, "path": path,
                                      "part": finding.part, "severity": finding.severity,
                                      "message": finding.message, "source": finding.source})
            self.traffic.append((request, response))
            self._write()

    def _write(self) -> None:
        if self.out is None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        scrubber = self.scrubber
        findings = scrubber.text(json.dumps(self.findings, indent=2))
        (self.out / VIOLATIONS_NAME).write_text(findings + "\n", encoding="utf-8")
        requests, responses = [], []
        for request, response in self.traffic:
            copy = VcrRequest(request.method, request.uri, request.body, dict(request.headers))
            requests.append(scrubber.before_record_request(copy))
            responses.append(scrubber.before_record_response(copying.deepcopy(response)))
        text = serialize({"requests": requests, "responses": responses}, yamlserializer)
        (self.out / CASSETTE_NAME).write_text(text, encoding="utf-8")


def _media_type(value: str) -> str:
    return value.split(";")[0].strip().lower()


def upstream_url(upstream: str) -> TargetUrl:
    """``--upstream`` parsed by ``core/urls.py`` (the one URL parser); a UsageError in one line
    when it is not a URL the suite connects to (userinfo, backslashes, control characters, ...)."""
    try:
        return parse_url(upstream.rstrip("/"))
    except UrlError as exc:
        raise UsageError(f"invalid --upstream URL: {exc}",
                         hint="the API's base URL, e.g. http://127.0.0.1:8000/v1, or `reference`") from None


async def _bounded_body(request: Request) -> bytes | None:
    """The client's request body, or None as soon as it is larger than :data:`MAX_BODY_BYTES`
    (by its Content-Length or while it streams in): a bigger body is never held whole."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _upstream_failure(fetched: BoundedReply, base: TargetUrl) -> tuple[int, str] | None:
    """(status, reason) for an upstream that gave no usable reply: 504 when it did not answer in
    time; 502 when it failed otherwise, answered more than the transport reads, redirected to
    another origin (the client would follow it there, past the proxy, with its credentials) or
    answered JSON nested deeper than any reply is read."""
    if fetched.error is not None:
        timed_out = "timeout" in fetched.error
        return (504 if timed_out else 502), fetched.error.splitlines()[0]
    if fetched.truncated:
        return 502, f"reply larger than {HTTP_MAX_BODY_BYTES} bytes (not forwarded)"
    location = fetched.headers.get("location")
    if fetched.status is not None and 300 <= fetched.status < 400 and location:
        try:
            elsewhere = parse_url(urljoin(str(base) + "/", location), allow_query=True).origin != base.origin
        except UrlError:
            elsewhere = True
        if elsewhere:
            return 502, f"HTTP {fetched.status} redirect to another origin (not followed, not passed on)"
    return None


def _too_deep(content: bytes, headers: httpx.Headers) -> str | None:
    """Why a JSON reply is not read (nested past the depth limit), or None."""
    if "json" not in headers.get("content-type", "").lower():
        return None
    try:
        parse_json_bounded(content)
    except JsonTooDeep as exc:
        return f"{exc} (not forwarded)"
    except ValueError:
        return None  # invalid JSON is forwarded and judged like any reply
    return None


def create_proxy_app(api: str, upstream: str, *, out: str | Path | None = None, profile: str = "auto",
                     secrets: Iterable[str | None] = (), echo: Callable[[str], None] = print,
                     timeout: float = 10.0) -> Starlette:
    """The proxy as an ASGI app: ``<base path>/<rest>`` is forwarded to ``upstream + /<rest>``.

    The upstream is reached only through the suite's transport (:func:`fetch_bounded`): one
    deadline over connect, headers and body (``timeout``), at most 2 MiB of a reply, redirects
    passed on, never followed. ``upstream`` must pass :func:`upstream_url` (UsageError otherwise)."""
    base_path = APIS[api].base_path
    base = upstream_url(upstream)
    log = ProxyLog(Path(out) if out is not None else None, secrets={s for s in secrets if s})
    clients: dict[str, httpx.AsyncClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if "upstream" in clients:
                await clients.pop("upstream").aclose()

    def upstream_client() -> httpx.AsyncClient:
        """One client per proxy, made on first use (servers may run the app without lifespan)."""
        if "upstream" not in clients:
            clients["upstream"] = async_deadline_client(timeout)
        return clients["upstream"]

    def say(line: str) -> None:
        echo(Scrubber(log.secrets).text(line))  # no terminal line shows a credential

    async def forward(request: Request) -> Response:
        path = request.url.path
        query = request.url.query
        body = await _bounded_body(request)
        if body is None:
            say(f"{request.method} {path}: request body larger than {MAX_BODY_BYTES} bytes: "
                "answered 413, not forwarded")
            return Response(f"request body larger than {MAX_BODY_BYTES} bytes\n", status_code=413,
                            media_type="text/plain", headers={"connection": "close"})
        headers = {k.lower(): v for k, v in request.headers.items()}
        with log.lock:
            log.secrets |= credential_values(f"{path}?{query}", headers, body)
        found: list[Finding] = []
        operation = identify(path)
        spec: dict[str, Any] | None = None
        if operation is None or operation[0] != api or not path.startswith(base_path):
            found.append(Finding("request", VIOLATION, f"{path} is not an operation of the {api} API",
                                 "openapi spec of " + api))
        else:
            spec = spec_for(api, profile)
            found += request_findings(api, spec, request.method, operation[1],
                                      query=parse_qs(query, keep_blank_values=True), headers=headers,
                                      content_type=_media_type(headers.get("content-type", "")),
                                      body=body)
        rest = path[len(base_path):] if path.startswith(base_path) else path
        target = str(base) + rest + (f"?{query}" if query else "")
        sent_headers = {k: v for k, v in headers.items() if k not in SKIPPED_REQUEST_HEADERS}
        fetched = await fetch_bounded(upstream_client(), base, request.method, rest, query=query,
                                      headers=sent_headers, content=body, timeout=timeout, raw=True)
        failure = _upstream_failure(fetched, base)
        undecodable = None
        if failure is None:
            status, reason, reply_headers = fetched.status or 0, fetched.reason, fetched.headers
            # Decoded here for every Content-Encoding spelling (httpx ignores x-gzip and others).
            encoding = ", ".join(reply_headers.get_list("content-encoding"))
            try:
                content = decode(fetched.content, encoding)
            except UndecodableBody as exc:
                content = fetched.content
                undecodable = f"{PLACEHOLDER} (undecodable {encoding} body: {exc})".encode()
            deep = _too_deep(content, reply_headers) if undecodable is None else None
            if deep is not None:
                failure = 502, f"reply {deep}"
        if failure is not None:
            status, problem = failure
            reason = "Gateway Timeout" if status == 504 else "Bad Gateway"
            content = f"upstream failed: {problem}".encode()
            reply_headers = httpx.Headers({"content-type": "text/plain"})
            say(f"{request.method} {path}: upstream {target.split('?')[0]} failed: {problem} "
                f"(answered {status})")
        item = Interaction(cassette="proxy", index=len(log.traffic), method=request.method,
                           uri=str(request.url), request_headers=headers, request_body=body, status=status,
                           response_headers={k.lower(): v for k, v in reply_headers.items()},
                           response_body=content, api=operation[0] if operation else None,
                           spec_path=operation[1] if operation else None)
        if spec is not None and failure is None:
            found += response_findings(item, spec)
        with log.lock:
            cookies = {"set-cookie": reply_headers.get_list("set-cookie")}
            log.secrets |= credential_values("", {}, None, cookies)
        for finding in found:
            if finding.severity == VIOLATION or (finding.severity == NOTE and finding.part == "response"):
                say(f"{request.method} {path}: {finding.render()}")
        recorded = VcrRequest(request.method, target, body, {k: v for k, v in request.headers.items()})
        response_record = {
            "status": {"code": status, "message": reason},
            # the body is recorded decoded: the recorded headers must not claim a coding or a length
            "headers": {k: reply_headers.get_list(k) for k in reply_headers
                        if k.lower() not in ("content-encoding", "content-length")},
            "body": {"string": content if undecodable is None else undecodable},
        }
        log.add(request.method, path, found, recorded, response_record)
        out_headers = {k: v for k, v in reply_headers.items() if k.lower() not in SKIPPED_RESPONSE_HEADERS}
        if undecodable is not None:  # passed on as it came: the client may know the coding
            out_headers["content-encoding"] = encoding
        return Response(content, status_code=status, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
    app.state.proxy_log = log
    return app


@contextlib.contextmanager
def reference_upstream(api: str) -> Any:
    """An embedded reference server on 127.0.0.1 (default settings); yields the API's base URL."""
    with EmbeddedServer(create_app(ReferenceConfig()), host="127.0.0.1", port=0) as server:
        yield server.url(api)


def serve_proxy(api: str, upstream: str, port: int, *, out: str | Path | None, profile: str = "auto",
                secrets: Iterable[str | None] = (), echo: Callable[[str], None] = print,
                timeout: float = 10.0) -> None:
    """Run the proxy on 127.0.0.1:port until interrupted (``upstream`` may be ``reference``)."""
    sock = bind("127.0.0.1", port)  # before anything is printed: a port in use is one line, exit 2
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        if upstream == "reference":
            upstream = stack.enter_context(reference_upstream(api))
            secrets = [*secrets, *embedded_credentials().secrets()]
        else:
            upstream = str(upstream_url(upstream))
        app = create_proxy_app(api, upstream, out=out, profile=profile, secrets=secrets, echo=echo,
                               timeout=timeout)
        bound = sock.getsockname()[1]
        echo(f"proxy for {api} on http://127.0.0.1:{bound}{APIS[api].base_path} -> {upstream}"
             + (f"; findings and cassette in {out}" if out else "") + " (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
            uvicorn_server(app).run(sockets=[sock])  # the reference server's timeouts and limits
    echo("proxy stopped")
