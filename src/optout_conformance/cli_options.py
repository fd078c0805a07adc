"""Click options of every command, generated from the settings table (``settings.py``), and the
step that turns a command's raw values into the run's settings.

Values with a fixed set of choices are taken as plain strings and checked by
``apis.resolve_apis`` / ``check_profile``, so a bad value is reported as ``errors.BadChoice`` (the
value and every valid choice, exit 2); the choice sets named by the table are :data:`CHOICES`.

:func:`settings_from` resolves targets, credentials and the profile (command line > environment >
config file > embedded reference, see ``config.py``); :func:`limits_from` the run's limits with the
same precedence, where "given on the command line" is click's parameter source
(:func:`settings.given_on_command_line`), never a comparison with the default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

import click

from optout_conformance import settings as table
from optout_conformance.config import RawSettings, Settings, resolve_settings
from optout_conformance.core.apis import API_CHOICES, APIS, PROFILES, SERVER_PROFILES
from optout_conformance.runner.execute import RunLimits

F = TypeVar("F", bound=Callable[..., Any])

# The choice sets the table's rows name (shown as metavars, checked by apis.resolve_apis/check_profile).
CHOICES: dict[str, Sequence[str]] = {
    "api": API_CHOICES,
    "one_api": tuple(APIS),
    "profile": PROFILES,
    "server_profile": SERVER_PROFILES,
}


def options_for(command: str) -> Callable[[F], F]:
    """Every option of ``command``, as the settings table declares them."""
    return table.click_options(command, CHOICES)


def given_options() -> frozenset[str]:
    """The parameters the current command's command line gave (none outside a click command)."""
    ctx = click.get_current_context(silent=True)
    return table.given_on_command_line(ctx) if ctx is not None else frozenset()


def settings_from(
    *,
    api: str,
    targets: tuple[str, ...],
    profile: str | None,
    token: str | None,
    realm: str | None,
    password: str | None,
    sender_code: str | None,
    config_path: str | None,
    **_: Any,
) -> Settings:
    """The run's settings from the target options (plus the environment and the config file)."""
    raw = RawSettings(
        targets=targets, token=token, realm=realm, password=password, sender_code=sender_code,
        profile=profile, config=config_path,
    )
    return resolve_settings(raw, api=api)


def resolved(
    command: str,
    settings: Settings,
    options: Mapping[str, Any],
    *,
    given: Collection[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every option of ``command`` that the environment or the config file may set, resolved:
    command line (when given) > environment > config file's [run] table > the table's default."""
    given = given_options() if given is None else given
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for row in table.rows_for(command):
        if row.config_key and row.config_key.startswith("run.") and row.dest in options:
            values[row.dest] = table.resolve(row, options[row.dest], given=given, environ=env,
                                             file_values=settings.run)
    return values


def limits_from(
    settings: Settings,
    *,
    given: Collection[str] | None = None,
    environ: Mapping[str, str] | None = None,
    fast: bool,
    max_examples: int | None,
    seed: int | None,
    check_ids: tuple[str, ...] = (),
    strict: bool = False,
    **options: Any,
) -> RunLimits:
    """The run's limits: command line > environment > config file's [run] table > defaults."""
    values = resolved("run", settings, options, given=given, environ=environ)
    return RunLimits(
        workers=int(values["workers"]),
        fast=fast,
        max_examples=max_examples,
        seed=seed,
        rate=None if values["rate"] is None else float(values["rate"]),
        timeout=float(values["timeout"]),
        allow_writes=bool(values["allow_writes"]),
        check_ids=check_ids,
        strict=strict,
        deadline=float(values["deadline"]),
    )
