"""The Convoso limit and offset checks (apis/convoso/checks/limits.py) against the reference server
and one-behaviour variants of it, over real HTTP on 127.0.0.1.

The rules: limit "default 1000, max 1000" (000) or "default 100, max 1000" (001); offset "default
0, max 100000" (000) or "max 1,000,000" (001); 7231 "Invalid offset value" (both). A page bound can
be seen broken only with more records than the bound (else inconclusive on a read-only target).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome

from optout_conformance.apis.convoso.checks import limits
from optout_conformance.apis.convoso.checks.api import BOTH, S000, S001
from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoBadRequest, ConvosoError
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.forms import decimal
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Where
from optout_conformance.runner.context import RunContext

TOKEN = ReferenceConfig().token
OMITTED = "convoso.limits.omitted_limit_serves_the_documented_default_page_size"
FILLED = "convoso.limits.limit_1000_is_accepted_and_filled"
ABOVE = "convoso.limits.limit_above_1000_never_serves_more_than_1000_records"
SMALL = "convoso.limits.records_never_outnumber_the_limit_sent"
OFFSET_MAX = "convoso.limits.offset_zero_and_the_documented_maximum_are_accepted"
OFFSET_ABOVE = "convoso.limits.offset_above_the_maximum_gets_7231"
OFFSET_INVALID = "convoso.limits.negative_or_non_integer_offset_gets_7231"


@contextmanager
def serve(tmp: Path, profile: str, records: int,
          service: type[ConvosoService] = ConvosoService) -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(profile=profile, db=str(tmp / f"{profile}-{service.__name__}-{records}.db"),
                             seed_records=records)
    with EmbeddedServer(create_app(config, convoso=service, apis=("convoso",))) as server:
        yield server


def context(server: EmbeddedServer, profile: str, *, writes: bool = False) -> RunContext:
    """A run context; without ``writes`` the target is a read-only one, as a remote target is."""
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url, loopback=writes),
        credentials=Credentials(token=TOKEN),
        profile=profile,
        http=HttpClient(url, timeout=10.0),
    )


def outcome(ctx: RunContext, check_id: str) -> str:
    spec = CHECKS[check_id]
    assert spec.function.__module__ == limits.__name__
    return run_outcome(ctx, spec)


def failure_of(ctx: RunContext, check_id: str) -> CheckFailed:
    ctx.current_check = check_id
    with pytest.raises(CheckFailed) as caught:
        CHECKS[check_id].function(ctx)
    return caught.value


def add_records(server: EmbeddedServer, count: int) -> None:
    ctx = context(server, "lenient", writes=True)
    for _ in range(count):
        fields = {"auth_token": TOKEN, "phone_number": ctx.fictional_phone(), "phone_code": "1",
                  "campaign_id": "0"}
        answer = ctx.http.post("/sms-opt-out/insert", data=fields)
        assert answer.json()["success"] is True


def observed(ctx: RunContext, discrepancy_id: str) -> list[Any]:
    return [o.observed for o in ctx.observations if o.discrepancy_id == discrepancy_id]


def sent(ctx: RunContext, field: str) -> list[str]:
    return [(e.data or {}).get(field, "") for e in ctx.http.exchanges if e.url.endswith("/search")]


# -- the evidence: more than 1000 records ---------------------------------------------------------


@pytest.mark.parametrize("check_id", [OMITTED, FILLED, ABOVE])
def test_a_page_bound_of_1000_is_judged_on_a_read_only_target_only_once_more_than_1000_records_match(
    check_id: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 1000) as server:
        verdict = outcome(context(server, "community"), check_id)
        assert verdict == ("inconclusive: needs at least 1001 records (the target has 1000), "
                           "and writes are not allowed")
        add_records(server, 1)
        assert outcome(context(server, "community"), check_id) == "passed"
        add_records(server, 1)
        assert outcome(context(server, "community"), check_id) == "passed"


@pytest.mark.parametrize("check_id", [OMITTED, FILLED, ABOVE])
def test_a_page_bound_check_creates_the_records_it_lacks_where_writes_are_allowed(
    check_id: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 995) as server:
        ctx = context(server, "community", writes=True)
        assert outcome(ctx, check_id) == "passed"
    assert len([e for e in ctx.http.exchanges if e.url.endswith("/insert")]) == 6


# -- limit=1000 serves exactly min(total, 1000) ---------------------------------------------------


class CapsPagesAt999(ConvosoService):
    """Bug: a page never holds more than 999 records."""

    def parse_limit(self, value: str) -> int:
        return min(super().parse_limit(value), 999)


class ServesOneMoreThanTheLimit(ConvosoService):
    """Bug: limit=1000 serves 1001 records."""

    def parse_limit(self, value: str) -> int:
        return 1001 if value == "1000" else super().parse_limit(value)


@pytest.mark.parametrize(("service", "served"), [(CapsPagesAt999, 999), (ServesOneMoreThanTheLimit, 1001)])
def test_limit_1000_must_serve_exactly_1000_records_when_more_match(
    service: type[ConvosoService], served: int, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 1002, service) as server:
        failure = failure_of(context(server, "community"), FILLED)
    assert failure.received == f"{served} records of total 1002"
    assert failure.documented == "1000 records (limit max 1000)" and failure.source == BOTH
    assert failure.exchange is not None and (failure.exchange.data or {})["limit"] == "1000"


# -- limit above 1000: clamped or rejected, never more than 1000 ---------------------------------


class NoClamp(ConvosoService):
    """Bug: a limit above 1000 is served as asked."""

    def parse_limit(self, value: str) -> int:
        limit = decimal(value)
        return limit if limit is not None and limit > 1000 else super().parse_limit(value)


class RejectsLimitAboveMax(ConvosoService):
    """Faithful: a limit above the maximum is refused (no document says clamp or refuse)."""

    def parse_limit(self, value: str) -> int:
        limit = decimal(value)
        if limit is not None and limit > 1000:
            raise ConvosoBadRequest("Invalid limit value")
        return super().parse_limit(value)


def test_a_limit_above_1000_served_as_asked_fails_with_the_request_for_1001(tmp_path: Path) -> None:
    with serve(tmp_path, "community", 1002, NoClamp) as server:
        failure = failure_of(context(server, "community"), ABOVE)
    assert failure.received == "1001 records"
    assert failure.documented == "at most 1000 records (limit max 1000)" and failure.source == BOTH
    assert failure.exchange is not None and (failure.exchange.data or {})["limit"] == "1001"


@pytest.mark.parametrize(("service", "seen"), [
    (ConvosoService, "clamped (echoed limit 1000)"),
    (RejectsLimitAboveMax, "rejected (HTTP 400, code None)"),
])
def test_a_limit_above_1000_clamped_or_rejected_passes_and_is_observed(
    service: type[ConvosoService], seen: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 1001, service) as server:
        ctx = context(server, "community")
        assert outcome(ctx, ABOVE) == "passed"
    assert observed(ctx, "convoso.search.limit-above-max") == [seen]


# -- the default page size per profile -----------------------------------------------------------


class OfficialServingCommunityDefault(ConvosoService):
    """Bug for the official profile: a default page of 1000 (001 documents 100)."""

    def default_limit(self) -> int:
        return 1000


class DefaultLimit10(ConvosoService):
    """Bug: a default page of 10 (000 documents 1000, 001 100)."""

    def default_limit(self) -> int:
        return 10


@pytest.mark.parametrize(("server_profile", "run_profile", "service", "documented"), [
    ("official", "official", OfficialServingCommunityDefault, "min(total, 100) = 100 records"),
    ("community", "lenient", DefaultLimit10, "min(total, 100) = 100 or min(total, 1000) = 1000 records"),
])
def test_a_default_page_other_than_the_profiles_fails_naming_the_documented_size(
    server_profile: str, run_profile: str, service: type[ConvosoService], documented: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 1001, service) as server:
        failure = failure_of(context(server, run_profile), OMITTED)
    assert failure.documented == documented
    assert failure.source == f"{S000} (limit default 1000); {S001} (limit default 100)"
    assert failure.received.startswith("1000 records of total 1001" if service is not DefaultLimit10
                                       else "10 records of total 1001 (echoed limit 10)")


@pytest.mark.parametrize(("server_profile", "service", "seen"), [
    ("community", ConvosoService, (1000, S000)),
    ("official", ConvosoService, (100, S001)),
    ("community", DefaultLimit10, (10, None)),
])
def test_the_default_page_size_is_observed_with_the_document_it_follows(
    server_profile: str, service: type[ConvosoService], seen: tuple[int, str | None], tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 1001, service) as server:
        ctx = context(server, "lenient")
        outcome(ctx, OMITTED)
    assert [(o.observed, o.follows) for o in ctx.observations
            if o.discrepancy_id == "convoso.search.limit-default"] == [seen]


@pytest.mark.parametrize("server_profile", ["community", "official"])
def test_either_documented_default_passes_without_a_pinned_profile(
    server_profile: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 1001) as server:
        assert outcome(context(server, "lenient"), OMITTED) == "passed"
        assert outcome(context(server, server_profile), OMITTED) == "passed"


# -- a small limit caps the page ------------------------------------------------------------------


def test_a_limit_of_3_is_judged_only_once_more_than_3_records_match_and_its_echo_is_observed(
    tmp_path: Path,
) -> None:
    with serve(tmp_path, "community", 2) as server:
        ctx = context(server, "community")
        assert outcome(ctx, SMALL) == (
            "inconclusive: needs more than 3 matching records (total 2), and writes are not allowed")
        add_records(server, 1)
        ctx = context(server, "community")
        assert outcome(ctx, SMALL) == (
            "inconclusive: needs more than 3 matching records (total 3), and writes are not allowed")
        add_records(server, 1)
        ctx = context(server, "community")
        assert outcome(ctx, SMALL) == "passed"
    assert sent(ctx, "limit") == ["3"]
    assert observed(ctx, "convoso.search.limit-echo-meaning") == [{"sent": 3, "echoed": 3, "served": 3}]


class PagesOfAtMost2(ConvosoService):
    """A target serving pages shorter than the limit (fullness is judged by other checks)."""

    def parse_limit(self, value: str) -> int:
        return min(super().parse_limit(value), 2)


def test_a_page_shorter_than_a_limit_of_3_never_outnumbers_it(tmp_path: Path) -> None:
    with serve(tmp_path, "community", 4, PagesOfAtMost2) as server:
        assert outcome(context(server, "community"), SMALL) == "passed"


class IgnoresLimit(ConvosoService):
    """Bug: every matching record is served whatever the limit."""

    def parse_limit(self, value: str) -> int:
        return 1000


class UndercountingIgnoresLimit(IgnoresLimit):
    """Bug: the limit is ignored and total counts fewer records than the page holds."""

    def count(self, where: Where) -> int:
        return 2


@pytest.mark.parametrize("service", [IgnoresLimit, UndercountingIgnoresLimit])
def test_more_records_than_the_limit_sent_fail_whatever_the_total_says(
    service: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 4, service) as server:
        failure = failure_of(context(server, "community"), SMALL)
    assert failure.received == "4 records for limit=3" and failure.documented == "len(records) <= limit"
    assert failure.source == BOTH


# -- offsets --------------------------------------------------------------------------------------


def max_offset(value: int) -> type[ConvosoService]:
    class Variant(ConvosoService):
        def max_offset(self) -> int:
            return value

    Variant.__name__ = f"MaxOffset{value}"
    return Variant


@pytest.mark.parametrize(("server_profile", "run_profile", "probes"), [
    ("community", "community", ["0", "100000"]),
    ("official", "official", ["0", "1000000"]),
    ("official", "lenient", ["0", "100000"]),
])
def test_offset_zero_and_the_profiles_documented_maximum_are_accepted(
    server_profile: str, run_profile: str, probes: list[str], tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 2) as server:
        ctx = context(server, run_profile)
        assert outcome(ctx, OFFSET_MAX) == "passed"
    assert sent(ctx, "offset") == probes


@pytest.mark.parametrize(("server_profile", "maximum", "refused"), [
    ("community", 99_999, "100000"),
    ("official", 999_999, "1000000"),
])
def test_a_maximum_offset_one_below_the_documented_one_fails(
    server_profile: str, maximum: int, refused: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 2, max_offset(maximum)) as server:
        failure = failure_of(context(server, server_profile), OFFSET_MAX)
    assert failure.rule == f"search accepts offset 0 and the documented maximum offset (offset={refused})"


class RefusesOffsetZero(ConvosoService):
    """Bug: an explicit offset=0 is refused."""

    def parse_offset(self, value: str) -> int:
        if value == "0":
            raise ConvosoError(7231, value)
        return super().parse_offset(value)


def test_an_explicit_offset_zero_refused_fails(tmp_path: Path) -> None:
    with serve(tmp_path, "community", 2, RefusesOffsetZero) as server:
        failure = failure_of(context(server, "lenient"), OFFSET_MAX)
    assert failure.rule.endswith("(offset=0)")


@pytest.mark.parametrize(("server_profile", "run_profile", "probe"), [
    ("community", "community", "100001"),
    ("official", "official", "1000001"),
    ("official", "lenient", "1000001"),
])
def test_an_offset_one_above_the_documented_maximum_gets_7231(
    server_profile: str, run_profile: str, probe: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 2) as server:
        ctx = context(server, run_profile)
        assert outcome(ctx, OFFSET_ABOVE) == "passed"
    assert sent(ctx, "offset")[0] == probe


@pytest.mark.parametrize(("server_profile", "run_profile", "maximum", "source"), [
    ("community", "community", 100_001, S000),
    ("official", "official", 1_000_001, S001),
    ("official", "lenient", 1_000_001, BOTH),
])
def test_an_offset_above_the_maximum_accepted_fails_citing_the_profiles_document(
    server_profile: str, run_profile: str, maximum: int, source: str, tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 2, max_offset(maximum)) as server:
        failure = failure_of(context(server, run_profile), OFFSET_ABOVE)
    assert failure.source == source
    assert failure.rule == f"search with offset above the maximum gets 7231 (offset={maximum})"


@pytest.mark.parametrize(("server_profile", "run_profile", "seen"), [
    ("community", "lenient", [("offset 500000 -> 7231", S000)]),
    ("official", "lenient", [("offset 500000 accepted", S001)]),
    ("community", "community", []),
    ("official", "official", []),
])
def test_without_a_pinned_profile_an_offset_between_the_two_maxima_is_observed(
    server_profile: str, run_profile: str, seen: list[tuple[str, str]], tmp_path: Path
) -> None:
    with serve(tmp_path, server_profile, 2) as server:
        ctx = context(server, run_profile)
        assert outcome(ctx, OFFSET_ABOVE) == "passed"
    assert [(o.observed, o.follows) for o in ctx.observations
            if o.discrepancy_id == "convoso.search.offset-max"] == seen


class NegativeOffsetAsZero(ConvosoService):
    """Bug: a negative offset is read as 0."""

    def parse_offset(self, value: str) -> int:
        return 0 if value.startswith("-") else super().parse_offset(value)


class NonIntegerOffsetAsZero(ConvosoService):
    """Bug: a non-integer offset is read as 0."""

    def parse_offset(self, value: str) -> int:
        return 0 if value.isalpha() else super().parse_offset(value)


@pytest.mark.parametrize(
    ("service", "offset"), [(NegativeOffsetAsZero, "-1"), (NonIntegerOffsetAsZero, "abc")]
)
def test_a_negative_or_non_integer_offset_accepted_fails(
    service: type[ConvosoService], offset: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 2, service) as server:
        failure = failure_of(context(server, "community"), OFFSET_INVALID)
    assert failure.rule == f"search with an invalid offset gets 7231 (offset={offset})"
    assert failure.source == BOTH


def test_negative_and_non_integer_offsets_both_get_7231_from_the_reference(tmp_path: Path) -> None:
    with serve(tmp_path, "official", 2) as server:
        ctx = context(server, "official")
        assert outcome(ctx, OFFSET_INVALID) == "passed"
    assert sent(ctx, "offset") == ["-1", "abc"]


class TotalShrinksOnFullPages(ConvosoService):
    """A target whose `total` says 1001 to a one-record search and 1000 to a full page."""

    def search(self, fields: dict[str, str]) -> dict[str, Any]:
        body = super().search(fields)
        if fields.get("limit") != "1":
            body["total"] -= 1
        return body


@pytest.mark.parametrize("check_id", [OMITTED, FILLED])
def test_a_page_whose_own_total_shows_1000_records_is_no_evidence_for_a_bound_of_1000(
    check_id: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", 1001, TotalShrinksOnFullPages) as server:
        verdict = outcome(context(server, "community"), check_id)
    assert verdict == ("inconclusive: needs more than 1000 matching records (total 1000), "
                       "and writes are not allowed")
