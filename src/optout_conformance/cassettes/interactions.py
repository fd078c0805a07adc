"""Reading vcrpy cassettes (any recorder's) into plain interactions, and naming their operation.

A vcrpy cassette is YAML ``{version: 1, interactions: [{request: {method, uri, body, headers},
response: {status: {code, message}, headers, body: {string}}}]}``; bodies are text, or bytes
(``!!binary``), or ``null``. Header values are lists. This module reads that format without
vcrpy's patching machinery, so ``validate`` and ``diff`` work on cassettes from other tools
(pytest-recording, vcrpy in another project) as long as the traffic is to one of the three APIs.

The API and operation of a request are recognised by path suffix (the host and the base path of a
deployment vary): ``/sms-opt-out/search|insert|update`` (Convoso), ``/api_web`` (WhatCounts),
``/sms/opt-status`` and ``/sms/opt-status.json`` (Avaamo).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from vcr.serializers import yamlserializer

from optout_conformance.cassettes.encoding import UndecodableBody, decode
from optout_conformance.cassettes.scrub import credential_values
from optout_conformance.core.apis import APIS
from optout_conformance.core.errors import CassetteError
from optout_conformance.core.interaction import Interaction as NeutralInteraction
from optout_conformance.core.interaction import parse_json_bounded

CASSETTE_SUFFIXES = (".yaml", ".yml")

# (path suffix, api, spec path template) from every API definition's ``operations``; longest
# suffixes first.
OPERATIONS: tuple[tuple[str, str, str], ...] = tuple(sorted(
    ((suffix, name, spec_path) for name, definition in APIS.items()
     for suffix, spec_path in definition.operations),
    key=lambda operation: -len(operation[0]),
))


def identify(path: str) -> tuple[str, str] | None:
    """(api, spec path) for a request path, by suffix; None when it is none of the three APIs."""
    trimmed = path.rstrip("/")
    for suffix, api, spec_path in OPERATIONS:
        if trimmed.endswith(suffix):
            return api, spec_path
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _headers(raw: Any) -> dict[str, str]:
    """Lowercase header name -> last value (vcrpy stores each header as a list)."""
    headers: dict[str, str] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, list):
                value = value[-1] if value else ""
            headers[str(name).lower()] = _text(value)
    return headers


def _all_values(raw: Any, wanted: str) -> str:
    """Every value of one header (a list in vcrpy's format), joined with ", " as HTTP allows."""
    values: list[str] = []
    if isinstance(raw, dict):
        for name, value in raw.items():
            if str(name).lower() == wanted:
                values += [_text(v) for v in (value if isinstance(value, list) else [value])]
    return ", ".join(values)


def _header_lists(raw: Any) -> dict[str, list[str]]:
    """Lowercase header name -> every value."""
    headers: dict[str, list[str]] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            values = value if isinstance(value, list) else [value]
            headers.setdefault(str(name).lower(), []).extend(_text(v) for v in values)
    return headers


def item_credentials(item: Interaction) -> set[str]:
    return item.credentials()


def _decoded(body: bytes, encoding: str, where: str) -> bytes:
    """A response body as the client saw it (cassettes may keep the compressed bytes, under any
    spelling of Content-Encoding). A body that is text although the header names a coding was
    stored decoded (some recorders leave the header); compressed bytes that do not decode (a
    truncated gzip stream) make the cassette unreadable."""
    try:
        return decode(body, encoding)
    except UndecodableBody as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise CassetteError(f"cannot read cassette {where}: body is {encoding} but {exc}") from None
        return body


@dataclass
class Interaction:
    """One recorded request and its response, with text bodies and lowercase header names."""

    cassette: str
    index: int
    method: str
    uri: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    api: str | None = None
    spec_path: str | None = None
    query: dict[str, list[str]] = field(default_factory=dict)
    # every value of every header (a cassette may hold a header more than once: Set-Cookie)
    request_header_lists: dict[str, list[str]] = field(default_factory=dict)
    response_header_lists: dict[str, list[str]] = field(default_factory=dict)

    def credentials(self) -> set[str]:
        """Every credential value of this interaction (see ``scrub.credential_values``)."""
        return credential_values(self.uri, self.request_header_lists or self.request_headers,
                                 self.request_body, self.response_header_lists or self.response_headers)

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def label(self) -> str:
        return f"{self.cassette} #{self.index + 1} {self.method} {self.path}"

    @property
    def request_content_type(self) -> str:
        return self.request_headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.response_body.decode("utf-8", "replace")

    def form(self) -> dict[str, list[str]]:
        """The request body read as a form (empty when it is not form-encoded text)."""
        try:
            return parse_qs(self.request_body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return {}

    def arguments(self) -> dict[str, list[str]]:
        """Query-string and form-body arguments together (WhatCounts accepts both on POST)."""
        merged = {k: list(v) for k, v in self.query.items()}
        if self.request_content_type in ("application/x-www-form-urlencoded", ""):
            for name, values in self.form().items():
                merged.setdefault(name, []).extend(values)
        return merged

    def interaction(self) -> NeutralInteraction:
        """The request and reply as a judgement rule reads them (``core.interaction.Interaction``)."""
        return NeutralInteraction(
            method=self.method.upper(),
            url=self.uri,
            status=self.status,
            content_type=self.content_type,
            text=self.text,
            request_headers=dict(self.request_headers),
            request_body=self.request_body.decode("utf-8", "replace"),
        )

    def json(self) -> Any:
        """The response body parsed as JSON, or None when it is not JSON."""
        try:
            return parse_json_bounded(self.response_body)  # depth-limited: never a RecursionError
        except ValueError:
            return None


def _body_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if hasattr(value, "getvalue"):  # a BytesIO request body
        return bytes(value.getvalue())
    if isinstance(value, dict) and "string" in value:  # response body
        return _body_bytes(value["string"])
    return str(value).encode("utf-8")


def load_cassette(path: str | Path) -> list[Interaction]:
    """Every interaction of a vcrpy cassette file; CassetteError when it cannot be read as one."""
    file = Path(path)
    try:
        # vcrpy's own safe loader: it also reads the few Python tags vcrpy writes (tuples, BytesIO).
        data = yamlserializer.deserialize(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CassetteError(f"cassette not found: {file}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CassetteError(f"cannot read cassette {file}: {reason}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(
            f"not a vcrpy cassette: {file}",
            hint="a vcrpy cassette is YAML with a top-level 'interactions' list",
        )
    interactions: list[Interaction] = []
    for index, raw in enumerate(data["interactions"]):
        try:
            request, response = raw["request"], raw["response"]
            status = response["status"]
            code = int(status["code"] if isinstance(status, dict) else status)
            response_headers = _headers(response.get("headers"))
            encoding = _all_values(response.get("headers"), "content-encoding")
            body = _decoded(_body_bytes(response.get("body")), encoding, f"{file} interaction {index + 1}")
            uri = str(request["uri"])
            item = Interaction(
                cassette=str(file),
                index=index,
                method=str(request["method"]).upper(),
                uri=uri,
                request_headers=_headers(request.get("headers")),
                request_body=_body_bytes(request.get("body")),
                status=code,
                response_headers=response_headers,
                response_body=body,
                query=parse_qs(urlsplit(uri).query, keep_blank_values=True),
                request_header_lists=_header_lists(request.get("headers")),
                response_header_lists=_header_lists(response.get("headers")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"cassette {file}: interaction {index + 1} is malformed ({exc})") from None
        found = identify(item.path)
        if found:
            item.api, item.spec_path = found
        interactions.append(item)
    return interactions


def cassette_files(paths: Iterable[str | Path]) -> list[Path]:
    """The cassette files named, directories expanded (recursively, sorted); missing -> CassetteError."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in CASSETTE_SUFFIXES and p.is_file())
        elif path.exists():
            files.append(path)
        else:
            raise CassetteError(f"cassette not found: {path}")
    return files


def cassette_files_or_fail(paths: Iterable[str | Path]) -> list[Path]:
    """:func:`cassette_files`, and a CassetteError when they name no cassette at all."""
    names = list(paths)
    files = cassette_files(names)
    if not files:
        shown = ", ".join(map(str, names))
        raise CassetteError(f"nothing to validate: no cassette (*.yaml, *.yml) in {shown}")
    return files
