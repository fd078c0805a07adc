"""What a check gets: the target, credentials, profile, HTTP client, expectations, observations."""

from __future__ import annotations

import itertools
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from optout_conformance.core.apis import APIS
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckSkipped

# ``auto`` on a target that follows 000 on some disputed points and 001 on others.
MIXED = "mixed"


@dataclass(frozen=True)
class Credentials:
    """Credentials for the three APIs; any may be None when its API is not checked."""

    token: str | None = None
    realm: str | None = None
    password: str | None = None
    sender_code: str | None = None

    def secrets(self) -> dict[str, str]:
        """secret value -> environment variable a curl command should show instead: the value of
        every credential field an API definition marks secret (``CredentialField.secret``; the
        token and the password of the built-in APIs), whichever API it belongs to."""
        pairs: dict[str, str] = {}
        for definition in APIS.values():
            for item in getattr(definition, "credential_fields", ()):
                value = getattr(self, item.key, None)
                if item.secret and isinstance(value, str) and value:
                    pairs.setdefault(value, f"${item.env}")
        return pairs


@dataclass(frozen=True)
class Target:
    """One API's base URL (as in the spec's servers: …/v1, …/bin, …/api/v2)."""

    api: str
    base_url: str
    embedded: bool = False
    loopback: bool = False


@dataclass
class Observation:
    """What a target did on a disputed or unspecified point; reported, never failed."""

    discrepancy_id: str
    observed: Any
    follows: str | None = None  # seed file name (or profile name) the behaviour matches
    check_id: str | None = None


@dataclass
class CheckContext:
    """Everything a check needs about the run in progress: the contract a check sees.

    :meth:`expect` and :meth:`spec` read the discrepancy registry and the specs, which live above
    the core; the concrete context (``optout_conformance.runner.context.RunContext``) supplies
    them."""

    target: Target
    credentials: Credentials
    profile: str  # community | official | lenient | auto
    http: HttpClient
    allow_writes: bool = False
    run_prefix: str = field(default_factory=lambda: "oc-" + uuid.uuid4().hex[:8])
    # auto profile: discrepancy id -> the profile ("community"/"official") the target showed.
    fingerprint: dict[str, str] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    current_check: str | None = None
    # Property-phase budget (None: the phase's own default) and seed (None: derandomized).
    max_examples: int | None = None
    seed: int | None = None
    fast: bool = False
    # Lines about the run itself for the report (what was not exercised and why); not observations.
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Per-context so a recording made with a fixed run_prefix replays byte-identical requests.
    _phones: itertools.count = field(default_factory=itertools.count, repr=False)

    @property
    def api(self) -> str:
        return self.target.api

    @property
    def effective_profile(self) -> str:
        """What the profile in force resolved to. ``auto`` resolves to what the target showed:
        "community" or "official" when every pinned point shows the same document, "mixed" when
        it follows 000 on some disputed points and 001 on others, "lenient" when nothing was
        pinned. Under "mixed" each point is still held to what the target showed on it
        (:meth:`expect`), and the spec is the lenient one (:meth:`spec`)."""
        if self.profile != "auto":
            return self.profile
        shown = set(self.fingerprint.values())
        if len(shown) > 1:
            return MIXED
        return shown.pop() if shown else "lenient"

    @property
    def spec_profile(self) -> str:
        """The profile whose narrowed spec applies: the effective one, except that a mixed target
        is checked against the lenient spec (either document's variant allowed), since no one
        document's narrowed spec describes it; its per-point pins are enforced by ``expect``."""
        effective = self.effective_profile
        return "lenient" if effective == MIXED else effective

    def expect(self, discrepancy_id: str) -> Any:
        """The value the profile in force pins for a registry entry, or None (any variant allowed).
        The discrepancy registry lives above the core: the runner's context supplies it."""
        raise NotImplementedError

    def observe(self, discrepancy_id: str, observed: Any, follows: str | None = None) -> None:
        with self._lock:
            self.observations.append(
                Observation(discrepancy_id, observed, follows, check_id=self.current_check)
            )

    def note(self, text: str) -> None:
        """Add a line about the run itself (not about the target) to the report's notes."""
        with self._lock:
            self.notes.append(text)

    def spec(self) -> dict[str, Any]:
        """The spec of this API narrowed to :attr:`spec_profile` (supplied by the runner's context)."""
        raise NotImplementedError

    def fictional_phone(self) -> str:
        """A fictional 10-digit US number, NPA-555-01XX (555-0100..0199 are reserved for fiction).

        The area code comes from the run prefix and a counter, so numbers are unique within a run
        and differ between runs against the same long-lived server.
        """
        with self._lock:
            n = next(self._phones)
        area = 200 + (zlib.crc32(self.run_prefix.encode()) + n // 100) % 800
        return f"{area}55501{n % 100:02d}"

    @property
    def writes_allowed(self) -> bool:
        return self.allow_writes or self.target.embedded or self.target.loopback

    def require_writes(self) -> None:
        if not self.writes_allowed:
            raise CheckSkipped("writes are not allowed on this target (pass --allow-writes)")
