"""Which documented Convoso error codes the run provoked, derived from the exchange log.

The documented codes are the spec's ``x-error-codes`` lists (one per operation). A code is
*triggered* when an exchange sent by a check that names the code (in its id, source or
docstring) came back with it, *seen* when some other exchange came back with it (the property
phase, a probe, an unrelated check), else *not seen*. Only Convoso has numeric codes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from optout_conformance.apis import APIS

if TYPE_CHECKING:
    from optout_conformance.runner.results import ApiResult

TRIGGERED, SEEN, NOT_SEEN = "triggered", "seen", "not seen"


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
        specs = importlib.import_module("optout_conformance.specs")
        spec = specs.load_spec(api, "lenient")
        if isinstance(spec, dict):
            return spec
    except Exception:  # the spec loader is not there yet or failed: read the file itself
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
    documented = documented_error_codes(api_result.api) if api_result.api == "convoso" else []
    if not documented:
        return []
    texts = {c.id: " ".join((c.id, c.source, c.doc)) for c in api_result.checks}
    seen: dict[tuple[str, int], set[str | None]] = {}
    for exchange in api_result.exchanges:
        code = _error_code(exchange.json_or_none())
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


def _error_code(body: Any) -> int | None:
    if not isinstance(body, dict) or body.get("success") is not False:
        return None
    code = body.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None
