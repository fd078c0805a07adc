"""``proxy``: a validating proxy between a client and an upstream API (or the reference server).

The proxy serves the API's base path (``/v1``, ``/bin``, ``/api/v2``) on 127.0.0.1: point a client
at ``http://127.0.0.1:PORT/v1`` instead of ``https://api.convoso.com/v1``. Every request is judged
by :mod:`request_rules` *before* it is forwarded (limit above 1000, missing auth_token, JSON instead
of form encoding, non-numeric phone, undocumented parameters, missing required fields, ...);
every reply by the same response rules as ``validate``. Each finding is printed on the terminal
(violations, and notes about replies) and appended to ``violations.json``; the traffic is appended
to ``proxy.yaml``, a vcrpy cassette.

**Recording at constant cost.** Both files are written append-only, one interaction at a time, in
one ``write`` each, so a request costs the same after 10,000 requests as after one, and both files
are valid at every moment (after each request, when the proxy stops, on Ctrl-C or SIGTERM, which
uvicorn turns into a graceful stop that lets a running request finish): the cassette is
``version: 1`` / ``interactions:`` followed by one ``- {"request": …, "response": …}`` item per
interaction (what vcrpy's serializer holds for it, written as JSON, which YAML reads as a flow
mapping: see :func:`_yaml_item`; ``interactions: []`` before the first), the findings a
JSON array whose closing ``]`` each new finding overwrites and writes again. Memory does not grow
with the traffic (:class:`ProxyLog` keeps counts and the last :data:`RECENT_FINDINGS` findings).
Sizes: a request body over 1 MiB is answered 413 without being read whole, forwarded or written
(its Content-Length, or counted while it streams in); a reply over 2 MiB is answered 502 (the
transport reads no more); one interaction adds at most :data:`MAX_WRITTEN_PER_INTERACTION` bytes to
the cassette.

**Scrubbing, append-only.** Before today's interaction is written, every credential value it
can hold is known: the values given on the command line (``--token``) or of the embedded reference
server are known from the start; those a request carries (``credential_values``: auth_token,
pwd/p, access-token, Authorization, Cookie, in query, form, JSON or multipart) are collected from
that request before it is judged, printed or written; those a reply hands out (Set-Cookie, and
fields of its body named like credentials, 8 characters or more) before the reply is written. Each
write is scrubbed with every value known at that moment, so no text is written holding a value
known then. What is left is a value first seen in an *earlier* reply, not named as a credential
there, that a later request sends as a credential (a login reply in a format we do not know):
when a request teaches a new value after something was written, the files are searched for it
(every encoded form, ``scrub.file_leaks``) and, only if it occurs, rewritten whole, scrubbed with
every value known (``ProxyLog.rescrubs`` counts these). That is the guarantee of rewriting the whole
file after every request, paid for once per credential learned late instead of on every request.
A client presenting a new credential with every request pays one search of the files per request.
(A terminal line is printed scrubbed with the values known when it is printed; one printed before
a value became a credential cannot be taken back, as before.)

The proxy forwards whatever the client sent, even when it breaks the rules: it reports, it does
not block, so the client sees what the upstream really answers. Its bounds: ``--upstream`` is
parsed by ``core/urls.py``, and a URL without a path is the API's host (the base path is appended
as for ``run --target``); ``--upstream reference`` starts the reference server with the profile
``run`` would give it (``--profile official``: official; auto, lenient, community: community). The
upstream is reached through :mod:`~optout_conformance.cassettes.upstream` (the bounds of the suite's
transport ``core.http.fetch_bounded``: one deadline, a 2 MiB reply cap, no redirects followed, one
origin; kept-alive connections), and the ``proxy`` command serves on
:mod:`~optout_conformance.cassettes.proxy_server` (httptools and uvloop, the reference server's
bounds) and judges and records each interaction once its reply is sent. An upstream that does
not answer in time is answered 504 to the client, one that fails otherwise (refused, reset, more
than 2 MiB, a redirect to another origin, JSON nested past the depth limit) 502, each with one
terminal line.
"""
from __future__ import annotations

import contextlib
import copy as copying
import json
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urljoin

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize
from vcr.serializers import compat, yamlserializer

from optout_conformance.cassettes.encoding import UndecodableBody, decode
from optout_conformance.cassettes.interactions import Interaction, identify
from optout_conformance.cassettes.proxy_server import proxy_server
from optout_conformance.cassettes.request_rules import NOTE, VIOLATION, Finding, request_findings
from optout_conformance.cassettes.scrub import (
    CREDENTIAL_FIELDS,
    PLACEHOLDER,
    TRUNCATED_HEADER,
    Scrubber,
    credential_values,
    file_leaks,
)
from optout_conformance.cassettes.upstream import UpstreamClient
from optout_conformance.cassettes.validate import response_findings, spec_for
from optout_conformance.config import MIN_SECRET_LENGTH, parse_targets
from optout_conformance.core.apis import APIS
from optout_conformance.core.errors import UsageError
from optout_conformance.core.http import BoundedReply
from optout_conformance.core.interaction import (
    KEPT_OF_TRUNCATED,
    JsonTooDeep,
    may_nest_deeper,
    parse_json_bounded,
)
from optout_conformance.core.interaction import MAX_BODY_BYTES as HTTP_MAX_BODY_BYTES
from optout_conformance.core.redact import base64_cores
from optout_conformance.core.urls import TargetUrl, UrlError, parse_url
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer, bind
from optout_conformance.runner.targets import embedded_credentials, server_profile

# The largest request body a client may send through the proxy; a bigger one is answered 413.
MAX_BODY_BYTES = 1024 * 1024
# Hop-by-hop and transport headers the proxy does not pass on.
SKIPPED_REQUEST_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding",
                                     "accept-encoding", "keep-alive"})
SKIPPED_RESPONSE_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "content-encoding",
                                      "keep-alive", "date", "server"})
CASSETTE_NAME = "proxy.yaml"
VIOLATIONS_NAME = "violations.json"
CASSETTE_HEADER = b"version: 1\ninteractions:"
EMPTY_INTERACTIONS = b" []\n"
# The most bytes one interaction adds to the cassette: a request body is at most 1 MiB (larger is
# answered 413, never read whole) and a reply at most 2 MiB (the transport's cap; larger is 502), but
# YAML escaping can grow binary bodies several times over; past this both bodies are cut.
MAX_WRITTEN_PER_INTERACTION = 4 * 1024 * 1024
# The findings kept in memory (``ProxyLog.recent``): the last few, for tests and the terminal.
RECENT_FINDINGS = 200


class QuickScrubber(Scrubber):
    """A :class:`Scrubber` that returns a text at once when no encoded form of any secret can occur
    in it, and otherwise scrubs it exactly as :class:`Scrubber` does.

    Every form :class:`Scrubber` replaces contains one of these anchors: the secret itself (raw);
    ``%`` (any percent-encoded character: ``redact.secret_pattern`` mixes raw and ``%XX``
    characters); a backslash (any JSON escape: the escaped spellings, and the ``\\u``/``\\/``
    escapes its JSON pass decodes); ``asic`` (its ``Basic <base64>`` pass); a base64 core of the
    secret (``redact.base64_cores``); ``+`` when a secret holds a space (``+`` spells a space). A
    text without any of them holds nothing to replace: the regular expressions, the JSON parse and
    the walk over its strings are skipped (most replies: about 1.5 ms each)."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__(secrets)
        anchors = {"%", "\\", "asic"}
        for secret in self.secrets:
            anchors |= {secret, *base64_cores(secret)}
            if " " in secret:
                anchors.add("+")
        self._anchors = tuple(anchors)
        self._byte_anchors = tuple(anchor.encode("utf-8") for anchor in anchors)

    def _may_hold(self, value: str | bytes) -> bool:
        if isinstance(value, bytes):
            return any(anchor in value for anchor in self._byte_anchors)
        return any(anchor in value for anchor in self._anchors)

    def text(self, value: str) -> str:
        return super().text(value) if self.secrets and self._may_hold(value) else value

    def data(self, value: Any) -> Any:
        if isinstance(value, bytes | str) and not (self.secrets and self._may_hold(value)):
            return value
        return super().data(value)


class ProxyLog:
    """Counts of a proxy session, and its two files under ``out`` written append-only.

    * ``proxy.yaml``: ``version: 1`` then ``interactions:`` and one ``- {"request": …}``
      item appended per interaction (one unbuffered ``write``): a vcrpy cassette at every moment.
      With no interaction yet it reads ``interactions: []``; the first item replaces the ``[]``.
    * ``violations.json``: a JSON array, ``[`` … ``]``; each finding is one line written over the
      closing ``]`` (which is written again after it): a valid array at every moment, O(1) per
      finding.

    Nothing grows in memory with the traffic: counts, and the last :data:`RECENT_FINDINGS`
    findings. Every write is scrubbed with every secret known at that moment, see the module
    docstring for why that is every secret the written text can hold.
    """

    def __init__(self, out: Path | None, secrets: Iterable[str] = ()) -> None:
        self.out = out
        self.secrets: set[str] = {s for s in secrets if s}
        self.lock = threading.Lock()
        self.interactions = 0
        self.finding_count = 0
        self.violation_count = 0
        self.rescrubs = 0  # whole-file rewrites for a secret learned after text holding it was written
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_FINDINGS)
        self._scrubber: Scrubber = QuickScrubber(self.secrets)
        self._cassette_end = 0
        self._findings_end = 0
        # unbuffered: each write is one system call, seen by readers at once
        self._files: dict[Path, BinaryIO] = {}
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            self._reopen(self.cassette_path, CASSETTE_HEADER + EMPTY_INTERACTIONS)
            self._cassette_end = len(CASSETTE_HEADER)
            self._reopen(self.findings_path, b"[\n]\n")
            self._findings_end = 2

    def _reopen(self, path: Path, content: bytes) -> None:
        """Give ``path`` this content (atomically: a reader sees the old file or the new one) and
        keep it open for the appends."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        if path in self._files:
            self._files.pop(path).close()
        self._files[path] = path.open("r+b", buffering=0)

    def close(self) -> None:
        """Close the files (valid as they are; a later interaction opens them again)."""
        with self.lock:
            for file in self._files.values():
                file.close()
            self._files.clear()

    def _write_at(self, path: Path, offset: int, data: bytes, tail: bytes) -> int:
        """Write ``data + tail`` at ``offset`` in one write and cut the file there; the offset
        after ``data`` (where the next write goes, over ``tail``)."""
        file = self._files.get(path)
        if file is None:  # closed when the server stopped, and served again
            file = self._files[path] = path.open("r+b", buffering=0)
        file.seek(offset)
        file.write(data + tail)
        file.truncate()
        return offset + len(data)

    @property
    def cassette_path(self) -> Path:
        return (self.out or Path()) / CASSETTE_NAME

    @property
    def findings_path(self) -> Path:
        return (self.out or Path()) / VIOLATIONS_NAME

    @property
    def scrubber(self) -> Scrubber:
        """A scrubber of every secret known so far (rebuilt only when a secret is learned)."""
        return self._scrubber

    def learn(self, found: Iterable[str]) -> None:
        """Add credential values; text already written that holds a new one is rewritten scrubbed."""
        with self.lock:
            new = {s for s in found if s and s not in self.secrets}
            if not new:
                return
            self.secrets |= new
            self._scrubber = QuickScrubber(self.secrets)
            if self.out is not None and (self.interactions or self.finding_count):
                self._rescrub(Scrubber(new))

    def add(self, method: str, path: str, found: Iterable[Finding], request: VcrRequest,
            response: dict[str, Any]) -> None:
        """Count and append one interaction and its findings (scrubbed) to the files."""
        stamp = round(time.time(), 3)
        entries = [{"time": stamp, "method": method, "path": path, "part": finding.part,
                    "severity": finding.severity, "message": finding.message, "source": finding.source}
                   for finding in found]
        with self.lock:
            self.interactions += 1
            self.finding_count += len(entries)
            self.violation_count += sum(1 for e in entries if e["severity"] == VIOLATION)
            self.recent.extend(entries)
            if self.out is None:
                return
            scrubber = self._scrubber
            if entries:
                lines = [scrubber.text(json.dumps(entry, ensure_ascii=False)) for entry in entries]
                text = ("" if self._findings_end == 2 else ",\n") + ",\n".join(
                    "  " + line for line in lines)
                self._findings_end = self._write_at(self.findings_path, self._findings_end,
                                                    text.encode("utf-8"), b"\n]\n")
            item = _cassette_item(scrubber, request, response)
            if self._cassette_end == len(CASSETTE_HEADER):
                item = b"\n" + item  # "interactions:" followed by its first item instead of " []"
            self._cassette_end = self._write_at(self.cassette_path, self._cassette_end, item, b"")

    def _rescrub(self, new: Scrubber) -> None:
        """Rewrite the files scrubbed if they hold a newly learned secret (in any encoded form).

        Only a value first seen in a reply and sent as a credential by a later request gets here
        (see the module docstring): its cost is one read of the files per secret learned late."""
        cassette = self.cassette_path.read_bytes()
        if new.contains_secret(cassette) or file_leaks(self.cassette_path, new):
            requests, responses = deserialize(cassette.decode("utf-8"), yamlserializer)[:2]
            items = b"".join(_cassette_item(self._scrubber, request, response)
                             for request, response in zip(requests, responses, strict=True))
            rewritten = CASSETTE_HEADER + (b"\n" + items if items else EMPTY_INTERACTIONS)
            self._reopen(self.cassette_path, rewritten)
            self._cassette_end = len(CASSETTE_HEADER) + (1 + len(items) if items else 0)
            self.rescrubs += 1
        findings = self.findings_path.read_bytes()
        if new.contains_secret(findings):
            entries = json.loads(findings)
            lines = [self._scrubber.text(json.dumps(entry, ensure_ascii=False)) for entry in entries]
            text = "[\n" + ",\n".join("  " + line for line in lines) + ("\n" if lines else "")
            data = text.encode("utf-8")
            self._reopen(self.findings_path, data + b"]\n")
            self._findings_end = len(data) - (1 if lines else 0)
            self.rescrubs += 1


def _cassette_item(scrubber: Scrubber, request: VcrRequest, response: dict[str, Any]) -> bytes:
    """One scrubbed interaction item of a vcrpy cassette (:func:`_yaml_item`), at most
    :data:`MAX_WRITTEN_PER_INTERACTION` bytes (larger: both bodies are cut to their first
    ``KEPT_OF_TRUNCATED`` bytes, marked by the ``TRUNCATED_HEADER`` reply header)."""
    copy = VcrRequest(request.method, request.uri, request.body, dict(request.headers))
    scrubbed_request = scrubber.before_record_request(copy)
    scrubbed_response = scrubber.before_record_response(copying.deepcopy(response))
    item = _yaml_item(scrubbed_request, scrubbed_response)
    if len(item) <= MAX_WRITTEN_PER_INTERACTION:
        return item
    if isinstance(scrubbed_request.body, bytes | str):
        scrubbed_request.body = scrubbed_request.body[:KEPT_OF_TRUNCATED]
    body = scrubbed_response.get("body", {})
    if isinstance(body.get("string"), bytes | str):
        body["string"] = body["string"][:KEPT_OF_TRUNCATED]
    scrubbed_response.setdefault("headers", {})[TRUNCATED_HEADER] = [
        f"interaction larger than {MAX_WRITTEN_PER_INTERACTION} bytes written; the first "
        f"{KEPT_OF_TRUNCATED} bytes of each body recorded"]
    return _yaml_item(scrubbed_request, scrubbed_response)


def _yaml_item(request: VcrRequest, response: dict[str, Any]) -> bytes:
    """One interaction as vcrpy serializes it (``vcr.serialize.serialize``'s conversion: bodies as
    text where they are UTF-8), as a one-item YAML sequence ``- {...}``.

    Written as JSON, which YAML reads as a flow mapping of double-quoted strings: 30 times faster
    than PyYAML's emitter (about 0.04 ms against 1.2 ms), and read back the same by vcrpy's loader.
    The characters a YAML reader refuses raw or folds as a line break inside a quoted string
    (:data:`_YAML_UNSAFE`) are written as ``\\u`` escapes. What JSON cannot carry goes through
    vcrpy's own YAML serializer: bytes (a body that is not UTF-8 becomes ``!!binary``) and a
    mapping key longer than :data:`MAX_FLOW_KEY` characters (a YAML reader limits implicit keys)."""
    interaction = {"request": compat.convert_to_unicode(request._to_dict()),
                   "response": compat.convert_to_unicode(response)}
    keys = [*interaction["request"].get("headers", {}), *interaction["response"].get("headers", {})]
    if all(isinstance(key, str) and len(key) <= MAX_FLOW_KEY for key in keys):
        try:
            text = json.dumps(interaction, ensure_ascii=False)
        except (TypeError, ValueError):
            pass  # bytes, or a value JSON has no form for
        else:
            return ("- " + _YAML_UNSAFE.sub(_unicode_escape, text) + "\n").encode("utf-8")
    return str(yamlserializer.serialize([interaction])).encode("utf-8")


# Characters a YAML reader refuses raw (C1 controls, DEL, surrogates, U+FFFE/U+FFFF) or reads as a
# line break inside a quoted string (NEL, LS, PS), and the byte order mark.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# The longest mapping key written as JSON: a YAML reader accepts implicit keys of at most 1024.
MAX_FLOW_KEY = 512


def _unicode_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


# A reply body in which no credential field name occurs (any case; a JSON-escaped name holds a
# backslash, a percent-encoded one a %) hands out no credential: credential_values' linear scan is
# skipped for it. The short names (``p``, ``pwd``) count only as a JSON key or a form field.
_LONG_CREDENTIAL_NAMES = tuple(name.encode() for name in CREDENTIAL_FIELDS if len(name) > 3)
_SHORT_CREDENTIAL_NAMES = tuple(name.encode() for name in CREDENTIAL_FIELDS if len(name) <= 3)


def _may_name_a_credential(content: bytes) -> bool:
    lowered = content.lower()
    if b"\\" in lowered or b"%" in lowered or any(name in lowered for name in _LONG_CREDENTIAL_NAMES):
        return True
    return any(b'"' + name + b'"' in lowered or b"&" + name + b"=" in lowered
               or lowered.startswith(name + b"=") for name in _SHORT_CREDENTIAL_NAMES)


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


def upstream_base(api: str, upstream: str) -> str:
    """The upstream's base URL for ``api``: a URL without a path (``http://127.0.0.1:8000``) is the
    API's host and gets the API's base path (``/v1``, ``/bin``, ``/api/v2``), as ``run --target``
    does (``config.parse_targets``); a URL with a path is taken as given."""
    checked = str(upstream_url(upstream))  # the --upstream error message for a bad URL
    return parse_targets([checked], [api], api)[api]


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
    if not may_nest_deeper(content):
        return None  # too few brackets to nest that deep: not parsed twice (the judgement parses it)
    try:
        parse_json_bounded(content)
    except JsonTooDeep as exc:
        return f"{exc} (not forwarded)"
    except ValueError:
        return None  # invalid JSON is forwarded and judged like any reply
    return None


@dataclass
class _Exchange:
    """One request and the reply the client got: what the judgement and the recording need."""

    method: str
    path: str
    query: str
    uri: str  # the URL the client asked the proxy for
    headers: dict[str, str]  # lowercased names
    raw_headers: dict[str, str]  # as the client spelled them (recorded)
    body: bytes
    target: str  # the upstream URL it was forwarded to
    status: int
    reason: str
    reply_headers: httpx.Headers
    content: bytes  # decoded, as judged and recorded
    undecodable: bytes | None  # what is recorded for a body in a coding that does not decode
    problem: str | None  # why the upstream gave no usable reply (answered 502/504)


def create_proxy_app(api: str, upstream: str, *, out: str | Path | None = None, profile: str = "auto",
                     secrets: Iterable[str | None] = (), echo: Callable[[str], None] = print,
                     timeout: float = 10.0, record_after_reply: bool = False) -> Starlette:
    """The proxy as an ASGI app: ``<base path>/<rest>`` is forwarded to ``upstream + /<rest>``.

    The upstream is reached only through :class:`~optout_conformance.cassettes.upstream.UpstreamClient`
    (the bounds of ``core.http.fetch_bounded``): one deadline over connect, headers and body
    (``timeout``), at most 2 MiB of a reply, redirects passed on, never followed, only the
    upstream's origin contacted. ``upstream`` must pass :func:`upstream_url` (UsageError otherwise).

    ``record_after_reply``: judge, print and record an interaction once its reply is sent (what the
    ``proxy`` command does: the judgement does not delay the client), instead of before. Either
    way the files hold an interaction before the proxy reads the next request (the work runs in
    the event loop without yielding), so they keep the order of the replies; with it, a client
    reading the files the moment it has a reply may not find that reply in them yet."""
    base_path = APIS[api].base_path
    base = upstream_url(upstream_base(api, upstream))
    log = ProxyLog(Path(out) if out is not None else None, secrets=[s for s in secrets if s])
    judged_by = spec_for(api, profile)  # the spec every request and reply of this proxy is judged by
    clients: dict[str, UpstreamClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if "upstream" in clients:
                await clients.pop("upstream").aclose()
            log.close()

    def upstream_client() -> UpstreamClient:
        """One client per proxy, made on first use (servers may run the app without lifespan)."""
        if "upstream" not in clients:
            clients["upstream"] = UpstreamClient(base, timeout)
        return clients["upstream"]

    def say(line: str) -> None:
        echo(log.scrubber.text(line))  # no terminal line shows a credential

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
        rest = path[len(base_path):] if path.startswith(base_path) else path
        target = str(base) + rest + (f"?{query}" if query else "")
        sent_headers = {k: v for k, v in headers.items() if k not in SKIPPED_REQUEST_HEADERS}
        fetched = await upstream_client().fetch(request.method, rest, query=query, headers=sent_headers,
                                                content=body)
        failure = _upstream_failure(fetched, base)
        undecodable = encoding = None
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
        problem = None
        if failure is not None:
            status, problem = failure
            reason = "Gateway Timeout" if status == 504 else "Bad Gateway"
            content = f"upstream failed: {problem}".encode()
            reply_headers = httpx.Headers({"content-type": "text/plain"})
        exchange = _Exchange(request.method, path, query, str(request.url), headers,
                             dict(request.headers.items()), body, target, status, reason, reply_headers,
                             content, undecodable, problem)
        out_headers = {k: v for k, v in reply_headers.items() if k.lower() not in SKIPPED_RESPONSE_HEADERS}
        if undecodable is not None:  # passed on as it came: the client may know the coding
            out_headers["content-encoding"] = encoding or ""
        if not record_after_reply:
            judge_and_record(exchange)
            return Response(content, status_code=status, headers=out_headers)
        return Response(content, status_code=status, headers=out_headers,
                        background=BackgroundTask(judge_and_record_after_reply, exchange))

    async def judge_and_record_after_reply(exchange: _Exchange) -> None:
        """Run by Starlette once the reply is sent, in the event loop before it reads anything else
        (no ``await``): the interactions are written in the order they were answered."""
        try:
            judge_and_record(exchange)
        except Exception as exc:
            say(f"{exchange.method} {exchange.path}: not judged or recorded: {type(exc).__name__}: {exc}")

    def judge_and_record(exchange: _Exchange) -> None:
        """Judge the request and the reply, print the findings, append both to the files."""
        method, path, headers, body = exchange.method, exchange.path, exchange.headers, exchange.body
        reply_headers, content = exchange.reply_headers, exchange.content
        # learned before anything of this request is written or printed
        log.learn(credential_values(f"{path}?{exchange.query}", headers, body))
        if exchange.problem is not None:
            say(f"{method} {path}: upstream {exchange.target.split('?')[0]} failed: {exchange.problem} "
                f"(answered {exchange.status})")
        found: list[Finding] = []
        operation = identify(path)
        spec: dict[str, Any] | None = None
        if operation is None or operation[0] != api or not path.startswith(base_path):
            found.append(Finding("request", VIOLATION, f"{path} is not an operation of the {api} API",
                                 "openapi spec of " + api))
        else:
            spec = judged_by  # loaded once: a spec is parsed and deep-copied on every load
            found += request_findings(api, spec, method, operation[1],
                                      query=parse_qs(exchange.query, keep_blank_values=True),
                                      headers=headers,
                                      content_type=_media_type(headers.get("content-type", "")),
                                      body=body)
        item = Interaction(cassette="proxy", index=log.interactions, method=method,
                           uri=exchange.uri, request_headers=headers, request_body=body,
                           status=exchange.status,
                           response_headers={k.lower(): v for k, v in reply_headers.items()},
                           response_body=content, api=operation[0] if operation else None,
                           spec_path=operation[1] if operation else None)
        if spec is not None and exchange.problem is None:
            found += response_findings(item, spec)
        # credentials a reply hands out (cookies, credential fields of its body), before it is written
        cookies = {"set-cookie": reply_headers.get_list("set-cookie")}
        log.learn(credential_values("", {}, None, cookies))
        if exchange.undecodable is None and _may_name_a_credential(content):
            # shorter values of a reply's fields named like credentials are words, not secrets
            log.learn(v for v in credential_values("", {}, content) if len(v) >= MIN_SECRET_LENGTH)
        for finding in found:
            if finding.severity == VIOLATION or (finding.severity == NOTE and finding.part == "response"):
                say(f"{method} {path}: {finding.render()}")
        recorded = VcrRequest(method, exchange.target, body, exchange.raw_headers)
        response_record = {
            "status": {"code": exchange.status, "message": exchange.reason},
            # the body is recorded decoded: the recorded headers must not claim a coding or a length
            "headers": {k: reply_headers.get_list(k) for k in reply_headers
                        if k.lower() not in ("content-encoding", "content-length")},
            "body": {"string": content if exchange.undecodable is None else exchange.undecodable},
        }
        log.add(method, path, found, recorded, response_record)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
    app.state.proxy_log = log
    return app


@contextlib.contextmanager
def reference_upstream(api: str, profile: str = "auto") -> Any:
    """An embedded reference server on 127.0.0.1 running the profile ``run`` gives it for
    ``profile`` (``runner.targets.server_profile``: official stays official; auto, lenient and
    community run community); default credentials. Yields the API's base URL."""
    config = ReferenceConfig(profile=server_profile(profile))
    with EmbeddedServer(create_app(config), host="127.0.0.1", port=0) as server:
        yield server.url(api)


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_proxy(api: str, upstream: str, port: int, *, out: str | Path | None, profile: str = "auto",
                secrets: Iterable[str | None] = (), echo: Callable[[str], None] = print,
                timeout: float = 10.0) -> None:
    """Run the proxy on 127.0.0.1:port until interrupted (``upstream`` may be ``reference``)."""
    sock = bind("127.0.0.1", port)  # before anything is printed: a port in use is one line, exit 2
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        if upstream == "reference":
            upstream = stack.enter_context(reference_upstream(api, profile))
            secrets = [*secrets, *embedded_credentials().secrets()]
        else:
            upstream = upstream_base(api, upstream)
        app = create_proxy_app(api, upstream, out=out, profile=profile, secrets=secrets, echo=echo,
                               timeout=timeout, record_after_reply=True)
        bound = sock.getsockname()[1]
        echo(f"proxy for {api} on http://127.0.0.1:{bound}{APIS[api].base_path} -> {upstream}"
             + (f"; findings and cassette in {out}" if out else "") + " (Ctrl-C stops)")
        if threading.current_thread() is threading.main_thread():
            # uvicorn stops gracefully on SIGTERM as on Ctrl-C, then raises the signal again with
            # the handler it found: this one makes that a quiet stop too ("proxy stopped", exit 0)
            previous = signal.signal(signal.SIGTERM, _stop)
            stack.callback(signal.signal, signal.SIGTERM, previous)
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
            proxy_server(app).run(sockets=[sock])  # the reference server's timeouts and limits
    echo("proxy stopped")
