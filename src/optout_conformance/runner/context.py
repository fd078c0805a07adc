"""The context a check runs in: the core's :class:`CheckContext` with the discrepancy registry
and the specs, which live above the core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optout_conformance.core.context import CheckContext
from optout_conformance.registry import expectation
from optout_conformance.specs import load_spec


@dataclass
class RunContext(CheckContext):
    """The concrete context the runner builds: expectations from the registry, specs from ``specs``."""

    def expect(self, discrepancy_id: str) -> Any:
        """The value the profile in force pins for a registry entry, or None (any variant allowed)."""
        profile = self.profile
        if profile == "auto":
            shown = self.fingerprint.get(discrepancy_id)
            if shown is None:
                return None
            profile = shown
        return expectation(discrepancy_id, profile)

    def spec(self) -> dict[str, Any]:
        return load_spec(self.api, self.spec_profile)
