"""Schemathesis against the in-process reference app: every operation, positive and negative.

This is the proof that the reference is faithful to the specs: generated requests of every
operation get documented replies under the response rules (body-level rejections included). A
one-behaviour faulty WhatCounts service shows that the same phase does fail. The robustness
checks' odd requests get documented replies from the reference of every API too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optout_conformance import specs
from optout_conformance.apis import APIS
from optout_conformance.checks import robustness
from optout_conformance.checks.properties import run_property_phase
from optout_conformance.checks.registry import CHECKS
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.whatcounts import WhatCountsService
from optout_conformance.runner.context import Credentials, RunContext, Target
from optout_conformance.runner.http import HttpClient

EXAMPLES = 5
# api, server profile, spec profile: Convoso in both server profiles (each held to its narrowed
# spec) and to the permissive spec; WhatCounts and Avaamo have one document each.
RUNS = [
    ("convoso", "community", "community"),
    ("convoso", "official", "official"),
    ("convoso", "official", "lenient"),
    ("whatcounts", "community", "lenient"),
    ("avaamo", "community", "lenient"),
]


def credentials(config: ReferenceConfig) -> Credentials:
    return Credentials(token=config.token, realm=config.realm, password=config.password,
                       sender_code=config.sender_codes[0])


def base_url(api: str) -> str:
    return "http://127.0.0.1" + APIS[api].base_path


class StopsEverything(WhatCountsService):
    """Faulty: answers SUCCESS to every request, whatever its arguments (no validation at all)."""

    def run(self, arguments: dict[str, str]) -> None:
        return None


@pytest.mark.parametrize(("api", "server_profile", "spec_profile"), RUNS)
def test_generated_requests_get_documented_replies_from_the_reference(
    api: str, server_profile: str, spec_profile: str, tmp_path: Path
) -> None:
    config = ReferenceConfig(profile=server_profile, db=str(tmp_path / "ref.db"), seed_records=120)
    app = create_app(config, apis=(api,))
    try:
        result = run_property_phase(specs.load_spec(api, spec_profile), api, credentials(config),
                                    base_url=base_url(api), app=app, writes=True, max_examples=EXAMPLES,
                                    seed=1)
    finally:
        app.state.store.close()
    assert not result.failures, "\n\n".join(o.failure or "" for o in result.failures)
    assert all(o.cases > 0 for o in result.outcomes), [(o.label, o.cases) for o in result.outcomes]


def test_property_phase_fails_a_server_that_accepts_every_stop(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=0)
    app = create_app(config, whatcounts=StopsEverything, apis=("whatcounts",))
    try:
        result = run_property_phase(specs.load_spec("whatcounts"), "whatcounts", credentials(config),
                                    base_url=base_url("whatcounts"), app=app, writes=True,
                                    max_examples=EXAMPLES, seed=1)
    finally:
        app.state.store.close()
    assert result.failures
    assert "rejects a request that breaks the documented parameters" in (result.failures[0].failure or "")
    assert "curl" in (result.failures[0].failure or "")


def test_write_operations_are_skipped_when_writes_are_not_allowed(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=20)
    app = create_app(config, apis=("convoso",))
    try:
        result = run_property_phase(specs.load_spec("convoso", "community"), "convoso", credentials(config),
                                    base_url=base_url("convoso"), app=app, writes=False, max_examples=3,
                                    coverage=False)
    finally:
        app.state.store.close()
    skipped = {o.label for o in result.outcomes if o.skipped}
    assert skipped == {"POST /sms-opt-out/insert", "POST /sms-opt-out/update"}
    assert not result.failures


@pytest.mark.parametrize("api", list(APIS))
def test_odd_input_gets_documented_replies_from_the_reference(api: str, tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=20)
    with EmbeddedServer(create_app(config, apis=(api,))) as server:
        url = server.url(api)
        ctx = RunContext(target=Target(api=api, base_url=url, embedded=True, loopback=True),
                         credentials=credentials(config), profile="lenient",
                         http=HttpClient(url, timeout=5.0))
        CHECKS[f"{api}.robustness.odd_input_gets_a_documented_reply"].function(ctx)
    assert len(ctx.http.exchanges) == len(robustness.REQUESTS[api](ctx))
