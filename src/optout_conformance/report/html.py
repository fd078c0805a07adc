"""The HTML report (``--html PATH``): one self-contained page (inline CSS, no scripts, no
external assets) with the same content as the terminal report plus every check's row.
Inconclusive checks have their own colour, count and section (the evidence each lacked)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from optout_conformance.report.coverage import error_code_coverage
from optout_conformance.runner.results import ApiResult, CheckResult, RunResult

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}
pre{background:#f5f5f5;padding:.5em;white-space:pre-wrap;word-break:break-all}
.passed{color:#186a1c}.failed{color:#b00020;font-weight:bold}.error{color:#8a1aa0;font-weight:bold}
.skipped{color:#8a6d00}.inconclusive{color:#00707a;font-weight:bold}.notseen{color:#888}
"""


def render_html(run: RunResult) -> str:
    verdict = run.verdict
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>optout-conformance report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>optout-conformance report</h1>",
        f"<p>Started {escape(run.started_at)}, {run.duration:.1f} s. "
        f"<strong class=\"{_verdict_class(run)}\">"
        f"{escape(verdict)} (exit {run.exit_code})</strong></p>",
    ]
    for api in run.apis:
        parts.extend(_api(api))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _api(api: ApiResult) -> list[str]:
    where = "embedded reference" if api.embedded else "target"
    counts = api.counts
    out = [
        f"<h2>{escape(api.api)}</h2>",
        f"<p>{where}: <code>{escape(api.base_url)}</code>; profile {escape(api.profile)}"
        f" (applied: {escape(api.effective_profile)}); {len(api.checks)} checks: "
        f"{counts['passed']} passed, {counts['inconclusive']} inconclusive, {counts['failed']} "
        f"failed, {counts['skipped']} skipped, {counts['error']} errors</p>",
    ]
    out += [f"<p>note: {escape(n)}</p>" for n in api.notes]
    failures = [c for c in api.checks if c.status in ("failed", "error")]
    if failures:
        out.append("<h3>Failures</h3>")
        out += [_failure(c) for c in failures]
    inconclusive = [c for c in api.checks if c.status == "inconclusive"]
    if inconclusive:
        out.append('<h3 class="inconclusive">Inconclusive (ran, but lacked the evidence its rule '
                   "needs; not a pass)</h3><ul>")
        out += [f'<li><span class="inconclusive">{escape(c.id)}</span>: {escape(c.rule)}</li>'
                for c in inconclusive]
        out.append("</ul>")
    if api.fingerprint:
        out.append("<h3>Fingerprint</h3><table><tr><th>point</th><th>observed</th><th>follows</th></tr>")
        for p in api.fingerprint:
            out.append(
                f"<tr><td>{escape(p.subject)}<br><small>{escape(p.discrepancy_id)}</small></td>"
                f"<td>{escape('' if p.observed is None else repr(p.observed))}</td>"
                f"<td>{escape(p.follows or 'no document')}</td></tr>"
            )
        out.append("</table>")
    rows = error_code_coverage(api)
    if rows:
        out.append("<h3>Documented error codes</h3><table><tr><th>operation</th><th>code</th>"
                   "<th>message</th><th>status</th></tr>")
        for r in rows:
            css = "notseen" if r.status == "not seen" else ""
            out.append(f'<tr class="{css}"><td>{escape(r.operation)}</td><td>{r.code}</td>'
                       f"<td>{escape(r.message)}</td><td>{escape(r.status)}</td></tr>")
        out.append("</table>")
    if api.observations:
        out.append("<h3>Observations</h3><table><tr><th>point</th><th>observed</th><th>follows</th>"
                   "<th>check</th></tr>")
        for o in api.observations:
            out.append(f"<tr><td>{escape(o.discrepancy_id)}</td><td>{escape(repr(o.observed))}</td>"
                       f"<td>{escape(o.follows or '')}</td><td>{escape(o.check_id or 'probe')}</td></tr>")
        out.append("</table>")
    out.append("<h3>All checks</h3><table><tr><th>check</th><th>status</th><th>source</th>"
               "<th>detail</th></tr>")
    for c in api.checks:
        out.append(f"<tr><td>{escape(c.id)}</td><td class=\"{c.status}\">{c.status}</td>"
                   f"<td>{escape(c.source)}</td><td>{escape(c.rule)}</td></tr>")
    out.append("</table>")
    return out


def _verdict_class(run: RunResult) -> str:
    if run.exit_code:
        return "failed"
    return "inconclusive" if run.count("inconclusive") else "passed"


def _failure(c: CheckResult) -> str:
    lines = [c.rule]
    if c.status == "failed":
        lines += [f"Received: {c.received}", f"Documented: {c.documented}", f"Source: {c.source}"]
        if c.exchange:
            lines.append(f"Reproduce: {c.exchange.get('curl', '')}")
    return f'<p class="{c.status}">{escape(c.id)}</p><pre>{escape(chr(10).join(lines))}</pre>'


def write_html(run: RunResult, path: str | Path) -> Path:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(render_html(run), encoding="utf-8")
    return file
