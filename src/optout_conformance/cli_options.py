"""Click option decorators shared by every command that talks to a target or serves one.

``run`` uses them, and so do the fault and cassette commands (``faults/cli.py``,
``cassettes/cli.py``): the same flag means the same thing everywhere. Values with a fixed set
of choices are taken as plain strings and checked by ``apis.resolve_apis`` / ``check_profile``,
so a bad value is reported as ``errors.BadChoice`` (the value and every valid choice, exit 2).

Turn the raw values into settings with :func:`settings_from` (command line > environment >
config file > embedded reference, see ``config.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from optout_conformance.apis import API_CHOICES, PROFILES
from optout_conformance.config import RawSettings, Settings, resolve_settings
from optout_conformance.core.http import DEFAULT_RUN_DEADLINE, DEFAULT_TIMEOUT
from optout_conformance.runner.execute import RunLimits

F = TypeVar("F", bound=Callable[..., Any])


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def api_option(
    default: str = "all",
    help: str = "Which API to check (all: every API that has a target, or all three embedded).",
) -> Callable[[F], F]:
    return click.option("--api", default=default, show_default=True, metavar="|".join(API_CHOICES), help=help)


def target_option() -> Callable[[F], F]:
    return click.option(
        "--target", "targets", multiple=True, metavar="URL|API=URL",
        help="Base URL of the API under test (…/v1, …/bin, …/api/v2). Repeat as api=URL to check "
        "several APIs in one run; a host root (http://host:8000) gets each API's base path "
        "appended. Env: OPTOUT_CONFORMANCE_TARGET. Default: the embedded reference server.",
    )


def profile_option(choices: tuple[str, ...] = PROFILES, default: str | None = None) -> Callable[[F], F]:
    return click.option(
        "--profile", default=default, metavar="|".join(choices),
        help="Which Convoso document wins where they disagree: community (000), official (001), "
        "lenient (either), auto (probe the target, then hold it to what it showed). "
        "Env: OPTOUT_CONFORMANCE_PROFILE. Default: auto."
        if choices == PROFILES
        else f"Variant the server follows where the Convoso documents disagree. Default: {choices[0]}.",
    )


def credential_options(*, server: bool = False) -> Callable[[F], F]:
    """--token, --realm, --password, --sender-code: a target's credentials (read from the
    environment too), or with ``server=True`` the credentials a server accepts (repeatable
    --sender-code; no environment, so a shell's target secrets never leak into a server)."""
    env = (lambda name: "") if server else (lambda name: f" Env: OPTOUT_CONFORMANCE_{name}.")
    return _compose(
        click.option("--token", default=None, metavar="TOKEN",
                     help="Convoso auth_token / Avaamo access-token." + env("TOKEN")),
        click.option("--realm", default=None, metavar="REALM", help="WhatCounts realm." + env("REALM")),
        click.option("--password", default=None, metavar="PASSWORD",
                     help="WhatCounts password." + env("PASSWORD")),
        click.option("--sender-code", "sender_codes" if server else "sender_code", default=None,
                     multiple=server, metavar="CODE",
                     help="WhatCounts sender code." + (" Repeatable." if server else env("SENDER_CODE"))),
    )


def config_option(
    help: str = "TOML file with [targets], [credentials], [run]. Env: OPTOUT_CONFORMANCE_CONFIG.",
) -> Callable[[F], F]:
    return click.option("--config", "config_path", default=None, metavar="PATH", help=help)


def target_options() -> Callable[[F], F]:
    """Everything that says what to check and how to log in: the set every target command takes."""
    return _compose(api_option(), target_option(), profile_option(), credential_options(), config_option())


def run_limit_options() -> Callable[[F], F]:
    """How a run behaves: write safety, rate, timeout, threads, property budget."""
    return _compose(
        click.option("--allow-writes", is_flag=True,
                     help="Run write checks on a non-loopback target (they insert fictional "
                     "555-01XX numbers tagged with the run prefix)."),
        click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None, metavar="N",
                     help="At most N requests per second (default: unlimited)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
                     show_default=True, metavar="SECONDS", help="Per-request timeout."),
        click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=None,
                     metavar="SECONDS",
                     help=f"Run-wide deadline for each API's requests (default {DEFAULT_RUN_DEADLINE:g} s); "
                     "checks still waiting when it passes are reported inconclusive with the reason."),
        click.option("--workers", type=click.IntRange(min=1, max=32), default=1, show_default=True,
                     metavar="N", help="Read-only checks run on N threads per API; checks that write "
                     "run one at a time after them."),
        click.option("--fast", is_flag=True,
                     help="Only the fast checks, with a small property-phase budget."),
        click.option("--max-examples", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Property phase: examples per operation."),
        click.option("--seed", type=int, default=None, metavar="N",
                     help="Property phase: Hypothesis seed (default: derandomized)."),
    )


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
    """The run's settings from the values of :func:`target_options` (plus the environment)."""
    raw = RawSettings(
        targets=targets, token=token, realm=realm, password=password, sender_code=sender_code,
        profile=profile, config=config_path,
    )
    return resolve_settings(raw, api=api)


def limits_from(
    settings: Settings,
    *,
    allow_writes: bool,
    rate: float | None,
    timeout: float,
    workers: int,
    fast: bool,
    max_examples: int | None,
    seed: int | None,
    check_ids: tuple[str, ...] = (),
    strict: bool = False,
    deadline: float | None = None,
    **_: Any,
) -> RunLimits:
    """The run's limits; a config file's [run] table fills what the command line left default."""
    file = settings.run
    return RunLimits(
        workers=workers if workers != 1 else int(file.get("workers", 1)),
        fast=fast,
        max_examples=max_examples,
        seed=seed,
        rate=rate if rate is not None else file.get("rate"),
        timeout=timeout if timeout != DEFAULT_TIMEOUT else float(file.get("timeout", DEFAULT_TIMEOUT)),
        allow_writes=allow_writes or bool(file.get("allow_writes", False)),
        check_ids=check_ids,
        strict=strict,
        deadline=deadline if deadline is not None else float(file.get("deadline", DEFAULT_RUN_DEADLINE)),
    )

