"""No secret in any artefact: cassettes we record, ``validate`` and ``diff`` output, proxy files.

A Hypothesis property test generates a credential placement (form body, query string of any
method, nested JSON, a multipart part, the Avaamo ``access-token`` header or query parameter,
``Authorization: Bearer`` / ``Basic``, a cookie), a reply coding (``gzip``, ``GZIP``,
``gzip, identity``, ``x-gzip``, ``deflate`` raw or zlib, none) and an echo shape (nested JSON,
``\\u``-escaped JSON, text, percent-encoded, ``Basic`` base64, ``Set-Cookie``, a response header),
sends the request over real HTTP to a loopback echo server, and looks for the secret in every
artefact in each form it could take: raw, percent-encoded, base64, JSON-escaped, compressed.

The detector here is written independently of ``cassettes/scrub.py`` (it must not share its
blind spots).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import vcr
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vcr.serializers import yamlserializer

from optout_conformance.cassettes import scenarios
from optout_conformance.cassettes.proxy import create_proxy_app
from optout_conformance.cassettes.scrub import PLACEHOLDER, Scrubber, audit, credential_values
from optout_conformance.cli import cli
from optout_conformance.core.apis import APIS
from optout_conformance.reference.server import EmbeddedServer

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/"
secrets_ = st.text(ALPHABET, min_size=8, max_size=24).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum() and PLACEHOLDER not in s)

PLACEMENTS = ("form", "query-auth_token", "query-access-token", "json-nested", "multipart",
              "access-token-header", "bearer", "basic", "cookie")
METHODS = ("GET", "POST", "PUT", "DELETE")
ENCODINGS = (None, "gzip", "GZIP", "gzip, identity", "x-gzip", "deflate", "Deflate-raw")
ECHOES = ("none", "json-nested", "json-unicode", "text", "percent", "basic", "set-cookie", "header")
PATHS = {"convoso": "/v1/sms-opt-out/search", "avaamo": "/api/v2/sms/opt-status.json",
         "whatcounts": "/bin/api_web"}

# What the echo server answers next (one request at a time: set before each example).
ECHO: dict[str, Any] = {}


def _compress(body: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    if encoding is None:
        return body, None
    if encoding == "Deflate-raw":
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush(), "deflate"
    if encoding.lower() == "deflate":
        return zlib.compress(body), encoding
    return gzip.compress(body), encoding


def _unicode_escaped(text: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in text)


async def echo(request: Request) -> Response:
    secret, shape = ECHO["secret"], ECHO["echo"]
    headers: dict[str, str] = {"content-type": "application/json"}
    if shape == "json-nested":
        body = json.dumps({"success": False, "data": {"items": [{"token": secret, "n": 1}]}}).encode()
    elif shape == "json-unicode":
        body = ('{"success": false, "error": "bad token ' + _unicode_escaped(secret) + '"}').encode()
    elif shape == "text":
        body, headers["content-type"] = f"FAILURE: invalid token {secret}.".encode(), "text/plain"
    elif shape == "percent":
        link = f"/v1/x?auth_token={quote(secret, safe='')}&a=1"
        body = json.dumps({"success": False, "next": link}).encode()
    elif shape == "basic":
        basic = base64.b64encode(f"user:{secret}".encode()).decode()
        body = json.dumps({"success": False, "seen": f"Authorization: Basic {basic}"}).encode()
    else:
        body = b'{"success": true, "offset": 0, "limit": 1, "total": 0, "records": []}'
        if shape == "set-cookie":
            headers["set-cookie"] = f"session={secret}; Path=/; HttpOnly"
        elif shape == "header":
            headers["x-echo"] = f"Bearer {secret}"
    body, coding = _compress(body, ECHO["encoding"])
    if coding:
        headers["content-encoding"] = coding
    return Response(body, status_code=200, headers=headers)


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=list(METHODS))])
    with EmbeddedServer(app) as server:
        yield server.base_url


def request_for(secret: str, placement: str, method: str) -> dict[str, Any]:
    """httpx.request keyword arguments carrying the secret in one placement."""
    params: dict[str, str] = {"limit": "1"}
    headers: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    if placement == "form":
        kwargs["data"] = {"auth_token": secret, "limit": "1"}
        method = "POST" if method in ("GET", "DELETE") else method
    elif placement == "query-auth_token":
        params["auth_token"] = secret
    elif placement == "query-access-token":
        params["access-token"] = secret
    elif placement == "json-nested":
        kwargs["json"] = {"auth": {"auth_token": secret}, "filters": [{"limit": 1}]}
        method = "POST" if method in ("GET", "DELETE") else method
    elif placement == "multipart":
        kwargs["files"] = {"auth_token": (None, secret), "limit": (None, "1")}
        method = "POST" if method in ("GET", "DELETE") else method
    elif placement == "access-token-header":
        headers["access-token"] = secret
    elif placement == "bearer":
        headers["authorization"] = f"Bearer {secret}"
    elif placement == "basic":
        headers["authorization"] = "Basic " + base64.b64encode(f"user:{secret}".encode()).decode()
    elif placement == "cookie":
        headers["cookie"] = f"sid={secret}; theme=dark"
    return {"method": method, "params": params, "headers": headers, **kwargs}


# -- the independent detector -------------------------------------------------------------------


def spellings(secret: str) -> set[bytes]:
    """The secret as text could carry it: raw, percent-encoded (both ways), JSON-escaped,
    \\u-escaped, and each base64 alignment (the characters the secret alone decides)."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1],
             json.dumps(secret)[1:-1].replace("/", "\\/"), _unicode_escaped(secret)}
    raw = secret.encode()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).decode().rstrip("=")
            core = encoded[-(-8 * offset // 6): 8 * (offset + len(raw)) // 6]
            forms.add(core)
    return {form.encode() for form in forms if form}


def _decompressed(blob: bytes) -> Iterator[bytes]:
    """Every gzip, zlib or raw-deflate stream that starts somewhere in ``blob``, decompressed."""
    starts = {m.start() for m in re.finditer(rb"\x1f\x8b|\x78[\x01\x5e\x9c\xda]", blob)}
    for start in sorted(starts):
        for wbits in (16 + zlib.MAX_WBITS, zlib.MAX_WBITS):
            with contextlib.suppress(zlib.error):
                yield zlib.decompressobj(wbits).decompress(blob[start:], 1 << 20)


def _cassette_bodies(text: str) -> Iterator[bytes]:
    try:
        data = yamlserializer.deserialize(text)
    except Exception:
        return
    for interaction in data.get("interactions", []) if isinstance(data, dict) else []:
        for part in ("request", "response"):
            body = interaction[part].get("body")
            body = body.get("string") if isinstance(body, dict) else body
            body = body.getvalue() if body is not None and hasattr(body, "getvalue") else body
            if isinstance(body, str):
                body = body.encode()
            if isinstance(body, bytes):
                yield body
                for candidate in (body, body[1:]):  # raw deflate has no header to find
                    with contextlib.suppress(zlib.error):
                        yield zlib.decompressobj(-zlib.MAX_WBITS).decompress(candidate, 1 << 20)


def holds_secret(blob: bytes, secret: str) -> bool:
    """Whether ``blob`` (a file or printed text) holds the secret in any form."""
    forms = spellings(secret)
    candidates = [blob, *_decompressed(blob)]
    with contextlib.suppress(UnicodeDecodeError):
        candidates += list(_cassette_bodies(blob.decode("utf-8")))
    for candidate in list(candidates):
        candidates += list(_decompressed(candidate))
        for match in re.finditer(rb"[A-Za-z0-9+/=_-]{12,}", candidate):  # base64 text, decoded
            try:
                candidates.append(base64.b64decode(match.group(0) + b"==", altchars=b"-_"))
                candidates.append(base64.b64decode(match.group(0) + b"=="))
            except ValueError:
                pass
    return any(form in candidate for candidate in candidates for form in forms)


def test_the_detector_sees_the_secret_in_each_form_it_looks_for() -> None:
    secret = "s3cret-T0ken/x"
    assert holds_secret(gzip.compress(f'{{"t": "{secret}"}}'.encode()), secret)
    assert holds_secret(base64.b64encode(f"user:{secret}".encode()), secret)
    assert holds_secret(_unicode_escaped(secret).encode(), secret)
    assert holds_secret(quote_plus(secret).encode(), secret)
    assert not holds_secret(b"auth_token=REDACTED", secret)


# -- the property -------------------------------------------------------------------------------


def _leaky_artefacts(directory: Path, secret: str) -> list[str]:
    files = (p for p in sorted(directory.rglob("*")) if p.is_file())
    return [str(p) for p in files if holds_secret(p.read_bytes(), secret)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=secrets_, placement=st.sampled_from(PLACEMENTS), method=st.sampled_from(METHODS),
       encoding=st.sampled_from(ENCODINGS), shape=st.sampled_from(ECHOES),
       api=st.sampled_from(sorted(PATHS)))
def test_no_artefact_holds_the_secret_in_any_form(echo_url: str, secret: str, placement: str, method: str,
                                                  encoding: str | None, shape: str, api: str) -> None:
    ECHO.update(secret=secret, echo=shape, encoding=encoding)
    path = PATHS[api]
    request = request_for(secret, placement, method)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # 1. A recording of ours (record's vcrpy configuration and scrubber), then its audit.
        recorded = root / "recorded"
        recorded.mkdir()
        scrubber = Scrubber([secret])
        with scenarios.make_vcr(scrubber, "all").use_cassette(str(recorded / "c.yaml")), \
                httpx.Client(base_url=echo_url) as client:
            client.request(url=path, **request)
        assert audit(recorded, scrubber) == []
        assert _leaky_artefacts(recorded, secret) == []

        # 2. A foreign, unscrubbed cassette: validate and diff print nothing of the secret.
        foreign = root / "foreign"
        with vcr.VCR(record_mode="all").use_cassette(str(foreign / "c.yaml")), \
                httpx.Client(base_url=echo_url) as client:
            client.request(url=path, **request)
        assert holds_secret((foreign / "c.yaml").read_bytes(), secret)  # the test would see a leak
        empty = root / "empty"
        empty.mkdir()
        (empty / "c.yaml").write_text("interactions: []\nversion: 1\n")
        runner = CliRunner()
        for args in (["validate", str(foreign)], ["diff", str(foreign), str(empty)],
                     ["diff", str(empty), str(foreign)]):
            result = runner.invoke(cli, args)
            assert result.exit_code in (0, 1), result.output
            assert not holds_secret(result.output.encode(), secret), (args, result.output)

        # 3. The validating proxy: its files and the lines it prints.
        out = root / "proxy"
        printed: list[str] = []
        app = create_proxy_app(api, echo_url + APIS[api].base_path, out=out, echo=printed.append)
        with EmbeddedServer(app) as proxy, httpx.Client(base_url=proxy.base_url) as client:
            reply = client.request(url=path, **request)
        assert reply.status_code == 200
        assert (out / "proxy.yaml").exists()
        assert _leaky_artefacts(out, secret) == []
        assert not holds_secret("\n".join(printed).encode(), secret), printed


def test_each_placement_is_found_as_a_credential() -> None:
    secret = "plac3ment-secret"
    for placement in PLACEMENTS:
        request = httpx.Client().build_request(url="http://127.0.0.1/v1/sms-opt-out/search",
                                               **request_for(secret, placement, "POST"))
        found = credential_values(str(request.url), dict(request.headers), request.read())
        assert secret in found or any(secret in value for value in found), placement


def test_a_short_token_is_not_redacted_inside_ordinary_words() -> None:
    scrubber = Scrubber(["x"])
    assert scrubber.text("example box x, index") == "example box REDACTED, index"
    assert Scrubber(["tok3n-abc"]).text("mytok3n-abcd tok3n-abc") == "mytok3n-abcd REDACTED"


def test_a_token_too_short_to_redact_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", "--api", "convoso", "--target", "http://127.0.0.1:9/v1",
                                      "--token", "x"])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        "error: the token is too short to redact safely (1 characters, minimum 8)")


def test_the_reference_servers_default_token_is_long_enough() -> None:
    from optout_conformance.config import MIN_SECRET_LENGTH
    from optout_conformance.reference.config import ReferenceConfig

    assert len(ReferenceConfig().token) >= MIN_SECRET_LENGTH
    assert len(ReferenceConfig().password) >= MIN_SECRET_LENGTH


# -- the proxy's append-only files: a credential learned after text holding it was written --------

LATE = "L4te-S3cret-value-91"


def _late_reply(shape: str) -> Response:
    """A reply holding LATE where nothing names it a credential (a login reply we do not know)."""
    if shape == "text":
        return Response(f"SUCCESS: your new key is {LATE}.".encode(), headers={"content-type": "text/plain"})
    if shape == "json-unicode":
        return Response(('{"success": true, "greeting": "' + _unicode_escaped(LATE) + '"}').encode(),
                        headers={"content-type": "application/json"})
    if shape == "percent":
        return Response(json.dumps({"success": True, "next": f"/v1/x?key={quote(LATE, safe='')}"}).encode(),
                        headers={"content-type": "application/json"})
    body, coding = _compress(f"key {LATE}".encode(), "gzip")
    return Response(body, headers={"content-type": "text/plain", "content-encoding": str(coding)})


@pytest.mark.parametrize("shape", ["text", "json-unicode", "percent", "gzip"])
def test_a_credential_first_seen_in_an_earlier_reply_is_scrubbed_from_what_the_proxy_wrote(
    shape: str, tmp_path: Path,
) -> None:
    async def upstream(request: Request) -> Response:
        return _late_reply(shape)

    app = Starlette(routes=[Route("/{path:path}", upstream, methods=["POST"])])
    printed: list[str] = []
    with EmbeddedServer(app) as server:
        proxy_app = create_proxy_app("convoso", server.url("convoso"), out=tmp_path, echo=printed.append)
        with EmbeddedServer(proxy_app) as proxy, httpx.Client(base_url=proxy.url("convoso")) as client:
            # 1. no credential yet: the reply, and a finding quoting the value, are written
            client.post("/sms-opt-out/insert", data={"auth_token": "first-credential-0001",
                                                     "phone_number": LATE})
            assert holds_secret((tmp_path / "violations.json").read_bytes(), LATE)  # the test would see it
            # 2. the client now sends the value as its credential
            client.post("/sms-opt-out/search", data={"auth_token": LATE})
    assert proxy_app.state.proxy_log.rescrubs >= 1
    assert _leaky_artefacts(tmp_path, LATE) == []
    # (a terminal line printed before the value became a credential cannot be taken back; the
    # lines printed after it was learned do not show it)
    assert not holds_secret("\n".join(printed[-1:]).encode(), LATE), printed
    assert len(json.loads((tmp_path / "violations.json").read_text())) >= 1
    data = yamlserializer.deserialize((tmp_path / "proxy.yaml").read_text())
    assert len(data["interactions"]) == 2


def test_a_credential_a_reply_names_is_known_before_that_reply_is_written(tmp_path: Path) -> None:
    async def login(request: Request) -> Response:
        return Response(json.dumps({"success": True, "access_token": LATE}).encode(),
                        headers={"content-type": "application/json"})

    app = Starlette(routes=[Route("/{path:path}", login, methods=["POST"])])
    with EmbeddedServer(app) as server:
        proxy_app = create_proxy_app("convoso", server.url("convoso"), out=tmp_path, echo=lambda _: None)
        with EmbeddedServer(proxy_app) as proxy, httpx.Client(base_url=proxy.url("convoso")) as client:
            client.post("/sms-opt-out/search", data={"auth_token": "first-credential-0001"})
            assert _leaky_artefacts(tmp_path, LATE) == []
            client.post("/sms-opt-out/search", data={"auth_token": LATE})
    assert proxy_app.state.proxy_log.rescrubs == 0  # nothing written had to be rewritten
    assert _leaky_artefacts(tmp_path, LATE) == []
