"""Avaamo open points as behaviours: small mixins of the reference service, by name.

The generic generator (``faults/open_points.py``) composes them with reply transforms into
faithful servers; a realization names one with ``apply: {behaviour: <name>}`` in
``openapi/discrepancies.yaml``. :func:`reply_kind` tells the generator what kind of reply the
reference gave (the ``reply`` selector of a transform).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.routing import Route

from optout_conformance.apis.avaamo.reference import DEFAULT_PER_PAGE, AvaamoBadRequest, AvaamoService
from optout_conformance.reference.store import Where


class AvaamoPageBelowOneIsFirst(AvaamoService):
    """page 0 or a negative page -> the first page (not HTTP 400)."""

    def parse_page(self, value: str) -> int:
        try:
            return super().parse_page(value)
        except AvaamoBadRequest:
            if value.lstrip("-").isdigit():
                return 1
            raise


class AvaamoUnknownStatusIgnored(AvaamoService):
    """An unsupported status / current_status value is ignored (no filter), not refused."""

    def filter_status(self, column: str, value: str) -> tuple[str, list[Any]]:
        try:
            return super().filter_status(column, value)
        except AvaamoBadRequest:
            return "1", []


class AvaamoPlusRestored(AvaamoService):
    """A to_phone / from_phone whose raw '+' decoded to a leading space matches as '+' (lenient decoding)."""

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        if value.startswith(" ") and value[1:].isdigit():
            value = "+" + value[1:]
        return super().filter_phone(column, value)


class AvaamoStartTimeLatestThree(AvaamoService):
    """start_time without end_time -> 003's first reading: "the latest 3 entries up to the
    specified timetoken" (created at or before start_time, newest 3, other filters applied)."""

    def build_filter(self, query: dict[str, str]) -> Where:
        start, end = query.get("start_time", ""), query.get("end_time", "")
        if not start or end:
            return super().build_filter(query)
        rest = {k: v for k, v in query.items() if k != "start_time"}
        sql, params = super().build_filter({**rest, "end_time": start})
        return (
            f"id IN (SELECT id FROM avaamo_entries WHERE {sql} ORDER BY created_at DESC, id DESC LIMIT 3)",
            params,
        )


class AvaamoTotalPagesFloor(AvaamoService):
    """total_pages = total_entries // per_page (003's "total_entries = per_page * total_pages"
    read with whole numbers: a last, partial page is not counted)."""

    def total_pages(self, total: int, per_page: int) -> int:
        return total // per_page


class AvaamoTotalPagesAtLeastOne(AvaamoService):
    """total_pages is at least 1 (an empty result is one empty page)."""

    def total_pages(self, total: int, per_page: int) -> int:
        return max(super().total_pages(total, per_page), 1)


class AvaamoPerPageAboveMaxRejected(AvaamoService):
    """per_page above 100 -> HTTP 400 instead of clamping."""

    def parse_per_page(self, value: str) -> int:
        if value.isdigit() and int(value) > 100:
            raise AvaamoBadRequest("per_page must be at most 100")
        return super().parse_per_page(value)


class AvaamoPerPageBelowOneIsDefault(AvaamoService):
    """per_page 0 or a negative per_page -> the default page size (25), not HTTP 400."""

    def parse_per_page(self, value: str) -> int:
        try:
            return super().parse_per_page(value)
        except AvaamoBadRequest:
            if value.lstrip("-").isdigit():
                return DEFAULT_PER_PAGE
            raise


class AvaamoPagePastEnd400(AvaamoService):
    """A page past the last one -> HTTP 400 instead of an empty page."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        result = super().list_entries(query)
        if not result["entries"] and result["current_page"] > max(result["total_pages"], 1):
            raise AvaamoBadRequest("page is past the last page")
        return result


class AvaamoOldestFirst(AvaamoService):
    """Entries oldest first (the reverse of the reference's newest first), stably."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        where = self.build_filter(query)
        total = self.store.count_avaamo(where)
        offset = (page - 1) * per_page
        start = max(total - offset - per_page, 0)
        size = max(min(per_page, total - offset), 0)
        entries = list(reversed(self.store.page_avaamo(where, start, size))) if size else []
        return self.format_response(page, per_page, total, entries)


class AvaamoCreatedAtMilliseconds(AvaamoService):
    """created_at in epoch milliseconds."""

    def format_entry(self, entry: Any) -> dict[str, Any]:
        return {**super().format_entry(entry), "created_at": entry.created_at * 1000}


class AvaamoJsonPathOnly(AvaamoService):
    """Serves only /api/v2/sms/opt-status.json (the plain path is 404)."""

    def routes(self) -> list[Route]:
        return [Route("/api/v2/sms/opt-status.json", self.handle, methods=["GET"])]



BEHAVIOURS: dict[str, type] = {
    "per-page-above-max-rejected": AvaamoPerPageAboveMaxRejected,
    "per-page-below-one-is-default": AvaamoPerPageBelowOneIsDefault,
    "page-past-end-400": AvaamoPagePastEnd400,
    "oldest-first": AvaamoOldestFirst,
    "created-at-milliseconds": AvaamoCreatedAtMilliseconds,
    "json-path-only": AvaamoJsonPathOnly,
    "page-below-one-is-first": AvaamoPageBelowOneIsFirst,
    "unknown-status-ignored": AvaamoUnknownStatusIgnored,
    "plus-restored": AvaamoPlusRestored,
    "start-time-latest-three": AvaamoStartTimeLatestThree,
    "total-pages-floor": AvaamoTotalPagesFloor,
    "total-pages-at-least-one": AvaamoTotalPagesAtLeastOne,
}


def reply_kind(status: int, body: bytes) -> str:
    """A JSON reply by its status (not JSON: "other")."""
    try:
        json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return "other"
    return {200: "success", 400: "bad-request", 401: "auth-failure"}.get(status, "other")
