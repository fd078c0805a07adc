"""The WhatCounts checks against the embedded reference server, over real HTTP.

Every check passes against the reference, and one-behaviour faulty variants of the reference's
WhatCounts service prove that the named checks can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from check_outcome import run_outcome
from starlette.responses import PlainTextResponse, Response

from optout_conformance.apis.whatcounts.faults import (
    ValidRealmRefused,
    WrongRealmReasonInvented,
    WrongSuccessText,
)
from optout_conformance.apis.whatcounts.open_points import WhatCountsNeverSubscribedFails
from optout_conformance.apis.whatcounts.reference import StopFailure, WhatCountsService
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.transport import Headers, ResponseRewriter, set_header
from optout_conformance.runner.context import RunContext

SUBJECT_MODULES = ("optout_conformance.apis.whatcounts.checks", "optout_conformance.checks.robustness")
SUCCESS_CHECKS = ("whatcounts.state.valid_stop_replies_the_documented_success_text",
                  "whatcounts.state.long_and_short_argument_names_give_the_same_outcome")


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


def subject_checks(modules: tuple[str, ...] = SUBJECT_MODULES) -> list[CheckSpec]:
    return [c for c in checks_for("whatcounts")
            if c.function.__module__ in modules]


def outcome(ctx: RunContext, spec: CheckSpec) -> str:
    return run_outcome(ctx, spec)


def run_against(tmp: Path, service: type[WhatCountsService], check_id: str) -> str:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}.db"), seed_records=0)
    with EmbeddedServer(create_app(config, whatcounts=service, apis=("whatcounts",))) as server:
        ctx = context(server)
        return outcome(ctx, next(c for c in subject_checks() if c.id == check_id))


def outcomes_against(tmp: Path, service: type[WhatCountsService] = WhatCountsService,
                     middleware: type | None = None,
                     modules: tuple[str, ...] = SUBJECT_MODULES) -> dict[str, str]:
    """Every subject check's outcome against the reference with ``service`` and ``middleware``."""
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}-all.db"), seed_records=0)
    app = create_app(config, whatcounts=service, apis=("whatcounts",))
    if middleware is not None:
        app.add_middleware(middleware)  # type: ignore[arg-type]
    with EmbeddedServer(app) as server:
        ctx = context(server)
        return {spec.id: outcome(ctx, spec) for spec in subject_checks(modules)}


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
    posts = [o.observed["POST"] for o in ctx.observations if o.discrepancy_id == "whatcounts.http-method"]
    assert {"query string", "form body"} in [set(p) for p in posts]


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
        (WrongRealmReasonInvented, "whatcounts.errors.wrong_realm_fails"),
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


def test_alias_check_judges_a_subscription_requiring_target_on_refusals_of_wrong_values(
    tmp_path: Path,
) -> None:
    result = run_against(tmp_path, RequiresSubscription, ALIASES_CHECK)
    assert result == "passed", result


def test_alias_check_is_inconclusive_when_every_request_gets_the_same_failure(tmp_path: Path) -> None:
    result = run_against(tmp_path, RefusesEverythingAlike, ALIASES_CHECK)
    assert result.startswith("inconclusive:") and "same FAILURE" in result, result


def test_alias_check_fails_when_the_two_names_fail_for_different_reasons(tmp_path: Path) -> None:
    result = run_against(tmp_path, RequiresSubscriptionReadsOnlyShortNames, ALIASES_CHECK)
    assert result.startswith("failed:"), result


class LinesLabelledHtml(ResponseRewriter):
    """Faithful (002 states no content type): every reply line served as text/html;charset=UTF-8
    with a trailing newline."""

    api = "whatcounts"

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return status, set_header(headers, b"content-type", b"text/html;charset=UTF-8"), body + b"\n"


class CrashPageWithStatus200(ResponseRewriter):
    """Faulty: answers every request with an HTML error page (no SUCCESS or FAILURE line), HTTP 200."""

    api = "whatcounts"

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        page = b"<!DOCTYPE html><html><body><h1>Something went wrong</h1></body></html>"
        return 200, set_header(headers, b"content-type", b"text/html;charset=UTF-8"), page


def test_lines_labelled_text_html_with_a_trailing_newline_pass_every_check(tmp_path: Path) -> None:
    results = outcomes_against(tmp_path, middleware=LinesLabelledHtml,
                               modules=(*SUBJECT_MODULES, "optout_conformance.checks.properties"))
    assert len(results) == 9
    assert set(results.values()) == {"passed"}, results


def test_an_html_page_without_a_result_line_still_fails(tmp_path: Path) -> None:
    results = outcomes_against(tmp_path, middleware=CrashPageWithStatus200)
    assert results["whatcounts.robustness.odd_input_gets_a_documented_reply"].startswith("failed:")
    assert results["whatcounts.errors.wrong_realm_fails"].startswith("failed:")


def test_a_target_refusing_every_valid_stop_leaves_the_success_text_inconclusive(tmp_path: Path) -> None:
    results = outcomes_against(tmp_path, RequiresSubscription)
    result = results[SUCCESS_CHECKS[0]]
    assert result.startswith("inconclusive:") and "create a subscription" in result, result
    assert "example stop got" in result


def test_a_subscription_requiring_target_shows_its_success_text_on_the_documents_example_contact(
    tmp_path: Path,
) -> None:
    results = outcomes_against(tmp_path, WhatCountsNeverSubscribedFails)
    assert all(results[check_id] == "passed" for check_id in SUCCESS_CHECKS), results


class RequiresSubscriptionWrongSuccessText(WhatCountsNeverSubscribedFails, WrongSuccessText):
    """Faulty: keeps only 002's example contact subscribed and answers it a wrong success text."""


def test_a_wrong_success_text_on_the_example_contact_fails(tmp_path: Path) -> None:
    result = run_against(tmp_path, RequiresSubscriptionWrongSuccessText, SUCCESS_CHECKS[0])
    assert result.startswith("failed:"), result


def test_a_valid_stop_refused_as_a_wrong_realm_fails_the_success_rules(tmp_path: Path) -> None:
    results = outcomes_against(tmp_path, ValidRealmRefused)
    for check_id in SUCCESS_CHECKS:
        assert results[check_id].startswith("failed:"), results[check_id]
        assert "Unable to determine customer account" in results[check_id]


class RefusesEverythingAlike(WhatCountsService):
    """Faulty: every request, valid or not, gets the same FAILURE: nothing is ever judged."""

    def run(self, arguments: dict[str, str]) -> None:
        raise StopFailure("Service unavailable")


@pytest.mark.parametrize("check_id", ["whatcounts.errors.missing_phone_or_sender_code_fails",
                                      "whatcounts.errors.non_numeric_phone_fails",
                                      "whatcounts.errors.wrong_password_fails",
                                      "whatcounts.errors.missing_command_realm_or_password_fails"])
def test_a_refusal_identical_to_the_valid_stops_is_no_evidence(tmp_path: Path, check_id: str) -> None:
    result = run_against(tmp_path, RefusesEverythingAlike, check_id)
    assert result.startswith("inconclusive:") and "same FAILURE" in result


def test_a_refusal_for_another_reason_than_the_valid_stops_passes(tmp_path: Path) -> None:
    result = run_against(tmp_path, RequiresSubscription, "whatcounts.errors.non_numeric_phone_fails")
    assert result == "passed"
