"""Which documented error codes a run provoked: the rows of the error-code coverage table.

The run computes them (``runner.session`` puts them in ``ApiResult.error_codes``); the reports
(``report.coverage`` and the terminal, JSON and HTML reports) only render them.

The documented codes are the spec's ``x-error-codes`` lists (one per operation). A code is
*triggered* when an exchange sent by a check that names the code (in its id, source or
docstring) came back with it, *seen* when some other exchange came back with it (the property
phase, a probe, an unrelated check), else *not seen*. Codes are read by the API's reply dialect
(the same reading as every check's); only a dialect with ``CODED_ERRORS`` has numeric codes.

A code is *excused* (``CodeCoverage.excused_by``) when the registry marks it as having no
documented cause on that operation: the entries in the dialect's ``CAUSELESS_ENTRIES`` name the
codes in their ``subject`` and the operations in their ``operations`` (search's insert-type codes;
what makes a reason or purpose invalid, 6057/6058, is stated nowhere). A suite cannot be required to
provoke what no document says provokes it; the coverage gate lists excused codes, never hides them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from optout_conformance import registry
from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.core.errors import SpecError
from optout_conformance.core.reading import read_with
from optout_conformance.core.results import NOT_SEEN, SEEN, TRIGGERED, ApiResult, CodeCoverage
from optout_conformance.specs import load_spec

__all__ = ["documented_error_codes", "error_code_coverage", "excused_codes"]

_CODE = re.compile(r"\b\d{4}\b")


@functools.cache
def documented_error_codes(api: str) -> tuple[tuple[str, int, str], ...]:
    """(operation path, code, message) for every coded entry of the spec's ``x-error-codes``
    (the permissive spec: every documented code of every profile)."""
    try:
        spec = load_spec(api, "lenient")
    except SpecError:
        return ()
    rows: list[tuple[str, int, str]] = []
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for entry in operation.get("x-error-codes") or []:
                if isinstance(entry, dict) and isinstance(entry.get("code"), int):
                    rows.append((str(path), entry["code"], str(entry.get("message", ""))))
    return tuple(rows)


def _dialect(api: str) -> Any:
    """The API's reply dialect (``checks.judgement`` reads replies the same way), else None."""
    definition = APIS.get(api)
    reference = getattr(definition, "dialect", "") if definition is not None else ""
    return load_reference(reference, api) if reference else None


def excused_codes(api: str) -> dict[tuple[str, int], str]:
    """(operation path, code) -> the registry entry marking the code as having no documented
    cause there (the dialect's ``CAUSELESS_ENTRIES``, operations mapped by its
    ``OPERATION_PATHS``). An entry missing from the registry excuses nothing (the gate fails closed)."""
    excused: dict[tuple[str, int], str] = {}
    dialect = _dialect(api)
    operation_paths: dict[str, str] = dict(getattr(dialect, "OPERATION_PATHS", {}))
    for entry_id in getattr(dialect, "CAUSELESS_ENTRIES", ()):
        try:
            entry = registry.get(entry_id)
        except SpecError:
            continue
        for operation in entry.operations:
            path = operation_paths.get(operation)
            if path is None:
                continue
            for code in _CODE.findall(entry.subject):
                excused.setdefault((path, int(code)), entry.id)
    return excused


def error_code_coverage(api_result: ApiResult) -> list[CodeCoverage]:
    """Coverage rows for one API's run (empty for APIs without documented numeric codes)."""
    dialect = _dialect(api_result.api)
    documented = documented_error_codes(api_result.api) if getattr(dialect, "CODED_ERRORS", False) else ()
    if not documented:
        return []
    texts = {c.id: " ".join((c.id, c.source, c.doc)) for c in api_result.checks}
    seen: dict[tuple[str, int], set[str | None]] = {}
    for exchange in api_result.exchanges:
        reading = read_with(dialect, exchange.status or 0, exchange.content_type, exchange.text)
        code = reading.code if reading.refused else None
        if code is None:
            continue
        operation = next((p for p, _, _ in documented if exchange.url.endswith(p)), "")
        seen.setdefault((operation, code), set()).add(exchange.check_id)
    excused = excused_codes(api_result.api)
    rows = []
    for operation, code, message in documented:
        senders = seen.get((operation, code), set())
        provokers = tuple(
            sorted(c for c in senders if c is not None and str(code) in texts.get(c, ""))
        )
        status = TRIGGERED if provokers else SEEN if senders else NOT_SEEN
        rows.append(CodeCoverage(operation, code, message, status, provokers,
                                 excused.get((operation, code), "")))
    return rows
