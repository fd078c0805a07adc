"""The HTML report (``--html PATH``): one self-contained page a person reads.

It opens with a summary (per API: the target, counts by status, the fingerprint, the gate's
verdict), then every failure (new ones, stale baseline entries, then known ones) with its
Received / Documented / source and the curl command that reproduces it, then every check —
passed ones included — grouped by family in collapsible ``<details>``, then the error-code
coverage and the observations of points no document decides.

One file, no scripts, no external assets (inline CSS only): it opens offline, from a CI artifact
or a mail attachment. Statuses: passed, failed, inconclusive, skipped, error, and with a
baseline (``report.baseline``) known and "fixed — stale entry".

Input: a ``RunResult`` or its JSON report dict (so a report written elsewhere renders too).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from optout_conformance.report.baseline import (
    STALE,
    VERDICT_LABELS,
    BaselineOutcome,
    report_dict,
)
from optout_conformance.report.coverage import NOT_SEEN, coverage_gate

STYLE = """
:root{--ok:#186a1c;--bad:#b00020;--warn:#8a6d00;--muted:#666}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1.5em 2em;
max-width:78em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;border-bottom:2px solid #ddd;margin-top:1.8em}
h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f4f4f4}
pre{background:#f6f6f6;border:1px solid #e2e2e2;padding:.5em;white-space:pre-wrap;
word-break:break-all;margin:.3em 0;font-size:.85em}
details{border:1px solid #e4e4e4;border-radius:4px;margin:.3em 0;padding:.2em .6em}
details>summary{cursor:pointer;padding:.2em 0}
details.family>summary{font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.4em 0}
dt{font-weight:600;color:var(--muted)}dd{margin:0}
.verdict{font-size:1.1em;padding:.5em .8em;border-radius:4px;display:inline-block}
.verdict.ok{background:#e3f4e4;color:var(--ok)}.verdict.bad{background:#fbe3e6;color:var(--bad)}
.badge{display:inline-block;min-width:5.5em;text-align:center;border-radius:3px;padding:0 .4em;
font-size:.8em;font-weight:600;margin-right:.5em}
.s-passed{background:#e3f4e4;color:var(--ok)}.s-failed,.s-error,.s-stale{background:#fbe3e6;color:var(--bad)}
.s-known{background:#fff1c2;color:var(--warn)}.s-inconclusive{background:#e6e6f7;color:#3b3b8f}
.s-skipped{background:#eee;color:var(--muted)}
.n0{color:#aaa}.muted{color:var(--muted)}code{font-size:.9em}
"""

FAILING = ("failed", "error", STALE)


def render_html(run: Any, *, baseline: BaselineOutcome | None = None, require_coverage: bool = False) -> str:
    """The page for a RunResult or its JSON report dict.

    ``baseline``: the run's :func:`~optout_conformance.report.baseline.apply_baseline` outcome
    (cells become known / "fixed — stale entry", the verdict is the baseline gate's);
    ``require_coverage``: the coverage gate counts in each API's verdict.
    """
    report = report_dict(run)
    apis = [_ApiView(api, baseline, require_coverage) for api in report.get("apis", [])]
    exit_code = baseline.exit_code if baseline is not None else int(report.get("exit_code", 0))
    if require_coverage and not all(api.coverage_ok for api in apis):
        exit_code = max(exit_code, 1)
    ok = exit_code == 0
    inconclusive = sum(c.get("status") == "inconclusive" for api in report.get("apis", [])
                       for c in api.get("checks", []))
    if exit_code == 2:
        words = "Nothing checked (no check ran)"
    elif ok:
        words = f"Conformant, {inconclusive} inconclusive" if inconclusive else "Conformant"
    else:
        words = "NOT conformant"
    started = escape(str(report.get("started_at", "")))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>optout-conformance report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>optout-conformance report</h1>",
        f'<p class="muted">Started {started}, {float(report.get("duration", 0)):.1f} s, '
        f"tool {escape(str((report.get('tool') or {}).get('version', '')))}.</p>",
        f'<p id="verdict" class="verdict {"ok" if ok else "bad"}">'
        f"{words} (exit {exit_code})</p>",
    ]
    parts += _summary(apis, baseline)
    parts += _failures(apis)
    for api in apis:
        parts += api.section()
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html(run: Any, path: str | Path, *, baseline: BaselineOutcome | None = None,
               require_coverage: bool = False) -> Path:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(render_html(run, baseline=baseline, require_coverage=require_coverage),
                    encoding="utf-8")
    return file


class _ApiView:
    """One API's part of the report, with each check's verdict (status, or baseline verdict)."""

    def __init__(self, api: dict[str, Any], baseline: BaselineOutcome | None, require_coverage: bool):
        self.api = api
        self.name = str(api.get("api", ""))
        self.checks: list[dict[str, Any]] = list(api.get("checks") or [])
        self.verdicts: dict[str, str] = {}
        self.reasons: dict[str, tuple[str, str | None]] = {}
        for check in self.checks:
            verdict = baseline.verdict_of(self.name, check["id"]) if baseline is not None else None
            self.verdicts[check["id"]] = verdict.verdict if verdict else str(check.get("status"))
            if verdict is not None and verdict.entry is not None:
                self.reasons[check["id"]] = (verdict.entry.reason, verdict.entry.link)
        self.coverage_ok, self.coverage_lines = coverage_gate(api)
        self.require_coverage = require_coverage
        self.baseline_fails = baseline is not None and any(
            v.fails_gate for v in baseline.verdicts if v.api == self.name)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICT_LABELS, 0)
        for verdict in self.verdicts.values():
            counts[verdict if verdict in counts else "error"] += 1
        return counts

    @property
    def gate_ok(self) -> bool:
        if self.baseline_fails:
            return False
        if any(v in FAILING for v in self.verdicts.values()):
            return False
        return self.coverage_ok or not self.require_coverage

    def failing(self) -> list[dict[str, Any]]:
        order = {"failed": 0, "error": 1, STALE: 2, "known": 3}
        rows = [c for c in self.checks if self.verdicts[c["id"]] in order]
        return sorted(rows, key=lambda c: order[self.verdicts[c["id"]]])

    def section(self) -> list[str]:
        name = escape(self.name)
        out = [f'<h2 id="api-{name}">{name}: every check</h2>']
        out += [f"<p>note: {escape(str(n))}</p>" for n in self.api.get("notes") or []]
        families: dict[str, list[dict[str, Any]]] = {}
        for check in self.checks:
            families.setdefault(str(check.get("family") or "other"), []).append(check)
        for family, checks in families.items():
            counts: dict[str, int] = {}
            for check in checks:
                counts[self.verdicts[check["id"]]] = counts.get(self.verdicts[check["id"]], 0) + 1
            bad = any(self.verdicts[c["id"]] in FAILING for c in checks)
            tally = ", ".join(f"{n} {VERDICT_LABELS.get(v, v)}" for v, n in sorted(counts.items()))
            out.append(f'<details class="family"{" open" if bad else ""}><summary>{escape(family)} '
                       f'<span class="muted">({len(checks)} checks: {escape(tally)})</span></summary>')
            out += [self.check_block(c, open_=False) for c in checks]
            out.append("</details>")
        out += self.coverage_table()
        out += self.observations()
        return out

    def check_block(self, check: dict[str, Any], *, open_: bool, where: str = "check") -> str:
        verdict = self.verdicts[check["id"]]
        rows: list[tuple[str, str]] = []
        if check.get("doc"):
            rows.append(("rule", str(check["doc"])))
        if check.get("rule"):
            label = {"skipped": "why skipped", "inconclusive": "missing evidence",
                     "error": "crash"}.get(str(check.get("status")), "broken")
            rows.append((label, str(check["rule"])))
        for key in ("received", "documented"):
            if check.get(key):
                rows.append((key.capitalize(), str(check[key])))
        rows.append(("source", str(check.get("source", ""))))
        if check["id"] in self.reasons:
            reason, link = self.reasons[check["id"]]
            rows.append(("baseline", reason + (f" ({link})" if link else "")))
        if verdict == STALE:
            rows.append(("action", "this check passes now: remove its entry from the baseline"))
        body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        exchange = check.get("exchange") or {}
        curl = ""
        if exchange.get("curl"):
            curl = (f'<p class="muted">Reproduce:</p><pre class="curl">{escape(str(exchange["curl"]))}</pre>')
            if exchange.get("body") is not None:
                curl += (f'<p class="muted">Reply: HTTP {escape(str(exchange.get("status")))}</p>'
                         f"<pre>{escape(_clip(str(exchange['body']), 2000))}</pre>")
        return (f'<details class="{where}" id="{where}-{escape(check["id"])}"'
                f'{" open" if open_ else ""}><summary>{_badge(verdict)}<code>{escape(check["id"])}</code>'
                f"</summary><dl>{body}</dl>{curl}</details>")

    def coverage_table(self) -> list[str]:
        rows = self.api.get("error_codes") or []
        if not rows:
            return []
        out = ["<h3>Documented error codes</h3><table><tr><th>operation</th><th>code</th>"
               "<th>message</th><th>status</th><th>checks</th></tr>"]
        for r in rows:
            css = ' class="n0"' if r.get("status") == NOT_SEEN else ""
            out.append(f"<tr{css}><td>{escape(str(r.get('operation')))}</td><td>{escape(str(r.get('code')))}"
                       f"</td><td>{escape(str(r.get('message')))}</td><td>{escape(str(r.get('status')))}</td>"
                       f"<td>{escape(', '.join(r.get('check_ids') or []))}</td></tr>")
        out.append("</table>")
        out.append("<pre>" + escape("\n".join(self.coverage_lines)) + "</pre>")
        return out

    def observations(self) -> list[str]:
        rows = self.api.get("observations") or []
        if not rows:
            return []
        out = ["<h3>Observations (points no document decides; reported, never failed)</h3>",
               "<table><tr><th>point</th><th>observed</th><th>follows</th><th>by</th></tr>"]
        for o in rows:
            out.append(f"<tr><td>{escape(str(o.get('discrepancy_id')))}</td>"
                       f"<td>{escape(_clip(_show(o.get('observed')), 300))}</td>"
                       f"<td>{escape(str(o.get('follows') or ''))}</td>"
                       f"<td>{escape(str(o.get('check_id') or 'probe'))}</td></tr>")
        out.append("</table>")
        return out


def _summary(apis: list[_ApiView], baseline: BaselineOutcome | None) -> list[str]:
    shown = ["passed", "failed", "error", "inconclusive", "skipped"]
    if baseline is not None:
        shown[1:1] = ["known", STALE]
    out = ['<h2 id="summary">Summary</h2><table><tr><th>API</th><th>target</th><th>profile</th>'
           + "".join(f"<th>{escape(VERDICT_LABELS[s])}</th>" for s in shown)
           + "<th>fingerprint (document followed)</th><th>gate</th></tr>"]
    for api in apis:
        counts = api.counts()
        where = "embedded reference" if api.api.get("embedded") else "target"
        fingerprint = "<br>".join(
            f"{escape(str(p.get('subject')))}: {escape(_clip(_show(p.get('observed')), 40))} → "
            f"{escape(str(p.get('follows') or 'no document'))}" for p in api.api.get("fingerprint") or []
        ) or '<span class="muted">none</span>'
        cells = "".join(f'<td class="{"n0" if counts[s] == 0 else "s-" + s}">{counts[s]}</td>' for s in shown)
        gate = "passes" if api.gate_ok else "fails"
        coverage = ("coverage gate " + ("passes" if api.coverage_ok else "fails")
                    + ("" if api.require_coverage else " (not required)"))
        out.append(
            f'<tr class="api-row"><td><a href="#api-{escape(api.name)}">{escape(api.name)}</a></td>'
            f"<td>{where}<br><code>{escape(str(api.api.get('base_url', '')))}</code></td>"
            f"<td>{escape(str(api.api.get('profile', '')))} → "
            f"{escape(str(api.api.get('effective_profile', '')))}</td>{cells}<td>{fingerprint}</td>"
            f'<td class="{"s-passed" if api.gate_ok else "s-failed"}">{gate}<br>'
            f"<small>{escape(coverage)}</small></td></tr>"
        )
    out.append("</table>")
    return out


def _failures(apis: Iterable[_ApiView]) -> list[str]:
    blocks = [api.check_block(c, open_=api.verdicts[c["id"]] in FAILING, where="failure")
              for api in apis for c in api.failing()]
    if not blocks:
        return ['<h2 id="failures">Failures</h2><p>None: every check that ran passed, was inconclusive '
                "or was skipped.</p>"]
    return ['<h2 id="failures">Failures</h2>', *blocks]


def _badge(verdict: str) -> str:
    return f'<span class="badge s-{escape(verdict)}">{escape(VERDICT_LABELS.get(verdict, verdict))}</span>'


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
