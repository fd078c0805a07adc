"""Which documented error codes the run provoked, derived from the exchange log.

The documented codes are the spec's ``x-error-codes`` lists (one per operation). A code is
*triggered* when an exchange sent by a check that names the code (in its id, source or
docstring) came back with it, *seen* when some other exchange came back with it (the property
phase, a probe, an unrelated check), else *not seen*. Codes are read by the API's reply dialect
(the same reading as every check's); only a dialect with ``CODED_ERRORS`` has numeric codes.

:func:`coverage_gate` (``run --require-coverage``) fails when a documented code was neither
triggered nor seen. A code is *excused* when the registry marks it as having no documented
cause on that operation: the entries in the dialect's ``CAUSELESS_ENTRIES`` name the codes in their
``subject`` and the operations in their ``operations`` (search's insert-type codes; what makes a
reason or purpose invalid, 6057/6058, is stated nowhere). A suite cannot be required to provoke
what no document says provokes it; excused codes are listed as such, never hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from optout_conformance import registry
from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.core.errors import SpecError
from optout_conformance.core.reading import read_with
from optout_conformance.specs import load_spec

if TYPE_CHECKING:
    from optout_conformance.core.results import ApiResult

TRIGGERED, SEEN, NOT_SEEN = "triggered", "seen", "not seen"
_CODE = re.compile(r"\b\d{4}\b")


@dataclass(frozen=True)
class CodeCoverage:
    """One documented (operation, code) and whether the run saw it."""

    operation: str
    code: int
    message: str
    status: str
    check_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "check_ids": list(self.check_ids),
        }


def documented_error_codes(api: str) -> list[tuple[str, int, str]]:
    """(operation path, code, message) for every coded entry of the spec's ``x-error-codes``."""
    spec = _load_spec(api)
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
    return rows


def _load_spec(api: str) -> dict[str, Any]:
    """The API's spec, unnarrowed: every operation's error table (empty when none is found)."""
    try:
        spec = load_spec(api, "lenient")
        if isinstance(spec, dict):
            return spec
    except Exception:  # the spec loader failed: read the file itself
        pass
    for directory in _spec_dirs():
        file = directory / APIS[api].spec_file
        if file.is_file():
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
            return loaded if isinstance(loaded, dict) else {}
    return {}


def _spec_dirs() -> list[Path]:
    package = Path(__file__).resolve().parent.parent
    return [package / "openapi", package.parent.parent / "openapi"]


def error_code_coverage(api_result: ApiResult) -> list[CodeCoverage]:
    """Coverage rows for one API's run (empty for APIs without documented numeric codes)."""
    dialect = _dialect(api_result.api)
    documented = documented_error_codes(api_result.api) if getattr(dialect, "CODED_ERRORS", False) else []
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
    rows = []
    for operation, code, message in documented:
        senders = seen.get((operation, code), set())
        provokers = tuple(
            sorted(c for c in senders if c is not None and str(code) in texts.get(c, ""))
        )
        status = TRIGGERED if provokers else SEEN if senders else NOT_SEEN
        rows.append(CodeCoverage(operation, code, message, status, provokers))
    return rows


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


def coverage_gate(api_result: ApiResult | dict[str, Any]) -> tuple[bool, list[str]]:
    """The documented-response coverage gate of one API's run: ``(ok, lines)``.

    ``ok`` is False when a documented error code was neither triggered nor seen and the registry
    does not excuse it; ``lines`` list every such code, then every excused one (with the
    registry entry that excuses it), then a verdict line. ``api_result`` is an ApiResult or its
    JSON report dict (``apis[i]`` of the report, whose ``error_codes`` it reads). An API without
    numeric codes (WhatCounts, Avaamo) passes with one line saying so.
    """
    if isinstance(api_result, dict):
        api = str(api_result.get("api", ""))
        rows = [CodeCoverage(r["operation"], int(r["code"]), str(r.get("message", "")), r["status"],
                             tuple(r.get("check_ids") or ()))
                for r in api_result.get("error_codes") or []]
    else:
        api = api_result.api
        rows = error_code_coverage(api_result)
    if not rows:
        return True, [f"{api}: coverage gate passes (no documented numeric error codes)"]
    excused = excused_codes(api)
    missing = [r for r in rows if r.status == NOT_SEEN and (r.operation, r.code) not in excused]
    pardoned = [r for r in rows if r.status == NOT_SEEN and (r.operation, r.code) in excused]
    lines = [f"{api}: not triggered nor seen: {r.operation} {r.code} {r.message}" for r in missing]
    lines += [f"{api}: excused (no documented cause, {excused[(r.operation, r.code)]}): "
              f"{r.operation} {r.code} {r.message}" for r in pardoned]
    covered = sum(1 for r in rows if r.status != NOT_SEEN)
    verdict = "fails" if missing else "passes"
    lines.append(f"{api}: coverage gate {verdict}: {covered}/{len(rows)} documented codes triggered or "
                 f"seen, {len(missing)} missing, {len(pardoned)} excused")
    return not missing, lines
