"""The ``detect`` and ``baseline`` commands (the main CLI imports :data:`commands`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from optout_conformance.apis import API_CHOICES, resolve_apis


def _write_json(path: str | None, data: object) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


api_option = click.option(
    "--api", "api", default="all", show_default=True, metavar="|".join(API_CHOICES),
    help="Run the entries of this API only.",
)
fault_option = click.option(
    "--fault", "names", multiple=True, metavar="NAME",
    help="Run only this catalog entry (repeatable; see `optout-conformance faults`).",
)
workers_option = click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 16),
    help="Entries run at once, each in its own process.",
)
json_option = click.option("--json", "json_path", metavar="PATH", help="Also write the results as JSON.")


@click.command(
    epilog="Examples:\n\n\b\n  optout-conformance detect --workers 2\n"
    "  optout-conformance detect --fault convoso-limit-above-max-served"
)
@api_option
@fault_option
@workers_option
@json_option
def detect(api: str, names: tuple[str, ...], workers: int, json_path: str | None) -> None:
    """Run the suite against every fault and faithful variant of the catalog.

    Each entry is served on 127.0.0.1; a fault must be caught (by the checks it names first),
    a faithful variant must pass. Exit 0 when every fault is caught and no faithful variant
    fails, else 1.
    """
    from optout_conformance.faults.detect import run_detection

    result = run_detection(resolve_apis(api), names or None, workers=workers, echo=click.echo)
    _write_json(json_path, result.to_dict())
    raise SystemExit(result.exit_code)


@click.command(
    epilog="Example:\n\n\b\n  optout-conformance baseline --api convoso --max-examples 50"
)
@api_option
@fault_option
@click.option("--max-examples", default=25, show_default=True, type=click.IntRange(1, 1000),
              help="Schemathesis' --max-examples per operation.")
@json_option
def baseline(api: str, names: tuple[str, ...], max_examples: int, json_path: str | None) -> None:
    """Run plain `schemathesis run --checks all` against every fault (for comparison).

    Informational: always exits 0 unless the command cannot run.
    """
    from optout_conformance.faults.baseline import run_baseline

    result = run_baseline(resolve_apis(api), names or None, max_examples=max_examples, echo=click.echo)
    _write_json(json_path, result.to_dict())


commands = [detect, baseline]
