"""One check run against a context, as one line a test compares with what its rule expects.

``passed``, ``failed: <message>``, ``skipped: <reason>`` or ``inconclusive: <reason>``: the four
statuses a check can end in, told apart, so that a test asserting "passed" can never be satisfied
by a skip or an inconclusive. Imported by the check self-tests of this folder (pytest puts the
folder on ``sys.path``)."""

from __future__ import annotations

from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.runner.context import RunContext


def run_outcome(ctx: RunContext, spec: CheckSpec, *, exchange: bool = False) -> str:
    """Run ``spec`` in ``ctx`` as the runner names it; with ``exchange`` a failure also shows the
    summary of the exchange it carries."""
    ctx.current_check = spec.id
    try:
        spec.function(ctx)
    except CheckFailed as failure:
        if exchange:
            return f"failed: {failure.message}\n  {failure.exchange.summary() if failure.exchange else ''}"
        return f"failed: {failure.message}"
    except CheckSkipped as skip:
        return f"skipped: {skip.reason}"
    except CheckInconclusive as missing:
        return f"inconclusive: {missing.reason}"
    return "passed"
