"""The deterministic scenario set behind a recording, run through vcrpy: shared by record and replay.

A scenario set is the fingerprint probes plus every targeted check of one API (the property phase
is left out: its generated requests are not a fixed set). Each runs under its own vcrpy cassette,
``<dir>/_fingerprint.yaml`` and ``<dir>/<check-id>.yaml``, so a check replays on its own.

Requests are reproducible because every value a check invents is derived from the context: the run
prefix is fixed (``oc-recording``) and the fictional phone sequence of a check starts at
``block * 100``, its *phone block* (in the manifest). ``RunContext.fictional_phone`` takes its area
code from ``n // 100``, so checks with different blocks never share a number on one server, and a
check replayed alone sends the numbers it sent when recorded. Blocks come from a hash of the check
id (collisions resolved in id order), so adding a check leaves the other checks' requests, and
their cassettes, unchanged.

``recording.json`` (the manifest, next to the cassettes) says what was recorded: API, run profile,
server profile, the non-secret credentials (WhatCounts realm and sender code: see ``scrub``), each
check's index and live outcome, and the fingerprint. Replay reads it back.

Matching (record mode ``none`` on replay) is on method, path, query and body: not host or port,
so a replay needs no server and no network at all.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import vcr

from optout_conformance.cassettes.scrub import Scrubber
from optout_conformance.checks.registry import checks_for
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.errors import CassetteError
from optout_conformance.core.interaction import parse_json_bounded
from optout_conformance.core.results import CheckResult
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.session import SessionHooks

RECORDING_PREFIX = "oc-recording"
PHONES_PER_CHECK = 100
MANIFEST = "recording.json"
FINGERPRINT_CASSETTE = "_fingerprint.yaml"
# One matcher over what identifies a request: method, path, query and body (form and JSON bodies
# compared field by field, as vcrpy's own body matcher does). vcrpy evaluates every matcher of
# ``match_on`` against every recorded request, even in record mode ``all`` (``request in
# cassette``), and its body matcher builds a unified diff for each mismatch: a check sending 850
# inserts into one cassette cost 360,000 diffs (224 s to record, 149 s to replay). Here each
# request's key is computed once and compared as a tuple.
MATCH_ON = ("same_request",)
_MATCH_KEY = "_optout_match_key"
# Response headers that differ on every run and carry nothing a check reads.
VOLATILE_RESPONSE_HEADERS = ("date",)
MANIFEST_VERSION = 1


def scenario_checks(api: str) -> list[CheckSpec]:
    """The targeted checks of an API in a stable order (the property phase is not a fixed scenario)."""
    return sorted((c for c in checks_for(api) if c.family != "properties"), key=lambda c: c.id)


PHONE_BLOCKS = 800  # RunContext.fictional_phone has 800 area codes; block 0 is the probes'


def phone_blocks(check_ids: list[str]) -> dict[str, int]:
    """A distinct phone block (1..799) per check, stable when checks are added or removed."""
    used: set[int] = set()
    blocks = {}
    for check_id in sorted(check_ids):
        block = zlib.crc32(check_id.encode()) % (PHONE_BLOCKS - 1) + 1
        while block in used:
            block = block % (PHONE_BLOCKS - 1) + 1
        used.add(block)
        blocks[check_id] = block
    return blocks


def cassette_path(directory: Path, check_id: str) -> Path:
    return directory / f"{check_id}.yaml"


@dataclass
class Manifest:
    """What a recording directory holds and how it was made (no secret in it)."""

    api: str
    profile: str
    server_profile: str | None
    target: str
    run_prefix: str
    realm: str | None
    sender_code: str | None
    writes_allowed: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprint: dict[str, str] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def save(self, directory: Path) -> Path:
        path = directory / MANIFEST
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        try:
            data = parse_json_bounded(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise CassetteError(
                f"no {MANIFEST} in {directory}: not a directory written by `record`",
                hint="record one with `optout-conformance record --api API --out DIR`",
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise CassetteError(f"cannot read {path}: {exc}") from None


def drop_volatile_headers(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in VOLATILE_RESPONSE_HEADERS:
            del headers[name]
    return response


def _body_key(request: Any) -> Any:
    """A request body as vcrpy's body matcher compares it: form fields and JSON in any order."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8", errors="replace")
    content_type = (request.headers.get("Content-Type") or request.headers.get("content-type") or "").lower()
    with contextlib.suppress(ValueError):
        if "application/x-www-form-urlencoded" in content_type:
            return tuple(sorted(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
        if "json" in content_type and body:
            return json.dumps(parse_json_bounded(body), sort_keys=True)
    return body


def match_key(request: Any) -> tuple[Any, ...]:
    """What identifies a recorded request (computed once per request object)."""
    key = getattr(request, _MATCH_KEY, None)
    if key is None:
        key = (request.method.upper(), request.path, tuple(request.query), _body_key(request))
        with contextlib.suppress(AttributeError):
            setattr(request, _MATCH_KEY, key)
    return key


def same_request(new: Any, recorded: Any) -> bool:
    """vcrpy matcher: the two requests have the same method, path, query and body."""
    return match_key(new) == match_key(recorded)


def make_vcr(scrubber: Scrubber, record_mode: str) -> vcr.VCR:
    """A vcrpy configuration: our matching, credential scrubbing both ways, readable YAML bodies."""
    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        before_record_request=scrubber.before_record_request,
        before_record_response=[drop_volatile_headers, scrubber.before_record_response],
        decode_compressed_response=False,  # Scrubber decodes every coding; vcrpy: exact gzip/deflate
        serializer="yaml",
    )
    recorder.register_matcher("same_request", same_request)
    return recorder


class CassetteHooks(SessionHooks):
    """The session's hooks for a recording: the checks in a stable order, the probes under
    ``_fingerprint.yaml`` and each check under its own cassette with its own phone block."""

    def __init__(self, directory: Path, recorder: Any, blocks: dict[str, int],
                 progress: Callable[[CheckResult], None] | None = None) -> None:
        self.directory, self.recorder, self.blocks, self.progress = directory, recorder, blocks, progress

    def order(self, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
        return sorted(checks, key=lambda c: c.id)

    def around_fingerprint(self, ctx: RunContext) -> contextlib.AbstractContextManager[Any]:
        ctx._phones = itertools.count(0)
        return self.recorder.use_cassette(str(self.directory / FINGERPRINT_CASSETTE))

    def around_check(self, ctx: RunContext, spec: CheckSpec) -> contextlib.AbstractContextManager[Any]:
        ctx._phones = itertools.count(self.blocks[spec.id] * PHONES_PER_CHECK)
        return self.recorder.use_cassette(str(cassette_path(self.directory, spec.id)))

    def after_check(self, ctx: RunContext, result: CheckResult) -> bool:
        if self.progress is not None:
            self.progress(result)
        return False

