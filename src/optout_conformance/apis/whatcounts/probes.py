"""The WhatCounts fingerprint probe (run by ``checks.fingerprint.detect`` through the definition)."""

from __future__ import annotations

from optout_conformance.core.context import CheckContext


def probe_whatcounts(ctx: CheckContext) -> None:
    """A stop with a wrong realm (writes nothing): content type and HTTP status of a FAILURE."""
    ex = ctx.http.get(
        "/api_web",
        params={
            "c": "smsstopsubscribersend",
            "r": f"{ctx.run_prefix}-no-such-realm",
            "p": "x",
            "phone": "2065550100",
            "sender_code": ctx.credentials.sender_code or "0",
        },
    )
    if ex.error:
        ctx.observe("whatcounts.content-type", f"inconclusive: {ex.error}")
        return
    ctx.observe("whatcounts.content-type", ex.content_type or "(none)")
    ctx.observe("whatcounts.failure-http-status", ex.status)


PROBES = (probe_whatcounts,)
