"""Convoso faults: the reference ``ConvosoService`` with one realistic deviation each.

Each class overrides one method of the reference service; its docstring names the bug, the
documented rule it breaks and the seed file that states the rule.
"""

from __future__ import annotations

import random
from typing import Any

from starlette.responses import JSONResponse, Response

from optout_conformance.apis.convoso.reference import MAX_LIMIT, ConvosoService, Fields
from optout_conformance.apis.convoso.reference_errors import ConvosoError
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.core.faults import fault
from optout_conformance.reference.store import Where
from optout_conformance.reference.transport import (
    CRASH_PAGE,
    Headers,
    InputGate,
    ResponseRewriter,
    looks_odd,
    set_header,
)

LIMITS = "convoso.limits."
PAGES = "convoso.pagination."
ERRORS = "convoso.errors."
SHAPES = "convoso.shapes."
FILTERS = "convoso.filters."
STATE = "convoso.state."

# -- limits -----------------------------------------------------------------------------------


@fault("convoso-limit-above-max-served", api="convoso", family="limits",
       detected_by=(LIMITS + "limit_above_1000_never_serves_more_than_1000_records",))
class LimitAboveMaxServed(ConvosoService):
    """Serves as many records as ``limit`` asks, even above 1000.

    Breaks: limit "max 1000" (000_4120ae5ce1e52dc7.txt, Search parameters;
    001_5cae901d395a1be8.txt, "max 1000").
    """

    def parse_limit(self, value: str) -> int:
        return int(value) if value.isdigit() and int(value) > 0 else super().parse_limit(value)


@fault("convoso-official-default-limit-1000", api="convoso", family="limits",
       detected_by=(LIMITS + "omitted_limit_serves_the_documented_default_page_size",),
       profiles=("official",), server_profile="official")
class OfficialDefaultLimit1000(ConvosoService):
    """An official-profile server that pages 1000 records when limit is omitted.

    Breaks: limit "default 100" in 001_5cae901d395a1be8.txt, which the official profile pins
    (000_4120ae5ce1e52dc7.txt says 1000: only the community profile allows that).
    """

    def default_limit(self) -> int:
        return MAX_LIMIT


@fault("convoso-community-default-limit-100", api="convoso", family="limits",
       detected_by=(LIMITS + "omitted_limit_serves_the_documented_default_page_size",),
       profiles=("community",), server_profile="community")
class CommunityDefaultLimit100(ConvosoService):
    """A community-profile server that pages 100 records when limit is omitted.

    Breaks: limit "default 1000" in 000_4120ae5ce1e52dc7.txt, which the community profile pins.
    """

    def default_limit(self) -> int:
        return 100


@fault("convoso-default-limit-25", api="convoso", family="limits",
       detected_by=(LIMITS + "omitted_limit_serves_the_documented_default_page_size",))
class DefaultLimit25(ConvosoService):
    """Pages 25 records when limit is omitted (a framework's default page size).

    Breaks: limit default 1000 (000_4120ae5ce1e52dc7.txt) or 100 (001_5cae901d395a1be8.txt);
    neither document allows 25.
    """

    def default_limit(self) -> int:
        return 25


@fault("convoso-offset-above-max-accepted", api="convoso", family="limits",
       detected_by=(LIMITS + "offset_above_the_maximum_gets_7231",))
class OffsetAboveMaxAccepted(ConvosoService):
    """Accepts any non-negative offset, however large (an empty page instead of 7231).

    Breaks: offset "max 100000" (000_4120ae5ce1e52dc7.txt) / "max 1,000,000"
    (001_5cae901d395a1be8.txt) with 7231 "Invalid offset value" in both error tables.
    """

    def max_offset(self) -> int:
        return 10**12


@fault("convoso-negative-offset-accepted", api="convoso", family="limits",
       detected_by=(LIMITS + "negative_or_non_integer_offset_gets_7231",))
class NegativeOffsetAccepted(ConvosoService):
    """Treats a negative offset as 0 instead of rejecting it.

    Breaks: offset is a row offset "default 0" with 7231 "Invalid offset value"
    (000_4120ae5ce1e52dc7.txt; 001_5cae901d395a1be8.txt): -1 is not a valid offset.
    """

    def parse_offset(self, value: str) -> int:
        if value.startswith("-") and value[1:].isdigit():
            return 0
        return super().parse_offset(value)


@fault("convoso-offset-max-off-by-one", api="convoso", family="limits",
       detected_by=(LIMITS + "offset_zero_and_the_documented_maximum_are_accepted",))
class OffsetMaxOffByOne(ConvosoService):
    """Rejects offset = 100000 itself with 7231 (``>=`` where ``>`` was meant).

    Breaks: offset "max 100000" (000_4120ae5ce1e52dc7.txt): the maximum is a valid offset.
    """

    def max_offset(self) -> int:
        return super().max_offset() - 1


@fault("convoso-limit-ignored", api="convoso", family="limits",
       detected_by=(LIMITS + "records_never_outnumber_the_limit_sent",))
class LimitIgnored(ConvosoService):
    """Ignores the limit sent and always serves the default page size.

    Breaks: limit "Results per page" (000_4120ae5ce1e52dc7.txt) / "Max number of records to
    return" (001_5cae901d395a1be8.txt).
    """

    def parse_limit(self, value: str) -> int:
        super().parse_limit(value)
        return self.default_limit()


# -- pagination -------------------------------------------------------------------------------


@fault("convoso-pages-overlap", api="convoso", family="pagination",
       detected_by=(PAGES + "consecutive_pages_are_disjoint_and_cover_the_total",))
class PagesOverlap(ConvosoService):
    """Starts every page after the first one record early, so consecutive pages share a record.

    Breaks: offset is the "Pagination offset" / "Row offset for pagination"
    (000_4120ae5ce1e52dc7.txt; 001_5cae901d395a1be8.txt): page n+1 starts where page n ended.
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        return super().page(where, max(offset - 1, 0), limit)


@fault("convoso-pages-skip-a-record", api="convoso", family="pagination",
       detected_by=(PAGES + "consecutive_pages_are_disjoint_and_cover_the_total",))
class PagesSkipARecord(ConvosoService):
    """Starts every page after the first one record late, so one record between pages is lost.

    Breaks: offset is the "Row offset for pagination" (001_5cae901d395a1be8.txt; "Pagination
    offset" in 000_4120ae5ce1e52dc7.txt): walking the pages must cover every record.
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        return super().page(where, offset + 1 if offset else 0, limit)


@fault("convoso-unstable-order", api="convoso", family="pagination",
       detected_by=(PAGES + "identical_searches_return_the_same_order",))
class UnstableOrder(ConvosoService):
    """Returns each page in a random order (a query without ORDER BY on a parallel plan).

    Breaks: offset paging (000_4120ae5ce1e52dc7.txt; 001_5cae901d395a1be8.txt) only works over a
    stable order; the documents fix no order, but identical searches must agree.
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        # Without a stable order the rows come back in whatever order the engine found them.
        rows = self.store.page_convoso(where, 0, offset + limit)
        random.shuffle(rows)
        return rows[:limit]


# The paging walks read total from pages that are full (total == limit there), so the check that
# sees it is the one asking past that total (measured with `detect`).
@fault("convoso-total-counts-the-page", api="convoso", family="pagination",
       detected_by=(PAGES + "consecutive_pages_are_disjoint_and_cover_the_total",
                    PAGES + "total_is_the_same_on_every_page",
                    PAGES + "page_past_the_end_is_empty"))
class TotalCountsThePage(ConvosoService):
    """Reports ``total`` as the number of records on this page, not of all matches.

    Breaks: total "Total matching records" (000_4120ae5ce1e52dc7.txt) / "Total number of
    matching records found" (001_5cae901d395a1be8.txt).
    """

    def format_search_response(
        self, offset: int, limit: int, total: int, records: list[ConvosoRecord]
    ) -> dict[str, Any]:
        return super().format_search_response(offset, limit, len(records), records)


@fault("convoso-total-off-by-one", api="convoso", family="pagination",
       detected_by=(PAGES + "last_page_serves_the_remaining_records",
                    PAGES + "consecutive_pages_are_disjoint_and_cover_the_total"))
class TotalOffByOne(ConvosoService):
    """Counts one record too many in ``total``.

    Breaks: total "Total matching records" (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt): a client paging to total asks for a record that is not there.
    """

    def count(self, where: Where) -> int:
        return super().count(where) + 1


@fault("convoso-last-record-missing", api="convoso", family="pagination",
       detected_by=(PAGES + "last_page_serves_the_remaining_records",
                    PAGES + "consecutive_pages_are_disjoint_and_cover_the_total"))
class LastRecordMissing(ConvosoService):
    """Drops the final matching record from the last page (an off-by-one in the page query).

    Breaks: total "Total matching records" and offset/limit paging (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt): the last page holds total - offset records.
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        rows = super().page(where, offset, limit)
        if rows and offset + len(rows) >= self.count(where):
            return rows[:-1]
        return rows


@fault("convoso-page-past-the-end-repeats", api="convoso", family="pagination",
       detected_by=(PAGES + "page_past_the_end_is_empty",))
class PagePastTheEndRepeats(ConvosoService):
    """Serves the last page again for an offset past the end instead of no records.

    Breaks: offset is a row offset into the total matching records (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt); past the end there is nothing to return.
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        total = self.count(where)
        if offset >= total > 0:
            offset = max(total - limit, 0)
        return super().page(where, offset, limit)


# -- error codes ------------------------------------------------------------------------------


@fault("convoso-duplicate-insert-accepted", api="convoso", family="errors",
       detected_by=(ERRORS + "duplicate_insert_gets_6008",))
class DuplicateInsertAccepted(ConvosoService):
    """Answers a duplicate insert with success (an upsert that silently does nothing).

    Breaks: 6008 "The phone number already exists" (000_4120ae5ce1e52dc7.txt, Insert error codes).
    """

    def insert(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().insert(fields)
        except ConvosoError as exc:
            if exc.code != 6008:
                raise
            return self.format_insert_response()


@fault("convoso-wrong-code-for-unknown-campaign", api="convoso", family="errors",
       detected_by=(ERRORS + "insert_with_an_unknown_campaign_gets_6006",))
class WrongCodeForUnknownCampaign(ConvosoService):
    """Answers an insert into an unknown campaign with code 6009 (a typo in the code table).

    Breaks: 6006 "Invalid Campaign ID" (000_4120ae5ce1e52dc7.txt, Insert error codes).
    """

    def error_response(self, code: int, operation: str) -> Response:
        if code == 6006 and operation == "insert":
            return JSONResponse({"success": False, "code": 6009, "error": "Invalid Campaign ID"})
        return super().error_response(code, operation)


@fault("convoso-wrong-message-for-duplicate", api="convoso", family="errors",
       detected_by=(ERRORS + "duplicate_insert_gets_6008",))
class WrongMessageForDuplicate(ConvosoService):
    """Leaks the database's message for 6008 instead of the documented one.

    Breaks: 6008 "The phone number already exists" (000_4120ae5ce1e52dc7.txt, Insert error
    codes; "Phone already in SMS opt-out" in its Error Handling table).
    """

    def error_response(self, code: int, operation: str) -> Response:
        if code != 6008:
            return super().error_response(code, operation)
        message = "UNIQUE constraint failed: convoso_records.phone_number"
        return JSONResponse({"success": False, "code": code, "error": message})


@fault("convoso-purpose-not-enforced", api="convoso", family="errors",
       detected_by=(ERRORS + "insert_into_the_purpose_campaign_without_purpose_gets_6080",))
class PurposeNotEnforced(ConvosoService):
    """Accepts an insert into the purpose-type campaign (-1) without a purpose.

    Breaks: 6080 "The purpose field is mandatory for campaigns of type 'Purpose'"
    (000_4120ae5ce1e52dc7.txt, Insert and Update error codes).
    """

    def check_purpose_required(self, campaign_id: int, purpose: str) -> None:
        return None


@fault("convoso-colliding-update-accepted", api="convoso", family="errors",
       detected_by=(ERRORS + "update_to_an_existing_combination_gets_6059",))
class CollidingUpdateAccepted(ConvosoService):
    """Answers success to an update that would duplicate another record (and changes nothing).

    Breaks: 6059 "This combination already exists" (000_4120ae5ce1e52dc7.txt, Update error codes).
    """

    def update(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().update(fields)
        except ConvosoError as exc:
            if exc.code != 6059:
                raise
            return self.format_update_response(int(fields["id"]))


@fault("convoso-unknown-update-id-accepted", api="convoso", family="errors",
       detected_by=(ERRORS + "update_without_a_known_id_gets_6056",))
class UnknownUpdateIdAccepted(ConvosoService):
    """Answers success to an update of an id that does not exist (an UPDATE matching no row).

    Breaks: 6056 "Missing or Invalid value for ID" (000_4120ae5ce1e52dc7.txt, Update error
    codes; "Record not found" in its Error Handling table).
    """

    def find_update_record(self, value: str) -> ConvosoRecord:
        try:
            return super().find_update_record(value)
        except ConvosoError:
            if not value.isdigit():
                raise
            return ConvosoRecord(int(value), "", "", 0, "", "x", "")


@fault("convoso-phone-code-not-validated", api="convoso", family="errors",
       detected_by=(ERRORS + "insert_without_a_valid_phone_code_gets_6026",))
class PhoneCodeNotValidated(ConvosoService):
    """Stores a missing phone_code as "1" instead of rejecting the insert.

    Breaks: phone_code is required on insert, 6026 "Missing or Invalid Country Code"
    (000_4120ae5ce1e52dc7.txt, Insert parameters and error codes).
    """

    def validate_phone_code(self, value: str) -> str:
        return value or "1"


@fault("convoso-letters-in-phone-accepted", api="convoso", family="errors",
       detected_by=(ERRORS + "insert_of_a_phone_number_with_letters_gets_6007",))
class LettersInPhoneAccepted(ConvosoService):
    """Stores any non-empty phone_number, letters included.

    Breaks: 6007 "Invalid Phone Number" (000_4120ae5ce1e52dc7.txt, Insert error codes; "Invalid
    phone format" in its Error Handling table).
    """

    def validate_insert_phone_number(self, value: str) -> str:
        if not value:
            raise ConvosoError(6007, value)
        return value


@fault("convoso-update-unknown-campaign-accepted", api="convoso", family="errors",
       detected_by=(ERRORS + "update_with_an_unknown_campaign_gets_6004",))
class UpdateUnknownCampaignAccepted(ConvosoService):
    """Moves a record to a campaign that does not exist.

    Breaks: 6004 "Unknown Campaign ID" (000_4120ae5ce1e52dc7.txt, Update error codes).
    """

    def validate_update_campaign(self, value: str) -> int:
        return int(value)


@fault("convoso-error-code-missing", api="convoso", family="errors",
       detected_by=(LIMITS + "negative_or_non_integer_offset_gets_7231",
                    ERRORS + "duplicate_insert_gets_6008"))
class ErrorCodeMissing(ConvosoService):
    """Answers coded errors with a message but without the numeric ``code``.

    Breaks: the error tables give each error a code (000_4120ae5ce1e52dc7.txt,
    001_5cae901d395a1be8.txt "Code | Message"); a client cannot tell 6008 from 6007 without it.
    """

    def error_response(self, code: int, operation: str) -> Response:
        response = super().error_response(code, operation)
        return JSONResponse({"success": False, "error": f"Error {code}"}, status_code=response.status_code)


# -- shapes -----------------------------------------------------------------------------------


@fault("convoso-record-id-as-integer", api="convoso", family="shapes",
       detected_by=(SHAPES + "search_replies_conform_to_the_spec",))
class RecordIdAsInteger(ConvosoService):
    """Serialises record ids (and campaign ids) as JSON numbers.

    Breaks: Record Object "id string", "campaign_id string" (000_4120ae5ce1e52dc7.txt);
    "records[].id string" (001_5cae901d395a1be8.txt).
    """

    def format_record(self, record: ConvosoRecord) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(super().format_record(record))
        formatted["id"] = record.id
        formatted["campaign_id"] = record.campaign_id
        return formatted


@fault("convoso-campaign-name-missing", api="convoso", family="shapes",
       detected_by=(SHAPES + "search_replies_conform_to_the_spec",))
class CampaignNameMissing(ConvosoService):
    """Leaves ``campaign_name`` out of every record.

    Breaks: the Record Object lists campaign_name (000_4120ae5ce1e52dc7.txt;
    001_5cae901d395a1be8.txt "records[].campaign_name ... blank if not set": blank, not absent).
    """

    def format_record(self, record: ConvosoRecord) -> dict[str, str]:
        formatted = super().format_record(record)
        formatted.pop("campaign_name")
        return formatted


@fault("convoso-success-flag-as-string", api="convoso", family="shapes",
       detected_by=(SHAPES + "search_replies_conform_to_the_spec",))
class SuccessFlagAsString(ConvosoService):
    """Answers ``"success": "true"`` (a string) on search.

    Breaks: success "boolean" (000_4120ae5ce1e52dc7.txt Root Level; 001_5cae901d395a1be8.txt).
    """

    def format_search_response(
        self, offset: int, limit: int, total: int, records: list[ConvosoRecord]
    ) -> dict[str, Any]:
        return {**super().format_search_response(offset, limit, total, records), "success": "true"}


@fault("convoso-insert-date-iso-timestamp", api="convoso", family="shapes",
       detected_by=(SHAPES + "insert_date_has_the_profile_format",))
class InsertDateIsoTimestamp(ConvosoService):
    """Formats insert_date as ISO 8601 with a T and a zone (``2026-03-03T10:00:00Z``).

    Breaks: insert_date "2026-03-03" (000_4120ae5ce1e52dc7.txt) or "2024-04-22 17:01:31"
    (001_5cae901d395a1be8.txt); neither document shows this form.
    """

    def format_insert_date(self, stored: str) -> str:
        return stored.replace(" ", "T") + "Z"


@fault("convoso-community-insert-date-with-time", api="convoso", family="shapes",
       detected_by=(SHAPES + "insert_date_has_the_profile_format",),
       profiles=("community",), server_profile="community")
class CommunityInsertDateWithTime(ConvosoService):
    """A community-profile server whose insert_date carries the time of day.

    Breaks: insert_date "2026-03-03" and the YYYY-MM-DD filter (000_4120ae5ce1e52dc7.txt), which
    the community profile pins.
    """

    def format_insert_date(self, stored: str) -> str:
        return stored


@fault("convoso-community-paging-numbers-as-strings", api="convoso", family="shapes",
       detected_by=(SHAPES + "paging_fields_have_the_profile_types",),
       profiles=("community",), server_profile="community")
class CommunityPagingStrings(ConvosoService):
    """A community-profile server that answers offset, limit and total as strings.

    Breaks: offset/limit/total "integer" with numbers in the example (000_4120ae5ce1e52dc7.txt),
    which the community profile pins (strings are 001_5cae901d395a1be8.txt's example).
    """

    def format_number(self, value: int) -> int | str:
        return str(value)


@fault("convoso-community-global-name-blank", api="convoso", family="shapes",
       detected_by=(SHAPES + "global_campaign_name_follows_the_profile",),
       profiles=("community",), server_profile="community")
class CommunityGlobalNameBlank(ConvosoService):
    """A community-profile server whose global records have an empty campaign_name.

    Breaks: the global record's campaign_name "Global SMS Opt-Out" (000_4120ae5ce1e52dc7.txt
    response example), which the community profile pins.
    """

    def campaign_name(self, campaign_id: int) -> str:
        return "" if campaign_id == 0 else super().campaign_name(campaign_id)


@fault("convoso-update-reply-without-data", api="convoso", family="shapes",
       detected_by=(SHAPES + "insert_and_update_replies_conform_to_the_spec",))
class UpdateReplyWithoutData(ConvosoService):
    """Answers a successful update with ``{"success": true}`` only.

    Breaks: Update response fields "data object", "data.id string" (000_4120ae5ce1e52dc7.txt).
    """

    def format_update_response(self, record_id: int) -> dict[str, Any]:
        return {"success": True}


# -- checks that no fault named before, and the classes of miss a review found ----------------


@fault("convoso-limit-capped-at-500", api="convoso", family="limits",
       detected_by=(LIMITS + "limit_1000_is_accepted_and_filled",))
class LimitCappedAt500(ConvosoService):
    """Clamps every limit to 500 (a page-size cap lower than the documented maximum).

    Breaks: limit "max 1000" (000_4120ae5ce1e52dc7.txt "Results per page (default 1000, max
    1000)"; 001_5cae901d395a1be8.txt "(default 100, max 1000)"): limit=1000 is a valid page size.
    """

    def parse_limit(self, value: str) -> int:
        return min(super().parse_limit(value), 500)


@fault("convoso-update-unknown-campaign-gets-6006", api="convoso", family="errors",
       detected_by=(ERRORS + "update_with_an_unknown_campaign_gets_6004",))
class UpdateUnknownCampaignGets6006(ConvosoService):
    """Answers an update into an unknown campaign with the insert table's 6006 "Invalid Campaign ID".

    Breaks: the update table of 000_4120ae5ce1e52dc7.txt lists "6004Unknown Campaign ID" and not
    6006 (which only the insert and search tables list): a code from another operation's table.
    """

    def error_response(self, code: int, operation: str) -> Response:
        if code == 6004 and operation == "update":
            return JSONResponse({"success": False, "code": 6006, "error": "Invalid Campaign ID"})
        return super().error_response(code, operation)


@fault("convoso-non-numeric-update-gets-4001", api="convoso", family="errors",
       detected_by=(ERRORS + "update_with_a_non_numeric_field_gets_4002",))
class NonNumericUpdateGets4001(ConvosoService):
    """Answers a non-numeric phone_number / phone_code / campaign_id on update with 4001 "Missing
    required field" instead of 4002.

    Breaks: "4002phone_number / phone_code / campaign_id must be numeric" (000_4120ae5ce1e52dc7.txt,
    Update error codes); 4001 is for a missing field, and "abc" is present.
    """

    def check_update_fields_numeric(self, fields: Fields) -> None:
        try:
            super().check_update_fields_numeric(fields)
        except ConvosoError as exc:
            raise ConvosoError(4001, exc.detail) from None


@fault("convoso-purpose-clearable-on-update", api="convoso", family="errors",
       detected_by=(ERRORS + "update_clearing_the_purpose_of_a_purpose_campaign_record_gets_6080",))
class PurposeClearableOnUpdate(ConvosoService):
    """Enforces the mandatory purpose of the Purpose-type campaign on insert only: an update with
    purpose=-BLANK- clears it.

    Breaks: 6080 "The purpose field is mandatory for campaigns of type 'Purpose'" in the Update
    error codes of 000_4120ae5ce1e52dc7.txt (with "purpose ... (use -BLANK- to clear)").
    """

    def update(self, fields: Fields) -> dict[str, Any]:
        record = self.find_update_record(fields.get("id", ""))
        if self.clear_blank(fields.get("purpose", "x")) == "" and record.campaign_id == -1:
            self.store.update_convoso(record.id, {"purpose": ""})
            return self.format_update_response(record.id)
        return super().update(fields)


@fault("convoso-refused-campaign-update-applied", api="convoso", family="errors",
       detected_by=(ERRORS + "update_with_an_unknown_campaign_gets_6004",))
class RefusedCampaignUpdateApplied(ConvosoService):
    """Moves the record into the unknown campaign, then answers 6004 (validation after the write).

    Breaks: 6004 "Unknown Campaign ID" (000_4120ae5ce1e52dc7.txt, Update error codes): a refused
    update changes nothing.
    """

    def update(self, fields: Fields) -> dict[str, Any]:
        try:
            return super().update(fields)
        except ConvosoError as exc:
            if exc.code == 6004 and fields.get("id", "").isdigit():
                self.store.update_convoso(int(fields["id"]), {"campaign_id": int(fields["campaign_id"])})
            raise


# -- transport -----------------------------------------------------------------------------------


@fault(
    "convoso-html-500-on-long-input",
    api="convoso",
    family="robustness",
    detected_by=("convoso.robustness.odd_input_gets_a_documented_reply",),
    middleware=True,
)
class ConvosoCrashesOnLongInput(InputGate):
    """Answers a long or non-UTF-8 request body with an HTTP 500 HTML traceback page.

    Breaks: every Convoso reply is JSON with ``success`` (000_4120ae5ce1e52dc7.txt, "Error
    Handling": ``{"success": false, "error": ...}``); the Convoso glossary's 500 means the server
    failed, never a validation answer.
    """

    api = "convoso"

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if looks_odd(body) else None


@fault(
    "convoso-json-served-as-text-html",
    api="convoso",
    family="shapes",
    detected_by=("convoso.shapes.search_replies_conform_to_the_spec",
                 "convoso.properties.generated_requests_follow_the_spec"),
    middleware=True,
)
class ConvosoJsonAsHtml(ResponseRewriter):
    """Labels every JSON reply ``text/html`` (a framework default left in place).

    Breaks: the replies are JSON documents (000_4120ae5ce1e52dc7.txt response examples marked
    ``json``; 001_5cae901d395a1be8.txt "Example JSON Response"); a client that checks the media
    type rejects them.
    """

    api = "convoso"

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return status, set_header(headers, b"content-type", b"text/html; charset=utf-8"), body


# -- the plain-Schemathesis baseline (faults/baseline.py) ---------------------------------------


def baseline_config(credentials: Any) -> tuple[dict[str, str], list[str]]:
    """``auth_token`` is a form field, which ``-H`` cannot set: a user writes it into a
    ``schemathesis.toml`` ``[parameters]`` table (``"body.auth_token" = …``)."""
    return {"body.auth_token": credentials.token}, []
