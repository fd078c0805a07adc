"""The ``detect`` and ``baseline`` commands (the main CLI imports :data:`commands`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from optout_conformance.cli_options import options_for
from optout_conformance.core.apis import resolve_apis
from optout_conformance.core.errors import UsageError


def _write_json(path: str | None, data: object) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@click.command(
    epilog="Examples:\n\n\b\n  optout-conformance detect --workers 2\n"
    "  optout-conformance detect --fault convoso-limit-above-max-served\n"
    "  optout-conformance detect --sweep --workers 2\n"
    "  optout-conformance serve --fault 'convoso+official+search.order=newest-first'"
)
@options_for("detect")
def detect(
    api: str, names: tuple[str, ...], workers: int, json_path: str | None, sweep: bool, singles: bool
) -> None:
    """Run the suite against every fault and faithful variant of the catalog.

    Each entry is served on 127.0.0.1; a fault counts as caught only when a check it names in
    detected_by fails (a fault caught by other checks only is MISSED); a faithful variant must
    pass. Exit 0 when every fault is caught and no faithful variant fails, else 1.
    """
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.faults.detect import run_detection
    from optout_conformance.faults.open_points import singles_names, sweep_names

    apis = resolve_apis(api)
    if (sweep or singles) and names:
        raise UsageError("--sweep and --singles run generated servers; give --fault NAME without them")
    chosen: list[str] | None = list(names) or None
    if sweep or singles:
        chosen = (sweep_names(apis) if sweep else []) + (singles_names(apis) if singles else [])
    result = run_detection(apis, chosen, workers=workers, echo=click.echo)
    _write_json(json_path, result.to_dict())
    raise SystemExit(result.exit_code)


@click.command(
    epilog="Example:\n\n\b\n  optout-conformance baseline --api convoso --max-examples 50"
)
@options_for("baseline")
def baseline(api: str, names: tuple[str, ...], max_examples: int, json_path: str | None) -> None:
    """Run plain `schemathesis run --checks all` against every fault (for comparison).

    Informational: always exits 0 unless the command cannot run.
    """
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.faults.baseline import run_baseline

    result = run_baseline(resolve_apis(api), names or None, max_examples=max_examples, echo=click.echo)
    _write_json(json_path, result.to_dict())


commands = [detect, baseline]
