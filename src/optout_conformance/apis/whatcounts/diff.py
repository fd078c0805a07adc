"""WhatCounts' drift extractors for ``diff``: the reply line is the error (SUCCESS or FAILURE, 002)."""

from __future__ import annotations

from typing import Any


def error_of(body: Any, text: str) -> str | None:
    """The reply line (002: "outputs either a SUCCESS or FAILURE message"), None when empty."""
    return text.strip()[:200] or None
