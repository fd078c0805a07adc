"""Convoso's drift extractors for ``diff``: the echoed limit and the fingerprint of a search reply.

The classifiers are the fingerprint probes' (``probes.py``): a recording and a live target are
read the same way on paging field types, insert_date format and the global campaign_name.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.apis.convoso.checks.classify import date_format, global_campaign_names, paging_kinds

# The page-size field a search reply echoes (its value for a request that sent none is the default).
PAGE_SIZE_FIELD = "limit"


def fingerprint(body: Any, text: str) -> dict[str, str]:
    """Registry id -> the variant a search reply shows."""
    points: dict[str, str] = {}
    if not isinstance(body, dict) or "records" not in body:
        return points
    points["convoso.search.paging-field-types"] = ", ".join(f"{k} {v}" for k, v in paging_kinds(body).items())
    records = [r for r in body.get("records") or [] if isinstance(r, dict)]
    dates = sorted({date_format(str(r.get("insert_date", ""))) for r in records})
    if dates:
        points["convoso.record.insert_date-format"] = " | ".join(dates)
    names = sorted(global_campaign_names(records))
    if names:
        points["convoso.record.global-campaign_name"] = " | ".join(names)
    return points
