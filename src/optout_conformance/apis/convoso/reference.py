"""The reference Convoso SMS Opt-Out API: ``POST /v1/sms-opt-out/search|insert|update``.

Faithful to 000_4120ae5ce1e52dc7.txt and 001_5cae901d395a1be8.txt; where they differ it follows
the configured profile, where they are silent it does what ``openapi/discrepancies.yaml`` records
(``reference:``). Every behaviour a faulty variant may flip is one small method, so a fault in
``faults/`` is a subclass overriding exactly one of them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.apis.convoso import store as tables
from optout_conformance.apis.convoso.reference_errors import (
    COMMUNITY,
    INVALID_TOKEN,
    ConvosoBadRequest,
    ConvosoError,
    ConvosoUnauthorized,
    message_for,
)
from optout_conformance.apis.convoso.store import ConvosoRecord, ConvosoStore, ConvosoTables
from optout_conformance.reference.config import GLOBAL, PURPOSE, ReferenceConfig
from optout_conformance.reference.forms import (
    FORM_URLENCODED,
    MULTIPART,
    BodyTooLarge,
    BodyUndecodable,
    decimal,
    media_type,
    read_form,
)
from optout_conformance.reference.store import DuplicateRecord, Store, Where

BLANK = "-BLANK-"
NOT_BLANK = "-NOTBLANK-"
MAX_LIMIT = 1000
MAX_TEXT = 255
DIGITS = re.compile(r"[0-9]+")
INTEGER = re.compile(r"-?[0-9]+")
PHONE_NUMBER = re.compile(r"[0-9]{7,15}")
PHONE_CODE = re.compile(r"[0-9]{1,4}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
KEY_FIELDS = ("phone_number", "phone_code", "campaign_id")

Fields = dict[str, str]


class ConvosoService:
    """The three Convoso operations over a Store, for one ReferenceConfig."""

    # The store's tables and seed rows of this API (apis/convoso/store.py).
    TABLES = ConvosoTables
    seed_store = staticmethod(tables.seed)

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        self.config = config
        self.store = ConvosoStore(store)

    def routes(self) -> list[Route]:
        """The operations' routes, relative to the app root (``/v1/...``)."""
        return [
            Route("/v1/sms-opt-out/search", self.endpoint(self.search), methods=["POST"]),
            Route("/v1/sms-opt-out/insert", self.endpoint(self.insert), methods=["POST"]),
            Route("/v1/sms-opt-out/update", self.endpoint(self.update), methods=["POST"]),
        ]

    # -- request handling and error bodies ---------------------------------------------------

    def endpoint(
        self, operation: Callable[[Fields], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap an operation: read the form, authenticate, run, turn errors into their bodies."""
        name = operation.__name__

        async def handle(request: Request) -> Response:
            try:
                fields = self.read_arguments(request, await read_form(request, self.config.max_body_bytes))
                self.authenticate(fields)
                return self.success_response(operation(fields))
            except ConvosoUnauthorized:
                return self.unauthorized_response()
            except ConvosoError as exc:
                return self.error_response(exc.code, name)
            except ConvosoBadRequest as exc:
                return self.bad_request_response(exc.message)
            except (BodyTooLarge, BodyUndecodable) as exc:
                return self.bad_request_response(str(exc))

        return handle

    def read_arguments(self, request: Request, form: Fields) -> Fields:
        """The form fields and the query string's parameters, read together (registry
        ``convoso.request.query-string-parameters``: 001 heads its table "Query Parameters", so
        they are honoured, never silently dropped). A name in both with different values is
        refused (HTTP 400 naming it): neither value is dropped without a word. So is a body that
        carries no form fields (JSON, text) under a query string that does: its fields would be."""
        fields = dict(form)
        declared = request.headers.get("content-length", "0").strip()
        unread = media_type(request) not in (FORM_URLENCODED, MULTIPART) and (
            not declared.isdigit() or int(declared) > 0)
        if request.query_params and unread:
            raise ConvosoBadRequest(f"the {media_type(request) or 'untyped'} body is not read (parameters "
                                    "travel in a form body or the query string)")
        query: Fields = {}
        for name, value in request.query_params.multi_items():
            query.setdefault(name, value)  # the first value wins, as in a form body
        for name, value in query.items():
            if name not in fields:
                fields[name] = value
            elif fields[name] != value:
                raise ConvosoBadRequest(f"{name} given in the query string and the form body with "
                                        "different values")
        return fields

    def authenticate(self, fields: Fields) -> None:
        """Reject a missing or wrong auth_token (ConvosoUnauthorized)."""
        if fields.get("auth_token") != self.config.token:
            raise ConvosoUnauthorized

    def success_response(self, body: dict[str, Any]) -> Response:
        return JSONResponse(body)

    def unauthorized_response(self) -> Response:
        """HTTP 401 (Convoso glossary: 401 = missing or invalid token) with 000's error text."""
        return JSONResponse({"success": False, "error": INVALID_TOKEN}, status_code=401)

    def error_response(self, code: int, operation: str) -> Response:
        """A coded error: HTTP 200, success false, the numeric code and its documented message."""
        message = message_for(code, operation, self.config.profile)
        return JSONResponse({"success": False, "code": code, "error": message})

    def bad_request_response(self, message: str) -> Response:
        """An error without a documented code: HTTP 400, success false and a clear message."""
        return JSONResponse({"success": False, "error": message}, status_code=400)

    # -- search ------------------------------------------------------------------------------

    def search(self, fields: Fields) -> dict[str, Any]:
        """Search: validate paging, build the filter, count, read one page, format it."""
        offset = self.parse_offset(fields.get("offset", ""))
        limit = self.parse_limit(fields.get("limit", ""))
        where = self.build_filter(fields)
        total = self.count(where)
        records = self.page(where, offset, limit)
        return self.format_search_response(offset, limit, total, records)

    def default_limit(self) -> int:
        """Page size when limit is omitted: 1000 (000, community) or 100 (001, official)."""
        return MAX_LIMIT if self.config.profile == COMMUNITY else 100

    def max_offset(self) -> int:
        """Largest accepted offset: 100000 (000, community) or 1000000 (001, official)."""
        return 100_000 if self.config.profile == COMMUNITY else 1_000_000

    def parse_offset(self, value: str) -> int:
        """offset: absent/empty -> 0; non-integer, negative or above max_offset -> 7231."""
        if value == "":
            return 0
        offset = decimal(value)
        if offset is None or offset > self.max_offset():
            raise ConvosoError(7231, value)
        return offset

    def parse_limit(self, value: str) -> int:
        """limit: absent/empty -> default; above 1000 -> clamped to 1000; non-integer or < 1 ->
        HTTP 400 (no code is documented for it)."""
        if value == "":
            return self.default_limit()
        limit = decimal(value)
        if limit is None or limit < 1:
            raise ConvosoBadRequest("Invalid limit value")
        return min(limit, MAX_LIMIT)

    def build_filter(self, fields: Fields) -> Where:
        """AND of every filter given (an empty value means the filter is absent)."""
        parts = [
            self.filter_id(fields.get("id", "")),
            self.filter_campaign_id(fields.get("campaign_id", "")),
            self.filter_phone_number(fields.get("phone_number", "")),
            self.filter_phone_code(fields.get("phone_code", "")),
            self.filter_text("reason", fields.get("reason", ""), 6058),
            self.filter_text("purpose", fields.get("purpose", ""), 6057),
            self.filter_insert_date(fields.get("insert_date", "")),
        ]
        given = [part for part in parts if part is not None]
        sql = " AND ".join(part[0] for part in given)
        params = [param for part in given for param in part[1]]
        return sql, params

    def filter_id(self, value: str) -> Where | None:
        """id: exact record id; a non-numeric id matches nothing."""
        if value == "":
            return None
        record_id = decimal(value)
        if record_id is None:
            return "0", []
        return "id = ?", [record_id]

    def filter_campaign_id(self, value: str) -> Where | None:
        """campaign_id: exact (0 global, -1 purpose type); non-integer -> 6006; an unknown
        integer matches nothing."""
        if value == "":
            return None
        campaign_id = decimal(value, signed=True)
        if campaign_id is None:
            raise ConvosoError(6006, value)
        return "campaign_id = ?", [campaign_id]

    def filter_phone_number(self, value: str) -> Where | None:
        """phone_number: exact match."""
        if value == "":
            return None
        return "phone_number = ?", [value]

    def filter_phone_code(self, value: str) -> Where | None:
        """phone_code: exact match; not 1-4 digits -> 6026."""
        if value == "":
            return None
        if not PHONE_CODE.fullmatch(value):
            raise ConvosoError(6026, value)
        return "phone_code = ?", [value]

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        """reason / purpose: -BLANK- empty, -NOTBLANK- non-empty, else exact; > 255 characters
        -> invalid_code (6058 reason, 6057 purpose)."""
        if value == "":
            return None
        if value == BLANK:
            return f"{column} = ''", []
        if value == NOT_BLANK:
            return f"{column} != ''", []
        if len(value) > MAX_TEXT:
            raise ConvosoError(invalid_code, column)
        return f"{column} = ?", [value]

    def filter_insert_date(self, value: str) -> Where | None:
        """insert_date: YYYY-MM-DD, records inserted that day; any other form -> HTTP 400."""
        if value == "":
            return None
        try:
            if not DATE.fullmatch(value):
                raise ValueError(value)
            day = date.fromisoformat(value)
        except ValueError:
            raise ConvosoBadRequest("Invalid insert_date value (expected YYYY-MM-DD)") from None
        return "insert_date >= ? AND insert_date < ?", [
            day.isoformat(),
            (day + timedelta(days=1)).isoformat(),
        ]

    def count(self, where: Where) -> int:
        """Total matching records."""
        return self.store.count_convoso(where)

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        """One page of matching records, ordered by id ascending."""
        return self.store.page_convoso(where, offset, limit)

    def format_number(self, value: int) -> int | str:
        """offset/limit/total in the response: integers (000) or numeric strings (001's example)."""
        return value if self.config.profile == COMMUNITY else str(value)

    def format_search_response(
        self, offset: int, limit: int, total: int, records: list[ConvosoRecord]
    ) -> dict[str, Any]:
        return {
            "success": True,
            "offset": self.format_number(offset),
            "limit": self.format_number(limit),
            "total": self.format_number(total),
            "records": [self.format_record(record) for record in records],
        }

    def format_record(self, record: ConvosoRecord) -> dict[str, str]:
        """A record as both documents show it: every field a string."""
        return {
            "id": str(record.id),
            "phone_number": record.phone_number,
            "phone_code": record.phone_code,
            "reason": record.reason,
            "purpose": record.purpose,
            "insert_date": self.format_insert_date(record.insert_date),
            "campaign_id": str(record.campaign_id),
            "campaign_name": self.campaign_name(record.campaign_id),
        }

    def format_insert_date(self, stored: str) -> str:
        """YYYY-MM-DD (000, community) or YYYY-MM-DD HH:MM:SS (001, official)."""
        return stored[:10] if self.config.profile == COMMUNITY else stored

    def campaign_name(self, campaign_id: int) -> str:
        """The campaign's name; the global one is "Global SMS Opt-Out" (000) or "" (001)."""
        campaign = self.config.campaign(campaign_id)
        if campaign is None:
            return ""
        if campaign.type == GLOBAL and self.config.profile != COMMUNITY:
            return ""
        return campaign.name

    # -- insert ------------------------------------------------------------------------------

    def insert(self, fields: Fields) -> dict[str, Any]:
        """Insert: validate each field in the order of 000's table, then store (6008 on duplicate)."""
        phone_number = self.validate_insert_phone_number(fields.get("phone_number", ""))
        phone_code = self.validate_phone_code(fields.get("phone_code", ""))
        campaign_id = self.validate_insert_campaign(fields.get("campaign_id", ""))
        reason = self.validate_reason(self.clear_blank(fields.get("reason", "")))
        purpose = self.validate_purpose(self.clear_blank(fields.get("purpose", "")))
        self.check_purpose_required(campaign_id, purpose)
        try:
            self.store.insert_convoso(phone_number, phone_code, campaign_id, reason, purpose, self.now_text())
        except DuplicateRecord:
            raise ConvosoError(6008, phone_number) from None
        return self.format_insert_response()

    def format_insert_response(self) -> dict[str, Any]:
        return {"success": True}

    def now_text(self) -> str:
        """The insert timestamp as stored: YYYY-MM-DD HH:MM:SS from the configured clock."""
        return self.config.now().strftime("%Y-%m-%d %H:%M:%S")

    def clear_blank(self, value: str) -> str:
        """-BLANK- means empty (000: 'use -BLANK- to clear')."""
        return "" if value == BLANK else value

    def validate_insert_phone_number(self, value: str) -> str:
        """Missing, or not 7-15 digits -> 6007."""
        if not PHONE_NUMBER.fullmatch(value):
            raise ConvosoError(6007, value)
        return value

    def validate_phone_code(self, value: str) -> str:
        """Missing, or not 1-4 digits -> 6026."""
        if not PHONE_CODE.fullmatch(value):
            raise ConvosoError(6026, value)
        return value

    def validate_insert_campaign(self, value: str) -> int:
        """Missing, non-integer or unknown campaign -> 6006."""
        campaign_id = decimal(value, signed=True)
        if campaign_id is None or self.config.campaign(campaign_id) is None:
            raise ConvosoError(6006, value)
        return campaign_id

    def validate_reason(self, value: str) -> str:
        """Longer than 255 characters -> 6058 (the listed reasons are examples)."""
        if len(value) > MAX_TEXT:
            raise ConvosoError(6058)
        return value

    def validate_purpose(self, value: str) -> str:
        """Longer than 255 characters -> 6057 (the listed purposes are examples)."""
        if len(value) > MAX_TEXT:
            raise ConvosoError(6057)
        return value

    def check_purpose_required(self, campaign_id: int, purpose: str) -> None:
        """A campaign of type Purpose (-1) needs a non-empty purpose -> 6080."""
        campaign = self.config.campaign(campaign_id)
        if campaign is not None and campaign.type == PURPOSE and not purpose:
            raise ConvosoError(6080)

    # -- update ------------------------------------------------------------------------------

    def update(self, fields: Fields) -> dict[str, Any]:
        """Update: find the record, validate the given fields, apply; 6059 on a key collision."""
        record = self.find_update_record(fields.get("id", ""))
        self.check_update_fields_present(fields)
        self.check_update_fields_numeric(fields)
        changes: dict[str, Any] = {}
        if "phone_code" in fields:
            changes["phone_code"] = self.validate_phone_code(fields["phone_code"])
        if "phone_number" in fields:
            changes["phone_number"] = self.validate_update_phone_number(fields["phone_number"])
        if "campaign_id" in fields:
            changes["campaign_id"] = self.validate_update_campaign(fields["campaign_id"])
        if fields.get("reason", ""):
            changes["reason"] = self.validate_reason(self.clear_blank(fields["reason"]))
        if fields.get("purpose", ""):
            changes["purpose"] = self.validate_purpose(self.clear_blank(fields["purpose"]))
        self.check_purpose_required(
            changes.get("campaign_id", record.campaign_id), changes.get("purpose", record.purpose)
        )
        try:
            self.store.update_convoso(record.id, changes)
        except DuplicateRecord:
            raise ConvosoError(6059) from None
        return self.format_update_response(record.id)

    def format_update_response(self, record_id: int) -> dict[str, Any]:
        return {"success": True, "data": {"id": str(record_id)}}

    def find_update_record(self, value: str) -> ConvosoRecord:
        """id missing, non-numeric or unknown -> 6056."""
        record_id = decimal(value)
        record = self.store.get_convoso(record_id) if record_id is not None else None
        if record is None:
            raise ConvosoError(6056, value)
        return record

    def check_update_fields_present(self, fields: Fields) -> None:
        """phone_number / phone_code / campaign_id given but empty -> 4001 (all are optional)."""
        for name in KEY_FIELDS:
            if name in fields and fields[name] == "":
                raise ConvosoError(4001, name)

    def check_update_fields_numeric(self, fields: Fields) -> None:
        """phone_number / phone_code / campaign_id with a non-digit character -> 4002
        (campaign_id may carry a leading minus: -1 is the purpose type)."""
        for name in KEY_FIELDS:
            pattern = INTEGER if name == "campaign_id" else DIGITS
            if name in fields and not pattern.fullmatch(fields[name]):
                raise ConvosoError(4002, name)

    def validate_update_phone_number(self, value: str) -> str:
        """Numeric but not 7-15 digits -> 6008 'The phone number is invalid' (update table)."""
        if not PHONE_NUMBER.fullmatch(value):
            raise ConvosoError(6008, value)
        return value

    def validate_update_campaign(self, value: str) -> int:
        """An integer that is no known campaign -> 6004 Unknown Campaign ID."""
        campaign_id = decimal(value, signed=True)
        if campaign_id is None or self.config.campaign(campaign_id) is None:
            raise ConvosoError(6004, value)
        return campaign_id
