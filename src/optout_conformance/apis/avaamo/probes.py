"""The Avaamo fingerprint probe (run by ``checks.fingerprint.detect`` through the definition)."""

from __future__ import annotations

from optout_conformance.core.context import CheckContext

S003 = "003_725be0800b974dd2.txt"


def probe_avaamo(ctx: CheckContext) -> None:
    """The path without .json (used by 003's examples) and per_page above 100 (clamp or reject)."""
    headers = {"access-token": ctx.credentials.token or ""}
    plain = ctx.http.get("/sms/opt-status", params={"per_page": "1"}, headers=headers)
    body = plain.json_or_none()
    served = plain.status == 200 and isinstance(body, dict) and isinstance(body.get("entries"), list)
    ctx.observe(
        "avaamo.path.json-suffix",
        "served" if served else f"not served ({plain.summary(80)})",
        follows=S003 if served else None,
    )
    over = ctx.http.get("/sms/opt-status.json", params={"per_page": "101"}, headers=headers)
    body = over.json_or_none()
    if over.status == 200 and isinstance(body, dict) and isinstance(body.get("entries"), list):
        value = f"clamped (per_page {body.get('per_page')!r}, {len(body['entries'])} entries)"
    else:
        value = f"rejected ({over.summary(80)})"
    ctx.observe("avaamo.query.per-page-above-max", value)


PROBES = (probe_avaamo,)
