"""The property phase (checks/properties.py) as a run sees it, against the embedded reference.

What the module states of itself: generation is exact and repeatable (derandomized without a
seed, seeded with one), ``--fast`` runs a smaller budget than the default, a failure's reproducing
curl shows no credential, and a phase that could exercise no operation is skipped with the reason
(never passed). Every test sends real requests to the reference on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from optout_conformance import specs
from optout_conformance.apis.whatcounts.reference import WhatCountsService
from optout_conformance.checks.properties import PhaseOptions, run_property_phase
from optout_conformance.checks.registry import load_all
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

PHASE = "whatcounts.properties.generated_requests_follow_the_spec"


def credentials(config: ReferenceConfig) -> Credentials:
    return Credentials(realm=config.realm, password=config.password, sender_code=config.sender_codes[0])


def context(server: EmbeddedServer, config: ReferenceConfig, *, loopback: bool = True) -> RunContext:
    url = server.url("whatcounts")
    return RunContext(target=Target(api="whatcounts", base_url=url, loopback=loopback),
                      credentials=credentials(config), profile="lenient",
                      http=HttpClient(url, timeout=5.0, secrets=credentials(config).secrets()),
                      current_check=PHASE)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedServer, ReferenceConfig]]:
    config = ReferenceConfig(db=str(tmp_path_factory.mktemp("props") / "ref.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("whatcounts",))) as server:
        yield server, config


def requests_sent(server: EmbeddedServer, config: ReferenceConfig, seed: int | None
                  ) -> list[tuple[object, ...]]:
    """The requests one phase run sends (method, path, query, form), in order."""
    ctx = context(server, config)
    options = PhaseOptions(writes=True, max_examples=4, seed=seed, coverage=False, http=ctx.http)
    run_property_phase(specs.load_spec("whatcounts"), "whatcounts", ctx.credentials,
                       base_url=ctx.target.base_url, options=options)
    return [(e.method, e.url, sorted(e.params.items()), sorted((e.data or {}).items()))
            for e in ctx.http.exchanges]


@pytest.mark.parametrize("seed", [None, 7], ids=["derandomized", "seeded"])
def test_two_phase_runs_with_the_same_seed_or_none_send_the_same_requests(
    reference: tuple[EmbeddedServer, ReferenceConfig], seed: int | None
) -> None:
    server, config = reference
    first = requests_sent(server, config, seed)
    assert first and requests_sent(server, config, seed) == first


def test_a_fast_phase_sends_fewer_requests_than_the_default_budget(
    reference: tuple[EmbeddedServer, ReferenceConfig],
) -> None:
    server, config = reference
    sent = {}
    for fast in (True, False):
        ctx = context(server, config)
        ctx.fast = fast
        load_all()[PHASE].function(ctx)
        sent[fast] = len(ctx.http.exchanges)
    assert 0 < sent[True] < sent[False], sent


class ValidPasswordCrashes(WhatCountsService):
    """Faulty: any request carrying the right password gets HTTP 500."""

    async def handle(self, request: Request) -> Response:
        if self.config.password in (request.query_params.get("p"), request.query_params.get("pwd")):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return await super().handle(request)


def test_a_phase_failure_shows_the_password_as_its_variable_never_its_value(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=0)
    with EmbeddedServer(create_app(config, whatcounts=ValidPasswordCrashes, apis=("whatcounts",))) as server:
        ctx = context(server, config)
        ctx.max_examples = 3
        with pytest.raises(CheckFailed) as failed:
            load_all()[PHASE].function(ctx)
    received, variable = failed.value.received, credentials(config).secrets()[config.password]
    assert "curl" in received and f"p={variable}" in received, received
    assert config.password not in received


def test_a_phase_that_can_exercise_no_operation_is_skipped_with_the_reason(
    reference: tuple[EmbeddedServer, ReferenceConfig],
) -> None:
    # WhatCounts has only a stop, a write: a read-only run generates nothing.
    server, config = reference
    ctx = context(server, config, loopback=False)
    with pytest.raises(CheckSkipped, match=r"^writes are not allowed on this target$"):
        load_all()[PHASE].function(ctx)
    assert ctx.http.exchanges == []


# -- how --max-examples is shared out (README, options of run) -----------------------------------


@pytest.mark.parametrize(("examples", "variant", "half"), [(25, 5, 12), (10, 2, 5), (3, 2, 2)])
def test_max_examples_is_per_operation_a_fifth_for_a_variant_and_half_for_sequences_and_coverage(
    monkeypatch: pytest.MonkeyPatch, examples: int, variant: int, half: int,
    reference: tuple[EmbeddedServer, ReferenceConfig],
) -> None:
    from optout_conformance.checks import properties

    budgets: dict[str, int] = {}

    def coverage_cases(schema: object, operation: object, count: int) -> list[object]:
        budgets[f"coverage {getattr(operation, 'label', '')}"] = count
        return []

    def sequences(*args: object, max_examples: int, **kwargs: object) -> tuple[int, None]:
        budgets["sequences"] = max_examples
        return 0, None

    def operation_budget(operation: object, *args: object) -> None:
        budgets[operation.definition.raw["operationId"]] = args[5]  # type: ignore[attr-defined]
        if send:
            real_run_operation(operation, *args)

    real_run_operation, send = properties._run_operation, False
    monkeypatch.setattr(properties, "coverage_cases", coverage_cases)
    monkeypatch.setattr(properties, "run_linked_sequences", sequences)
    monkeypatch.setattr(properties, "_run_operation", operation_budget)
    # Convoso's spec links insert to search (the sequences); its operations are only counted here.
    run_property_phase(specs.load_spec("convoso"), "convoso", Credentials(token="t"),
                       base_url="http://127.0.0.1:9/v1",
                       options=PhaseOptions(writes=True, max_examples=examples, coverage=False))
    assert budgets["sequences"] == half
    assert {budgets[k] for k in budgets if k != "sequences"} == {examples}
    # WhatCounts' POST variant gets a fifth; coverage cases half of an operation's examples.
    server, config = reference
    ctx = context(server, config)
    budgets.clear()
    send = True
    run_property_phase(specs.load_spec("whatcounts"), "whatcounts", ctx.credentials,
                       base_url=ctx.target.base_url,
                       options=PhaseOptions(writes=True, max_examples=examples, http=ctx.http))
    assert budgets["smsStopSubscriberSendPost"] == variant
    assert budgets["smsStopSubscriberSend"] == examples
    assert {v for k, v in budgets.items() if k.startswith("coverage ")} == {half, max(2, variant // 2)}
