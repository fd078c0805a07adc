"""The ``detect`` and ``baseline`` commands (the main CLI imports :data:`commands`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from optout_conformance.apis import API_CHOICES, resolve_apis
from optout_conformance.core.errors import UsageError


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
    "  optout-conformance detect --fault convoso-limit-above-max-served\n"
    "  optout-conformance detect --sweep --workers 2\n"
    "  optout-conformance serve --fault 'convoso+official+search.order=newest-first'"
)
@api_option
@fault_option
@workers_option
@json_option
@click.option(
    "--sweep", is_flag=True,
    help="Run the covering array of generated faithful servers instead of the catalog: every pair "
    "of two open points' realizations in at least one server, per API (Convoso on both server "
    "profiles, each run in auto and its pinned profile).",
)
@click.option(
    "--singles", is_flag=True,
    help="Run one generated server per realization that differs from the reference (what "
    "attributes a sweep row's false alarm to one choice).",
)
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
@api_option
@fault_option
@click.option("--max-examples", default=25, show_default=True, type=click.IntRange(1, 1000),
              help="Schemathesis' --max-examples per operation.")
@json_option
def baseline(api: str, names: tuple[str, ...], max_examples: int, json_path: str | None) -> None:
    """Run plain `schemathesis run --checks all` against every fault (for comparison).

    Informational: always exits 0 unless the command cannot run.
    """
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.faults.baseline import run_baseline

    result = run_baseline(resolve_apis(api), names or None, max_examples=max_examples, echo=click.echo)
    _write_json(json_path, result.to_dict())


commands = [detect, baseline]
