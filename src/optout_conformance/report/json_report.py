"""The JSON report (``--report-json PATH``) and the JSON Schema it follows.

The schema ships in the package (``report/report.schema.json``); its ``$id`` carries the
version in :data:`SCHEMA_VERSION`. A change that removes or retypes a field bumps the major
version; adding an optional field bumps the minor one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from optout_conformance import __version__ as tool_version
from optout_conformance.core.results import STATUSES, ApiResult, RunResult, jsonable

SCHEMA_VERSION = "1.3"
SCHEMA_FILE = Path(__file__).with_name("report.schema.json")


@cache
def load_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the report."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def validate(document: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``document`` does not follow the shipped schema."""
    jsonschema.Draft202012Validator(load_schema()).validate(document)


def render_json(run: RunResult) -> str:
    return json.dumps(report_document(run), indent=2, ensure_ascii=False) + "\n"


def write_json(run: RunResult, path: str | Path) -> Path:
    """Write the JSON report to ``path`` (parent directories created) and return the path."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(render_json(run), encoding="utf-8")
    return file


def api_document(api: ApiResult) -> dict[str, Any]:
    """One API's part of the JSON report (``apis[i]``)."""
    return {
        "api": api.api,
        "base_url": api.base_url,
        "embedded": api.embedded,
        "profile": api.profile,
        "effective_profile": api.effective_profile,
        "writes_allowed": api.writes_allowed,
        "counts": {"total": len(api.checks), **api.counts},
        "checks": [c.to_dict() for c in api.checks],
        "fingerprint": [p.to_dict() for p in api.fingerprint],
        "observations": [
            {
                "discrepancy_id": o.discrepancy_id,
                "observed": jsonable(o.observed),
                "follows": o.follows,
                "check_id": o.check_id,
            }
            for o in api.observations
        ],
        "error_codes": [row.to_dict() for row in api.error_codes],
        "exchange_count": len(api.exchanges),
        "notes": list(api.notes),
        "duration": round(api.duration, 3),
    }


def report_document(run: RunResult) -> dict[str, Any]:
    """The JSON report's content for a run (what ``--report-json`` writes)."""
    totals = {s: run.count(s) for s in STATUSES}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "optout-conformance", "version": tool_version},
        "started_at": run.started_at,
        "duration": round(run.duration, 3),
        "options": jsonable(run.options),
        "exit_code": run.exit_code,
        "totals": {"total": len(run.checks), **totals},
        "apis": [api_document(api) for api in run.apis],
    }
