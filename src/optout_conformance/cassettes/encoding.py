"""Content codings of recorded bodies, in any spelling a server writes.

``Content-Encoding`` is a comma-separated list of codings, applied in order, case-insensitive
(RFC 9110 §8.4): ``GZIP``, ``gzip, identity``, ``x-gzip``, ``deflate`` (zlib-wrapped, or raw as some
servers send it) and ``br`` (when a Brotli module is installed). vcrpy's
``decode_compressed_response`` decodes only the exact values ``gzip`` and ``deflate``, so a secret
echoed in a ``GZIP`` reply would survive scrubbing; every reader and the scrubber use this module.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any


class UndecodableBody(Exception):
    """A body that its Content-Encoding says is compressed but that does not decompress."""


# Upper bound of a decoded body: a cassette is read whole; a "zip bomb" must not exhaust memory.
MAX_DECODED_BYTES = 64 * 1024 * 1024


def _brotli() -> Callable[[bytes], bytes] | None:
    for name in ("brotli", "brotlicffi"):
        try:
            module: Any = __import__(name)
        except ImportError:
            continue
        return module.decompress
    return None


def _inflate(body: bytes, wbits: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    out = decompressor.decompress(body, MAX_DECODED_BYTES)
    if decompressor.unconsumed_tail:
        raise UndecodableBody(f"decoded body larger than {MAX_DECODED_BYTES} bytes")
    if not decompressor.eof:
        raise UndecodableBody("truncated compressed stream")
    return out


def _gunzip(body: bytes) -> bytes:
    try:
        return _inflate(body, 16 + zlib.MAX_WBITS)
    except zlib.error as exc:
        raise UndecodableBody(f"not gzip data ({exc})") from None


def _deflate(body: bytes) -> bytes:
    try:
        return _inflate(body, zlib.MAX_WBITS)
    except zlib.error:
        try:  # raw deflate, as some servers send for "deflate"
            return _inflate(body, -zlib.MAX_WBITS)
        except zlib.error as exc:
            raise UndecodableBody(f"not deflate data ({exc})") from None


def codings(content_encoding: str | None) -> list[str]:
    """The codings of a Content-Encoding value, lowercase, without ``identity``."""
    if not content_encoding:
        return []
    names = (part.strip().lower() for part in content_encoding.split(","))
    return [name for name in names if name and name != "identity"]


def decode(body: bytes, content_encoding: str | None) -> bytes:
    """The body as the client saw it; UndecodableBody when a coding is unknown or the data bad."""
    for coding in reversed(codings(content_encoding)):
        if not body:
            return body
        if coding in ("gzip", "x-gzip"):
            body = _gunzip(body)
        elif coding == "deflate":
            body = _deflate(body)
        elif coding == "br":
            decompress = _brotli()
            if decompress is None:
                raise UndecodableBody("br (Brotli) coding and no Brotli module installed")
            try:
                body = decompress(body)
            except Exception as exc:  # the Brotli modules raise their own error class
                raise UndecodableBody(f"not Brotli data ({exc})") from None
        else:
            raise UndecodableBody(f"unknown content coding {coding!r}")
    return body
