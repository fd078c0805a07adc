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

from optout_conformance.runner.results import RunResult

SCHEMA_VERSION = "1.2"
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
    return json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write_json(run: RunResult, path: str | Path) -> Path:
    """Write the JSON report to ``path`` (parent directories created) and return the path."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(render_json(run), encoding="utf-8")
    return file
