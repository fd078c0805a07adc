"""The terminal report: per API the counts, every failure with its reproduction, the
inconclusive checks with what evidence each lacked, the skipped ones with their reasons, the
fingerprint, the Convoso error-code coverage and the observations of unspecified points.

The counts read "N passed, N inconclusive, N failed, N skipped, N errors" everywhere: an
inconclusive check (it ran but did not see the evidence its rule needs) is never counted as
passed. Progress marks: ``.`` passed, ``F`` failed, ``E`` error, ``i`` inconclusive, ``s`` skipped.

Lines are wrapped to 80 columns (a curl command is kept on one line so it can be copied);
colour is used only when asked for (the CLI asks when stdout is a tty).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import click

from optout_conformance.core.results import ApiResult, CheckResult, RunResult
from optout_conformance.report.coverage import NOT_SEEN, TRIGGERED, error_code_coverage

WIDTH = 80
COLOURS = {"passed": "green", "failed": "red", "error": "magenta", "inconclusive": "cyan",
           "skipped": "yellow"}
MARKS = {"passed": ".", "failed": "F", "error": "E", "inconclusive": "i", "skipped": "s"}


class _Writer:
    """Collects report lines, wrapping prose to WIDTH and colouring when enabled."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self.lines: list[str] = []

    def style(self, text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if self.colour else text

    def line(self, text: str = "") -> None:
        self.lines.append(text)

    def wrapped(self, text: str, indent: str = "", subsequent: str | None = None) -> None:
        for index, paragraph in enumerate(text.splitlines() or [""]):
            first = indent if index == 0 else (subsequent if subsequent is not None else indent)
            rest = subsequent if subsequent is not None else indent
            self.lines.extend(
                textwrap.wrap(paragraph, WIDTH, initial_indent=first, subsequent_indent=rest,
                              break_long_words=True, break_on_hyphens=False) or [first.rstrip()]
            )


def render(run: RunResult, *, colour: bool = False, verbose: bool = False) -> str:
    """The whole terminal report as one string (no trailing newline)."""
    out = _Writer(colour)
    for api in run.apis:
        _api_section(out, api, verbose)
        out.line()
    _summary(out, run)
    return "\n".join(out.lines)


def _api_section(out: _Writer, api: ApiResult, verbose: bool) -> None:
    where = "embedded reference" if api.embedded else "target"
    out.line(out.style(f"== {api.api} ", bold=True) + f"({where}: {api.base_url})")
    profile = api.profile
    if api.profile == "auto":
        profile += f" -> {api.effective_profile}"
    out.wrapped(
        f"profile {profile}; {_checks(len(api.checks))}: {tally(api.counts)} "
        f"({api.duration:.1f} s, {len(api.exchanges)} requests)",
        indent="  ",
    )
    if api.effective_profile == "mixed":
        out.wrapped("mixed: the target follows 000 on some disputed points and 001 on others; each "
                    "point is held to what it showed there, replies to the lenient spec (either "
                    "document's variant)", indent="  ", subsequent="    ")
    for note in api.notes:
        out.wrapped(f"note: {note}", indent="  ", subsequent="    ")
    for result in api.checks:
        if result.status in ("failed", "error"):
            _failure(out, result)
    _inconclusive(out, api.checks)
    _skips(out, api.checks, verbose)
    _fingerprint(out, api)
    _error_codes(out, api, verbose)
    _observations(out, api)


def _failure(out: _Writer, result: CheckResult) -> None:
    out.line()
    label = "FAILED" if result.status == "failed" else "ERROR"
    out.line("  " + out.style(label, fg=COLOURS[result.status], bold=True) + f" {result.id}")
    if result.status == "error":
        what = "the probes" if result.family == "fingerprint" else "the check"
        out.wrapped(f"harness error (a bug in {what}, not a verdict on the target): {result.rule}",
                    "    ", "      ")
        return
    out.wrapped(result.rule, indent="    ", subsequent="    ")
    out.wrapped(f"Received: {result.received}", indent="    ", subsequent="      ")
    out.wrapped(f"Documented: {result.documented}", indent="    ", subsequent="      ")
    out.wrapped(f"Source: {result.source}", indent="    ", subsequent="      ")
    if result.exchange:
        out.line("    Reproduce:")
        out.line("      " + str(result.exchange.get("curl", "")))


def tally(counts: dict[str, int]) -> str:
    """'62 passed, 3 inconclusive, 0 failed, 2 skipped, 0 errors' from a status -> count map."""
    return (
        f"{counts.get('passed', 0)} passed, {counts.get('inconclusive', 0)} inconclusive, "
        f"{counts.get('failed', 0)} failed, {counts.get('skipped', 0)} skipped, "
        f"{counts.get('error', 0)} errors"
    )


def _inconclusive(out: _Writer, checks: list[CheckResult]) -> None:
    """Every inconclusive check with the evidence it lacked (always listed one by one: each is a
    rule the run could not prove, and --strict fails it)."""
    found = [c for c in checks if c.status == "inconclusive"]
    if not found:
        return
    out.line()
    out.line("  " + out.style("Inconclusive", fg=COLOURS["inconclusive"], bold=True)
             + " (ran, but lacked the evidence its rule needs; not a pass):")
    for c in found:
        out.wrapped(f"{c.id}: {c.rule}", indent="    ", subsequent="      ")


def _skips(out: _Writer, checks: list[CheckResult], verbose: bool) -> None:
    skipped = [c for c in checks if c.status == "skipped"]
    if not skipped:
        return
    out.line()
    out.line("  " + out.style("Skipped", fg=COLOURS["skipped"]) + " (reason: checks)")
    if verbose:
        for c in skipped:
            out.wrapped(f"{c.id}: {c.rule}", indent="    ", subsequent="      ")
        return
    for reason, count in Counter(c.rule for c in skipped).most_common():
        out.wrapped(f"{reason}: {count}", indent="    ", subsequent="      ")


def _fingerprint(out: _Writer, api: ApiResult) -> None:
    if not api.fingerprint:
        return
    out.line()
    out.line("  Fingerprint (which document the target follows on disputed points):")
    for point in api.fingerprint:
        observed = "" if point.observed is None else f": {_short(point.observed)}"
        follows = point.follows or "no document"
        out.wrapped(f"{point.subject}{observed} -> {follows}", indent="    ", subsequent="      ")


def _error_codes(out: _Writer, api: ApiResult, verbose: bool) -> None:
    rows = error_code_coverage(api)
    if not rows:
        return
    out.line()
    tally = Counter(row.status for row in rows)
    out.line(
        f"  Documented error codes: {tally[TRIGGERED]} triggered, {tally['seen']} seen, "
        f"{tally[NOT_SEEN]} not seen"
    )
    for row in rows:
        operation = row.operation.rsplit("/", 1)[-1]
        text = f"{operation:<7} {row.code:<5} {_short(row.message, 38):<38} {row.status}"
        out.line("    " + (out.style(text, dim=True) if row.status == NOT_SEEN else text))
        if verbose and row.check_ids:
            out.wrapped("by " + ", ".join(row.check_ids), indent="      ", subsequent="        ")


def _observations(out: _Writer, api: ApiResult) -> None:
    fingerprinted = {p.discrepancy_id for p in api.fingerprint}
    rest = [o for o in api.observations if o.discrepancy_id not in fingerprinted]
    if not rest:
        return
    out.line()
    out.line("  Observations (points no document decides; reported, never failed):")
    # The same observation made by several checks is shown once, with how often it was made.
    grouped = Counter((o.discrepancy_id, _short(o.observed), o.follows) for o in rest)
    for (discrepancy_id, observed, follows), times in grouped.items():
        text = f"{discrepancy_id}: {observed}" + (f" -> {follows}" if follows else "")
        out.wrapped(text + (f" (x{times})" if times > 1 else ""), "    ", "      ")


def _summary(out: _Writer, run: RunResult) -> None:
    totals = Counter(c.status for c in run.checks)
    code = run.exit_code
    if len(run.apis) > 1:  # one line per API, so a long report ends with what each API got
        width = max(len(api.api) for api in run.apis)
        for api in run.apis:
            counts = api.counts
            state = "ok" if api.ok else "FAILED"
            others = ", ".join(f"{counts[s]} {s}" for s in ("inconclusive", "failed", "skipped", "error")
                               if counts[s])
            out.line(f"{api.api.ljust(width)}  {state:<6}  {counts['passed']}/{len(api.checks)} passed"
                     + (f", {others}" if others else "")
                     + f"  ({api.profile} -> {api.effective_profile})")
    colour = "red" if code else ("cyan" if totals["inconclusive"] else "green")
    out.wrapped(
        f"{tally(totals)} ({_checks(len(run.checks))}, {run.duration:.1f} s)"
    )
    out.line(out.style(f"Result: {run.verdict} (exit {code})", fg=colour, bold=True))


def _checks(count: int) -> str:
    return f"{count} check" + ("" if count == 1 else "s")


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def progress_mark(result: CheckResult) -> str:
    """One character per finished check, for a progress line: . F E i s"""
    return MARKS[result.status]
