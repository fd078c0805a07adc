"""Credential scrubbing for recorded traffic, and redaction for anything printed about it.

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
for POST only and reads a body as JSON only for the exact ``application/json`` type; here every
method, body and content type is scrubbed by value, in any mix of raw and percent-encoded
characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PLACEHOLDER = "REDACTED"
# Reports about cassettes we did not record (validate, diff) hide credential values found in them
# wherever they appear; values this short would blank out ordinary words of the report, and no
# real token or password is that short, so those are hidden only where a field shows them.
REPORT_MIN_SECRET_LENGTH = 4

# Credential fields: form/query field names (Convoso, WhatCounts) and header names (Avaamo).
CREDENTIAL_FIELDS = frozenset({"auth_token", "p", "pwd", "password"})
CREDENTIAL_HEADERS = frozenset({"access-token", "authorization"})


def _pattern(secret: str) -> str:
    """A regex matching the secret in any mix of raw and percent-encoded characters.

    Clients encode unevenly: a check that builds a query string by hand may leave ``&`` raw and
    let httpx encode a space as ``%20``; a form encoder writes a space as ``+``. Each character of
    the secret may therefore appear raw, as its UTF-8 bytes percent-encoded (either case), or
    (a space) as ``+``. The JSON-escaped spelling (quotes, backslashes, non-ASCII) is one more
    alternative of the whole secret.
    """
    parts = []
    for char in secret:
        encoded = "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        options = [re.escape(char), f"(?i:{re.escape(encoded)})"] + ([r"\+"] if char == " " else [])
        parts.append("(?:" + "|".join(options) + ")")
    escaped = json.dumps(secret)[1:-1]
    whole = "".join(parts)
    return whole if escaped == secret else f"(?:{whole}|{re.escape(escaped)})"


class Scrubber:
    """Replaces known secret values with ``REDACTED`` in text, bytes and vcrpy records."""

    def __init__(self, secrets: Iterable[str | None], *, min_length: int = 1) -> None:
        values = {s for s in secrets if s and s != PLACEHOLDER and len(s) >= min_length}
        self.secrets = tuple(sorted(values, key=len, reverse=True))
        patterns = [_pattern(secret) for secret in self.secrets]
        self._text = re.compile("|".join(patterns)) if patterns else None
        self._bytes = re.compile("|".join(patterns).encode("utf-8")) if patterns else None

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, value: str) -> str:
        return self._text.sub(PLACEHOLDER, value) if self._text else value

    def data(self, value: Any) -> Any:
        """Scrub bytes, text, or the strings inside lists and dicts; anything else unchanged."""
        if isinstance(value, bytes):
            return self._bytes.sub(PLACEHOLDER.encode(), value) if self._bytes else value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value

    def contains_secret(self, value: str | bytes) -> bool:
        raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        return bool(self._text and self._text.search(raw))

    # vcrpy hooks -------------------------------------------------------------------------------

    def before_record_request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: scrub the URI, body and headers of a (copied) request."""
        if not self:
            return request
        request.uri = self.text(request.uri)
        if request.body is not None:
            request.body = self.data(request.body)
        for name in list(request.headers):
            request.headers[name] = self.text(str(request.headers[name]))
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: scrub the body and header values of a response."""
        if not self:
            return response
        body = response.get("body", {})
        if "string" in body:
            body["string"] = self.data(body["string"])
        headers = response.get("headers", {})
        for name, values in list(headers.items()):
            headers[name] = self.data(values)
        return response


def credential_values(
    uri: str, headers: Mapping[str, Any], body: bytes | str | None
) -> set[str]:
    """The values of every credential field in one request (query, form body, headers)."""
    found: set[str] = set()
    query = urlsplit(uri).query
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    for source in (query, text):
        try:
            pairs = parse_qsl(source, keep_blank_values=False)
        except ValueError:
            continue
        found.update(v for k, v in pairs if k.lower() in CREDENTIAL_FIELDS and v)
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            found.update(str(v) for k, v in parsed.items() if k.lower() in CREDENTIAL_FIELDS and v)
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS:
            values = value if isinstance(value, list) else [value]
            found.update(str(v) for v in values if v)
    found.discard(PLACEHOLDER)
    return found
