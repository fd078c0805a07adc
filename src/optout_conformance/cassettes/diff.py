"""``diff``: a drift report between two recordings of the same scenarios (files or directories).

Interactions are paired by their request: method, operation path (the part a path suffix names,
so base paths and hosts may differ), query and body, with run-specific values normalised
(credentials, the run prefix ``oc-…``, the checks' fictional 555-01XX numbers, Avaamo time
bounds), and the n-th occurrence of the same request paired with the n-th. For each pair the
report lists what changed in *kind*, not in data:

* HTTP status and content type,
* JSON shape: fields that appeared or disappeared and type changes, at JSON paths
  (``$.records[].insert_date``; array items are merged into one ``[]`` shape),
* defaults: the echoed page size (the API's ``PAGE_SIZE_FIELD``: Convoso's ``limit``, Avaamo's
  ``per_page``) of a request that sent none,
* errors: code and message of a ``success: false`` or ``error`` body, or the API's own reading
  (WhatCounts: the reply line),
* the discrepancy fingerprint: which documented variant a reply follows on the registry's
  disputed points (paging field types, insert_date format, global campaign_name, created_at),
  read by the API's extractors (``apis/<name>/diff.py``, sharing the fingerprint probes' classifiers),
* interactions and cassettes present on one side only.

Record counts, ids and other data are expected to differ between runs and are not reported.
Nothing printed shows a credential (every credential value of either side is ``REDACTED``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from optout_conformance.cassettes.interactions import (
    Interaction,
    cassette_files,
    item_credentials,
    load_cassette,
)
from optout_conformance.cassettes.scrub import (
    CREDENTIAL_FIELDS,
    REPORT_MIN_SECRET_LENGTH,
    Scrubber,
)
from optout_conformance.checks.fingerprint import json_type
from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.core.errors import CassetteError

RUN_PREFIX = re.compile(r"oc-[A-Za-z0-9_-]+")
FICTIONAL_PHONE = re.compile(r"(?<![0-9])1?[2-9][0-9]{2}55501[0-9]{2}(?![0-9])")
MAX_SHOWN = 60  # longer request values are shown (and matched) by their start and length
TIME_FIELDS = frozenset({"start_time", "end_time"})


def normalise(name: str, value: str) -> str:
    """A request value with what differs between runs replaced by a stable marker."""
    if name.lower() in CREDENTIAL_FIELDS:
        return "<credential>"
    if name in TIME_FIELDS:
        return "<time>"
    value = FICTIONAL_PHONE.sub("<phone>", RUN_PREFIX.sub("<run>", value))
    return value if len(value) <= MAX_SHOWN else f"{value[:20]}…({len(value)} characters)"


def request_key(item: Interaction) -> str:
    """The request as a readable, run-independent string (method, operation path, fields)."""
    path = item.spec_path or item.path
    pairs = [(k, normalise(k, v)) for k, v in parse_qsl(item.uri.partition("?")[2], keep_blank_values=True)]
    body = item.request_body.decode("utf-8", "replace")
    for secret in sorted(item.credentials(), key=len, reverse=True):  # before any truncation
        body = body.replace(secret, "<credential>")
    if body and item.request_content_type in ("application/x-www-form-urlencoded", ""):
        pairs += [(k, normalise(k, v)) for k, v in parse_qsl(body, keep_blank_values=True)]
    elif body:
        pairs.append(("<body>", normalise("", body)))
    fields = " ".join(f"{k}={v}" for k, v in sorted(pairs))
    return f"{item.method} {path}" + (f" {fields}" if fields else "")


def shape(value: Any, path: str = "$", into: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """JSON path -> the set of types seen there (array items merged under ``path[]``)."""
    found = into if into is not None else {}
    found.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, child in value.items():
            shape(child, f"{path}.{key}", found)
    elif isinstance(value, list):
        for child in value:
            shape(child, f"{path}[]", found)
    return found


def extractors(api: str | None) -> Any:
    """The API's drift extractors (its definition's ``diff_extractors`` module; None: none)."""
    definition = APIS.get(api or "")
    reference = getattr(definition, "diff_extractors", "") if definition is not None else ""
    return load_reference(reference, str(api)) if reference else None


def fingerprint(item: Interaction) -> dict[str, str]:
    """Which variant the reply shows on the registry's disputed points (registry id -> variant)."""
    of = getattr(extractors(item.api), "fingerprint", None)
    return dict(of(item.json(), item.text)) if of is not None else {}


def error_of(item: Interaction) -> str | None:
    """The error a reply expresses (code and message, or the API's own reading), None when none."""
    own = getattr(extractors(item.api), "error_of", None)
    if own is not None:
        return own(item.json(), item.text)
    body = item.json()
    if not isinstance(body, dict):
        return None
    failed = body.get("success") in (False, "false") or ("error" in body and "entries" not in body)
    if not failed:
        return None
    code = body.get("code")
    message = body.get("message", body.get("error"))
    return (f"code {code!r} " if code is not None else "") + repr(message)


def echoed_default(item: Interaction) -> str | None:
    """The page size echoed for a request that sent none (the API's default in force)."""
    name = getattr(extractors(item.api), "PAGE_SIZE_FIELD", None)
    body = item.json()
    if not name or not isinstance(body, dict):
        return None
    body_text = item.request_body.decode("utf-8", "replace")
    sent = dict(parse_qsl(item.uri.partition("?")[2])) | dict(parse_qsl(body_text))
    if name not in sent and name in body:
        return f"{name} {body[name]!r}"
    return None


def compare(old: Interaction, new: Interaction) -> list[str]:
    """Every change in kind between two replies to the same request."""
    changes = []
    if old.status != new.status:
        changes.append(f"status: {old.status} -> {new.status}")
    if old.content_type != new.content_type:
        changes.append(f"content type: {old.content_type or '(none)'} -> {new.content_type or '(none)'}")
    old_json, new_json = old.json(), new.json()
    if old_json is not None and new_json is not None:
        before, after = shape(old_json), shape(new_json)
        for path in sorted(set(before) - set(after)):
            changes.append(f"missing field: {path} (was {'|'.join(sorted(before[path]))})")
        for path in sorted(set(after) - set(before)):
            changes.append(f"new field: {path} ({'|'.join(sorted(after[path]))})")
        for path in sorted(set(before) & set(after)):
            if before[path] != after[path] and not (before[path] | after[path]) <= {"null", "string"}:
                was, now = "|".join(sorted(before[path])), "|".join(sorted(after[path]))
                changes.append(f"type: {path}: {was} -> {now}")
    elif (old_json is None) != (new_json is None):
        changes.append("body: " + ("JSON -> not JSON" if new_json is None else "not JSON -> JSON"))
    for label, of in (("default", echoed_default), ("error", error_of)):
        a, b = of(old), of(new)
        if a != b:
            changes.append(f"{label}: {a or '(none)'} -> {b or '(none)'}")
    before_fp, after_fp = fingerprint(old), fingerprint(new)
    for point in sorted(set(before_fp) & set(after_fp)):
        if before_fp[point] != after_fp[point]:
            changes.append(f"fingerprint {point}: {before_fp[point]} -> {after_fp[point]}")
    return changes


@dataclass
class CassetteDiff:
    """The drift between two versions of one cassette."""

    name: str
    changed: list[tuple[str, list[str]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # requests only in OLD
    new: list[str] = field(default_factory=list)  # requests only in NEW

    @property
    def drift(self) -> bool:
        return bool(self.changed or self.missing or self.new)


def _keyed(items: list[Interaction]) -> dict[str, Interaction]:
    seen: Counter[str] = Counter()
    keyed = {}
    for item in items:
        key = request_key(item)
        seen[key] += 1
        keyed[key if seen[key] == 1 else f"{key} (#{seen[key]})"] = item
    return keyed


def diff_cassettes(name: str, old: list[Interaction], new: list[Interaction]) -> CassetteDiff:
    result = CassetteDiff(name)
    before, after = _keyed(old), _keyed(new)
    for key, item in before.items():
        if key not in after:
            result.missing.append(key)
            continue
        changes = compare(item, after[key])
        if changes:
            result.changed.append((key, changes))
    result.new = [key for key in after if key not in before]
    return result


@dataclass
class DiffReport:
    """The drift between two recordings; ``render`` hides every credential of either side."""

    cassettes: list[CassetteDiff] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    scrubber: Scrubber = field(default_factory=lambda: Scrubber(()))

    @property
    def drift(self) -> bool:
        return bool(self.only_old or self.only_new or any(c.drift for c in self.cassettes))

    @property
    def exit_code(self) -> int:
        return 1 if self.drift else 0

    def render(self) -> str:
        lines = [f"missing cassette: {name}" for name in self.only_old]
        lines += [f"new cassette: {name}" for name in self.only_new]
        for cassette in self.cassettes:
            if not cassette.drift:
                continue
            lines.append(cassette.name)
            for key, changes in cassette.changed:
                lines.append(f"  {key}")
                lines += [f"    {change}" for change in changes]
            lines += [f"  missing interaction: {key}" for key in cassette.missing]
            lines += [f"  new interaction: {key}" for key in cassette.new]
        changed = sum(len(c.changed) for c in self.cassettes)
        gone = sum(len(c.missing) for c in self.cassettes)
        added = sum(len(c.new) for c in self.cassettes)
        lines.append(
            f"compared {len(self.cassettes)} cassette(s): {changed} changed, {gone} missing and {added} new "
            f"interaction(s), {len(self.only_old)} missing and {len(self.only_new)} new cassette(s)"
            + ("" if self.drift else ": identical in shape")
        )
        return self.scrubber.text("\n".join(lines))


def _files(root: Path) -> dict[str, Path]:
    if root.is_dir():
        return {str(p.relative_to(root)): p for p in cassette_files([root])}
    return {root.name: cassette_files([root])[0]}


def diff_paths(old: str | Path, new: str | Path) -> DiffReport:
    """Compare two cassette files, or two directories of cassettes paired by relative path."""
    old_root, new_root = Path(old), Path(new)
    report = DiffReport()
    before, after = _files(old_root), _files(new_root)
    if old_root.is_file() and new_root.is_file():
        before, after = {new_root.name: old_root}, {new_root.name: new_root}
    if not before and not after:
        raise CassetteError(f"nothing to compare: no cassette (*.yaml, *.yml) in {old} or {new}")
    report.only_old = sorted(set(before) - set(after))
    report.only_new = sorted(set(after) - set(before))
    secrets: set[str] = set()
    for name in sorted(set(before) & set(after)):
        old_items, new_items = load_cassette(before[name]), load_cassette(after[name])
        for item in old_items + new_items:
            secrets |= item_credentials(item)
        report.cassettes.append(diff_cassettes(name, old_items, new_items))
    report.scrubber = Scrubber(secrets, min_length=REPORT_MIN_SECRET_LENGTH)
    return report
