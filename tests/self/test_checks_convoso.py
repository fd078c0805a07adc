"""The Convoso targeted checks against the embedded reference server, over real HTTP.

Every check passes against the reference in both server profiles (run with the matching profile,
with ``auto`` after the fingerprint, and with ``lenient``), and a few one-behaviour faulty
variants of the reference prove that the named checks can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.apis.convoso.faithful import InvalidTokenWithHttp422
from optout_conformance.apis.convoso.faults_data import CampaignFilterIgnored
from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoError, ConvosoUnauthorized
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.checks import fingerprint
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CHECKS, CheckSpec
from optout_conformance.core.context import Credentials, Observation, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Store, Where
from optout_conformance.runner.context import RunContext

SEED_RECORDS = 150


def serve(tmp: Path, profile: str, convoso: type[ConvosoService] = ConvosoService) -> EmbeddedServer:
    config = ReferenceConfig(
        profile=profile, db=str(tmp / f"{profile}-{convoso.__name__}.db"), seed_records=SEED_RECORDS
    )
    return EmbeddedServer(create_app(config, convoso=convoso, apis=("convoso",)))


def context(server: EmbeddedServer, profile: str) -> RunContext:
    config = ReferenceConfig()
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url, embedded=True, loopback=True),
        credentials=Credentials(token=config.token),
        profile=profile,
        http=HttpClient(url, timeout=5.0),
    )


# The modules written as this file's subject (checks_for also lists robustness and properties checks).
TARGETED_MODULES = tuple(
    f"optout_conformance.apis.convoso.checks.{name}"
    for name in ("limits", "pagination", "errors", "filters", "state", "shapes")
)


def targeted_checks() -> list[CheckSpec]:
    return [c for c in checks_for("convoso") if c.function.__module__ in TARGETED_MODULES]


def failure_of(ctx: RunContext, spec: CheckSpec) -> CheckFailed | None:
    """The CheckFailed one check raises in ``ctx`` (None when it passes)."""
    ctx.current_check = spec.id
    try:
        spec.function(ctx)
    except CheckFailed as failure:
        return failure
    return None


def observed(ctx: RunContext, discrepancy_id: str) -> list[Observation]:
    return [o for o in ctx.observations if o.discrepancy_id == discrepancy_id]


def outcome(ctx: RunContext, spec: CheckSpec) -> str:
    """'passed', 'skipped: …' or 'failed: …' for one check run in its own view of ``ctx``."""
    return run_outcome(ctx, spec, exchange=True)


@pytest.fixture(scope="module", params=["community", "official"])
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EmbeddedServer, str]]:
    """A reference server of one profile (shared by the runs of this module) and that profile."""
    with serve(tmp_path_factory.mktemp("convoso"), request.param) as server:
        yield server, request.param


@pytest.mark.parametrize("run_profile", ["same", "auto", "lenient"])
def test_every_convoso_check_passes_against_the_reference(
    reference: tuple[EmbeddedServer, str], run_profile: str
) -> None:
    server, server_profile = reference
    profile = server_profile if run_profile == "same" else run_profile
    ctx = context(server, profile)
    if profile == "auto":
        fingerprint.detect(ctx)
    checks = targeted_checks()
    assert len(checks) >= 30
    results = {spec.id: outcome(ctx, spec) for spec in checks}
    problems = {check_id: text for check_id, text in results.items() if text != "passed"}
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_only_checks_registered_with_writes_send_inserts_or_updates(
    reference: tuple[EmbeddedServer, str],
) -> None:
    """Unflagged checks share the runner's threads: one that wrote would move another's pages."""
    server, profile = reference
    ctx = context(server, profile)
    writers = set()
    for spec in targeted_checks():
        sent = len(ctx.http.exchanges)
        outcome(ctx, spec)
        if any(e.url.endswith(("/insert", "/update")) for e in ctx.http.exchanges[sent:]):
            writers.add(spec.id)
    unflagged = sorted(check_id for check_id in writers if not CHECKS[check_id].writes)
    assert not unflagged, f"writes without writes=True: {unflagged}"
    assert writers


def test_a_check_without_writes_is_inconclusive_instead_of_creating_missing_data(tmp_path: Path) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "empty.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = context(server, "community")
        spec = CHECKS["convoso.filters.id_filter_returns_exactly_that_record"]
        verdict = outcome(ctx, spec)
        assert verdict.startswith("inconclusive: needs 1 record(s)"), verdict
        assert verdict.endswith("this check only reads")
        assert not [e for e in ctx.http.exchanges if e.url.endswith("/insert")]


class CommunityServingOfficialDefault(ConvosoService):
    """Bug: a community server whose default page is 001's 100 instead of 000's 1000."""

    def default_limit(self) -> int:
        return 100


class OffsetMaximumNotEnforced(ConvosoService):
    """Bug: any offset is accepted; 7231 is never given for an offset above the maximum."""

    def max_offset(self) -> int:
        return 10**12


class BlankStoredLiterally(ConvosoService):
    """Bug: -BLANK- on update is stored as the text "-BLANK-" instead of clearing the field."""

    def clear_blank(self, value: str) -> str:
        return value


class IdFilterIgnored(ConvosoService):
    """Bug: the id filter is ignored; search id=X returns every record."""

    def filter_id(self, value: str):  # type: ignore[no-untyped-def]
        return None


class PhoneCodeFilterIgnored(ConvosoService):
    """Bug: the phone_code filter is ignored; search phone_code=C returns records of every code."""

    def filter_phone_code(self, value: str):  # type: ignore[no-untyped-def]
        return None


class TotalCountsThePage(ConvosoService):
    """Bug: `total` is the number of records on the page, not of every match."""

    def format_search_response(self, offset, limit, total, records):  # type: ignore[no-untyped-def]
        return super().format_search_response(offset, limit, len(records), records)


class PagesOverlap(ConvosoService):
    """Bug: every page after the first starts one record early, so neighbouring pages overlap."""

    def page(self, where, offset, limit):  # type: ignore[no-untyped-def]
        return super().page(where, max(0, offset - 1), limit)


@pytest.mark.parametrize(
    ("faulty", "check_id"),
    [
        (
            CommunityServingOfficialDefault,
            "convoso.limits.omitted_limit_serves_the_documented_default_page_size",
        ),
        (OffsetMaximumNotEnforced, "convoso.limits.offset_above_the_maximum_gets_7231"),
        (BlankStoredLiterally, "convoso.state.blank_clears_reason_and_purpose"),
        (IdFilterIgnored, "convoso.filters.id_filter_returns_exactly_that_record"),
        (PagesOverlap, "convoso.pagination.consecutive_pages_are_disjoint_and_cover_the_total"),
        (
            PhoneCodeFilterIgnored,
            "convoso.filters.phone_number_and_phone_code_filters_return_only_matches",
        ),
        (TotalCountsThePage, "convoso.pagination.consecutive_pages_are_disjoint_and_cover_the_total"),
        (TotalCountsThePage, "convoso.pagination.total_is_the_same_on_every_page"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else value.rsplit(".", 1)[-1],
)
def test_a_faulty_reference_fails_the_named_check(
    faulty: type[ConvosoService], check_id: str, tmp_path: Path
) -> None:
    spec = {c.id: c for c in targeted_checks()}[check_id]
    with serve(tmp_path, "community", faulty) as server:
        assert outcome(context(server, "community"), spec).startswith("failed: ")


def hostile_app(body: str, status: int, media_type: str) -> Starlette:
    """A target that answers every request with the same body."""

    async def answer(request: Request) -> Response:
        return Response(body, status_code=status, media_type=media_type)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


@pytest.mark.parametrize(
    ("body", "status", "media_type"),
    [
        ("<html><body>Maintenance</body></html>", 200, "text/html"),
        ('{"success": true, "records": [', 200, "application/json"),
        ('{"success": false, "error": "Internal error"}', 500, "application/json"),
    ],
    ids=["html", "invalid-json", "http-500"],
)
def test_no_check_passes_or_crashes_against_a_target_answering_garbage(
    body: str, status: int, media_type: str
) -> None:
    with EmbeddedServer(hostile_app(body, status, media_type)) as server:
        ctx = context(server, "lenient")
        results = {spec.id: outcome(ctx, spec) for spec in targeted_checks()}
    passed = [check_id for check_id, text in results.items() if text == "passed"]
    assert not passed


CAMPAIGN_FILTER = "convoso.filters.campaign_id_filter_returns_only_that_campaign"


class PurposeTypeSelectsPurposeRecords(ConvosoService):
    """Faithful: campaign_id=-1 selects every "Purpose type opt-out" (each record with a purpose,
    served with its own campaign id). 000 names -1 "Purpose type" without saying which reading."""

    def filter_campaign_id(self, value: str) -> Where | None:
        if value == "-1":
            return "purpose != ''", []
        return super().filter_campaign_id(value)


class PurposeTypeSearchRefused(ConvosoService):
    """Faithful: campaign_id=-1 is a selector for inserts only; a search for it gets 6006."""

    def filter_campaign_id(self, value: str) -> Where | None:
        if value == "-1":
            raise ConvosoError(6006, value)
        return super().filter_campaign_id(value)


@pytest.mark.parametrize("variant", [PurposeTypeSelectsPurposeRecords, PurposeTypeSearchRefused])
def test_campaign_minus_one_served_as_a_selector_or_refused_is_observed_not_failed(
    variant: type[ConvosoService], tmp_path: Path
) -> None:
    with serve(tmp_path, "community", variant) as server:
        ctx = context(server, "community")
        assert failure_of(ctx, CHECKS[CAMPAIGN_FILTER]) is None
    [observation] = observed(ctx, "convoso.campaign.purpose-type")
    assert "search -1" in observation.observed


def test_campaign_minus_one_observation_names_the_campaign_ids_served(tmp_path: Path) -> None:
    with serve(tmp_path, "community", PurposeTypeSelectsPurposeRecords) as server:
        ctx = context(server, "community")
        failure_of(ctx, CHECKS[CAMPAIGN_FILTER])
    [observation] = observed(ctx, "convoso.campaign.purpose-type")
    assert len(observation.observed["search -1"]["campaign_ids"]) > 1


def test_campaign_filter_zero_stays_strict(tmp_path: Path) -> None:
    with serve(tmp_path, "community", CampaignFilterIgnored) as server:
        failure = failure_of(context(server, "community"), CHECKS[CAMPAIGN_FILTER])
    assert failure is not None and "campaign_id" in failure.message
    assert failure.exchange is not None


TOKEN_CHECKS = [spec for spec in targeted_checks() if spec.id.endswith("invalid_token_is_refused")
                or spec.id.endswith("invalid_or_missing_token_is_refused")]


class InvalidTokenServerError(ConvosoService):
    """Bug: an invalid token crashes the server (HTTP 500; glossary: 500 = server failed)."""

    def unauthorized_response(self) -> Response:
        return JSONResponse({"success": False, "error": "Invalid authentication token"}, status_code=500)


def test_invalid_token_with_http_422_passes_and_its_status_is_observed(tmp_path: Path) -> None:
    assert len(TOKEN_CHECKS) == 3
    with serve(tmp_path, "community", InvalidTokenWithHttp422) as server:
        ctx = context(server, "community")
        failures = {spec.id: failure_of(ctx, spec) for spec in TOKEN_CHECKS}
    assert failures == dict.fromkeys(failures)
    statuses = {(o.observed["status"], o.follows) for o in observed(ctx, "convoso.auth.invalid-token")}
    assert statuses == {(422, None)}


def test_invalid_token_with_http_401_is_reported_as_following_the_glossary(tmp_path: Path) -> None:
    with serve(tmp_path, "community") as server:
        ctx = context(server, "community")
        failure_of(ctx, CHECKS["convoso.errors.search_with_an_invalid_or_missing_token_is_refused"])
    assert {o.follows for o in observed(ctx, "convoso.auth.invalid-token")} == {"Convoso glossary"}


def test_invalid_token_with_http_500_fails_with_the_exchange(tmp_path: Path) -> None:
    with serve(tmp_path, "community", InvalidTokenServerError) as server:
        ctx = context(server, "community")
        failures = [failure_of(ctx, spec) for spec in TOKEN_CHECKS]
    assert all(f is not None and f.exchange is not None and f.exchange.status == 500 for f in failures)


class UnauthorizedUpdateHidesTheRecord(ConvosoService):
    """Bug: an update with a wrong token is refused, yet the record vanishes from search."""

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        super().__init__(config, store)
        self.gone: set[int] = set()

    def authenticate(self, fields: dict[str, str]) -> None:  # type: ignore[override]
        try:
            super().authenticate(fields)
        except ConvosoUnauthorized:
            if fields.get("id", "").isdigit():
                self.gone.add(int(fields["id"]))
            raise

    def filter_id(self, value: str) -> Where | None:
        where = super().filter_id(value)
        if where is None or not self.gone:
            return where
        marks = ", ".join("?" * len(self.gone))
        return f"{where[0]} AND id NOT IN ({marks})", [*where[1], *sorted(self.gone)]


def test_a_record_gone_after_a_refused_update_fails_with_the_exchange(tmp_path: Path) -> None:
    with serve(tmp_path, "community", UnauthorizedUpdateHidesTheRecord) as server:
        ctx = context(server, "community")
        failure = failure_of(ctx, CHECKS["convoso.errors.update_with_an_invalid_token_is_refused"])
    assert failure is not None and "0 records with id" in failure.received
    assert failure.exchange is not None and "/sms-opt-out/update" in failure.exchange.url


class InsertDateWithSlashes(ConvosoService):
    """Bug: insert_date as MM/DD/YYYY, a format neither document shows."""

    def format_insert_date(self, stored: str) -> str:
        return f"{stored[5:7]}/{stored[8:10]}/{stored[:4]}"


class GlobalCampaignNameNull(ConvosoService):
    """Bug: campaign_name null on global records (both documents show a string)."""

    def format_record(self, record):  # type: ignore[no-untyped-def]
        return {**super().format_record(record), "campaign_name": None}


@pytest.mark.parametrize(
    ("faulty", "check_id"),
    [
        (InsertDateWithSlashes, "convoso.shapes.insert_date_has_the_profile_format"),
        (GlobalCampaignNameNull, "convoso.shapes.global_campaign_name_follows_the_profile"),
    ],
    ids=["insert_date", "campaign_name"],
)
def test_a_shape_failure_carries_the_search_that_served_it(
    faulty: type[ConvosoService], check_id: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", faulty) as server:
        failure = failure_of(context(server, "community"), CHECKS[check_id])
    assert failure is not None and failure.exchange is not None
    assert "/sms-opt-out/search" in failure.exchange.curl()


class DefaultLimit10(ConvosoService):
    """Bug: a page of 10 without `limit` (000 documents 1000, 001 100)."""

    def default_limit(self) -> int:
        return 10


@pytest.mark.parametrize(("variant", "verdict"), [(ConvosoService, "passed"), (DefaultLimit10, "failed")])
def test_default_page_on_a_target_with_few_records_must_hold_every_match(
    variant: type[ConvosoService], verdict: str, tmp_path: Path
) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "few.db"), seed_records=40)
    with EmbeddedServer(create_app(config, convoso=variant, apis=("convoso",))) as server:
        spec = CHECKS["convoso.limits.omitted_limit_serves_the_documented_default_page_size"]
        assert outcome(context(server, "community"), spec).startswith(verdict)


# -- the rule of evidence: no pass without the evidence the rule needs ---------------------------

# Checks whose evidence is the answer to the request they send (an offset accepted or refused, a
# token refused, the types of offset/limit/total): they may pass against an empty target. Every
# other check needs records.
NEEDS_NO_RECORDS = {
    "convoso.shapes.paging_fields_have_the_profile_types",
    "convoso.limits.offset_zero_and_the_documented_maximum_are_accepted",
    "convoso.limits.offset_above_the_maximum_gets_7231",
    "convoso.limits.negative_or_non_integer_offset_gets_7231",
    "convoso.errors.search_with_an_invalid_or_missing_token_is_refused",
}


def read_only_context(server: EmbeddedServer, profile: str) -> RunContext:
    """A context for a target that is neither embedded nor writable (as a remote target is)."""
    url = server.url("convoso")
    return RunContext(
        target=Target(api="convoso", base_url=url),
        credentials=Credentials(token=ReferenceConfig().token),
        profile=profile,
        http=HttpClient(url, timeout=5.0),
    )


@pytest.mark.parametrize("profile", ["community", "official", "lenient"])
def test_against_an_empty_read_only_target_no_check_needing_records_passes(
    profile: str, tmp_path: Path
) -> None:
    config = ReferenceConfig(profile="official" if profile == "official" else "community",
                             db=str(tmp_path / "empty.db"), seed_records=0)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = read_only_context(server, profile)
        results = {spec.id: outcome(ctx, spec) for spec in targeted_checks()}
        inserts = [e for e in ctx.http.exchanges if e.url.endswith(("/insert", "/update"))]
    passed = {check_id for check_id, text in results.items() if text == "passed"}
    assert passed <= NEEDS_NO_RECORDS, sorted(passed - NEEDS_NO_RECORDS)
    readers = {spec.id for spec in targeted_checks() if not spec.writes} - NEEDS_NO_RECORDS
    assert all(results[check_id].startswith("inconclusive: ") for check_id in readers), {
        check_id: results[check_id] for check_id in readers if not results[check_id].startswith("inc")
    }
    assert not inserts


def test_a_limit_check_creates_the_records_its_bound_needs_when_writes_are_allowed(tmp_path: Path) -> None:
    config = ReferenceConfig(profile="community", db=str(tmp_path / "few.db"), seed_records=10)
    with EmbeddedServer(create_app(config, apis=("convoso",))) as server:
        ctx = context(server, "community")
        spec = CHECKS["convoso.limits.limit_1000_is_accepted_and_filled"]
        assert outcome(ctx, spec) == "passed"
        body = ctx.http.post("/sms-opt-out/search", data={"auth_token": "reference-token", "limit": "1"})
    assert int(body.json()["total"]) > 1000


# -- misses of a review, as classes ------------------------------------------------------------

FILTER_FAULTS = [
    ("convoso-id-filter-ignored", "id_filter_returns_exactly_that_record"),
    ("convoso-campaign-filter-ignored", "campaign_id_filter_returns_only_that_campaign"),
    ("convoso-phone-number-filter-ignored", "phone_number_and_phone_code_filters_return_only_matches"),
    ("convoso-phone-code-filter-ignored", "phone_number_and_phone_code_filters_return_only_matches"),
    ("convoso-reason-filter-ignored", "reason_and_purpose_text_filters_match_by_containment"),
    ("convoso-purpose-filter-ignored", "reason_and_purpose_text_filters_match_by_containment"),
    ("convoso-insert-date-filter-ignored", "insert_date_filter_returns_records_of_that_day"),
    ("convoso-insert-date-filter-ignored-in-any-profile", "insert_date_filter_returns_records_of_that_day"),
]


def serve_fault(tmp: Path, name: str, server_profile: str) -> EmbeddedServer:
    from optout_conformance.faults.catalog import build_app

    config = ReferenceConfig(profile=server_profile, db=str(tmp / f"{name}.db"), seed_records=SEED_RECORDS)
    return EmbeddedServer(build_app(name, config, apis=("convoso",)))


@pytest.mark.parametrize("run_profile", ["community", "official", "lenient"])
@pytest.mark.parametrize(("name", "check"), FILTER_FAULTS, ids=[f[0] for f in FILTER_FAULTS])
def test_a_filter_ignored_entirely_fails_in_every_profile(
    name: str, check: str, run_profile: str, tmp_path: Path
) -> None:
    from optout_conformance.faults.catalog import get

    server_profile = get(name).server_profile or ("official" if run_profile == "official" else "community")
    with serve_fault(tmp_path, name, server_profile) as server:
        verdict = outcome(context(server, run_profile), CHECKS[f"convoso.filters.{check}"])
    assert verdict.startswith("failed: "), verdict


class CaseInsensitiveTrimmedMatching(ConvosoService):
    """Faithful: text filters match with case and surrounding whitespace aside (matching is
    unspecified: neither document says exact, partial or case-insensitive)."""

    def filter_phone_number(self, value: str) -> Where | None:
        return None if value == "" else ("trim(phone_number) = trim(?)", [value])

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if value in ("", "-BLANK-", "-NOTBLANK-"):
            return super().filter_text(column, value, invalid_code)
        return f"lower(trim({column})) = lower(trim(?))", [value]


def test_case_insensitive_and_trimmed_text_filters_pass_and_are_observed(tmp_path: Path) -> None:
    with serve(tmp_path, "community", CaseInsensitiveTrimmedMatching) as server:
        ctx = context(server, "community")
        first = ctx.http.post("/sms-opt-out/search", data={"auth_token": "reference-token",
                                                           "reason": "-NOTBLANK-", "limit": "1"})
        reason = first.json()["records"][0]["reason"]
        # A record whose reason differs from the sampled one only in case and spaces.
        ctx.http.post("/sms-opt-out/insert", data={
            "auth_token": "reference-token", "phone_number": ctx.fictional_phone(), "phone_code": "1",
            "campaign_id": "0", "reason": f" {reason.upper()} ", "purpose": "Survey"})
        text_check = CHECKS["convoso.filters.reason_and_purpose_text_filters_match_by_containment"]
        verdicts = {spec.id: outcome(ctx, spec) for spec in targeted_checks()
                    if spec.family == "filters"}
    assert set(verdicts.values()) == {"passed"}, verdicts
    assert verdicts[text_check.id] == "passed"
    seen = [o.observed for o in observed(ctx, "convoso.search.text-filter-matching")]
    assert {"reason": "case or whitespace aside"} in seen
    assert {"reason": "case-insensitive"} in seen


def test_exact_text_matching_is_observed_as_case_sensitive(tmp_path: Path) -> None:
    with serve(tmp_path, "community") as server:
        ctx = context(server, "community")
        verdict = outcome(ctx, CHECKS["convoso.filters.reason_and_purpose_text_filters_match_by_containment"])
    assert verdict == "passed"
    seen = [o.observed for o in observed(ctx, "convoso.search.text-filter-matching")]
    assert {"reason": "case-sensitive"} in seen


class InvalidTokenWithCode401(ConvosoService):
    """Faithful: an auth failure answered {"success": false, "code": 401, "error": "Invalid
    authentication token"} (000's Error Handling gives the message without a code; the glossary,
    a public fact, gives 401 for a missing or invalid token)."""

    def unauthorized_response(self) -> Response:
        body = {"success": False, "code": 401, "error": "Invalid authentication token"}
        return JSONResponse(body, status_code=401)


@pytest.mark.parametrize("profile", ["community", "official"])
def test_an_auth_failure_with_code_401_passes_every_convoso_check(profile: str, tmp_path: Path) -> None:
    with serve(tmp_path, profile, InvalidTokenWithCode401) as server:
        ctx = context(server, profile)
        results = {spec.id: outcome(ctx, spec) for spec in targeted_checks()}
    problems = {k: v for k, v in results.items() if v != "passed"}
    assert not problems, problems


@pytest.mark.parametrize(
    ("name", "check_id", "said"),
    [
        ("convoso-insert-stored-despite-bad-token",
         "convoso.errors.insert_with_an_invalid_token_is_refused", "a refused insert stores nothing"),
        ("convoso-unknown-campaign-insert-stored-globally",
         "convoso.errors.insert_with_an_unknown_campaign_gets_6006", "a refused insert stores nothing"),
        ("convoso-duplicate-stored-despite-6008",
         "convoso.state.duplicate_insert_leaves_a_single_record", "one record"),
        ("convoso-colliding-update-half-applied",
         "convoso.state.refused_colliding_update_changes_nothing", "unchanged"),
        ("convoso-refused-campaign-update-applied",
         "convoso.errors.update_with_an_unknown_campaign_gets_6004", "a refused update changes nothing"),
    ],
    ids=lambda value: value if value.startswith("convoso-") else "",
)
def test_a_refused_write_that_writes_anyway_fails_on_read_back(
    name: str, check_id: str, said: str, tmp_path: Path
) -> None:
    with serve_fault(tmp_path, name, "community") as server:
        failure = failure_of(context(server, "community"), CHECKS[check_id])
    assert failure is not None and said in failure.documented
    assert failure.exchange is not None


@pytest.mark.parametrize("profile", ["community", "official", "lenient"])
def test_an_error_code_from_another_operations_table_fails(profile: str, tmp_path: Path) -> None:
    """6006 is in the insert and search tables, not in update's (which lists 6004)."""
    with serve_fault(tmp_path, "convoso-update-unknown-campaign-gets-6006", "community") as server:
        failure = failure_of(context(server, profile),
                             CHECKS["convoso.errors.update_with_an_unknown_campaign_gets_6004"])
    assert failure is not None and "code 6006" in failure.received


class NewestFirst(ConvosoService):
    """Faithful: records newest first (no document fixes an order; this one is stable)."""

    def page(self, where: Where, offset: int, limit: int) -> list:  # type: ignore[type-arg]
        total = self.count(where)
        if offset >= total:
            return []
        start = max(total - offset - limit, 0)
        return list(reversed(self.store.page_convoso(where, start, total - offset - start)))


ORDER_CHECK = "convoso.pagination.identical_searches_return_the_same_order"


def test_a_stable_order_other_than_the_references_passes_and_is_observed(tmp_path: Path) -> None:
    with serve(tmp_path, "community", NewestFirst) as server:
        ctx = context(server, "community")
        verdicts = {spec.id: outcome(ctx, spec) for spec in targeted_checks()
                    if spec.family == "pagination"}
    assert set(verdicts.values()) == {"passed"}, verdicts
    assert [o.observed for o in observed(ctx, "convoso.search.order")] == ["stable"]


def test_an_order_drawn_afresh_for_each_search_fails_the_row_offset_rule(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-unstable-order", "community") as server:
        failure = failure_of(context(server, "community"), CHECKS[ORDER_CHECK])
    assert failure is not None and "one result set" in failure.documented


COLLISION_CHECK = "convoso.errors.update_to_an_existing_combination_gets_6059"
ACCEPTS_COLLISIONS = "convoso+community+update.combination-exists=update-replaces-other"


@pytest.mark.parametrize("profile", ["community", "official", "lenient"])
def test_an_update_onto_another_records_key_that_is_accepted_and_applied_passes(
    profile: str, tmp_path: Path
) -> None:
    """000 does not say what 6059's "combination" compares (registry convoso.update.combination-exists)."""
    with serve_fault(tmp_path, ACCEPTS_COLLISIONS, "community") as server:
        ctx = context(server, profile)
        result = outcome(ctx, CHECKS[COLLISION_CHECK])
        state = outcome(ctx, CHECKS["convoso.state.refused_colliding_update_changes_nothing"])
    assert result == "passed", result
    assert state.startswith("skipped:") and "no refusal" in state
    assert "accepted" in [o.observed for o in observed(ctx, "convoso.update.combination-exists")]


def test_an_update_onto_another_records_key_answered_success_but_not_applied_fails(tmp_path: Path) -> None:
    with serve_fault(tmp_path, "convoso-colliding-update-accepted", "community") as server:
        failure = failure_of(context(server, "community"), CHECKS[COLLISION_CHECK])
    assert failure is not None and "applied" in failure.documented


class UpdateIgnoresPurpose(ConvosoService):
    """Bug: an update applies reason but silently drops purpose (and still answers data.id)."""

    def update(self, fields: dict[str, str]) -> dict[str, Any]:
        return super().update({k: v for k, v in fields.items() if k != "purpose"})


class UpdateIgnoresReason(ConvosoService):
    """Bug: an update applies purpose but silently drops reason (and still answers data.id)."""

    def update(self, fields: dict[str, str]) -> dict[str, Any]:
        return super().update({k: v for k, v in fields.items() if k != "reason"})


class PagesAfterTheFirstSkipARow(ConvosoService):
    """Bug: offset is one row too far, so the pages at 0 and L are disjoint but miss row L."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        return super().page(where, offset + 1 if offset else 0, limit)


@pytest.mark.parametrize(
    ("faulty", "check_id", "documented"),
    [
        (UpdateIgnoresPurpose, "convoso.state.update_is_applied_and_visible", "purpose 'Reminder'"),
        (UpdateIgnoresReason, "convoso.state.update_is_applied_and_visible", "purpose 'Reminder'"),
        (PagesAfterTheFirstSkipARow, ORDER_CHECK, "the same records: offset is a row offset"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_check_fails_a_target_that_gets_only_half_of_its_rule_right(
    faulty: type[ConvosoService], check_id: str, documented: str, tmp_path: Path
) -> None:
    with serve(tmp_path, "community", faulty) as server:
        failure = failure_of(context(server, "community"), CHECKS[check_id])
    assert failure is not None and documented in failure.documented, failure
