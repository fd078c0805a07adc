"""The Avaamo checks against the embedded reference server, over real HTTP.

Every check passes against the seeded reference, pagination walks skip on an empty one, and
one-behaviour faulty variants of the reference's Avaamo service prove that the named checks fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from optout_conformance.checks.avaamo import to_ms
from optout_conformance.checks.registry import CheckSpec, checks_for
from optout_conformance.faults.avaamo import PageRepeatsAnEntry
from optout_conformance.reference.app import create_app
from optout_conformance.reference.avaamo import AvaamoService
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.context import CheckFailed, CheckSkipped, Credentials, RunContext, Target
from optout_conformance.runner.http import HttpClient

SUBJECT_MODULES = ("avaamo", "robustness")
SEED_RECORDS = 150


def context(server: EmbeddedServer) -> RunContext:
    url = server.url("avaamo")
    return RunContext(
        target=Target(api="avaamo", base_url=url, embedded=True, loopback=True),
        credentials=Credentials(token=ReferenceConfig().token),
        profile="lenient",
        http=HttpClient(url, timeout=5.0),
    )


def subject_checks() -> list[CheckSpec]:
    return [c for c in checks_for("avaamo") if c.function.__module__.rsplit(".", 1)[-1] in SUBJECT_MODULES]


def outcome(ctx: RunContext, spec: CheckSpec) -> str:
    ctx.current_check = spec.id
    try:
        spec.function(ctx)
    except CheckFailed as failure:
        return f"failed: {failure.message}"
    except CheckSkipped as skip:
        return f"skipped: {skip.reason}"
    return "passed"


def serve(tmp: Path, service: type[AvaamoService] = AvaamoService,
          seed: int = SEED_RECORDS) -> EmbeddedServer:
    config = ReferenceConfig(db=str(tmp / f"{service.__name__}-{seed}.db"), seed_records=seed)
    return EmbeddedServer(create_app(config, avaamo=service, apis=("avaamo",)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with serve(tmp_path_factory.mktemp("avaamo")) as server:
        yield server


@pytest.mark.parametrize("spec", subject_checks(), ids=lambda c: c.id)
def test_every_avaamo_check_passes_against_the_reference(reference: EmbeddedServer, spec: CheckSpec) -> None:
    assert outcome(context(reference), spec) == "passed"


def test_pagination_walk_skips_with_the_reason_on_an_empty_target(tmp_path: Path) -> None:
    with serve(tmp_path, seed=0) as server:
        spec = next(c for c in subject_checks() if c.id.endswith("pages_are_disjoint_complete_and_stable"))
        result = outcome(context(server), spec)
    assert result.startswith("skipped:") and "0 entries" in result


def test_created_at_units_are_inferred_by_magnitude() -> None:
    assert to_ms(1_675_410_047) == 1_675_410_047_000
    assert to_ms(1_675_410_047_186) == 1_675_410_047_186
    assert to_ms("1675410047") == 1_675_410_047_000


class FloorsTotalPages(AvaamoService):
    """Faulty: total_pages = total_entries // per_page (the last partial page is not counted)."""

    def total_pages(self, total: int, per_page: int) -> int:
        return total // per_page


class ServesWithoutToken(AvaamoService):
    """Faulty: never checks the access-token."""

    def authenticate(self, token: str | None) -> None:
        return None


class NoPerPageMaximum(AvaamoService):
    """Faulty: per_page above 100 is served as asked."""

    def parse_per_page(self, value: str) -> int:
        return self.parse_positive("per_page", value, 25)


class IgnoresPhoneFilters(AvaamoService):
    """Faulty: to_phone and from_phone filter nothing."""

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        return "1 = 1", []


@pytest.mark.parametrize(
    ("service", "check_id"),
    [
        (FloorsTotalPages, "avaamo.pagination.total_pages_is_total_entries_over_per_page_rounded_up"),
        (ServesWithoutToken, "avaamo.auth.no_entries_without_a_valid_access_token"),
        (NoPerPageMaximum, "avaamo.limits.never_more_than_100_entries"),
        (IgnoresPhoneFilters, "avaamo.filters.every_filter_is_honoured"),
        (PageRepeatsAnEntry, "avaamo.pagination.pages_are_disjoint_complete_and_stable"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_check_fails_a_service_with_one_flipped_behaviour(
    tmp_path: Path, service: type[AvaamoService], check_id: str
) -> None:
    with serve(tmp_path, service) as server:
        result = outcome(context(server), next(c for c in subject_checks() if c.id == check_id))
    assert result.startswith("failed:"), result


class EmptyPageWithoutToken(AvaamoService):
    """Faithful: a request without a valid token gets HTTP 200 with no entries (003 gives no status)."""

    async def handle(self, request: Request) -> Response:
        if request.headers.get("access-token") != self.config.token:
            return JSONResponse({"entries": []})
        return await super().handle(request)


@pytest.mark.parametrize("check_id", ["avaamo.robustness.odd_input_gets_a_documented_reply",
                                      "avaamo.auth.no_entries_without_a_valid_access_token"])
def test_no_entries_without_a_token_is_enough_whatever_the_status(tmp_path: Path, check_id: str) -> None:
    with serve(tmp_path, EmptyPageWithoutToken) as server:
        result = outcome(context(server), next(c for c in subject_checks() if c.id == check_id))
    assert result == "passed"
