"""Convoso faults in what the data says: filters, state after writes, authentication.

Each class overrides one method of the reference ``ConvosoService``; its docstring names the
bug, the documented rule it breaks and the seed file that states the rule.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from optout_conformance.apis.convoso.reference import BLANK, NOT_BLANK, ConvosoService, Fields
from optout_conformance.apis.convoso.reference_errors import ConvosoError, ConvosoUnauthorized
from optout_conformance.apis.convoso.store import ConvosoStore
from optout_conformance.core.faults import fault
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.store import DuplicateRecord, Store, Where

FILTERS = "convoso.filters."
STATE = "convoso.state."
ERRORS = "convoso.errors."

# -- filters ----------------------------------------------------------------------------------


@fault("convoso-campaign-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "campaign_id_filter_returns_only_that_campaign",))
class CampaignFilterIgnored(ConvosoService):
    """Ignores the campaign_id filter and returns records of every campaign.

    Breaks: campaign_id "Filter by campaign ID (0 for global)" and the workflow "Campaign Launch:
    POST /sms-opt-out/search (campaign_id)" (000_4120ae5ce1e52dc7.txt; 001_5cae901d395a1be8.txt).
    """

    def filter_campaign_id(self, value: str) -> Where | None:
        return None


@fault("convoso-phone-code-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "phone_number_and_phone_code_filters_return_only_matches",))
class PhoneCodeFilterIgnored(ConvosoService):
    """Ignores the phone_code filter.

    Breaks: phone_code "Filter by phone code" (000_4120ae5ce1e52dc7.txt) / "Country/area code"
    filter (001_5cae901d395a1be8.txt).
    """

    def filter_phone_code(self, value: str) -> Where | None:
        return None


@fault("convoso-reason-blank-filter-inverted", api="convoso", family="filters",
       detected_by=(FILTERS + "reason_blank_and_notblank_split_the_records",))
class ReasonBlankInverted(ConvosoService):
    """Swaps -BLANK- and -NOTBLANK- for reason (half-applied special values).

    Breaks: reason "Filter by reason: -BLANK- or -NOTBLANK-" and "Entries without reason:
    reason: -BLANK-" (000_4120ae5ce1e52dc7.txt; 001_5cae901d395a1be8.txt).
    """

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if column == "reason" and value in (BLANK, NOT_BLANK):
            value = NOT_BLANK if value == BLANK else BLANK
        return super().filter_text(column, value, invalid_code)


@fault("convoso-insert-date-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "insert_date_filter_returns_records_of_that_day",),
       profiles=("community",), server_profile="community")
class InsertDateFilterIgnored(ConvosoService):
    """Ignores the insert_date filter.

    Breaks: insert_date "Filter by insert date (YYYY-MM-DD)" (000_4120ae5ce1e52dc7.txt), which
    the community profile pins; 001_5cae901d395a1be8.txt says "format varies by implementation",
    so only the community run can hold a target to it.
    """

    def filter_insert_date(self, value: str) -> Where | None:
        return None


@fault("convoso-id-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "id_filter_returns_exactly_that_record",))
class IdFilterIgnored(ConvosoService):
    """Ignores the id filter and returns every record.

    Breaks: id "Filter by SMS opt-out record ID" (000_4120ae5ce1e52dc7.txt) / "SMS Opt-Out
    record ID" (001_5cae901d395a1be8.txt).
    """

    def filter_id(self, value: str) -> Where | None:
        return None


@fault("convoso-filters-combined-with-or", api="convoso", family="filters",
       detected_by=(FILTERS + "combined_filters_are_all_applied",))
class FiltersCombinedWithOr(ConvosoService):
    """Combines several filters with OR instead of AND.

    Breaks: the filters narrow the search ("retrieves SMS Opt-Out records based on filter
    criteria", 001_5cae901d395a1be8.txt; 000_4120ae5ce1e52dc7.txt Filtering Examples): a record
    must match every filter sent.
    """

    def build_filter(self, fields: Fields) -> Where:
        sql, params = super().build_filter(fields)
        return sql.replace(" AND ", " OR ").replace("insert_date >= ? OR insert_date", (
            "insert_date >= ? AND insert_date")), params


# -- state ------------------------------------------------------------------------------------


class _WriteBehindStore:
    """A store whose inserts land in a queue that is never flushed (reads see the old data)."""

    def __init__(self, store: ConvosoStore) -> None:
        self._store = store
        self._queued: set[tuple[str, str, int]] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def insert_convoso(self, phone_number: str, phone_code: str, campaign_id: int, *rest: Any) -> int:
        key = (phone_number, phone_code, campaign_id)
        if key in self._queued:
            raise DuplicateRecord(phone_number)
        self._queued.add(key)
        return 0


@fault("convoso-insert-not-visible", api="convoso", family="state",
       detected_by=(STATE + "insert_is_visible_to_the_next_search",))
class InsertNotVisible(ConvosoService):
    """Acknowledges inserts into a write-behind queue that searches never see.

    Breaks: "Honor opt-out immediately" (000_4120ae5ce1e52dc7.txt, SMS Compliance) and the
    workflow "Checking SMS Opt-Out Status ... Returns all SMS opt-out entries for number".
    """

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        super().__init__(config, store)
        self.store = _WriteBehindStore(self.store)  # type: ignore[assignment]


@fault("convoso-update-not-applied", api="convoso", family="state",
       detected_by=(STATE + "update_is_applied_and_visible",))
class UpdateNotApplied(ConvosoService):
    """Answers success to an update of reason or purpose but keeps the old values.

    Breaks: "Result: Record updated with new reason" (000_4120ae5ce1e52dc7.txt, Updating
    Opt-Out Record workflow).
    """

    def update(self, fields: Fields) -> dict[str, Any]:
        kept = {name: value for name, value in fields.items() if name not in ("reason", "purpose")}
        return super().update(kept)


@fault("convoso-blank-stored-literally", api="convoso", family="state",
       detected_by=(STATE + "blank_clears_reason_and_purpose",))
class BlankStoredLiterally(ConvosoService):
    """Stores the text "-BLANK-" instead of clearing reason or purpose.

    Breaks: update "reason: Reason (use -BLANK- to clear)", "purpose: Purpose (use -BLANK- to
    clear)" (000_4120ae5ce1e52dc7.txt, Update parameters).
    """

    def clear_blank(self, value: str) -> str:
        return value


@fault("convoso-update-requires-key-fields", api="convoso", family="state",
       detected_by=(STATE + "update_with_id_and_reason_only_succeeds",))
class UpdateRequiresKeyFields(ConvosoService):
    """Refuses an update without phone_number, phone_code and campaign_id (4001).

    Breaks: those parameters are "Required: No" and the workflow "Updating Opt-Out Record"
    sends only id and reason (000_4120ae5ce1e52dc7.txt).
    """

    def check_update_fields_present(self, fields: Fields) -> None:
        for name in ("phone_number", "phone_code", "campaign_id"):
            if not fields.get(name):
                raise ConvosoError(4001, name)


# -- auth -------------------------------------------------------------------------------------


@fault("convoso-token-not-checked", api="convoso", family="auth",
       detected_by=(ERRORS + "search_with_an_invalid_or_missing_token_is_refused",))
class TokenNotChecked(ConvosoService):
    """Serves every request whatever the auth_token (authentication left disabled).

    Breaks: "Authentication: Required (auth_token)" and "Invalid auth_token -> {"success":
    false, "error": "Invalid authentication token"}" (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt "auth_token ... Required: Yes").
    """

    def authenticate(self, fields: Fields) -> None:
        return None


@fault("convoso-missing-token-accepted", api="convoso", family="auth",
       detected_by=(ERRORS + "search_with_an_invalid_or_missing_token_is_refused",))
class MissingTokenAccepted(ConvosoService):
    """Checks auth_token only when one is sent; a request without it is served.

    Breaks: auth_token "Required: Yes" on every operation (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt).
    """

    def authenticate(self, fields: Fields) -> None:
        if fields.get("auth_token"):
            super().authenticate(fields)


@fault("convoso-update-token-not-checked", api="convoso", family="auth",
       detected_by=(ERRORS + "update_with_an_invalid_token_is_refused",))
class UpdateTokenNotChecked(ConvosoService):
    """Checks the token on search and insert but forgets it on update.

    Breaks: Update "Authentication: Required (auth_token)" (000_4120ae5ce1e52dc7.txt).
    """

    def endpoint(
        self, operation: Callable[[Fields], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        if operation.__name__ != "update":
            return super().endpoint(operation)
        unguarded = copy.copy(self)
        unguarded.authenticate = lambda fields: None  # type: ignore[method-assign]
        return ConvosoService.endpoint(unguarded, operation)


# -- filters ignored, in every profile --------------------------------------------------------


@fault("convoso-phone-number-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "phone_number_and_phone_code_filters_return_only_matches",))
class PhoneNumberFilterIgnored(ConvosoService):
    """Ignores the phone_number filter (the workflow "Checking SMS Opt-Out Status" gets every record).

    Breaks: phone_number "Filter by phone number" and "Returns all SMS opt-out entries for number"
    (000_4120ae5ce1e52dc7.txt); "Phone number to filter" (001_5cae901d395a1be8.txt).
    """

    def filter_phone_number(self, value: str) -> Where | None:
        return None


@fault("convoso-reason-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "reason_and_purpose_text_filters_match_by_containment",))
class ReasonFilterIgnored(ConvosoService):
    """Ignores a reason filter with a value (only -BLANK- / -NOTBLANK- are applied).

    Breaks: reason "Filter by reason" (000_4120ae5ce1e52dc7.txt); "It supports filtering by ID,
    phone number, campaign, reason, purpose, and insert date" (001_5cae901d395a1be8.txt).
    """

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if column == "reason" and value not in (BLANK, NOT_BLANK):
            return None
        return super().filter_text(column, value, invalid_code)


@fault("convoso-purpose-filter-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "reason_and_purpose_text_filters_match_by_containment",))
class PurposeFilterIgnored(ConvosoService):
    """Ignores a purpose filter with a value.

    Breaks: purpose "Filter by purpose" (000_4120ae5ce1e52dc7.txt); filtering by purpose
    (001_5cae901d395a1be8.txt).
    """

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if column == "purpose" and value not in (BLANK, NOT_BLANK):
            return None
        return super().filter_text(column, value, invalid_code)


@fault("convoso-official-purpose-blank-ignored", api="convoso", family="filters",
       detected_by=(FILTERS + "purpose_blank_and_notblank_follow_the_profile",),
       profiles=("official",), server_profile="official")
class OfficialPurposeBlankIgnored(ConvosoService):
    """An official-profile server that ignores purpose=-BLANK- / -NOTBLANK-.

    Breaks: purpose "(use -BLANK- or -NOTBLANK- to filter by empty/non-empty)"
    (001_5cae901d395a1be8.txt), which the official profile pins.
    """

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        if column == "purpose" and value in (BLANK, NOT_BLANK):
            return None
        return super().filter_text(column, value, invalid_code)


@fault("convoso-insert-date-filter-ignored-in-any-profile", api="convoso", family="filters",
       detected_by=(FILTERS + "insert_date_filter_returns_records_of_that_day",),
       profiles=("auto", "official", "lenient"), server_profile="official")
class InsertDateFilterIgnoredAnywhere(ConvosoService):
    """An official-profile server that accepts insert_date and ignores it (every record served).

    Breaks: "Filter by date when record was inserted" (001_5cae901d395a1be8.txt; its "format
    varies by implementation" lets a format be refused, not be accepted and ignored) and
    "Filter by insert date (YYYY-MM-DD)" (000_4120ae5ce1e52dc7.txt).
    """

    def filter_insert_date(self, value: str) -> Where | None:
        return None


# -- refused writes that write anyway ---------------------------------------------------------


@fault("convoso-insert-stored-despite-bad-token", api="convoso", family="auth",
       detected_by=(ERRORS + "insert_with_an_invalid_token_is_refused",))
class InsertStoredDespiteBadToken(ConvosoService):
    """Stores an insert before checking its auth_token, then answers the documented refusal.

    Breaks: "Authentication: Required (auth_token)" and "Invalid auth_token{"success": false,
    "error": "Invalid authentication token"}" (000_4120ae5ce1e52dc7.txt): a refused insert must
    not opt the number out.
    """

    def authenticate(self, fields: Fields) -> None:
        try:
            super().authenticate(fields)
        except ConvosoUnauthorized:
            if {"phone_number", "phone_code", "campaign_id"} <= fields.keys() and "id" not in fields:
                with contextlib.suppress(ConvosoError):
                    self.insert(fields)
            raise


@fault("convoso-unknown-campaign-insert-stored-globally", api="convoso", family="errors",
       detected_by=(ERRORS + "insert_with_an_unknown_campaign_gets_6006",))
class UnknownCampaignInsertStoredGlobally(ConvosoService):
    """Answers 6006 to an insert into an unknown campaign but stores it in the global campaign.

    Breaks: 6006 "Invalid Campaign ID" (000_4120ae5ce1e52dc7.txt, Insert error codes): a refused
    insert stores nothing (search by phone_number "Returns all SMS opt-out entries for number").
    """

    def insert(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().insert(fields)
        except ConvosoError as exc:
            if exc.code == 6006:
                with contextlib.suppress(ConvosoError):
                    super().insert({**fields, "campaign_id": "0"})
            raise


@fault("convoso-duplicate-stored-despite-6008", api="convoso", family="state",
       detected_by=(STATE + "duplicate_insert_leaves_a_single_record",))
class DuplicateStoredDespite6008(ConvosoService):
    """Answers 6008 to a duplicate insert, yet stores a second record with the phone code as "+1"
    (the duplicate test and the write normalise the code differently).

    Breaks: 6008 "The phone number already exists" (000_4120ae5ce1e52dc7.txt, Insert error
    codes): a refused duplicate leaves one record of the number in the campaign.
    """

    def insert(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().insert(fields)
        except ConvosoError as exc:
            if exc.code == 6008:
                with contextlib.suppress(DuplicateRecord):
                    self.store.insert_convoso(
                        fields["phone_number"], "+" + fields["phone_code"], int(fields["campaign_id"]),
                        fields.get("reason", ""), fields.get("purpose", ""), self.now_text(),
                    )
            raise


@fault("convoso-colliding-update-half-applied", api="convoso", family="state",
       detected_by=(STATE + "refused_colliding_update_changes_nothing",))
class CollidingUpdateHalfApplied(ConvosoService):
    """Answers 6059 to an update onto another record's key, after applying its reason anyway.

    Breaks: 6059 "This combination already exists" (000_4120ae5ce1e52dc7.txt, Update error
    codes): a refused update changes nothing.
    """

    def update(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().update(fields)
        except ConvosoError as exc:
            if exc.code == 6059 and fields.get("reason"):
                self.store.update_convoso(int(fields["id"]), {"reason": fields["reason"]})
            raise
