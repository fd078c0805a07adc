"""The committed recordings (``cassettes/``) replayed offline: every check passes as it did live.

vcrpy runs in record mode ``none`` and every socket connection is refused for the duration, so
these tests need no server and no network (CI without vendor credentials). When a check or the
reference server changes what is sent or answered, regenerate the recordings:
``python -m optout_conformance.cassettes.regenerate`` (see docs/cassettes.md).
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from optout_conformance.cassettes.regenerate import recording_dirs
from optout_conformance.cassettes.replay import Replay, replay
from optout_conformance.cassettes.scenarios import Manifest

ROOT = Path(__file__).resolve().parents[2] / "cassettes"


def _cases() -> list[pytest.param]:
    cases = []
    for api, profile, directory in recording_dirs(ROOT):
        manifest = Manifest.load(directory)
        for check_id in sorted(manifest.checks, key=lambda c: manifest.checks[c]["index"]):
            cases.append(pytest.param(directory, check_id, id=f"{api}-{profile}-{check_id}"))
    return cases


@functools.cache
def replayed(directory: Path) -> Replay:
    """A whole recording replayed once (every check in recorded order), shared by its tests."""
    return replay(directory)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse every outgoing connection: a replay that tried the network would fail loudly."""

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError(f"network access during replay: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield


@pytest.mark.parametrize(("directory", "check_id"), _cases())
def test_check_replayed_from_its_cassette_has_its_live_outcome(directory: Path, check_id: str) -> None:
    outcome = replayed(directory)
    [result] = [r for r in outcome.results if r.id == check_id]
    live = outcome.manifest.checks[check_id]["status"]
    assert not outcome.notes, outcome.notes
    assert result.status == live, f"{result.status}: {result.rule}\n{result.received}"


def test_a_check_replays_on_its_own_without_the_others() -> None:
    directory = ROOT / "convoso" / "official"
    manifest = Manifest.load(directory)
    last = max(manifest.checks, key=lambda c: manifest.checks[c]["index"])
    [result] = replay(directory, [last]).results
    assert result.status == "passed", result.rule


def test_every_targeted_check_has_a_recording() -> None:
    """Fails when a check was added or renamed without re-recording (the command is in the message)."""
    from optout_conformance.cassettes.scenarios import scenario_checks

    for api, _, directory in recording_dirs(ROOT):
        missing = {c.id for c in scenario_checks(api)} - set(Manifest.load(directory).checks)
        assert not missing, (f"not recorded in {directory}: {sorted(missing)}; run "
                             "`python -m optout_conformance.cassettes.regenerate`")


def test_every_committed_recording_was_all_passed_live() -> None:
    for _, _, directory in recording_dirs(ROOT):
        manifest = Manifest.load(directory)
        assert manifest.checks
        assert {c["status"] for c in manifest.checks.values()} == {"passed"}, directory
