r"""Credential scrubbing for recorded traffic, and redaction for anything printed about it.

Two situations, two strategies:

* **Recording** (``record``, ``proxy``) knows the secret values (``--token``, ``--password``).
  :class:`Scrubber` replaces every occurrence of each *value* with the constant ``REDACTED`` in
  request URIs, bodies and headers and in response bodies and headers. It replaces values, not
  fields: a request carrying a deliberately wrong token (the auth checks send one) keeps its
  value, so the requests of a cassette stay distinguishable. vcrpy applies
  ``before_record_request`` when matching too, so a replay request carrying ``REDACTED`` (or the
  secret itself) matches the recorded one.
* **Reading a cassette** we did not record (``validate``, ``diff``) does not know the secrets.
  :func:`credential_values` collects the values of every credential field of every request
  (Convoso ``auth_token``, WhatCounts ``p``/``pwd``, Avaamo ``access-token``), and a
  :class:`Scrubber` built from them hides those values wherever they appear in the output.

The WhatCounts realm is *not* treated as a secret: 002 calls it the "Name of the realm" (an
account name, like a user name) and the "Password" the "Authentication code"; a wrong-realm
request must stay distinguishable from a right one. The sender code is the public "from" number.

vcrpy gaps this module covers (see ../shared/STYLE.md): its ``filter_post_data_parameters`` runs
for POST only and reads a body as JSON only for the exact ``application/json`` type, and its
``decode_compressed_response`` decodes only the exact codings ``gzip`` and ``deflate``; here every
method, body and content type is scrubbed by value, in any mix of raw and percent-encoded
characters, JSON-escaped (also ``\u`` escapes, at any depth), base64 (``Basic`` credentials), in
bodies of any ``Content-Encoding`` spelling (decoded before scrubbing, see ``encoding``).
``Authorization``, ``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` are credentials by
definition: their values are replaced whole (the scheme and cookie names are kept).

**Whole tokens only.** A secret is replaced where it stands as a token of its own: not preceded
or followed by a letter or digit (a percent escape ``%XX`` or a JSON escape ``\n`` before it does
not count as a letter). A token ``x`` is therefore never "redacted" inside ``example``; the
command line refuses secrets shorter than ``config.MIN_SECRET_LENGTH`` (8) altogether. The
post-write :func:`audit` is stricter than scrubbing: it looks for every encoded form of the secret
anywhere, inside words too, in decoded bodies, and fails the recording when one survived.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from optout_conformance.cassettes.encoding import UndecodableBody, codings, decode
from optout_conformance.core.interaction import KEPT_OF_TRUNCATED, MAX_BODY_BYTES, parse_json_bounded
from optout_conformance.core.redact import secret_pattern

PLACEHOLDER = "REDACTED"
# Reports about cassettes we did not record (validate, diff) hide credential values found in them
# wherever they stand as whole tokens; values this short would blank out ordinary words of the
# report, and no real token or password is that short.
REPORT_MIN_SECRET_LENGTH = 4

# Credential fields: form/query/JSON field names (Convoso, WhatCounts; Avaamo's header name also
# when a client sends it as a query parameter) and header names.
CREDENTIAL_FIELDS = frozenset({"auth_token", "p", "pwd", "password", "access-token", "access_token",
                               "token", "api_key", "apikey"})
CREDENTIAL_HEADERS = frozenset({"access-token", "authorization", "proxy-authorization", "x-api-key",
                                "x-access-token"})
# Headers whose whole value is a credential: replaced field-wise, whatever the value.
AUTHORIZATION_HEADERS = frozenset({"authorization", "proxy-authorization"})
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})



def _walk_json(value: Any, scrub: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_walk_json(item, scrub) for item in value]
    if isinstance(value, dict):
        return {scrub(str(key)): _walk_json(item, scrub) for key, item in value.items()}
    return value


def _json_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)


def _parse_json(text: str) -> Any:
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{\"":
        return None
    try:
        return parse_json_bounded(text)
    except ValueError:  # not JSON, or nested deeper than any reply the suite reads
        return None


class Scrubber:
    """Replaces known secret values with ``REDACTED`` in text, bytes and vcrpy records."""

    def __init__(self, secrets: Iterable[str | None], *, min_length: int = 1) -> None:
        values = {s for s in secrets if s and s != PLACEHOLDER and len(s) >= min_length}
        self.secrets = tuple(sorted(values, key=len, reverse=True))
        tokens = "|".join(secret_pattern(secret, whole_tokens=True) for secret in self.secrets)
        anywhere = "|".join(secret_pattern(secret, whole_tokens=False) for secret in self.secrets)
        self._text = re.compile(tokens) if tokens else None
        self._bytes = re.compile(tokens.encode("utf-8")) if tokens else None
        self._anywhere = re.compile(anywhere) if anywhere else None

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, value: str) -> str:
        """The text with every whole-token occurrence (in any encoded form) replaced."""
        if not self._text:
            return value
        value = self._text.sub(PLACEHOLDER, value)
        parsed = _parse_json(value)
        if parsed is not None and any(self._text.search(s) for s in _json_strings(parsed)):
            # a secret spelled with \u escapes the text patterns do not see: rewrite the JSON
            return json.dumps(_walk_json(parsed, self.text), ensure_ascii=False)
        return self._basic(value)

    def _basic(self, value: str) -> str:
        """``Basic <base64>`` credentials anywhere in the text, decoded, scrubbed and re-encoded."""
        def replace(match: re.Match[str]) -> str:
            try:
                decoded = base64.b64decode(match.group(2), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return match.group(0)
            scrubbed = self.text(decoded) if decoded != self.text(decoded) else decoded
            if scrubbed == decoded:
                return match.group(0)
            return match.group(1) + base64.b64encode(scrubbed.encode("utf-8")).decode("ascii")

        return re.sub(r"(\b[Bb]asic\s+)([A-Za-z0-9+/=]{4,})", replace, value)

    def data(self, value: Any) -> Any:
        """Scrub bytes, text, or the strings inside lists and dicts; anything else unchanged."""
        if isinstance(value, bytes):
            if not self._bytes:
                return value
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                return self._bytes.sub(PLACEHOLDER.encode(), value)
            scrubbed = self.text(text)
            return value if scrubbed == text else scrubbed.encode("utf-8")
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value

    def contains_secret(self, value: str | bytes) -> bool:
        """Whether any encoded form of a secret occurs anywhere (inside words too): the audit's test."""
        if not self._anywhere:
            return False
        raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if self._anywhere.search(raw):
            return True
        parsed = _parse_json(raw)
        return parsed is not None and any(self._anywhere.search(s) for s in _json_strings(parsed))

    def header(self, name: str, value: str) -> str:
        """One header value: credentials by definition replaced whole, others scrubbed by value."""
        lowered = name.lower()
        if lowered in AUTHORIZATION_HEADERS:
            scheme, _, credentials = value.strip().partition(" ")
            return f"{scheme} {PLACEHOLDER}" if credentials else PLACEHOLDER
        if lowered == "cookie":
            return "; ".join(f"{part.partition('=')[0].strip()}={PLACEHOLDER}" if "=" in part else PLACEHOLDER
                             for part in value.split(";") if part.strip())
        if lowered == "set-cookie":
            cookie, _, attributes = value.partition(";")
            named = f"{cookie.partition('=')[0].strip()}={PLACEHOLDER}" if "=" in cookie else PLACEHOLDER
            return named + (";" + self.text(attributes) if attributes else "")
        return self.text(value)

    # vcrpy hooks -------------------------------------------------------------------------------

    def before_record_request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: scrub the URI, body and headers of a (copied) request."""
        for name in list(request.headers):
            request.headers[name] = self.header(name, str(request.headers[name]))
        if not self:
            return request
        request.uri = self.text(request.uri)
        if request.body is not None:
            request.body = self.data(request.body)
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: decode the body (any Content-Encoding spelling), then
        scrub it and every header value."""
        body = response.setdefault("body", {})
        headers = response.setdefault("headers", {})
        _cut_oversized(body, headers)
        encoding_names = [name for name in headers if name.lower() == "content-encoding"]
        encoding = ", ".join(str(v) for name in encoding_names for v in _as_list(headers[name]))
        if codings(encoding) and isinstance(body.get("string"), bytes | str):
            raw = body["string"].encode("utf-8") if isinstance(body["string"], str) else body["string"]
            try:
                body["string"] = decode(raw, encoding)
            except UndecodableBody as exc:
                # Bytes nobody can search for a secret are not kept.
                body["string"] = f"{PLACEHOLDER} (undecodable {encoding} body: {exc})".encode()
            for name in encoding_names:
                del headers[name]
        for name, values in list(headers.items()):
            headers[name] = [self.header(name, str(v)) for v in _as_list(values)]
        if self and "string" in body:
            body["string"] = self.data(body["string"])
        if isinstance(body.get("string"), bytes | str):
            kept = body["string"]
            length = len(kept.encode("utf-8") if isinstance(kept, str) else kept)
            for name in [n for n in headers if n.lower() == "content-length"]:
                headers[name] = [str(length)]  # the body kept, decoded and scrubbed
        return response


# A reply body the transport cut off (more than ``core.interaction.MAX_BODY_BYTES``: unusable as a reply
# anyway) is recorded as its start only, so a target answering 50 MB to every request leaves a
# recording of kilobytes per cassette, not 2 MiB per interaction.
TRUNCATED_HEADER = "x-optout-conformance-truncated"


def _cut_oversized(body: dict[str, Any], headers: dict[str, Any]) -> None:
    kept = body.get("string")
    if isinstance(kept, bytes | str) and len(kept) > MAX_BODY_BYTES:
        body["string"] = kept[:KEPT_OF_TRUNCATED]
        headers[TRUNCATED_HEADER] = [f"body larger than {MAX_BODY_BYTES} bytes; the first "
                                     f"{KEPT_OF_TRUNCATED} recorded"]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _multipart_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """(name, value) of each part of a multipart/form-data body (best effort, never raises)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return []
    boundary = b"--" + match.group(1).encode("latin-1", "replace")
    fields = []
    for part in body.split(boundary):
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, value = part.partition(b"\n\n")
        name = re.search(rb'name="([^"]*)"', head)
        if sep and name:
            fields.append((name.group(1).decode("utf-8", "replace"),
                           value.rstrip(b"\r\n").decode("utf-8", "replace")))
    return fields


def _json_credentials(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in CREDENTIAL_FIELDS and isinstance(item, str | int) and item != "":
                found.add(str(item))
            else:
                _json_credentials(item, found)
    elif isinstance(value, list):
        for item in value:
            _json_credentials(item, found)


_JSON_FIELD = re.compile(r'"((?:[^"\\]|\\.){1,40})"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _json_fields_by_scan(text: str) -> set[str]:
    """Values of credential fields written as ``"name": "value"`` anywhere in the text, found by a
    linear scan (no parse, so nesting depth and broken JSON do not hide them)."""
    found = set()
    for name, value in _JSON_FIELD.findall(text):
        with contextlib.suppress(ValueError):
            if json.loads(f'"{name}"').lower() in CREDENTIAL_FIELDS and value:
                found.add(json.loads(f'"{value}"'))
    return found


def _header_credentials(name: str, value: str, found: set[str]) -> None:
    lowered = name.lower()
    if lowered in AUTHORIZATION_HEADERS:
        scheme, _, credentials = value.strip().partition(" ")
        credentials = credentials.strip() or scheme
        found.add(credentials)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return
            found.add(decoded)
            found.update(part for part in decoded.split(":", 1) if part)
    elif lowered in COOKIE_HEADERS:
        cookie: SimpleCookie = SimpleCookie()
        with contextlib.suppress(Exception):  # http.cookies raises CookieError and others
            cookie.load(value)
        found.update(morsel.value for morsel in cookie.values() if morsel.value)
        if lowered == "cookie":
            found.update(part.partition("=")[2].strip() for part in value.split(";") if "=" in part)
        else:
            found.add(value.partition(";")[0].partition("=")[2].strip())
    elif lowered in CREDENTIAL_HEADERS:
        found.add(value)


def credential_values(
    uri: str, headers: Mapping[str, Any], body: bytes | str | None,
    response_headers: Mapping[str, Any] | None = None,
) -> set[str]:
    """The values of every credential in one exchange: query and form fields (any method),
    nested JSON, multipart parts, credential headers (Authorization Bearer/Basic, Cookie, the API's
    ``access-token``) and cookies a reply sets."""
    found: set[str] = set()
    query = urlsplit(uri).query
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    text = raw.decode("utf-8", "replace")
    for source in (query, text):
        try:
            pairs = parse_qsl(source, keep_blank_values=False)
        except ValueError:
            continue
        found.update(v for k, v in pairs if k.lower() in CREDENTIAL_FIELDS and v)
    _json_credentials(_parse_json(text), found)
    found.update(_json_fields_by_scan(text))  # also in JSON too deep (or too broken) to parse
    content_type = ""
    for name, value in headers.items():
        for item in _as_list(value):
            if name.lower() == "content-type":
                content_type = str(item)
            _header_credentials(name, str(item), found)
    if "multipart/" in content_type.lower():
        parts = _multipart_fields(content_type, raw)
        found.update(v for k, v in parts if k.lower() in CREDENTIAL_FIELDS and v)
    for name, value in (response_headers or {}).items():
        if name.lower() == "set-cookie":
            for item in _as_list(value):
                _header_credentials(name, str(item), found)
    found.discard(PLACEHOLDER)
    found.discard("")
    return found


def audit(directory: Path, scrubber: Scrubber) -> list[Path]:
    """Files under ``directory`` that still hold a secret in any encoded form, anywhere (inside
    words too), including inside the decoded bodies of cassettes (base64 ``!!binary`` data,
    compressed under any Content-Encoding spelling); empty when clean."""
    files = (p for p in sorted(directory.rglob("*")) if p.is_file())
    return [p for p in files if file_leaks(p, scrubber)]


def file_leaks(path: Path, scrubber: Scrubber) -> bool:
    """Whether one file holds a secret (see :func:`audit`)."""
    data = path.read_bytes()
    if scrubber.contains_secret(data):
        return True
    if path.suffix not in (".yaml", ".yml"):
        return False
    from vcr.serializers import yamlserializer

    try:
        cassette = yamlserializer.deserialize(data.decode("utf-8"))
        interactions = cassette["interactions"]
    except Exception:  # not a cassette: its raw bytes were searched above
        return False
    for interaction in interactions if isinstance(interactions, list) else []:
        for part in ("request", "response"):
            record = interaction.get(part) if isinstance(interaction, dict) else None
            if not isinstance(record, dict):
                continue
            body = record.get("body")
            if isinstance(body, dict):
                body = body.get("string")
            if body is not None and hasattr(body, "getvalue"):
                body = body.getvalue()
            if isinstance(body, str):
                body = body.encode("utf-8")
            if not isinstance(body, bytes):
                continue
            headers = record.get("headers") or {}
            encoding = ", ".join(str(v) for name, values in headers.items()
                                 if str(name).lower() == "content-encoding" for v in _as_list(values))
            for candidate in (body, _try_decode(body, encoding), _try_decode(body, "gzip"),
                              _try_decode(body, "deflate")):
                if candidate and scrubber.contains_secret(candidate):
                    return True
    return False


def _try_decode(body: bytes, encoding: str) -> bytes | None:
    try:
        return decode(body, encoding)
    except UndecodableBody:
        return None
