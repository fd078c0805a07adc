"""The fingerprint probes tell a community reference server from an official one (real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from optout_conformance.checks.fingerprint import describe, detect
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import Credentials, RunContext, Target
from optout_conformance.runner.http import HttpClient

S000 = "000_4120ae5ce1e52dc7.txt"
S001 = "001_5cae901d395a1be8.txt"
# Disputed points a reference server of either profile shows unambiguously.
IDENTIFYING = (
    "convoso.search.limit-default",
    "convoso.search.offset-max",
    "convoso.search.paging-field-types",
    "convoso.record.insert_date-format",
    "convoso.record.global-campaign_name",
    "convoso.error.6058-message",
)


@pytest.fixture(scope="module", params=["community", "official"])
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EmbeddedServer, str]]:
    """A reference server (all three APIs) of one profile, and that profile."""
    db = tmp_path_factory.mktemp("fingerprint") / f"{request.param}.db"
    config = ReferenceConfig(profile=request.param, db=str(db), seed_records=150)
    with EmbeddedServer(create_app(config)) as server:
        yield server, request.param


def probed(server: EmbeddedServer, api: str) -> RunContext:
    config = ReferenceConfig()
    url = server.url(api)
    ctx = RunContext(
        target=Target(api=api, base_url=url, embedded=True, loopback=True),
        credentials=Credentials(
            token=config.token,
            realm=config.realm,
            password=config.password,
            sender_code=config.sender_codes[0],
        ),
        profile="auto",
        http=HttpClient(url, timeout=5.0),
    )
    detect(ctx)
    return ctx


def test_the_fingerprint_identifies_the_server_profile(reference: tuple[EmbeddedServer, str]) -> None:
    server, profile = reference
    ctx = probed(server, "convoso")
    assert {point: ctx.fingerprint.get(point) for point in IDENTIFYING} == dict.fromkeys(IDENTIFYING, profile)
    assert ctx.effective_profile == profile


def test_auto_then_pins_the_variant_the_server_showed(reference: tuple[EmbeddedServer, str]) -> None:
    server, profile = reference
    ctx = probed(server, "convoso")
    assert ctx.expect("convoso.search.limit-default") == {"community": 1000, "official": 100}[profile]
    assert ctx.expect("convoso.search.offset-max") == {"community": 100000, "official": 1000000}[profile]


def test_the_description_names_value_document_and_profile(reference: tuple[EmbeddedServer, str]) -> None:
    server, profile = reference
    lines = describe(probed(server, "convoso"))
    expected = {
        "community": f"limit default: 1000 -> {S000} (community)",
        "official": f"limit default: 100 -> {S001} (official)",
    }[profile]
    assert expected in lines
    assert any(line.startswith("offset max: ") for line in lines)


def test_an_inconclusive_probe_pins_nothing(tmp_path: Path) -> None:
    config = ReferenceConfig(profile="official", db=str(tmp_path / "empty.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = probed(server, "convoso")
    assert "convoso.search.limit-default" not in ctx.fingerprint
    assert ctx.expect("convoso.search.limit-default") is None


@pytest.mark.parametrize(
    ("api", "points"),
    [
        ("whatcounts", {"whatcounts.content-type", "whatcounts.failure-http-status"}),
        ("avaamo", {"avaamo.path.json-suffix", "avaamo.query.per-page-above-max"}),
    ],
)
def test_whatcounts_and_avaamo_probes_observe_without_pinning(
    reference: tuple[EmbeddedServer, str], api: str, points: set[str]
) -> None:
    server, _ = reference
    ctx = probed(server, api)
    assert points <= {o.discrepancy_id for o in ctx.observations}
    assert ctx.fingerprint == {}
