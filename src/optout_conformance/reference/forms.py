"""Reading request bodies safely: bounded in size, strict in encoding, never an exception leak.

Every service reads its form fields through ``read_form``, which turns the ways a body can be bad
into two exceptions the services answer in their own API's style.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
SIGNED_DECIMAL = re.compile(r"-?[0-9]+")
UNSIGNED_DECIMAL = re.compile(r"[0-9]+")
# Every bound the APIs have is far below this; it still fits SQLite's 64-bit integers.
HUGE = 10**18
# Enough for any real form; stops a body of a million "&" from costing a million dict entries.
MAX_FIELDS = 1000


class BodyTooLarge(Exception):
    """The request body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large (limit {limit} bytes)")
        self.limit = limit


class BodyUndecodable(Exception):
    """The request body cannot be read as a form (bad UTF-8, bad percent-encoding, bad multipart)."""


def decimal(value: str, *, signed: bool = False) -> int | None:
    """The integer a decimal string spells, or None when it is not one.

    Magnitudes beyond 10**18 are reported as +/-10**18 (above every bound, inside SQLite's
    64-bit integers, and never fed to int() on thousands of digits, which Python refuses).
    """
    pattern = SIGNED_DECIMAL if signed else UNSIGNED_DECIMAL
    if not pattern.fullmatch(value):
        return None
    digits = value.lstrip("-").lstrip("0")
    if len(digits) > 18:
        return -HUGE if value.startswith("-") else HUGE
    return int(value)


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower-cased ('' when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refusing (BodyTooLarge) as soon as it exceeds ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """Fields of a form-urlencoded body (first value wins); BodyUndecodable on bad UTF-8."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyUndecodable(f"Request body is not a valid UTF-8 form: {exc.__class__.__name__}") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


async def parse_multipart(request: Request, body: bytes) -> dict[str, str]:
    """Text fields of a multipart body (files are ignored); BodyUndecodable when malformed."""
    sent = False

    async def replay() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {key: value for key, value in request.scope.items() if key != "app"}
    copy = Request(scope, replay)
    try:
        form = await copy.form(max_fields=MAX_FIELDS, max_files=MAX_FIELDS)
        fields: dict[str, str] = {}
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                fields.setdefault(key, value)
        await form.close()
    except Exception as exc:  # python-multipart raises several types for malformed bodies
        raise BodyUndecodable(f"Request body is not a valid multipart form: {exc}") from None
    return fields


async def read_form(request: Request, max_bytes: int) -> dict[str, str]:
    """The form fields of a request body.

    ``application/x-www-form-urlencoded`` and ``multipart/form-data`` are parsed; a body of any
    other content type (JSON, text, none) carries no form fields, as for a PHP endpoint, so the
    request is judged as if those fields were missing.
    """
    body = await read_body(request, max_bytes)
    kind = media_type(request)
    if not body:
        return {}
    if kind == FORM_URLENCODED:
        return parse_urlencoded(body)
    if kind == MULTIPART:
        return await parse_multipart(request, body)
    return {}
