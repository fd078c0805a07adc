"""The discrepancy fingerprint: which documented variant a target follows on each disputed point.

``detect(ctx)`` runs cheap probes from ``openapi/discrepancies.yaml`` against the API of ``ctx``,
records each answer with ``ctx.observe`` and, where the answer identifies one Convoso document,
pins it in ``ctx.fingerprint`` (id -> "community" for 000, "official" for 001) so that profile
``auto`` holds the target to the variant it showed. An inconclusive probe pins nothing, so
``ctx.expect`` returns None and any documented variant is accepted. Probes never fail a target:
a broken answer is recorded as inconclusive and left to the checks.

The run turns the probes' observations into the report's fingerprint points
(``runner.execute.fingerprint_points``).
"""

from __future__ import annotations

from typing import Any

from optout_conformance.core.apis import APIS
from optout_conformance.core.context import CheckContext
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped

# The two Convoso documents: a probe whose answer follows one of them pins that profile.
S000 = "000_4120ae5ce1e52dc7.txt"
S001 = "001_5cae901d395a1be8.txt"
PROBE = "fingerprint"
PROFILE_OF = {S000: "community", S001: "official"}


# Discrepancy id -> short label, gathered from every API definition's ``probe_labels``.
LABELS = {key: label for d in APIS.values() for key, label in d.probe_labels.items()}


def json_type(value: Any) -> str:
    """The JSON type of a value (null, boolean, integer, number, string, array, object)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def pin(ctx: CheckContext, discrepancy_id: str, value: Any, follows: str | None) -> None:
    """Observe a probe's answer; pin the profile when it identifies one Convoso document."""
    ctx.observe(discrepancy_id, value, follows=follows)
    if follows in PROFILE_OF:
        ctx.fingerprint[discrepancy_id] = PROFILE_OF[follows]


def detect(ctx: CheckContext) -> None:
    """Run the probes of ``ctx.api``; fills ``ctx.observations`` and ``ctx.fingerprint``."""
    previous, ctx.current_check = ctx.current_check, PROBE
    try:
        for probe in APIS[ctx.api].probes() if ctx.api in APIS else ():
            try:
                probe(ctx)
            except (CheckFailed, CheckSkipped) as exc:
                detail = exc.received if isinstance(exc, CheckFailed) else exc.reason
                ctx.observe(f"{ctx.api}.fingerprint", f"{probe.__name__} inconclusive: {detail}")
    finally:
        ctx.current_check = previous

