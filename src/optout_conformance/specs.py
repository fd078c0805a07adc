"""Find and load the OpenAPI specs, narrowed to a profile by the overlays in ``openapi/overlays/``.

Every module that needs a spec asks here: the checks validate responses against
``load_spec(api, profile)``, the property phase hands it to Schemathesis, the reference server and
the reports read ``error_codes``. Loading is cached; callers get a private deep copy, so mutating a
loaded spec (Schemathesis does, when a base URL is set) never leaks into another caller.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from optout_conformance.core.apis import APIS, PROFILES, check_profile
from optout_conformance.core.errors import BadChoice, SpecError
from optout_conformance.overlay import apply_overlay

# Profiles that narrow a spec when an overlay `<api>-<profile>.yaml` exists; `lenient` and `auto`
# use the permissive spec (auto holds the target to a variant after probing, through the registry).
NARROWING_PROFILES = ("community", "official")


def openapi_dir() -> Path:
    """The directory holding the specs, overlays and the discrepancy registry.

    A wheel carries a copy at ``optout_conformance/openapi`` (pyproject force-includes it); in a
    source checkout or an editable install it is the repository's ``openapi/``.
    """
    packaged = Path(__file__).resolve().parent / "openapi"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "openapi"


def _check_api(api: str) -> None:
    if api not in APIS:
        raise BadChoice("--api", api, tuple(APIS))


def spec_path(api: str) -> Path:
    """Path of the API's permissive spec file."""
    _check_api(api)
    return (APIS[api].spec_dir or openapi_dir()) / APIS[api].spec_file


def overlay_path(api: str, profile: str) -> Path | None:
    """Path of the overlay that narrows ``api`` to ``profile``, or None when there is none."""
    _check_api(api)
    if profile not in NARROWING_PROFILES:
        return None
    path = (APIS[api].spec_dir or openapi_dir()) / "overlays" / f"{api}-{profile}.yaml"
    return path if path.is_file() else None


def read_yaml(path: Path) -> Any:
    """A YAML file's content; SpecError (naming the file) when it is missing or malformed."""
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"malformed YAML in {path}: {exc}") from exc


@functools.cache
def _load(api: str, profile: str) -> dict[str, Any]:
    path = spec_path(api)
    document = read_yaml(path)
    if not isinstance(document, dict) or "openapi" not in document:
        raise SpecError(f"{path} is not an OpenAPI document")
    overlay_file = overlay_path(api, profile)
    if overlay_file is None:
        return document
    overlay = read_yaml(overlay_file)
    extends = overlay.get("extends") if isinstance(overlay, dict) else None
    if not isinstance(extends, str) or Path(extends).name != path.name:
        raise SpecError(f"{overlay_file} must extend {path.name}, not {extends!r}")
    try:
        return apply_overlay(document, overlay)
    except SpecError as exc:
        raise SpecError(f"{overlay_file}: {exc.message}", hint=exc.hint) from exc


def load_spec(api: str, profile: str = "lenient") -> dict[str, Any]:
    """The API's spec as a dict, narrowed to ``profile`` where an overlay exists for it.

    community / official apply ``overlays/<api>-<profile>.yaml`` (only Convoso has them: the other
    APIs have one document each, so every profile gets the same spec); lenient / auto give the
    permissive spec.
    """
    _check_api(api)
    check_profile(profile, PROFILES)
    return copy.deepcopy(_load(api, profile))


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation of a spec as (path, method, operation object)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                yield path, method, operation


def find_operation(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId; SpecError when there is none."""
    for _path, _method, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return operation
    known = [op.get("operationId", "?") for _p, _m, op in operations(document)]
    raise SpecError(f"no operation {operation_id!r}", hint=f"known: {', '.join(known)}")


def error_codes(api: str, operation_id: str, profile: str = "lenient") -> list[dict[str, Any]]:
    """The operation's documented errors (its ``x-error-codes``) under ``profile``.

    Each item: ``code`` (int, or None for a documented error without a code), ``message``,
    ``cause``, ``sources``, optionally ``variants`` (other documented messages) and
    ``x-discrepancy``.
    """
    operation = find_operation(load_spec(api, profile), operation_id)
    return list(operation.get("x-error-codes", []))


def discrepancy_marks(document: Any, location: str = "$") -> dict[str, list[str]]:
    """Every ``x-discrepancy`` id in a document and the JSONPath locations that carry it."""
    marks: dict[str, list[str]] = {}

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            value = node.get("x-discrepancy")
            for mark in [value] if isinstance(value, str) else value or []:
                marks.setdefault(mark, []).append(where)
            for key, child in node.items():
                visit(child, f"{where}.{key}" if key.replace("_", "").isalnum() else f"{where}['{key}']")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                visit(child, f"{where}[{index}]")

    visit(document, location)
    return marks
