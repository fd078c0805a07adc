"""Avaamo's part of the request rules (seed 003).

What a client must not send: anything but GET, a query parameter the operation does not declare,
and what the spec documents (the ``access-token`` header, types, the stated bound per_page <= 100,
status/current_status opt-in|opt-out); page 0 or per_page 0 is a note (003 gives no minimum).
What a server must refuse: the spec alone,
except that a page beyond the first may lie past the last one, which 003 says nothing about
(registry ``avaamo.query.page-past-end``: an empty page or an error), so its refusal is not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optout_conformance.checks.request_rules import (
    CLIENT_MUST_NOT_SEND,
    VIOLATION,
    Finding,
    Request,
    operation_fields,
    schema_findings,
)

SOURCE = "003_725be0800b974dd2.txt"


def client_findings(spec: dict[str, Any], request: Request, *, sent: Request | None = None) -> list[Finding]:
    """Avaamo: GET (on ``sent``, the request as sent), access-token header, documented query
    parameters with their types and bounds (on ``request``: every argument, wherever sent)."""
    method = (sent if sent is not None else request).method.upper()
    findings = []
    if method != "GET":
        findings.append(Finding("request", VIOLATION, f"method {method}; the operation is GET", SOURCE))
    findings += schema_findings("avaamo", spec, request, CLIENT_MUST_NOT_SEND)
    known = operation_fields(spec, "get", request.path) or set()
    unknown = sorted(set(request.query) - known)
    if unknown:
        findings.append(Finding("request", VIOLATION,
                                f"undocumented query parameter(s): {', '.join(unknown)}", SOURCE,
                                tuple(unknown)))
    return findings


def server_undecided(path: str, sent: Mapping[str, list[str]]) -> bool:
    """A page beyond the first may lie past the end (``avaamo.query.page-past-end``): not judged."""
    return any(p.strip().isdigit() and int(p) > 1 for p in sent.get("page", []))
