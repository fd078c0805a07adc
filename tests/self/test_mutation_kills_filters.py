"""The Convoso filter rules: what a filter check needs, what it fails and what it only observes.

Every search parameter both documents list is a filter; matching of text is unspecified (exact,
partial, case or whitespace aside: observed), and so is the order of the records a search serves.
The targets are the reference server or a variant of it that changes one behaviour, over real
HTTP on 127.0.0.1; the observation helpers are fed hand-made records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from check_outcome import run_outcome

from optout_conformance.apis.convoso.checks import filters
from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoBadRequest, ConvosoError
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CHECKS
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.http import HttpClient
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import GLOBAL, Campaign, ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.reference.store import Where
from optout_conformance.runner.context import RunContext

FILTER_CHECKS = sorted(spec.id for spec in checks_for("convoso") if spec.family == "filters")
ID_FILTER = "convoso.filters.id_filter_returns_exactly_that_record"
CAMPAIGN_FILTER = "convoso.filters.campaign_id_filter_returns_only_that_campaign"
TEXT_FILTERS = "convoso.filters.reason_and_purpose_text_filters_match_by_containment"
COMBINED = "convoso.filters.combined_filters_are_all_applied"
MATCHING = "convoso.search.text-filter-matching"


@contextmanager
def reference(
    tmp: Path, service: type[ConvosoService] = ConvosoService, *, records: int = 150,
    profile: str = "community", **config: Any
) -> Iterator[RunContext]:
    """A read-only context (nothing may be written, as on a remote target) against the reference,
    server and run in ``profile``."""
    settings = ReferenceConfig(profile=profile, db=str(tmp / f"{service.__name__}.db"),
                               seed_records=records, **config)
    with EmbeddedServer(create_app(settings, convoso=service, apis=("convoso",))) as server:
        url = server.url("convoso")
        yield RunContext(
            target=Target(api="convoso", base_url=url),
            credentials=Credentials(token=settings.token),
            profile=profile,
            http=HttpClient(url, timeout=10.0),
        )


def verdict(ctx: RunContext, check_id: str) -> str:
    return run_outcome(ctx, CHECKS[check_id])


def observed(ctx: RunContext, discrepancy_id: str) -> list[Any]:
    return [o.observed for o in ctx.observations if o.discrepancy_id == discrepancy_id]


def bare_context() -> RunContext:
    """A context for the observation helpers alone (they send nothing)."""
    return RunContext(
        target=Target(api="convoso", base_url="http://127.0.0.1:9/v1"),
        credentials=Credentials(token="unused"),
        profile="community",
        http=HttpClient("http://127.0.0.1:9/v1", timeout=1.0),
    )


# -- how text matched is observed, never failed --------------------------------------------------

@pytest.mark.parametrize(
    ("sent", "served", "seen"),
    [
        ({"reason": "Moved"}, [{"reason": "Moved"}], []),
        ({"reason": "Moved"}, [{"reason": "Moved away"}], [{"reason": "partial"}]),
        ({"reason": "Moved"}, [{"reason": "Has Moved"}], [{"reason": "partial"}]),
        ({"reason": "Moved"}, [{"reason": " moved "}], [{"reason": "case or whitespace aside"}]),
        ({"reason": "Moved"}, [{"reason": "Moved"}, {"reason": "MOVED out"}],
         [{"reason": "case or whitespace aside"}]),
        ({"campaign_id": "0", "reason": "Moved"}, [{"campaign_id": "10", "reason": "moved"}],
         [{"reason": "case or whitespace aside"}]),
        ({"reason": "Moved", "purpose": "Survey"}, [{"reason": "Moved", "purpose": "Survey 2"}],
         [{"purpose": "partial"}]),
        ({"id": "5", "phone_code": "4"}, [{"id": "15", "phone_code": "44"}], [{"phone_code": "partial"}]),
        ({"reason": "-BLANK-", "purpose": "-NOTBLANK-"}, [{"reason": "", "purpose": "x-NOTBLANK-y"}], []),
    ],
)
def test_how_a_text_filter_matched_is_observed_per_field_and_other_filters_are_not(
    sent: dict[str, str], served: list[dict[str, Any]], seen: list[dict[str, str]]
) -> None:
    ctx = bare_context()
    filters.observe_matching(ctx, sent, served)
    assert observed(ctx, MATCHING) == seen


@pytest.mark.parametrize(
    ("codes", "code", "other"),
    [
        (["1", "1", "44", "44", "44", "7"], "1", "7"),  # the rarest other code
        (["1", "44", "44", "33", "33"], "1", "33"),  # equally rare: the smaller
        (["44", "4", "144", "1"], "44", "1"),  # never one that holds the code or is held by it
        (["1", " ", "", "1"], "1", "44"),  # no other code in the sample
        (["44", "44"], "44", "1"),
        (["441"], "441", "1"),
    ],
)
def test_the_phone_code_searched_alone_is_another_code_that_containment_cannot_confuse(
    codes: list[str], code: str, other: str
) -> None:
    assert filters.other_phone_code([{"phone_code": c} for c in codes], code) == other


def test_text_matching_is_observed_on_the_sampled_record_whatever_else_matches(tmp_path: Path) -> None:
    with reference(tmp_path, CaseInsensitiveText) as ctx:
        assert verdict(ctx, TEXT_FILTERS) == "passed"
    assert {"reason": "case-insensitive"} in observed(ctx, MATCHING)


# -- evidence: a filter is judged only where it could be told from none --------------------------

def test_a_target_with_a_single_record_leaves_every_filter_check_inconclusive(tmp_path: Path) -> None:
    """One record matches every filter its values came from: nothing to leave out."""
    with reference(tmp_path, records=1) as ctx:
        results = {check_id: verdict(ctx, check_id) for check_id in FILTER_CHECKS}
    assert results[ID_FILTER].startswith("inconclusive: needs a record that does not match")
    assert {r.split(":")[0] for r in results.values()} == {"inconclusive"}, results


def test_records_of_a_single_campaign_leave_the_campaign_filter_inconclusive(tmp_path: Path) -> None:
    only_global = (Campaign(0, "Global SMS Opt-Out", GLOBAL),)
    with reference(tmp_path, campaigns=only_global) as ctx:
        result = verdict(ctx, CAMPAIGN_FILTER)
    assert result.startswith("inconclusive: needs records of a campaign and records of another")


@pytest.mark.parametrize("with_global", [True, False], ids=["with-the-global-list", "large-ids-only"])
def test_campaign_ids_of_any_size_are_compared_by_value(with_global: bool, tmp_path: Path) -> None:
    # Only large ids too: the record a check samples then carries one (CPython shares small ints,
    # so a comparison by identity would pass on ids below 257).
    large = (Campaign(98765, "Sales", "campaign"), Campaign(123456, "Support", "campaign"))
    campaigns = ((Campaign(0, "Global SMS Opt-Out", GLOBAL),) if with_global else ()) + large
    with reference(tmp_path, campaigns=campaigns) as ctx:
        results = {check_id: verdict(ctx, check_id) for check_id in (CAMPAIGN_FILTER, COMBINED)}
    assert results == {CAMPAIGN_FILTER: "passed", COMBINED: "passed"}


def combined_search_serving_campaign(other: str) -> type[ConvosoService]:
    """Bug: campaign_id is dropped when other filters come with it, so the number's record in
    campaign ``other`` (an id above or below every real one) is served too."""

    class Variant(ConvosoService):
        def search(self, fields: dict[str, str]) -> dict[str, Any]:
            body = super().search(fields)
            if "campaign_id" in fields and "phone_number" in fields and body["records"]:
                extra = {**body["records"][0], "id": "999999", "campaign_id": other}
                body = {**body, "records": [*body["records"], extra], "total": int(body["total"]) + 1}
            return body

    Variant.__name__ = f"CombinedSearchServesCampaign{other}"
    return Variant


@pytest.mark.parametrize("other", ["999", "-5"])
def test_combined_filters_serving_a_record_of_a_higher_or_lower_campaign_id_fail(
    other: str, tmp_path: Path
) -> None:
    with reference(tmp_path, combined_search_serving_campaign(other)) as ctx:
        result = verdict(ctx, COMBINED)
    assert result.startswith("failed: combined filters are all applied"), result


# -- a filter broken for one value fails -------------------------------------------------------

class CampaignFilterIgnoredFor(ConvosoService):
    """Bug: the campaign_id filter is ignored for one campaign id (``ignored``)."""

    ignored = ""

    def filter_campaign_id(self, value: str) -> Where | None:
        return None if value == self.ignored else super().filter_campaign_id(value)


@pytest.mark.parametrize("campaign", ["0", "111", "222"])
def test_a_campaign_filter_ignored_for_any_one_campaign_the_records_carry_fails(
    campaign: str, tmp_path: Path
) -> None:
    service = type(f"CampaignFilterIgnoredFor{campaign}", (CampaignFilterIgnoredFor,), {"ignored": campaign})
    with reference(tmp_path, service) as ctx:
        assert verdict(ctx, CAMPAIGN_FILTER).startswith("failed: the campaign_id filter returns only")


class UnknownCampaignRefused(ConvosoService):
    """Faithful: a search for a campaign id the account lacks gets 6006 "Invalid Campaign ID"
    (registry convoso.search.campaign-filter-unknown)."""

    def filter_campaign_id(self, value: str) -> Where | None:
        if value == "111":
            raise ConvosoError(6006, value)
        return super().filter_campaign_id(value)


class UnknownCampaignRefusedWithAnotherCode(ConvosoService):
    """Bug: an unknown campaign id refused with 6004, a code of the update table only."""

    def filter_campaign_id(self, value: str) -> Where | None:
        if value == "111":
            raise ConvosoError(6004, value)
        return super().filter_campaign_id(value)


def only_campaigns_0_and_222() -> tuple[Campaign, ...]:
    return (Campaign(0, "Global SMS Opt-Out", GLOBAL), Campaign(222, "Support Campaign", "campaign"))


def test_an_unknown_campaign_refused_with_6006_passes_and_is_observed(tmp_path: Path) -> None:
    with reference(tmp_path, UnknownCampaignRefused, campaigns=only_campaigns_0_and_222()) as ctx:
        assert verdict(ctx, CAMPAIGN_FILTER) == "passed"
    seen = observed(ctx, "convoso.search.campaign-filter-unknown")
    assert {"111": "6006"} in seen and {"abc": "code 6006"} in seen


def test_an_unknown_campaign_refused_with_a_code_outside_the_search_table_fails(tmp_path: Path) -> None:
    service = UnknownCampaignRefusedWithAnotherCode
    with reference(tmp_path, service, campaigns=only_campaigns_0_and_222()) as ctx:
        result = verdict(ctx, CAMPAIGN_FILTER)
    assert result.startswith("failed: the campaign_id filter returns only records of that campaign "
                             "(campaign_id=111)")


def test_the_reference_campaign_searches_are_observed(tmp_path: Path) -> None:
    with reference(tmp_path) as ctx:
        assert verdict(ctx, CAMPAIGN_FILTER) == "passed"
        purpose_records = len(ctx.http.post("/sms-opt-out/search", data={
            "auth_token": "reference-token", "campaign_id": "-1", "limit": "1000"}).json()["records"])
    assert observed(ctx, "convoso.search.campaign-filter-unknown") == [{"abc": "code 6006"}]
    assert observed(ctx, "convoso.campaign.purpose-type") == [
        {"search -1": {"records": purpose_records, "campaign_ids": ["-1"]}}
    ]
    assert purpose_records > 0


# -- the order of a filtered search is unspecified ----------------------------------------------

class CaseInsensitiveText(ConvosoService):
    """Faithful: reason and purpose match with case aside (matching is unspecified)."""

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if value in ("", "-BLANK-", "-NOTBLANK-"):
            return super().filter_text(column, value, invalid_code)
        return f"lower({column}) = lower(?)", [value]


class TextMatchesNewestFirst(ConvosoService):
    """Faithful: a search for a reason or purpose text lists its records newest first, every other
    search oldest first (no document fixes an order; each search's order is stable)."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        if "reason = ?" not in where[0] and "purpose = ?" not in where[0]:
            return super().page(where, offset, limit)
        total = self.count(where)
        if offset >= total:
            return []
        start = max(total - offset - limit, 0)
        return list(reversed(self.store.page_convoso(where, start, total - offset - start)))


def test_more_than_a_page_of_matches_listed_in_another_order_passes_every_filter_check(
    tmp_path: Path,
) -> None:
    """7,200 records: over 1,000 share the sampled (oldest) record's reason, and the search for
    that reason lists it after the first 1,000: a full page need not hold every match, so the
    record is not missing."""
    with reference(tmp_path, TextMatchesNewestFirst, records=7200) as ctx:
        results = {check_id: verdict(ctx, check_id) for check_id in FILTER_CHECKS}
    assert results == dict.fromkeys(FILTER_CHECKS, "passed")


class ReasonSearchLosesTheOldestMatch(ConvosoService):
    """Bug: a search for a reason text leaves out the oldest record with that reason."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        rows = super().page(where, offset, limit + 1)
        if "reason = ?" in where[0]:
            oldest = min(row.id for row in super().page(where, 0, 1))
            rows = [row for row in rows if row.id != oldest]
        return rows[:limit]


def test_a_reason_search_serving_999_of_its_1000_matches_fails_naming_the_missing_record(
    tmp_path: Path,
) -> None:
    """6,994 records: "User Request" (every seventh) has 1,000; a page of 999 is not full, so it
    must hold every match, and the oldest one (the sampled record) is missing."""
    with reference(tmp_path, ReasonSearchLosesTheOldestMatch, records=6994) as ctx:
        result = verdict(ctx, TEXT_FILTERS)
    assert result.startswith("failed: the reason filter returns only matching reasons"), result
    assert "Received: record 1 (which matches {'reason': 'User Request'}) missing" in result


PURPOSE_BLANK = "convoso.filters.purpose_blank_and_notblank_follow_the_profile"


class PurposeBlankIgnored(ConvosoService):
    """Faithful in the community profile (000 lists -BLANK-/-NOTBLANK- for reason only): a purpose
    of -BLANK- or -NOTBLANK- is no filter, every record is served."""

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if column == "purpose" and value in ("-BLANK-", "-NOTBLANK-"):
            return None
        return super().filter_text(column, value, invalid_code)


@pytest.mark.parametrize(
    ("service", "seen", "follows"),
    [
        (ConvosoService, "filter", "001_5cae901d395a1be8.txt"),
        (PurposeBlankIgnored, "not a filter", None),
    ],
)
def test_purpose_blank_filters_are_observed_as_following_001_only_when_both_filter(
    service: type[ConvosoService], seen: str, follows: str | None, tmp_path: Path
) -> None:
    with reference(tmp_path, service) as ctx:
        assert verdict(ctx, PURPOSE_BLANK) == "passed"
    point = "convoso.search.purpose-blank-filters"
    [observation] = [o for o in ctx.observations if o.discrepancy_id == point]
    assert (observation.observed, observation.follows) == ({"-BLANK-": seen, "-NOTBLANK-": seen}, follows)


def reason_side_ignored(side: str) -> type[ConvosoService]:
    """Bug: reason=``side`` (-BLANK- or -NOTBLANK-) is no filter; the other side filters."""

    class Variant(ConvosoService):
        def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
            if column == "reason" and value == side:
                return None
            return super().filter_text(column, value, invalid_code)

    Variant.__name__ = f"Reason{side.strip('-').title()}Ignored"
    return Variant


@pytest.mark.parametrize(("side", "rule"), [
    ("-BLANK-", "reason=-BLANK- returns only records with an empty reason"),
    ("-NOTBLANK-", "reason=-NOTBLANK- returns only records with a non-empty reason"),
])
def test_a_reason_blank_side_ignored_fails_naming_that_side(side: str, rule: str, tmp_path: Path) -> None:
    with reference(tmp_path, reason_side_ignored(side)) as ctx:
        result = verdict(ctx, "convoso.filters.reason_blank_and_notblank_split_the_records")
    assert result.startswith(f"failed: {rule}\n"), result


class InsertDateRefusedInEveryFormat(ConvosoService):
    """Bug in the community profile: insert_date refused even as YYYY-MM-DD, the format 000 gives."""

    def filter_insert_date(self, value: str) -> Where | None:
        if value:
            raise ConvosoBadRequest("Invalid insert_date value")
        return None


class InsertDateOnlyAsTheRecordsOwnStamp(ConvosoService):
    """Faithful in the official profile (001: insert_date "format varies by implementation"):
    YYYY-MM-DD is refused; the record's own "YYYY-MM-DD HH:MM:SS" filters by its day."""

    def filter_insert_date(self, value: str) -> Where | None:
        if len(value) == 10:
            raise ConvosoBadRequest("Invalid insert_date value")
        return super().filter_insert_date(value[:10])


@pytest.mark.parametrize(("profile", "formats"), [("community", 1), ("official", 2)])
def test_insert_date_is_sent_once_per_distinct_documented_format(
    profile: str, formats: int, tmp_path: Path
) -> None:
    # A record whose insert_date is a bare YYYY-MM-DD (000's format, the community reference's) has
    # no second format to try; one with the time of day (001's example) is also sent as it is.
    with reference(tmp_path, profile=profile) as ctx:
        assert verdict(ctx, "convoso.filters.insert_date_filter_returns_records_of_that_day") == "passed"
    sent = [e.data["insert_date"] for e in ctx.http.exchanges if (e.data or {}).get("insert_date")]
    seen = observed(ctx, "convoso.search.insert_date-filter-format")
    assert len(seen) == formats and seen[0] == "YYYY-MM-DD honoured", seen
    assert len(sent) == formats + 1 and len(set(sent)) == formats, sent  # + the other day's search


def test_insert_date_refused_as_yyyy_mm_dd_is_judged_on_the_next_documented_format(tmp_path: Path) -> None:
    with reference(tmp_path, InsertDateOnlyAsTheRecordsOwnStamp, profile="official") as ctx:
        assert verdict(ctx, "convoso.filters.insert_date_filter_returns_records_of_that_day") == "passed"
    seen = observed(ctx, "convoso.search.insert_date-filter-format")
    assert seen[0].startswith("YYYY-MM-DD refused: ") and seen[1].endswith("honoured"), seen


def test_insert_date_in_yyyy_mm_dd_refused_fails_where_the_profile_pins_000s_format(tmp_path: Path) -> None:
    with reference(tmp_path, InsertDateRefusedInEveryFormat) as ctx:
        result = verdict(ctx, "convoso.filters.insert_date_filter_returns_records_of_that_day")
    assert result.startswith("failed: the insert_date filter returns only records of that day"), result
