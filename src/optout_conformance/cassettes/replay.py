"""Replay a recording offline: the same checks, answered by the cassettes instead of a target.

vcrpy runs in record mode ``none``: a request that is not in the check's cassette raises (with
vcrpy's explanation of the closest recorded requests), which the runner reports as the check's
``error``, never as a pass. No server is started and no packet leaves the process: the base URL
is ``http://replay.invalid`` (a reserved name that never resolves) and matching ignores host and
port.

Credentials in a recording are ``REDACTED``; the replay sends exactly that as the token and the
password, so it matches without knowing any secret. The WhatCounts realm and sender code come
from the manifest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from optout_conformance.cassettes import scenarios
from optout_conformance.cassettes.scrub import PLACEHOLDER, Scrubber
from optout_conformance.checks.registry import load_all
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import CHECKS, CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import CassetteError
from optout_conformance.core.results import CheckResult
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import ApiSession

REPLAY_ORIGIN = "http://replay.invalid"


@dataclass
class Replay:
    """The outcome of replaying (part of) a recording, next to what the recording saw live."""

    manifest: scenarios.Manifest
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def mismatches(self) -> list[str]:
        """Checks whose replayed outcome differs from the live one (empty: replay == live)."""
        lines = []
        for result in self.results:
            live = self.manifest.checks.get(result.id, {}).get("status")
            if result.status != live:
                lines.append(f"{result.id}: live {live}, replayed {result.status}"
                             + (f" ({result.rule})" if result.rule else ""))
        return lines


def _block(entry: dict[str, object]) -> int:
    """The check's phone block (recordings made before blocks were hashed used the index)."""
    return int(str(entry.get("phone_block", entry["index"])))


class ReplayHooks(scenarios.CassetteHooks):
    """The recording's hooks, with the checks in the order asked for (the recorded order)."""

    def order(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        return list(checks)


def replay_session(manifest: scenarios.Manifest, hooks: ReplayHooks) -> ApiSession:
    """A session bound to the replay origin, with the recording's profile, credentials and prefix."""
    credentials = Credentials(token=PLACEHOLDER, realm=manifest.realm, password=PLACEHOLDER,
                              sender_code=manifest.sender_code)
    target = Target(api=manifest.api, base_url=REPLAY_ORIGIN + APIS[manifest.api].base_path)
    return ApiSession(target, credentials, manifest.profile, RunLimits(allow_writes=manifest.writes_allowed),
                      hooks=[hooks], run_prefix=manifest.run_prefix)


def replay(directory: str | Path, check_ids: Iterable[str] | None = None) -> Replay:
    """Replay the recording in ``directory`` (all its checks, or only ``check_ids``) through the
    run loop (``runner.session``), each check under its own cassette as it was recorded."""
    folder = Path(directory)
    manifest = scenarios.Manifest.load(folder)
    load_all()
    in_order = sorted(manifest.checks, key=lambda c: manifest.checks[c]["index"])
    wanted = list(check_ids) if check_ids is not None else in_order
    unknown = [c for c in wanted if c not in manifest.checks]
    if unknown:
        raise CassetteError(f"not in the recording {folder}: {', '.join(unknown)}")
    outcome = Replay(manifest)
    recorder = scenarios.make_vcr(Scrubber(()), "none")
    blocks = {check_id: _block(manifest.checks[check_id]) for check_id in wanted}
    with replay_session(manifest, ReplayHooks(folder, recorder, blocks)) as session:
        error = session.fingerprint()
        outcome.notes = [] if error is None else [error.rule]
        for check_id in wanted:
            spec = CHECKS.get(check_id)
            result = None if spec is None else session.run_check(spec)
            outcome.results.append(result if result is not None else CheckResult(
                id=check_id, api=manifest.api, family="", source="", status="error",
                rule="check no longer registered"))
    return outcome
