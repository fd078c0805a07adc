"""What a reply says, in neutral terms: the one reading every judge of replies shares.

A :class:`Reading` is the kind of a reply (``success``, ``rejection``, ``error``: a server failure,
``unreadable``: not in the API's documented form), and the error code and message it carries.
The HTTP part is common (:func:`http_reading`); what a 2xx body means is each API's dialect
(``apis/<name>/dialect.py``: ``read(status, content_type, text, body) -> Reading``), reached
through ``checks.judgement.read_reply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from optout_conformance.core.interaction import parse_json_bounded

SUCCESS = "success"
REJECTION = "rejection"
ERROR = "error"
UNREADABLE = "unreadable"
KINDS = (SUCCESS, REJECTION, ERROR, UNREADABLE)


@dataclass(frozen=True)
class Reading:
    """What one reply says: its kind, where it refused (``http`` status or ``body``), code, message."""

    kind: str
    code: int | None = None
    message: str | None = None
    level: str = "body"  # "http" | "body"

    @property
    def refused(self) -> bool:
        """A rejection or a server failure: the request was not served."""
        return self.kind in (REJECTION, ERROR)


def as_int(value: Any) -> int | None:
    """An integer or the decimal string of one (documented for paging fields; error codes come
    either way too), else None. The one parser of such values for checks and the validator."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


def code_and_message(body: Any) -> tuple[int | None, str | None]:
    """The ``code`` and the ``message`` (else ``error``) text of a JSON object body."""
    if not isinstance(body, dict):
        return None, None
    text = body.get("message", body.get("error"))
    return as_int(body.get("code")), text if isinstance(text, str) else None


def http_reading(status: int, body: Any) -> Reading | None:
    """The reading an HTTP error status gives on its own (5xx error, 4xx rejection), else None."""
    if status < 400:
        return None
    code, message = code_and_message(body)
    return Reading(ERROR if status >= 500 else REJECTION, code, message, "http")


def json_or_none(text: str) -> Any:
    """The JSON value of ``text`` (depth-limited: no RecursionError on hostile JSON), else None."""
    try:
        return parse_json_bounded(text)
    except ValueError:
        return None


def read_with(dialect: Any, status: int, content_type: str, text: str) -> Reading:
    """What a reply says: its HTTP status first, then ``dialect.read`` (no dialect: unreadable)."""
    body = json_or_none(text)
    by_status = http_reading(status, body)
    if by_status is not None:
        return by_status
    if dialect is None:
        return Reading(UNREADABLE)
    reading: Reading = dialect.read(status, content_type, text, body)
    return reading
