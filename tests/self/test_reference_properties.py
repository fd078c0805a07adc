"""Schemathesis against the in-process reference app: every operation, positive and negative.

This is the proof that the reference is faithful to the specs: generated requests of every
operation get documented replies under the response rules (body-level rejections included). A
one-behaviour faulty WhatCounts service shows that the same phase does fail. The robustness
checks' odd requests get documented replies from the reference of every API too. Convoso's
linked insert -> search sequences run against the reference, and fail a service whose inserts
searches do not see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis.errors import FlakyFailure
from schemathesis.core.failures import Failure, FailureGroup, Severity

from optout_conformance import specs
from optout_conformance.apis.avaamo.open_points import AvaamoJsonPathOnly as JsonPathOnly
from optout_conformance.apis.convoso.faults_data import InsertNotVisible
from optout_conformance.apis.whatcounts.open_points import WhatCountsGetOnly as GetOnly
from optout_conformance.apis.whatcounts.reference import WhatCountsService
from optout_conformance.checks import properties
from optout_conformance.checks.judgement import dialect_of
from optout_conformance.checks.properties import (
    OperationOutcome,
    PhaseOptions,
    PhaseResult,
    run_property_phase,
)
from optout_conformance.checks.registry import load_all
from optout_conformance.core.apis import APIS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

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
        load_all()[f"{api}.robustness.odd_input_gets_a_documented_reply"].function(ctx)
    assert len(ctx.http.exchanges) == len(dialect_of(api).odd_requests(ctx))


def served_context(server: EmbeddedServer, api: str, config: ReferenceConfig, *, loopback: bool = True
                   ) -> RunContext:
    url = server.url(api)
    target = Target(api=api, base_url=url, loopback=loopback)
    return RunContext(target=target, credentials=credentials(config), profile="lenient",
                      http=HttpClient(url, timeout=5.0, secrets=credentials(config).secrets()),
                      max_examples=2,
                      current_check=f"{api}.properties.generated_requests_follow_the_spec")


def test_generated_requests_join_the_exchange_log_labelled_with_the_check(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("whatcounts",))) as server:
        ctx = served_context(server, "whatcounts", config)
        options = PhaseOptions(writes=True, max_examples=2, coverage=False, http=ctx.http,
                               check_id=ctx.current_check)
        result = run_property_phase(specs.load_spec("whatcounts"), "whatcounts", ctx.credentials,
                                    base_url=ctx.target.base_url, options=options)
    assert len(ctx.http.exchanges) == result.cases > 0
    assert {e.check_id for e in ctx.http.exchanges} == {ctx.current_check}
    assert all(e.status == 200 and "reference-pass" not in e.curl() for e in ctx.http.exchanges)


@pytest.mark.parametrize(("api", "variant", "discrepancy_id"), [
    ("avaamo", {"avaamo": JsonPathOnly}, "avaamo.path.json-suffix"),
    ("whatcounts", {"whatcounts": GetOnly}, "whatcounts.http-method"),
])
def test_a_variant_operation_the_target_does_not_serve_is_observed_not_failed(
    api: str, variant: dict, discrepancy_id: str, tmp_path: Path
) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=(api,), **variant)) as server:
        ctx = served_context(server, api, config)
        load_all()[f"{api}.properties.generated_requests_follow_the_spec"].function(ctx)
    assert [o.discrepancy_id for o in ctx.observations] == [discrepancy_id]


def test_read_only_phase_leaves_a_note_for_the_report(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = served_context(server, "convoso", config, loopback=False)
        ctx.max_examples = 1
        load_all()["convoso.properties.generated_requests_follow_the_spec"].function(ctx)
    assert len(ctx.notes) == 1 and "read operations only" in ctx.notes[0]


def test_flaky_failure_of_a_documented_rule_is_the_operations_failure() -> None:
    broken = Failure(operation="GET /x", title="documented rule", message="Received: x",
                     severity=Severity.HIGH)
    flaky = FlakyFailure("inconsistent", [FailureGroup([broken], "documented rule\ncurl -X GET")])
    outcome = OperationOutcome("GET /x")
    properties._settle_flaky(flaky, outcome, lambda text: text)
    assert outcome.failure is not None and outcome.failure.startswith("documented rule")


def test_flaky_failure_of_anything_else_is_a_clear_error() -> None:
    flaky = FlakyFailure("inconsistent", [ValueError("boom")])
    with pytest.raises(properties.PropertyPhaseError, match=r"GET /x.*ValueError: boom"):
        properties._settle_flaky(flaky, OperationOutcome("GET /x"), lambda text: text)


def test_remote_target_with_allow_writes_gets_no_generated_writes(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = served_context(server, "convoso", config, loopback=False)
        ctx.allow_writes, ctx.max_examples = True, 1
        load_all()["convoso.properties.generated_requests_follow_the_spec"].function(ctx)
    paths = {e.url.rsplit("/", 1)[-1] for e in ctx.http.exchanges}
    assert paths == {"search"}
    assert len(ctx.notes) == 1 and "nor loopback" in ctx.notes[0] and "fictional" in ctx.notes[0]


@pytest.mark.parametrize("times", [
    {"end_time": "6.881747049356068e+307", "start_time": "1.1891973553147508e-83"},
    {"start_time": "1.8604368375002998e+63"},
    {"end_time": "1" + "0" * 40},
])
def test_reference_serves_every_number_the_avaamo_spec_allows_as_a_time(times: dict, tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("avaamo",))) as server:
        http = HttpClient(server.url("avaamo"), timeout=5.0)
        ex = http.get("/sms/opt-status.json", params=times, headers={"access-token": config.token})
        http.close()
    assert ex.status == 200, ex.summary()


def convoso_phase(tmp_path: Path, *, max_examples: int, coverage: bool) -> tuple[PhaseResult, RunContext]:
    """One property phase with writes against the Convoso reference (5 records): result, context."""
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = served_context(server, "convoso", config)
        options = PhaseOptions(writes=True, max_examples=max_examples, coverage=coverage, http=ctx.http,
                               check_id=ctx.current_check)
        result = run_property_phase(specs.load_spec("convoso", "community"), "convoso", ctx.credentials,
                                    base_url=ctx.target.base_url, options=options)
    return result, ctx


def test_convoso_insert_is_followed_by_a_linked_search_for_its_number(tmp_path: Path) -> None:
    result, ctx = convoso_phase(tmp_path, max_examples=4, coverage=False)
    assert not result.failures, "\n\n".join(o.failure or "" for o in result.failures)
    assert result.outcomes[-1].label == properties.SEQUENCE_LABEL and result.outcomes[-1].cases > 0
    pairs = zip(ctx.http.exchanges, ctx.http.exchanges[1:], strict=False)
    assert any(a.url.endswith("/insert") and b.url.endswith("/search") and b.data is not None
               and set(b.data) == {"auth_token", "phone_number"}
               and b.data["phone_number"] == (a.data or {}).get("phone_number") for a, b in pairs)


def test_sequence_fails_a_server_whose_inserts_are_not_visible_to_search(tmp_path: Path) -> None:
    config = ReferenceConfig(db=str(tmp_path / "ref.db"), seed_records=5)
    app = create_app(config, convoso=InsertNotVisible, apis=("convoso",))
    try:
        result = run_property_phase(specs.load_spec("convoso", "community"), "convoso", credentials(config),
                                    base_url=base_url("convoso"), app=app, writes=True,
                                    max_examples=EXAMPLES, coverage=False)
    finally:
        app.state.store.close()
    assert [o.label for o in result.failures] == [properties.SEQUENCE_LABEL]
    failure = result.failures[0].failure or ""
    assert "an inserted opt-out is listed by the next search" in failure and failure.count("curl") == 2


def test_a_clear_error_quotes_the_first_200_characters_of_the_first_line_of_what_went_wrong() -> None:
    # One report line: the rest of a long message (a repr of a whole reply, a traceback) is cut.
    flaky = FlakyFailure("inconsistent", [ValueError("x" * 199 + "yz" + "w" * 300 + "\nsecond line")])
    with pytest.raises(properties.PropertyPhaseError) as raised:
        properties._settle_flaky(flaky, OperationOutcome("GET /x"), lambda text: text)
    assert str(raised.value).endswith("(ValueError: " + "x" * 199 + "y)")


def test_an_error_raised_from_another_is_reported_itself_not_its_cause() -> None:
    # Only what Hypothesis wraps is unwrapped to its cause; `raise X from Y` reports X.
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise ValueError("outer") from inner
    except ValueError as outer:
        raised = outer
    assert properties._leaves(raised) == [raised]
    assert properties._leaves(FlakyFailure("inconsistent", [raised])) == [raised]


@pytest.mark.parametrize("coverage", [False, True], ids=["generated", "generated-and-coverage"])
def test_the_cases_a_phase_reports_are_the_requests_it_sent(tmp_path: Path, coverage: bool) -> None:
    # Every operation's cases and the linked sequences' steps: one request each, each logged once.
    result, ctx = convoso_phase(tmp_path, max_examples=3, coverage=coverage)
    assert result.outcomes[-1].label == properties.SEQUENCE_LABEL and result.outcomes[-1].cases > 0
    assert sum(o.cases for o in result.outcomes) == len(ctx.http.exchanges) > 0
