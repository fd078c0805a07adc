"""The error-code coverage gate (``run --require-coverage``), read from the run's results.

The rows (``ApiResult.error_codes``, the JSON report's ``error_codes``) are computed by the run
(``checks.coverage``: documented codes from the spec's ``x-error-codes``, each *triggered*, *seen*
or *not seen*, and *excused* when the registry marks it as having no documented cause on that
operation); this module only reads them.

:func:`coverage_gate` fails when a documented code was neither triggered nor seen and is not
excused; excused codes are listed as such, never hidden.
"""

from __future__ import annotations

from typing import Any

from optout_conformance.core.results import NOT_SEEN, SEEN, TRIGGERED, ApiResult, CodeCoverage

__all__ = ["NOT_SEEN", "SEEN", "TRIGGERED", "CodeCoverage", "coverage_gate", "error_code_coverage"]


def error_code_coverage(api_result: ApiResult | dict[str, Any]) -> list[CodeCoverage]:
    """The coverage rows of one API's run: an ApiResult's ``error_codes``, or the rows of its
    JSON report dict (``apis[i]``)."""
    if isinstance(api_result, dict):
        return [CodeCoverage.from_dict(row) for row in api_result.get("error_codes") or []]
    return list(api_result.error_codes)


def coverage_gate(api_result: ApiResult | dict[str, Any]) -> tuple[bool, list[str]]:
    """The documented-response coverage gate of one API's run: ``(ok, lines)``.

    ``ok`` is False when a documented error code was neither triggered nor seen and the registry
    does not excuse it; ``lines`` list every such code, then every excused one (with the
    registry entry that excuses it), then a verdict line. ``api_result`` is an ApiResult or its
    JSON report dict. An API without numeric codes (WhatCounts, Avaamo) passes with one line
    saying so.
    """
    api = str(api_result.get("api", "")) if isinstance(api_result, dict) else api_result.api
    rows = error_code_coverage(api_result)
    if not rows:
        return True, [f"{api}: coverage gate passes (no documented numeric error codes)"]
    missing = [r for r in rows if r.status == NOT_SEEN and not r.excused_by]
    pardoned = [r for r in rows if r.status == NOT_SEEN and r.excused_by]
    lines = [f"{api}: not triggered nor seen: {r.operation} {r.code} {r.message}" for r in missing]
    lines += [f"{api}: excused (no documented cause, {r.excused_by}): "
              f"{r.operation} {r.code} {r.message}" for r in pardoned]
    covered = sum(1 for r in rows if r.status != NOT_SEEN)
    verdict = "fails" if missing else "passes"
    lines.append(f"{api}: coverage gate {verdict}: {covered}/{len(rows)} documented codes triggered or "
                 f"seen, {len(missing)} missing, {len(pardoned)} excused")
    return not missing, lines
