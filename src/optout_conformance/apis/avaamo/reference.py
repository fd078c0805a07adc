"""The reference Avaamo SMS Opt Status API: ``GET /api/v2/sms/opt-status.json`` (and without .json).

Faithful to 003_725be0800b974dd2.txt; its contradictions and silences are settled as
``openapi/discrepancies.yaml`` records. Read-only: entries come from seeding only, so neither a
WhatCounts stop nor a Convoso insert ever shows here. Each step is one method so a faulty variant
overrides exactly one.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from optout_conformance.apis.avaamo import store as tables
from optout_conformance.apis.avaamo.store import AvaamoEntry, AvaamoStore, AvaamoTables
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.forms import decimal
from optout_conformance.reference.store import Store, Where

DEFAULT_PAGE = 1
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# Pages beyond any real data are empty; the bound keeps the SQL offset inside 64 bits.
MAX_PAGE = 10**12
STATUSES = ("opt-in", "opt-out")
INTEGER = re.compile(r"-?[0-9]+")
# A non-negative Number as JSON and JavaScript write one: digits, a fraction, an exponent.
EPOCH_MS = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Times beyond this (year ~318,000) select the same entries; the bound keeps SQL inside 64 bits.
MAX_EPOCH_MS = 10**16


class AvaamoBadRequest(Exception):
    """An invalid query parameter: HTTP 400 JSON error."""


class AvaamoUnauthorized(Exception):
    """A missing or wrong access-token: HTTP 401 JSON error."""


class AvaamoService:
    """The opt-status listing over a Store, for one ReferenceConfig."""

    # The store's table and seed entries of this API (apis/avaamo/store.py).
    TABLES = AvaamoTables
    seed_store = staticmethod(tables.seed)

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        self.config = config
        self.store = AvaamoStore(store)

    def routes(self) -> list[Route]:
        return [
            Route("/api/v2/sms/opt-status.json", self.handle, methods=["GET"]),
            Route("/api/v2/sms/opt-status", self.handle, methods=["GET"]),
        ]

    async def handle(self, request: Request) -> Response:
        try:
            self.authenticate(request.headers.get("access-token"))
            return JSONResponse(self.list_entries(dict(request.query_params.items())))
        except AvaamoUnauthorized:
            return self.error_response("Invalid access token", 401)
        except AvaamoBadRequest as exc:
            return self.error_response(str(exc), 400)

    def authenticate(self, token: str | None) -> None:
        """The access-token header must be the configured token."""
        if token != self.config.token:
            raise AvaamoUnauthorized

    def error_response(self, message: str, status: int) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        """Validate paging, build the filter, count, read one page, format it."""
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        where = self.build_filter(query)
        total = self.store.count_avaamo(where)
        entries = self.store.page_avaamo(where, (page - 1) * per_page, per_page)
        return self.format_response(page, per_page, total, entries)

    def parse_positive(self, name: str, value: str, default: int) -> int:
        """An integer >= 1; absent/empty -> default; otherwise HTTP 400."""
        if value == "":
            return default
        number = decimal(value, signed=True)
        if number is None or number < 1:
            raise AvaamoBadRequest(f"Invalid {name}: must be an integer >= 1")
        return min(number, MAX_PAGE)

    def parse_page(self, value: str) -> int:
        """page: default 1."""
        return self.parse_positive("page", value, DEFAULT_PAGE)

    def parse_per_page(self, value: str) -> int:
        """per_page: default 25, above 100 clamped to 100."""
        return min(self.parse_positive("per_page", value, DEFAULT_PER_PAGE), MAX_PER_PAGE)

    def build_filter(self, query: dict[str, str]) -> Where:
        """AND of the phone, status and time-window filters."""
        parts: list[tuple[str, list[Any]]] = []
        for column in ("to_phone", "from_phone"):
            if query.get(column, ""):
                parts.append(self.filter_phone(column, query[column]))
        for column in ("status", "current_status"):
            if query.get(column, ""):
                parts.append(self.filter_status(column, query[column]))
        parts.append(self.filter_time_window(query.get("start_time", ""), query.get("end_time", "")))
        sql = " AND ".join(part[0] for part in parts)
        return sql, [param for part in parts for param in part[1]]

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        """to_phone / from_phone: exact match on the decoded value."""
        return f"{column} = ?", [value]

    def filter_status(self, column: str, value: str) -> tuple[str, list[Any]]:
        """status / current_status: opt-in or opt-out; anything else -> HTTP 400."""
        if value not in STATUSES:
            raise AvaamoBadRequest(f"Invalid {column}: supported values are opt-in, opt-out")
        return f"{column} = ?", [value]

    def parse_time(self, name: str, value: str) -> int:
        """Epoch milliseconds: any non-negative Number (003 types start_time/end_time "Number" and
        states no bound; the spec allows every number >= 0), whole, fractional or with an exponent,
        as an integer (fractions truncated, values past MAX_EPOCH_MS clamped); anything else ->
        HTTP 400."""
        if len(value) > 1000 or not EPOCH_MS.fullmatch(value):
            raise AvaamoBadRequest(f"Invalid {name}: UNIX epoch timestamp in milliseconds expected")
        return int(min(float(value), MAX_EPOCH_MS))

    def filter_time_window(self, start: str, end: str) -> tuple[str, list[Any]]:
        """created_at within [start_time, end_time] (milliseconds, inclusive); end_time defaults
        to now, so start_time alone means 'from start_time to now'."""
        end_ms = self.parse_time("end_time", end) if end else int(self.config.now().timestamp() * 1000)
        # Compared in whole seconds (created_at's unit) so the created_at index serves the range.
        if start:
            start_ms = self.parse_time("start_time", start)
            return "created_at >= ? AND created_at <= ?", [-(-start_ms // 1000), end_ms // 1000]
        return "created_at <= ?", [end_ms // 1000]

    def format_response(
        self, page: int, per_page: int, total: int, entries: list[AvaamoEntry]
    ) -> dict[str, Any]:
        return {
            "current_page": page,
            "per_page": per_page,
            "total_entries": total,
            "total_pages": self.total_pages(total, per_page),
            "time_token": self.time_token(),
            "entries": [self.format_entry(entry) for entry in entries],
        }

    def total_pages(self, total: int, per_page: int) -> int:
        """ceil(total_entries / per_page)."""
        return math.ceil(total / per_page)

    def time_token(self) -> float:
        """The time of the answer in epoch seconds, as a float."""
        return time.time()

    def format_entry(self, entry: AvaamoEntry) -> dict[str, Any]:
        return {
            "to_phone": entry.to_phone,
            "from_phone": entry.from_phone,
            "created_at": entry.created_at,
            "status": entry.status,
            "current_status": entry.current_status,
        }
