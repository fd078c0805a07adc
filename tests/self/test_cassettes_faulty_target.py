"""A recording of a faulty server fails `validate` and differs from the reference's in `diff`."""

from __future__ import annotations

from pathlib import Path

from optout_conformance.cassettes.diff import diff_paths
from optout_conformance.cassettes.record import record
from optout_conformance.cassettes.validate import validate_paths
from optout_conformance.core.context import Credentials
from optout_conformance.faults.catalog import build_app
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

CREDENTIALS = Credentials(token="reference-token")
CHECK = "convoso.shapes.search_replies_conform_to_the_spec"


def record_search_shapes(app: object, out: Path) -> Path:
    with EmbeddedServer(app) as server:  # type: ignore[arg-type]
        recording = record("convoso", out, target=server.url("convoso"), credentials=CREDENTIALS)
    assert recording.results, "nothing was recorded"
    return out / f"{CHECK}.yaml"


def test_a_faulty_servers_recording_fails_validate_and_differs_from_the_reference(tmp_path: Path) -> None:
    config = ReferenceConfig(seed_records=150)
    good = record_search_shapes(create_app(config), tmp_path / "reference")
    bad = record_search_shapes(build_app("convoso-record-id-as-integer", config), tmp_path / "faulty")

    assert validate_paths([good], "community", requests=False).violations == 0
    faulty = validate_paths([bad], "community", requests=False)
    assert faulty.violations > 0

    drift = diff_paths(good, bad)
    assert drift.exit_code == 1
    assert "$.records[].id: string -> integer" in drift.render()
