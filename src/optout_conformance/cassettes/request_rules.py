"""What a client's request must look like, per the documents: the rules ``validate`` and ``proxy`` apply.

A thin user of the one request-rule engine (``checks/request_rules.py``) with its
``CLIENT_MUST_NOT_SEND`` policy. A :class:`Finding` is either a ``violation`` (a document states
the rule) or a ``note`` (the spec's constraint is a reference choice or a disputed point: reported,
never failing). Each API's own rules (form encoding, aliases, numeric fields, ...) are in its
``apis/<name>/request_policy.py``; an API without one is held to its spec alone.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.checks.request_rules import (
    CLIENT_MUST_NOT_SEND,
    NOTE,
    VIOLATION,
    Finding,
    Request,
    judge,
    source_of,
)
from optout_conformance.core.apis import APIS

__all__ = ["NOTE", "SOURCES", "VIOLATION", "Finding", "request_findings", "source_of"]

# API name -> the documents its findings cite.
SOURCES = {name: source_of(name) for name in APIS}


def request_findings(api: str, spec: dict[str, Any], method: str, spec_path: str, *,
                     query: dict[str, list[str]], headers: dict[str, str], content_type: str,
                     body: bytes) -> list[Finding]:
    """Every finding about one request as it went over the wire (header names lowercase)."""
    request = Request(method.upper(), spec_path, query, headers, content_type, body)
    return list(judge(api, spec, request, CLIENT_MUST_NOT_SEND).findings)
