"""The ``optout-conformance`` command line: thin, every command delegates to a module.

Exit codes (part of the public interface): 0 conformant, 1 violations (a check failed or
crashed, or was inconclusive under --strict), 2 usage error, unreachable target, or a run that
executed no check. An ``OptoutConformanceError`` is printed as
``error: …`` / ``hint: …`` on stderr with its exit code, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from optout_conformance import __version__, registry
from optout_conformance.cli_options import (
    limits_from,
    options_for,
    settings_from,
)
from optout_conformance.config import PRECEDENCE_HELP, check_output_file
from optout_conformance.core.apis import SERVER_PROFILES, check_profile, resolve_apis
from optout_conformance.core.errors import BadChoice, OptoutConformanceError


class ReportedError(click.ClickException):
    """An OptoutConformanceError on its way out: shown as its render(), exits with its code."""

    def __init__(self, error: OptoutConformanceError) -> None:
        super().__init__(error.message)
        self.error = error
        self.exit_code = error.exit_code  # type: ignore[misc]  # per instance: the error decides

    def show(self, file: Any = None) -> None:
        click.echo(self.error.render(), err=True)


class ConformanceGroup(click.Group):
    """The top-level group: turns the tool's own errors into clean messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OptoutConformanceError as error:
            raise ReportedError(error) from None


MAIN_EPILOG = """\b
Examples:
  optout-conformance run                      # all three APIs, embedded reference server
  optout-conformance run --api convoso --target https://api.example.test/v1
  optout-conformance serve --port 8000        # the reference server, for your own tests
  optout-conformance discrepancies --format markdown

Exit codes: 0 conformant, 1 violations, 2 usage error, unreachable target or nothing checked.
"""


@click.group(cls=ConformanceGroup, epilog=MAIN_EPILOG, context_settings={"max_content_width": 100})
@click.version_option(__version__, prog_name="optout-conformance")
def cli() -> None:
    """Conformance suite for SMS opt-out APIs: Convoso, WhatCounts, Avaamo.

    Checks a target against the public documents, tells which document it follows where they
    disagree, and reports observations where they are silent.
    """


RUN_EPILOG = f"""\b
Examples:
  optout-conformance run
  optout-conformance run --fast --report-json report.json
  OPTOUT_CONFORMANCE_TOKEN=... optout-conformance run --api convoso \\
      --target https://api.example.test/v1 --rate 5
  optout-conformance run --target convoso=http://127.0.0.1:8000/v1 \\
      --target avaamo=http://127.0.0.1:8000/api/v2

{PRECEDENCE_HELP}

Write checks run on the embedded server and on loopback targets; elsewhere only with
--allow-writes.

A check that ran without seeing the evidence its rule needs is INCONCLUSIVE: shown apart
from passed, and failing the gate only with --strict.

Exit codes: 0 conformant (skips and, without --strict, inconclusive checks allowed), 1 a check
failed or crashed (or was inconclusive under --strict), 2 usage error, unreachable target, an
unknown --check id, or a run that executed no check.
"""


@cli.command(epilog=RUN_EPILOG)
@options_for("run")
def run(baseline_path: str | None, update_baseline: str | None, require_coverage: bool,
        report_json: str | None, junitxml: str | None, html_path: str | None, verbose: bool,
        color: bool | None, **options: Any) -> None:
    """Check one or more APIs against their documents.

    Without --target the embedded reference server is started on 127.0.0.1 (fresh database), so
    the command works out of the box and shows what a conformant target looks like.
    """
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.report import html, json_report, junit, terminal
    from optout_conformance.report.baseline import gate, load_baseline, write_baseline
    from optout_conformance.runner.session import run as execute

    for option, path in (("--report-json", report_json), ("--junitxml", junitxml), ("--html", html_path),
                         ("--update-baseline", update_baseline)):
        check_output_file(option, path)
    settings = settings_from(**options)
    limits = limits_from(settings, **options)
    colour = sys.stdout.isatty() if color is None else color
    progress = None
    if sys.stderr.isatty():
        # One mark per finished check (. F E i s) while the run is in progress; stderr only.
        def progress(outcome: Any) -> None:
            click.echo(terminal.progress_mark(outcome), nl=False, err=True)

    # A bad baseline file is a usage error before any request is sent.
    baseline = load_baseline(baseline_path) if baseline_path else None
    previous = (load_baseline(update_baseline) if update_baseline and Path(update_baseline).is_file()
                else baseline)
    result = execute(settings, limits, progress=progress)
    if progress is not None:
        click.echo(err=True)
    click.echo(terminal.render(result, colour=colour, verbose=verbose), color=colour)
    if update_baseline:
        click.echo(f"baseline written: {write_baseline(result, update_baseline, keep_reasons_from=previous)}")
        baseline = load_baseline(update_baseline)
    # The baseline and coverage gates decide the exit code when asked for; otherwise the run's own.
    verdict = (gate(result, baseline=baseline, require_coverage=require_coverage, strict=limits.strict)
               if baseline is not None or require_coverage else None)
    for line in verdict.lines if verdict else ():
        click.echo(line)
    for path, writer in ((report_json, json_report.write_json), (junitxml, junit.write_junit)):
        if path:
            click.echo(f"report written: {writer(result, path)}")
    if html_path:
        written = html.write_html(result, html_path, baseline=verdict.baseline if verdict else None,
                                  require_coverage=require_coverage)
        click.echo(f"report written: {written}")
    if not result.executed:
        skipped = result.count("skipped")
        click.echo(f"error: no check ran: {skipped} selected, every one skipped "
                   "(nothing was checked)" if skipped else "error: no check ran: none was selected",
                   err=True)
        sys.exit(result.exit_code)  # 2: a baseline cannot make "nothing checked" a pass
    sys.exit(verdict.exit_code if verdict else result.exit_code)


SERVE_EPILOG = """\b
Examples:
  optout-conformance serve                          # all three APIs on 127.0.0.1:8000
  optout-conformance serve --profile official --db optouts.sqlite3
  optout-conformance serve --fault convoso-limit-above-max-served

Base URLs: http://HOST:PORT/v1 (Convoso), /bin (WhatCounts), /api/v2 (Avaamo).
Precedence: command line > config file ([reference] table) > defaults.
"""


@cli.command(epilog=SERVE_EPILOG)
@options_for("serve")
def serve(api: str, host: str, port: int, profile: str | None, db: str | None, seed_records: int | None,
          token: str | None, realm: str | None, password: str | None, sender_codes: tuple[str, ...],
          config_path: str | None, fault: str | None) -> None:
    """Serve the reference implementation (real HTTP) until interrupted."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.reference.config import ReferenceConfig, load_config_file
    from optout_conformance.reference.server import serve_forever

    apis = resolve_apis(api)
    values: dict[str, Any] = load_config_file(config_path) if config_path else {}
    flags = {"profile": profile, "db": db, "seed_records": seed_records, "token": token,
             "realm": realm, "password": password, "sender_codes": sender_codes or None}
    values.update({key: value for key, value in flags.items() if value is not None})
    if "profile" in values:
        check_profile(values["profile"], SERVER_PROFILES)
    config = ReferenceConfig(**values)
    app = None
    if fault:
        # deferred: start-up speed (only the command that runs loads this)
        from optout_conformance.faults.catalog import build_app

        app = build_app(fault, config)
    serve_forever(config, host, port, apis, app=app, echo=click.echo)


@cli.command()
@options_for("discrepancies")
def discrepancies(api: str | None, fmt: str) -> None:
    """List the points where the documents disagree or are silent, and what each profile expects."""
    if fmt not in ("table", "markdown", "json"):
        raise BadChoice("--format", fmt, ("table", "markdown", "json"))
    if api is not None and api != "all":
        resolve_apis(api)
    click.echo(registry.render(fmt, None if api in (None, "all") else api))


@cli.command()
@options_for("faults")
def faults(api: str) -> None:
    """List the fault catalog: faulty (and faithful) variants of the reference server."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.faults.catalog import FAULTS

    apis = resolve_apis(api)
    entries = [f for f in FAULTS.values() if f.api in apis]
    width = max((len(f.name) for f in entries), default=10)
    for entry in entries:
        head = f"{entry.name:<{width}}  {entry.api:<10}  {entry.kind:<8}"
        line = f"{head}  {entry.summary}"
        if len(line) <= 80:
            click.echo(line)
        else:  # 80 columns: the summary goes on its own indented lines
            click.echo(head.rstrip())
            click.echo(textwrap.fill(entry.summary, 80, initial_indent="    ", subsequent_indent="    "))


COMPARE_EPILOG = """\b
Examples:
  optout-conformance compare staging.json production.json
  optout-conformance compare ref=reference.json vendor=vendor.json --markdown "$GITHUB_STEP_SUMMARY"
  optout-conformance compare reports/*.json --html matrix.html --badges badges/

A report argument may be LABEL=PATH to name its column. Cells: passed, failed, known (with
--baseline), fixed — stale entry (with --baseline), inconclusive, skipped, error, — (not run).

Exit codes: 0 (compare is informational; each run's exit code is its gate), 2 a report or
the baseline cannot be read.
"""


@cli.command(epilog=COMPARE_EPILOG)
@click.argument("reports", nargs=-1, required=True, metavar="REPORT.json…")
@options_for("compare")
def compare(reports: tuple[str, ...], markdown_path: str | None, html_path: str | None,
            badges_dir: str | None, baseline_path: str | None) -> None:
    """Merge JSON reports (several targets, CI jobs or machines) into one comparison matrix."""
    import os

    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.report import compare as matrix_module
    from optout_conformance.report.baseline import load_baseline

    baseline = load_baseline(baseline_path) if baseline_path else None
    matrix = matrix_module.build_matrix(reports, baseline)
    click.echo(matrix_module.render_terminal(matrix))
    if markdown_path:
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        append = bool(summary) and os.path.abspath(summary or "") == os.path.abspath(markdown_path)
        markdown = matrix_module.render_markdown(matrix)
        written = matrix_module.write_text(markdown_path, markdown, append=append)
        click.echo(f"markdown written: {written}")
    if html_path:
        click.echo(f"html written: {matrix_module.write_text(html_path, matrix_module.render_html(matrix))}")
    if badges_dir:
        try:
            badges = matrix_module.write_badges(matrix, badges_dir)
        except OSError as exc:
            raise matrix_module.ReportError(f"cannot write badges to {badges_dir}: {exc.strerror}") from None
        click.echo(f"badges written: {len(badges)} in {badges_dir}")


# Commands other modules contribute: each module exposes `commands`, a list of click commands.
PLUGIN_MODULES = ("optout_conformance.faults.cli", "optout_conformance.cassettes.cli")


def _add_plugin_commands(group: click.Group) -> None:
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for command in getattr(module, "commands", []):
            if command.name not in group.commands:
                group.add_command(command)


_add_plugin_commands(cli)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="optout-conformance")
