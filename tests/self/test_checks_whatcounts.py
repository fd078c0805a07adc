"""The WhatCounts checks against the embedded reference server, over real HTTP.

Every check passes against the reference, and one-behaviour faulty variants of the reference's
WhatCounts service prove that the named checks can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.responses import PlainTextResponse, Response

from optout_conformance.checks.registry import CheckSpec, checks_for
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.whatcounts import StopFailure, WhatCountsService
from optout_conformance.runner.context import CheckFailed, CheckSkipped, Credentials, RunContext, Target
from optout_conformance.runner.http import HttpClient

SUBJECT_MODULES = ("whatcounts", "robustness")


def context(server: EmbeddedServer) -> RunContext:
    config = ReferenceConfig()
    url = server.url("whatcounts")
    return RunContext(
        target=Target(api="whatcounts", base_url=url, embedded=True, loopback=True),
        credentials=Credentials(realm=config.realm, password=config.password,
                                sender_code=config.sender_codes[0]),
        profile="lenient",
        http=HttpClient(url, timeout=5.0),
    )


def subject_checks() -> list[CheckSpec]:
    return [c for c in checks_for("whatcounts")
            if c.function.__module__.rsplit(".", 1)[-1] in SUBJECT_MODULES]


def outcome(ctx: RunContext, spec: CheckSpec) -> str:
    ctx.current_check = spec.id
    try:
        spec.function(ctx)
    except CheckFailed as failure:
        return f"failed: {failure.message}"
    except CheckSkipped as skip:
        return f"skipped: {skip.reason}"
    return "passed"


def run_against(tmp: Path, service: type[WhatCountsService], check_id: str) -> str:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}.db"), seed_records=0)
    with EmbeddedServer(create_app(config, whatcounts=service, apis=("whatcounts",))) as server:
        ctx = context(server)
        return outcome(ctx, next(c for c in subject_checks() if c.id == check_id))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(db=str(tmp_path_factory.mktemp("wc") / "ref.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("whatcounts",))) as server:
        yield server


@pytest.mark.parametrize("spec", subject_checks(), ids=lambda c: c.id)
def test_every_whatcounts_check_passes_against_the_reference(
    reference: EmbeddedServer, spec: CheckSpec
) -> None:
    assert outcome(context(reference), spec) == "passed"


def test_the_checks_observe_the_disputed_points(reference: EmbeddedServer) -> None:
    ctx = context(reference)
    for spec in subject_checks():
        outcome(ctx, spec)
    observed = {o.discrepancy_id: o.observed for o in ctx.observations}
    assert observed["whatcounts.stop.subscription-required"] == "SUCCESS"
    assert observed["whatcounts.content-type"] == "text/plain"
    assert observed["whatcounts.failure-http-status"] == 200
    assert set(observed["whatcounts.http-method"]["POST"]) == {"query string", "form body"}


class AcceptsAnyRealm(WhatCountsService):
    """Faulty: never checks the realm."""

    def check_realm(self, realm: str) -> None:
        return None


class ReadsOnlyShortNames(WhatCountsService):
    """Faulty: ignores cmd/realm/pwd, reads only c/r/p."""

    def argument(self, arguments: dict[str, str], name: str) -> str:
        return arguments.get({"cmd": "c", "realm": "r", "pwd": "p"}[name], "")


class FailsWithoutReason(WhatCountsService):
    """Faulty: a failure is the bare word FAILURE: with no reason."""

    def failure_response(self, reason: str) -> Response:
        return PlainTextResponse("FAILURE:")


class StripsNonDigits(WhatCountsService):
    """Faulty: removes dashes and parentheses from the phone instead of refusing it."""

    def check_phone(self, phone: str) -> str:
        return super().check_phone("".join(ch for ch in phone if ch.isdigit()))


@pytest.mark.parametrize(
    ("service", "check_id"),
    [
        (AcceptsAnyRealm, "whatcounts.errors.wrong_realm_fails"),
        (ReadsOnlyShortNames, "whatcounts.state.long_and_short_argument_names_give_the_same_outcome"),
        (FailsWithoutReason, "whatcounts.errors.wrong_password_fails"),
        (StripsNonDigits, "whatcounts.errors.non_numeric_phone_fails"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_check_fails_a_service_with_one_flipped_behaviour(
    tmp_path: Path, service: type[WhatCountsService], check_id: str
) -> None:
    assert run_against(tmp_path, service, check_id).startswith("failed:")


def test_read_only_robustness_leaves_out_the_odd_phones_with_a_note(reference: EmbeddedServer) -> None:
    ctx = context(reference)
    ctx.target = Target(api="whatcounts", base_url=ctx.target.base_url)
    spec = next(c for c in subject_checks() if c.id.endswith("odd_input_gets_a_documented_reply"))
    assert outcome(ctx, spec) == "passed"
    assert not any("phone" in e.params for e in ctx.http.exchanges)
    assert len(ctx.notes) == 1 and "not run" in ctx.notes[0]


class RequiresSubscription(WhatCountsService):
    """Faithful (002 contradicts itself): a stop for a never-subscribed phone fails."""

    def stop(self, phone: str, sender_code: str) -> None:
        raise StopFailure(f"No subscription for phone {phone}")


class RequiresSubscriptionReadsOnlyShortNames(RequiresSubscription, ReadsOnlyShortNames):
    """Faulty: fails never-subscribed phones, and ignores cmd/realm/pwd."""


ALIASES_CHECK = "whatcounts.state.long_and_short_argument_names_give_the_same_outcome"


def test_alias_check_skips_when_both_names_get_the_same_failure(tmp_path: Path) -> None:
    result = run_against(tmp_path, RequiresSubscription, ALIASES_CHECK)
    assert result.startswith("skipped:") and "FAILURE" in result


def test_alias_check_fails_when_the_two_names_fail_for_different_reasons(tmp_path: Path) -> None:
    result = run_against(tmp_path, RequiresSubscriptionReadsOnlyShortNames, ALIASES_CHECK)
    assert result.startswith("failed:"), result
