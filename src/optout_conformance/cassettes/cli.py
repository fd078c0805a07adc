"""The cassette commands: ``record``, ``validate``, ``diff``, ``proxy`` (added to the main CLI).

Target and credential options are the shared ones of ``optout_conformance.cli_options`` (same
precedence as ``run``: command line > environment > config file > embedded reference server).
Exit codes: 0 clean, 1 violations or drift, 2 usage error or an unreadable cassette
(``errors.CassetteError``, printed by the main CLI as ``error: …``).
"""

from __future__ import annotations

from pathlib import Path

import click

from optout_conformance.cli_options import options_for, resolved, settings_from
from optout_conformance.config import check_output_directory, check_secret
from optout_conformance.core.apis import check_profile, resolve_apis
from optout_conformance.core.errors import UsageError

RECORD_EPILOG = """\b
Examples:
  optout-conformance record --api convoso --profile official --out cassettes/convoso/official
  OPTOUT_CONFORMANCE_TOKEN=... optout-conformance record --api convoso \\
      --target https://api.convoso.com/v1 --out recordings/convoso-live
"""


@click.command(epilog=RECORD_EPILOG)
@options_for("record")
def record(out: str, allow_writes: bool, timeout: float, **options: object) -> None:
    """Record an API's checks as scrubbed vcrpy cassettes (for offline replay, diff, validate)."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.cassettes.record import record as record_api
    from optout_conformance.cassettes.scrub import Scrubber

    check_output_directory("--out", out)
    settings = settings_from(**options)  # type: ignore[arg-type]
    # --allow-writes and --timeout: command line > environment > config file's [run] > default.
    limits = resolved("record", settings, {"allow_writes": allow_writes, "timeout": timeout})
    allow_writes, timeout = bool(limits["allow_writes"]), float(limits["timeout"])
    apis = settings.apis
    failed = False
    for api in apis:
        directory = Path(out) / api if len(apis) > 1 else Path(out)
        recording = record_api(
            api, directory, target=settings.targets.get(api), credentials=settings.credentials,
            profile=settings.profile, allow_writes=allow_writes, timeout=timeout,
        )
        hide = Scrubber(settings.credentials.secrets()).text  # no terminal line shows a secret
        for result in recording.results:
            if result.status != "passed":
                click.echo(hide(f"  {result.status:<7} {result.id}: {result.rule}"))
        for note in recording.notes:
            click.echo(hide(f"  note: {note.splitlines()[0]}"))
        click.echo(hide(recording.summary()))
        failed = failed or any(r.status in ("failed", "error") for r in recording.results)
    raise SystemExit(1 if failed else 0)


@click.command()
@click.argument("cassettes", nargs=-1, required=True, metavar="CASSETTE…")
@options_for("validate")
def validate(cassettes: tuple[str, ...], profile: str, skip_requests: bool, no_notes: bool) -> None:
    """Check every interaction of vcrpy cassettes (any recorder's) against the specs and registry."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.cassettes.validate import validate_paths

    check_profile(profile)
    report = validate_paths(cassettes, profile, requests=not skip_requests)
    click.echo(report.render(notes=not no_notes))
    raise SystemExit(report.exit_code)


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
def diff(old: str, new: str) -> None:
    """Drift report between two recordings of the same scenarios (files or directories)."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.cassettes.diff import diff_paths

    report = diff_paths(old, new)
    click.echo(report.render())
    raise SystemExit(report.exit_code)


@click.command()
@options_for("proxy")
def proxy(api: str, upstream: str, port: int, out: str | None, profile: str, token: str | None,
          timeout: float) -> None:
    """A validating proxy on 127.0.0.1: judges each request, forwards it, records the traffic."""
    # deferred: start-up speed (only the command that runs loads this)
    from optout_conformance.cassettes.proxy import serve_proxy, upstream_base

    apis = resolve_apis(api)
    if len(apis) != 1:
        raise UsageError("proxy serves one API: pass --api convoso, whatcounts or avaamo")
    check_profile(profile)
    if out is not None:
        check_output_directory("--out", out)
    if token is not None:
        check_secret("token", token)
    if upstream != "reference":
        upstream_base(apis[0], upstream)  # a bad URL is one line and exit 2, before the port is bound
    serve_proxy(apis[0], upstream, port, out=out, profile=profile, secrets=[token], echo=click.echo,
                timeout=timeout)


commands = [record, validate, diff, proxy]
