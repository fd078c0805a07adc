"""The WhatCounts checks (apis/whatcounts/checks.py): what each one sends and what makes it fail.

002 "Phone": "Numeric phone number for the contacts. Do not include special characters (such as
parenthesis or dash)." The probes of that rule must differ from a valid stop by the special
characters only, so that a refusal can concern nothing else. 002 "Arguments" gives two names to
command, realm and password: a wrong value under either name must give the same outcome. Each test
runs a check against the embedded reference (or a one-behaviour variant of it) over real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from check_outcome import run_outcome
from starlette.requests import Request
from test_checks_whatcounts import context

from optout_conformance.apis.whatcounts.open_points import WhatCountsNeverSubscribedFails
from optout_conformance.apis.whatcounts.reference import StopFailure, WhatCountsService
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Target
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.forms import read_form
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import RunContext

NON_NUMERIC = "whatcounts.errors.non_numeric_phone_fails"
NAMES = "whatcounts.state.long_and_short_argument_names_give_the_same_outcome"


def spec_of(check_id: str) -> CheckSpec:
    return next(c for c in checks_for("whatcounts") if c.id == check_id)


def outcome(ctx: RunContext, check_id: str) -> str:
    return run_outcome(ctx, spec_of(check_id))


def serve(tmp: Path, service: type[WhatCountsService] = WhatCountsService) -> EmbeddedServer:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}.db"), seed_records=0)
    return EmbeddedServer(create_app(config, whatcounts=service, apis=("whatcounts",)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with serve(tmp_path_factory.mktemp("wc-kills")) as server:
        yield server


def test_each_non_numeric_phone_probe_is_the_valid_stops_phone_with_special_characters_added(
    reference: EmbeddedServer,
) -> None:
    ctx = context(reference)
    assert outcome(ctx, NON_NUMERIC) == "passed"
    control, *probes = [e.params["phone"] for e in ctx.http.exchanges]
    assert control.isdigit() and len(probes) == 2, (control, probes)
    for probe in probes:
        assert not probe.isdigit() and re.sub(r"[^0-9]", "", probe) == control, (control, probe)
    assert "-" in probes[0] and {"(", ")"} <= set(probes[1]), probes


class ElevenDigitsParenthesesRemoved(WhatCountsService):
    """Faulty: parentheses and spaces are removed from the phone instead of refusing it (a dash is
    still refused); a phone must have the eleven digits of 002's example 12065551212."""

    def check_phone(self, phone: str) -> str:
        if "-" in phone:
            raise StopFailure("Invalid phone number")
        digits = re.sub(r"[() ]", "", phone)
        if len(digits) != len("12065551212"):
            raise StopFailure("Invalid phone number")
        return super().check_phone(digits)


def test_a_target_that_removes_parentheses_from_a_phone_fails_the_non_numeric_phone_rule(
    tmp_path: Path,
) -> None:
    # The parenthesised probe carries the same eleven digits as the valid stop: only the special
    # characters can explain a refusal, and a target that takes them out serves it.
    with serve(tmp_path, ElevenDigitsParenthesesRemoved) as server:
        assert outcome(context(server), NON_NUMERIC).startswith("failed: a non-numeric phone fails")


MISSING = "whatcounts.errors.missing_command_realm_or_password_fails"


class StopsWithoutACommand(WhatCountsService):
    """Faulty: a stop without the command argument runs the stop command anyway."""

    def check_command(self, command: str) -> None:
        super().check_command(command or "smsstopsubscribersend")


def test_a_target_that_stops_a_phone_sent_without_the_command_fails_when_writes_are_allowed(
    tmp_path: Path,
) -> None:
    # 002: "The command requires the following arguments: Command, Realm, Password, ..."
    with serve(tmp_path, StopsWithoutACommand) as server:
        result = outcome(context(server), MISSING)
    assert result.startswith("failed: a stop without the command argument fails"), result


def test_without_writes_no_stop_leaves_out_the_command_and_no_valid_stop_is_sent(tmp_path: Path) -> None:
    # A stop without the command might still stop the phone on a faulty target: a read-only run
    # sends only stops that cannot change anything (no realm, or no password).
    with serve(tmp_path) as server:
        ctx = context(server)
        ctx.target = Target(api="whatcounts", base_url=ctx.target.base_url, embedded=False, loopback=False)
        assert not ctx.writes_allowed
        assert outcome(ctx, MISSING) == "passed"
    sent = [e.params for e in ctx.http.exchanges]
    assert len(sent) == 2 and all("c" in p for p in sent), sent
    assert [("r" in p, "p" in p) for p in sent] == [(False, True), (True, False)]


class NeverSubscribedLongPasswordUnchecked(WhatCountsNeverSubscribedFails):
    """Faulty: fails a never-subscribed phone (a documented reading), but a password sent under its
    long name pwd is never compared with the realm's."""

    def run(self, arguments: dict[str, str]) -> None:
        if "pwd" in arguments:
            arguments = {**arguments, "pwd": self.config.password}
        super().run(arguments)


def failure_of(server: EmbeddedServer, check_id: str) -> CheckFailed:
    ctx = context(server)
    ctx.current_check = check_id
    with pytest.raises(CheckFailed) as failed:
        spec_of(check_id).function(ctx)
    return failed.value


def test_a_wrong_password_refused_under_one_name_only_fails_the_argument_names_rule(tmp_path: Path) -> None:
    # Valid stops get the same FAILURE under both names (no subscription), so the names are judged
    # on wrong values: a wrong p is refused for the password, a wrong pwd for the subscription.
    with serve(tmp_path, NeverSubscribedLongPasswordUnchecked) as server:
        failed = failure_of(server, NAMES)
    assert failed.received.startswith("a wrong password: short names: 'FAILURE: Realm and password do not "
                                      "match'; long names: 'FAILURE: "), failed.received
    assert failed.documented == "the same outcome for both names"


def test_post_is_probed_once_with_the_arguments_in_the_query_string_and_once_in_a_form_body(
    reference: EmbeddedServer,
) -> None:
    # 002 documents GET only (registry whatcounts.http-method): both ways of POSTing are observed.
    ctx = context(reference)
    assert outcome(ctx, NAMES) == "passed"
    posts = [e for e in ctx.http.exchanges if e.method == "POST"]
    assert [(bool(e.params), e.data is not None) for e in posts] == [(True, False), (False, True)]
    assert all(set(e.params or e.data or {}) == {"c", "r", "p", "phone", "sender_code"} for e in posts)


def test_only_failures_are_observed_for_the_http_status_of_a_failure(reference: EmbeddedServer) -> None:
    # Registry whatcounts.failure-http-status: the status a FAILURE line comes with (002 gives none).
    ctx = context(reference)
    assert outcome(ctx, NAMES) == "passed"  # valid stops only: every reply is SUCCESS
    assert [o for o in ctx.observations if o.discrepancy_id == "whatcounts.failure-http-status"] == []
    ctx = context(reference)
    assert outcome(ctx, "whatcounts.errors.wrong_realm_fails") == "passed"
    statuses = [o.observed for o in ctx.observations if o.discrepancy_id == "whatcounts.failure-http-status"]
    assert statuses == [200]


def test_exactly_the_checks_declared_as_writing_are_skipped_on_a_read_only_target(
    reference: EmbeddedServer,
) -> None:
    # A run without --allow-writes on a live target lists the writing checks as skipped, not run.
    for spec in checks_for("whatcounts"):
        if spec.function.__module__ != "optout_conformance.apis.whatcounts.checks":
            continue
        ctx = context(reference)
        ctx.target = Target(api="whatcounts", base_url=ctx.target.base_url)
        result = outcome(ctx, spec.id)
        assert result.startswith("skipped:") is spec.writes, (spec.id, result)


class PostReadsTheFormOnly(WhatCountsService):
    """Faithful (002 documents GET only): a POST's arguments are read from its form body alone."""

    async def arguments(self, request: Request) -> dict[str, str]:
        if request.method == "POST":
            return dict(await read_form(request, self.config.max_body_bytes))
        return await super().arguments(request)


def test_each_way_of_posting_is_observed_under_its_own_name(tmp_path: Path) -> None:
    with serve(tmp_path, PostReadsTheFormOnly) as server:
        ctx = context(server)
        assert outcome(ctx, NAMES) == "passed"
    posts = [o.observed["POST"] for o in ctx.observations if o.discrepancy_id == "whatcounts.http-method"]
    assert posts == [{"query string": "HTTP 200 'FAILURE: Unable to determine customer account (realm)'",
                      "form body": "HTTP 200 'SUCCESS: Stopping message to phone was successful'"}]
