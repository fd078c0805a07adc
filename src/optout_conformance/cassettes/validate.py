"""``validate``: judge every recorded interaction of any vcrpy cassette against the specs and registry.

Requests are held to :mod:`request_rules` (form encoding, documented parameters, bounds, required
fields; every parameter wherever it was sent). Replies are held to the response rules the live
checks use (:func:`optout_conformance.checks.response.reply_violations`: documented shape for the
profile with every schema error listed, WhatCounts SUCCESS/FAILURE text, documented error codes
per operation) plus one more: a Convoso error that carries a code carries that code's documented
message for the operation (or one of the documented variants: 6058's text differs between 000
and 001, 6008's between operations).

Profile ``auto`` (the default) and ``lenient`` accept every documented variant: a cassette has no
probes to fingerprint, so "auto" cannot pin anything and reads as "any documented variant".

Nothing printed shows a credential: every value of a credential field found in the cassettes'
requests is replaced by ``REDACTED`` in the report, wherever it appears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optout_conformance import specs
from optout_conformance.cassettes.interactions import (
    Interaction,
    cassette_files_or_fail,
    item_credentials,
    load_cassette,
)
from optout_conformance.cassettes.request_rules import (
    NOTE,
    VIOLATION,
    Finding,
    request_findings,
    source_of,
)
from optout_conformance.cassettes.scrub import REPORT_MIN_SECRET_LENGTH, Scrubber
from optout_conformance.checks.judgement import dialect_of, read_reply
from optout_conformance.checks.response import (
    Reply,
    as_int,
    documented_errors,
    reply_violations,
    server_error_source,
)
from optout_conformance.core.reading import REJECTION


def spec_for(api: str, profile: str) -> dict[str, Any]:
    """The spec a cassette is judged by: auto (no probes in a cassette) reads as lenient."""
    return specs.load_spec(api, "lenient" if profile in ("auto", "lenient") else profile)


def error_message_finding(item: Interaction, spec: dict[str, Any]) -> Finding | None:
    """A coded error (an API whose dialect has ``CODED_ERRORS``, Convoso) must carry the message
    documented for that code on that operation (``x-error-codes``: message or a variant)."""
    dialect = dialect_of(item.api)
    reading = read_reply(item)
    if not getattr(dialect, "CODED_ERRORS", False) or reading.kind != REJECTION:
        return None
    code = reading.code
    if code is None:
        return None
    documented_here = documented_errors(spec, "post", item.spec_path or "")
    entries = [e for e in documented_here if as_int(e.get("code")) == code]
    if not entries:
        return None  # an undocumented code is documented_error_code's finding
    texts = {str(t).strip().lower() for e in entries
             for t in [e.get("message"), *(e.get("variants") or [])] if t}
    message = reading.message
    if message is not None and message.strip().lower() in texts:
        return None
    documented = " or ".join(sorted({str(e.get("message")) for e in entries}))
    return Finding("response", VIOLATION, f"code {code} with message {message!r}; documented: {documented!r}",
                   f"{getattr(dialect, 'SOURCE', item.api)} (Error Codes table of the operation)")


def response_findings(item: Interaction, spec: dict[str, Any]) -> list[Finding]:
    """Every finding about one reply: server errors, shape, text reply, error code and message."""
    assert item.api is not None and item.spec_path is not None
    source = source_of(item.api)
    if item.status >= 500:
        return [Finding("response", VIOLATION, f"HTTP {item.status}: a server error",
                        f"{server_error_source(item.api)}; no document makes a request error a "
                        "server failure")]
    reply = Reply.from_interaction(item.interaction(), item.spec_path)
    findings = [Finding("response", VIOLATION, f"{v.rule}: {v.received}; documented: {v.documented}",
                        v.source)
                for v in reply_violations(reply, spec, negative=None)]
    message = error_message_finding(item, spec)
    if message:
        findings.append(message)
    if item.status >= 400 and not findings and item.status not in (400, 401, 403, 404, 413):
        findings.append(Finding("response", NOTE, f"HTTP {item.status} (no document gives error statuses)",
                                source))
    return findings


def validate_interaction(item: Interaction, profile: str = "auto", *, requests: bool = True) -> list[Finding]:
    """Findings for one interaction (request and reply); a non-API request gets one note."""
    if item.api is None or item.spec_path is None:
        return [Finding("request", NOTE, "not a request to one of the opt-out APIs (skipped)", "-")]
    spec = spec_for(item.api, profile)
    findings: list[Finding] = []
    if requests:
        findings += request_findings(item.api, spec, item.method, item.spec_path, query=item.query,
                                     headers=item.request_headers, content_type=item.request_content_type,
                                     body=item.request_body)
    findings += response_findings(item, spec)
    return findings


@dataclass
class ValidationReport:
    """The findings of every interaction of every cassette validated, and what to hide when printing."""

    files: list[Path] = field(default_factory=list)
    results: list[tuple[Interaction, list[Finding]]] = field(default_factory=list)
    scrubber: Scrubber = field(default_factory=lambda: Scrubber(()))

    @property
    def violations(self) -> int:
        return sum(1 for _, fs in self.results for f in fs if f.severity == VIOLATION)

    @property
    def notes(self) -> int:
        return sum(1 for _, fs in self.results for f in fs if f.severity == NOTE)

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0

    def render(self, *, notes: bool = True) -> str:
        lines: list[str] = []
        current = None
        for item, found in self.results:
            shown = [f for f in found if notes or f.severity == VIOLATION]
            if not shown:
                continue
            if item.cassette != current:
                current = item.cassette
                lines.append(current)
            lines.append(f"  #{item.index + 1} {item.method} {item.path} -> HTTP {item.status}")
            lines += [f"    {f.render()}" for f in shown]
        bad = sum(1 for _, fs in self.results if any(f.severity == VIOLATION for f in fs))
        lines.append(
            f"validated {len(self.results)} interaction(s) in {len(self.files)} cassette(s): "
            f"{self.violations} violation(s) in {bad} interaction(s), {self.notes} note(s)"
        )
        return self.scrubber.text("\n".join(lines))


def validate_paths(paths: Iterable[str | Path], profile: str = "auto", *,
                   requests: bool = True) -> ValidationReport:
    """Validate every cassette named (directories expanded); CassetteError on an unreadable file."""
    report = ValidationReport(files=cassette_files_or_fail(paths))
    loaded = [(file, load_cassette(file)) for file in report.files]
    secrets: set[str] = set()
    for _, items in loaded:
        for item in items:
            secrets |= item_credentials(item)
    report.scrubber = Scrubber(secrets, min_length=REPORT_MIN_SECRET_LENGTH)
    for _, items in loaded:
        for item in items:
            report.results.append((item, validate_interaction(item, profile, requests=requests)))
    return report
