"""How a Convoso answer is read as following 000 (community) or 001 (official).

Shared by the fingerprint probes (``apis.convoso.probes``) and the checks that judge the same
points, so a probe and a check never read one answer two ways.
"""

from __future__ import annotations

import re
from typing import Any

from optout_conformance.apis.convoso.checks.api import (
    S000,
    S001,
    as_int,
    is_error,
    json_object,
    search,
)
from optout_conformance.core.context import CheckContext

DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def observed_default(total: int, served: int) -> int | None:
    """Which documented default (1000 or 100) a page of ``served`` out of ``total`` shows, if any."""
    if total > 100 and served == 100:
        return 100
    if served == min(total, 1000) and served > 100:
        return 1000
    return None


def field_kind(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    if isinstance(value, str) and as_int(value) is not None:
        return "numeric-string"
    return type(value).__name__


def paging_follows(kinds: dict[str, str]) -> str | None:
    """000 shows integers; 001's table and example make `total` a string (offset/limit either)."""
    if all(kind == "integer" for kind in kinds.values()):
        return S000
    numeric = ("integer", "numeric-string")
    if (
        kinds.get("total") == "numeric-string"
        and kinds.get("offset") in numeric
        and kinds.get("limit") in numeric
    ):
        return S001
    return None


def paging_kinds(body: dict[str, Any]) -> dict[str, str]:
    """The kind of each paging field of a search reply (offset, limit, total)."""
    return {name: field_kind(body.get(name)) for name in ("offset", "limit", "total")}


def date_format(value: str) -> str:
    """The insert_date format a value shows: 000's date, 001's date and time, or other."""
    if DATE_ONLY.fullmatch(value):
        return "YYYY-MM-DD"
    if DATE_TIME.fullmatch(value):
        return "YYYY-MM-DD HH:MM:SS"
    return "other"


DATE_FOLLOWS = {"YYYY-MM-DD": S000, "YYYY-MM-DD HH:MM:SS": S001}


def date_follows(dates: list[str]) -> str | None:
    formats = {date_format(d) for d in dates}
    return DATE_FOLLOWS.get(formats.pop()) if len(formats) == 1 else None


def global_campaign_names(items: list[dict[str, Any]]) -> dict[str, Any]:
    """repr -> campaign_name of the global (campaign 0) records (keyed by repr: a name may be any
    JSON value, lists and objects included, which are unhashable)."""
    return {repr(r.get("campaign_name")): r.get("campaign_name")
            for r in items if as_int(r.get("campaign_id")) == 0}


def offset_between_maxima(ctx: CheckContext) -> tuple[str, str | None]:
    """offset=500000 lies above 000's maximum and within 001's: success -> 001, 7231 -> 000."""
    ex = search(ctx, offset=500000, limit=1)
    body = json_object(ex, "search with offset 500000", f"{S000}; {S001}")
    if not is_error(ex, body):
        return "offset 500000 accepted", S001
    if as_int(body.get("code")) == 7231:
        return "offset 500000 -> 7231", S000
    return f"inconclusive: {ex.summary(120)}", None
