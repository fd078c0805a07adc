"""``record``: run an API's scenario set against a target through vcrpy and save scrubbed cassettes.

Without a target the embedded reference server is started on 127.0.0.1 (vcrpy records real HTTP
only, not in-process ASGI calls) with a fresh database, deterministic seed data and a fixed clock,
so that recording twice gives the same requests and the same replies (apart from Avaamo's
``time_token``, which is the time of the reply).

Every credential value is scrubbed (see ``scrub``); after writing, every file under the output
directory is searched for each secret (``scrub.audit``: raw, percent-encoded, JSON-escaped, base64,
inside decoded and decompressed bodies), and the recording fails if one is found.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from optout_conformance.cassettes import scenarios
from optout_conformance.cassettes.scrub import Scrubber, audit
from optout_conformance.core.apis import APIS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import CassetteError
from optout_conformance.core.results import CheckResult
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import ApiSession
from optout_conformance.runner.targets import (
    EMBEDDED_SEED_RECORDS,
    check_reachable,
    embedded_credentials,
    is_loopback,
    server_profile,
)

# The date of 000's examples ("Last Updated: 2026-03-03"): the embedded server's clock when recording.
RECORDING_CLOCK = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)


def recording_clock() -> datetime:
    return RECORDING_CLOCK


@dataclass
class Recording:
    """What one ``record`` produced: the directory, its manifest and each check's live outcome."""

    directory: Path
    manifest: scenarios.Manifest
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return f"recorded {len(self.results)} check(s) of {self.manifest.api} into {self.directory}: {parts}"


@contextmanager
def embedded_reference(server_profile: str) -> Iterator[str]:
    """The reference server on 127.0.0.1 with deterministic data; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="optout-recording-") as directory:
        config = ReferenceConfig(profile=server_profile, seed_records=EMBEDDED_SEED_RECORDS,
                                 db=str(Path(directory) / "reference.sqlite3"), now=recording_clock)
        with EmbeddedServer(create_app(config), host="127.0.0.1", port=0) as server:
            yield server.base_url


def _clear(directory: Path, api: str) -> None:
    """Remove the cassettes a previous recording of this API left (vcrpy would append to them)."""
    for path in directory.glob("*.yaml"):
        if path.name == scenarios.FINGERPRINT_CASSETTE or path.name.startswith(f"{api}."):
            path.unlink()


def record(
    api: str,
    out: str | Path,
    *,
    target: str | None = None,
    credentials: Credentials | None = None,
    profile: str = "community",
    allow_writes: bool = False,
    timeout: float = 10.0,
    progress: Callable[[CheckResult], None] | None = None,
) -> Recording:
    """Record ``api``'s scenario set into ``out`` (one cassette per check plus ``recording.json``)."""
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    if target is None:
        with embedded_reference(server_profile(profile)) as base_url:
            return _record(api, directory, base_url + APIS[api].base_path, embedded_credentials(), profile,
                           embedded=True, allow_writes=True, timeout=timeout, progress=progress,
                           server=server_profile(profile))
    check_reachable(target)
    return _record(api, directory, target, credentials or Credentials(), profile, embedded=False,
                   allow_writes=allow_writes or is_loopback(target), timeout=timeout, progress=progress,
                   server=None)


def _record(api: str, directory: Path, base_url: str, credentials: Credentials, profile: str, *,
            embedded: bool, allow_writes: bool, timeout: float,
            progress: Callable[[CheckResult], None] | None, server: str | None) -> Recording:
    scrubber = Scrubber(credentials.secrets())
    target = Target(api=api, base_url=base_url, embedded=embedded, loopback=is_loopback(base_url))
    checks = scenarios.scenario_checks(api)
    blocks = scenarios.phone_blocks([c.id for c in checks])
    recorder = scenarios.make_vcr(scrubber, "all")
    hooks = scenarios.CassetteHooks(directory, recorder, blocks, progress)
    with ApiSession(target, credentials, profile, RunLimits(allow_writes=allow_writes, timeout=timeout),
                    hooks=[hooks], run_prefix=scenarios.RECORDING_PREFIX) as session:
        ctx = session.ctx
        manifest = scenarios.Manifest(
            api=api, profile=profile, server_profile=server,
            target=f"embedded reference server ({server})" if embedded else scrubber.text(base_url),
            run_prefix=ctx.run_prefix, realm=credentials.realm, sender_code=credentials.sender_code,
            writes_allowed=ctx.writes_allowed,
        )
        recording = Recording(directory, manifest)
        _clear(directory, api)
        error = session.fingerprint()
        recording.notes = [] if error is None else [error.rule]
        manifest.fingerprint = dict(ctx.fingerprint)
        result = session.run(checks, in_order=True)
        recording.results = [r for r in result.checks if r.id in blocks]
        for index, spec in enumerate(session.ordered(checks), start=1):
            outcome = next(r for r in recording.results if r.id == spec.id)
            manifest.checks[spec.id] = {"index": index, "phone_block": blocks[spec.id],
                                        "status": outcome.status, "rule": scrubber.text(outcome.rule or "")}
    manifest.save(directory)
    leaks = audit(directory, scrubber)
    if leaks:
        for path in leaks:
            path.unlink()
        raise CassetteError(f"a credential survived scrubbing in {len(leaks)} file(s) (deleted): "
                            + ", ".join(p.name for p in leaks))
    return recording
