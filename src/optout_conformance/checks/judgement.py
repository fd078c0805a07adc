"""One judgement of replies: :func:`read_reply` says what a reply says, for every consumer.

The HTTP status speaks first (5xx: ``error``, 4xx: ``rejection``, with the code and message of a
JSON body); a 2xx/3xx body is read by the API's dialect (``apis/<name>/dialect.py``, named by the
definition's ``dialect`` field and loaded lazily). The targeted checks' response rules, the
property phase, the robustness crash rule, the cassette validator, the coverage table and the
proxy's reply findings all read replies here, so a reply means one thing to all of them.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any

from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.core.reading import Reading, json_or_none, read_with

__all__ = ["api_of_path", "dialect_of", "json_or_none", "read", "read_reply"]


def api_of_path(path: str) -> str | None:
    """Which API a spec path belongs to (None: not one of ours)."""
    for name, definition in APIS.items():
        if any(path.startswith(spec_path) for _, spec_path in definition.operations):
            return name
    return None


@cache
def dialect_of(api: str | None) -> ModuleType | None:
    """The dialect module of ``api`` (None: unknown API, or one without a dialect)."""
    definition = APIS.get(api or "")
    reference = getattr(definition, "dialect", "") if definition is not None else ""
    return load_reference(reference, api or "") if reference else None


def read(api: str | None, status: int, content_type: str, text: str) -> Reading:
    """What a reply of ``api`` with this status, content type and body says."""
    return read_with(dialect_of(api), status, content_type, text)


def read_reply(interaction: Any, path: str | None = None) -> Reading:
    """The reading of an ``Interaction``/``Exchange``-like reply (status, content_type, text).

    ``path``: the spec path of the operation (default: the interaction's ``spec_path``, else the
    API is found from its URL)."""
    spec_path = path or getattr(interaction, "spec_path", None)
    api = api_of_path(spec_path) if spec_path else _api_of_url(getattr(interaction, "url", "") or "")
    return read(api, interaction.status or 0, interaction.content_type or "", interaction.text or "")


def _api_of_url(url: str) -> str | None:
    path = url.split("?", 1)[0]
    for name, definition in APIS.items():
        if any(path.endswith(suffix) for suffix, _ in definition.operations):
            return name
    return None
