"""How a check reports: ``CheckFailed``, ``CheckInconclusive`` and ``CheckSkipped``.

The runner turns them into results. A failure message follows Schemathesis' style:
"Received … / Documented … (source)".
"""

from __future__ import annotations

from optout_conformance.core.interaction import Exchange


class CheckFailed(AssertionError):
    """A documented rule was broken."""

    def __init__(
        self,
        rule: str,
        *,
        received: str,
        documented: str,
        source: str,
        exchange: Exchange | None = None,
    ) -> None:
        self.rule = rule
        self.received = received
        self.documented = documented
        self.source = source
        self.exchange = exchange
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.rule}\n  Received: {self.received}\n  Documented: {self.documented} ({self.source})"


class CheckSkipped(Exception):
    """The check could not run on this target; the reason is reported (never counted as a pass)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CheckInconclusive(Exception):
    """The check ran but did not see the evidence its rule needs (no matching records, no page
    fuller than the bound, no SUCCESS to judge, ...): neither a pass nor a failure. The reason says
    what was missing; ``--strict`` makes an inconclusive check fail the gate."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
