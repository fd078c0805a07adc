"""The fingerprint probes tell a community reference server from an official one (real HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from optout_conformance.checks.fingerprint import detect
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.targets import EMBEDDED_SEED_RECORDS

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
    # As many records as the embedded run seeds: the limit default is seen on a full 1000 page.
    config = ReferenceConfig(profile=request.param, db=str(db), seed_records=EMBEDDED_SEED_RECORDS)
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


def _serve_convoso(answer: Callable[[dict[str, str]], Response]) -> AbstractContextManager[str]:
    """A loopback Convoso stand-in whose every search reply is ``answer(form)``; yields /v1's URL."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    from optout_conformance.reference.server import EmbeddedServer

    async def search(request: Request) -> Response:
        form = await request.form()
        return answer({k: str(v) for k, v in form.items()})

    app = Starlette(routes=[Route("/v1/sms-opt-out/search", search, methods=["POST"])])

    @contextmanager
    def served() -> Iterator[str]:
        with EmbeddedServer(app, host="127.0.0.1", port=0) as server:
            yield server.base_url + "/v1"

    return served()


def _probe(url: str) -> tuple[RunContext, object]:
    from optout_conformance.runner.execute import RunLimits, make_context, probe_fingerprint

    ctx = make_context(Target(api="convoso", base_url=url, loopback=True), Credentials(token="t"), "auto",
                       RunLimits(timeout=5.0))
    try:
        return ctx, probe_fingerprint(ctx)
    finally:
        ctx.http.close()


def test_a_campaign_name_of_any_json_type_is_observed_not_a_probe_crash() -> None:
    def records_named_with_objects(form: dict[str, str]) -> Response:
        record = {"id": "1", "phone_number": "2065550000", "campaign_id": "0",
                  "campaign_name": {"name": "Global"}, "insert_date": "2026-01-02"}
        return JSONResponse({"success": True, "offset": 0, "limit": 1000, "total": 1, "records": [record]})

    with _serve_convoso(records_named_with_objects) as url:
        ctx, error = _probe(url)
    assert error is None
    observed = {o.discrepancy_id: o for o in ctx.observations}["convoso.record.global-campaign_name"]
    assert (observed.observed, observed.follows) == ({"name": "Global"}, None)
    assert "convoso.record.global-campaign_name" not in ctx.fingerprint


def test_json_nested_past_the_recursion_limit_is_an_unreadable_reply_not_a_probe_crash() -> None:
    deep = "[" * 200_000 + "]" * 200_000

    with _serve_convoso(lambda form: Response(deep, media_type="application/json")) as url:
        ctx, error = _probe(url)
    assert error is None
    assert ctx.fingerprint == {}
    assert any("levels deep" in str(o.observed) for o in ctx.observations), ctx.observations
