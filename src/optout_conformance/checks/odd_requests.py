"""The odd requests of the robustness checks (``checks/robustness.py``): each API's dialect builds
its list (``odd_requests(ctx)``) from this type, without importing the check module itself."""

from __future__ import annotations

from dataclasses import dataclass, field

LONG_PHONE = "5" * 10_000
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class OddRequest:
    """One unusual request and whether the documents oblige the target to reject it."""

    label: str
    method: str
    path: str  # the spec path the reply is judged against
    query: str = ""  # raw query string (may carry percent-encoded non-UTF-8 bytes)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    negative: bool | None = None
    # Sent without credentials: judged only on serving no data (a status and body no document gives).
    unauthenticated: bool = False
