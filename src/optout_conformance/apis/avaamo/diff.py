"""Avaamo's drift extractors for ``diff``: the echoed per_page and the created_at type of entries."""

from __future__ import annotations

from typing import Any

from optout_conformance.checks.fingerprint import json_type

# The page-size field a reply echoes (its value for a request that sent none is the default).
PAGE_SIZE_FIELD = "per_page"


def fingerprint(body: Any, text: str) -> dict[str, str]:
    """Registry id -> the variant a page of entries shows."""
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        return {}
    kinds = sorted({json_type(e.get("created_at")) for e in body["entries"] if isinstance(e, dict)})
    return {"avaamo.entry.created_at-type": " | ".join(kinds)} if kinds else {}
