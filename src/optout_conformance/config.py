"""The settings of one ``run``: which APIs, which targets, credentials, profile and run limits.

Every setting comes from the first of these sources that gives it:

1. the command line (``--target``, ``--token``, …; or the pytest options of the root conftest),
2. the environment (``OPTOUT_CONFORMANCE_TARGET``, ``_TOKEN``, ``_REALM``, ``_PASSWORD``,
   ``_SENDER_CODE``, ``_PROFILE``, ``_CONFIG``; the run limits' variables are read by
   ``cli_options.limits_from``), so secrets stay out of shell history,
3. a TOML file (``--config PATH`` or ``OPTOUT_CONFORMANCE_CONFIG``)::

       [targets]
       convoso = "https://api.example.test/v1"
       [credentials]
       token = "…"
       realm = "…"
       password = "…"
       sender_code = "…"
       [run]
       profile = "auto"       # and allow_writes, rate, timeout, workers, deadline

   (a ``[reference]`` table in the same file is read by ``serve`` and ignored here),
4. the defaults: no target means the embedded reference server, with its own credentials.

The environment variables and the keys of ``[run]`` and ``[credentials]`` with their types are
rows of the settings table (``settings.py``); an unknown key is an error naming the closest one.

Targets are taken as a whole from the first source that names any (they are not merged per API):
a command line ``--target`` replaces every target of the environment and of the file. Credentials
and the profile are resolved key by key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from optout_conformance.core.apis import API_CHOICES, APIS, PROFILES, check_profile, resolve_apis
from optout_conformance.core.context import Credentials
from optout_conformance.core.errors import BadChoice, ConfigError, UsageError
from optout_conformance.core.urls import UrlError, parse_url
from optout_conformance.settings import (
    ENV_PREFIX,
    ROWS,
    check_config_value,
    config_rows,
    precedence_help,
    unknown_key_hint,
)
from optout_conformance.tomlfile import ValueRule, check_value, read_toml

# The environment variables and config-file keys come from the settings table (settings.py).
ENV_TARGET = ROWS["targets"].env or ""
ENV_TOKEN = ROWS["token"].env or ""
ENV_REALM = ROWS["realm"].env or ""
ENV_PASSWORD = ROWS["password"].env or ""
ENV_SENDER_CODE = ROWS["sender_code"].env or ""
ENV_PROFILE = ROWS["profile"].env or ""
ENV_CONFIG = ROWS["config_path"].env or ""

CREDENTIAL_KEYS = tuple(config_rows("credentials"))
FILE_TABLES = {"targets", "credentials", "run", "reference"}
RUN_FILE_KEYS = tuple(config_rows("run"))

# Secrets are redacted from every artefact as whole tokens; a shorter value could not be told from
# ordinary words and text (a token "x" would blank out every standalone "x"), so it is refused.
# The reference server's defaults (`reference-token`, `reference-pass`) are longer.
MIN_SECRET_LENGTH = 8
SECRET_KEYS = ("token", "password")



def check_secret(name: str, value: str | None) -> None:
    """Refuse a secret too short to redact safely, or one an HTTP header cannot carry."""
    if value is None:
        return
    if len(value) < MIN_SECRET_LENGTH:
        raise UsageError(
            f"the {name} is too short to redact safely "
            f"({len(value)} characters, minimum {MIN_SECRET_LENGTH})",
            hint="secrets are hidden from reports and cassettes as whole tokens; use the real credential",
        )


def check_header_safe(name: str, value: str | None) -> None:
    """Refuse a credential sent in an HTTP header (Avaamo ``access-token``) that is not printable ASCII."""
    if value is not None and not all(" " <= char <= "~" for char in value):
        raise UsageError(
            f"the {name} must be printable ASCII: the Avaamo access-token is sent as an HTTP header",
            hint="check --token / OPTOUT_CONFORMANCE_TOKEN for stray characters",
        )


def check_output_file(option: str, path: str | None) -> None:
    """A report path must name a file, not a directory (missing parent directories are created,
    so no existing parent may be a file)."""
    if path is None:
        return
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{option} {path}: is a directory", hint=f"{option} takes a file name")
    for parent in file.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {path}: {parent} is not a directory")
            break


def check_output_directory(option: str, path: str) -> None:
    """An output directory must be a directory or not exist yet (it is created)."""
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory",
                         hint=f"{option} takes a directory")

# Credentials a non-embedded target cannot be checked without (the embedded reference has its own).
REQUIRED_CREDENTIALS = {
    name: tuple(c.key for c in definition.credentials if c.required) for name, definition in APIS.items()
}

PRECEDENCE_HELP = precedence_help()


@dataclass(frozen=True)
class RawSettings:
    """Values one source gave; None means the source is silent on it."""

    targets: tuple[str, ...] = ()
    token: str | None = field(default=None, repr=False)  # secrets: in no repr
    realm: str | None = None
    password: str | None = field(default=None, repr=False)
    sender_code: str | None = None
    profile: str | None = None
    config: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The resolved settings of a run: APIs in order, their target URLs, credentials, profile.

    ``targets`` maps an API to its base URL; an API absent from it runs against the embedded
    reference server.
    """

    apis: tuple[str, ...]
    targets: dict[str, str]
    credentials: Credentials
    profile: str
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return not self.targets


def env_settings(environ: Mapping[str, str] | None = None) -> RawSettings:
    """What the environment gives. ``OPTOUT_CONFORMANCE_TARGET`` may hold several targets,
    separated by commas or whitespace (``convoso=URL,avaamo=URL``)."""
    env = os.environ if environ is None else environ
    raw_target = env.get(ENV_TARGET, "").replace(",", " ").split()
    return RawSettings(
        targets=tuple(raw_target),
        token=env.get(ENV_TOKEN) or None,
        realm=env.get(ENV_REALM) or None,
        password=env.get(ENV_PASSWORD) or None,
        sender_code=env.get(ENV_SENDER_CODE) or None,
        profile=env.get(ENV_PROFILE) or None,
        config=env.get(ENV_CONFIG) or None,
    )


def file_settings(path: str | Path) -> RawSettings:
    """What a TOML config file gives (tables ``[targets]``, ``[credentials]``, ``[run]``)."""
    file = Path(path)
    data = read_toml(file)
    unknown = sorted(set(data) - FILE_TABLES)
    if unknown:
        raise ConfigError(
            f"config file {file}: unknown table(s) {', '.join(unknown)}",
            hint=unknown_key_hint(unknown, sorted(FILE_TABLES)).replace("valid keys", "valid tables"),
        )
    targets = _table(data, "targets", file, tuple(APIS))
    credentials = _table(data, "credentials", file, CREDENTIAL_KEYS)
    run = _table(data, "run", file, RUN_FILE_KEYS)
    for api, url in targets.items():
        check_value(f"config file {file} [targets]", api, url, ValueRule("str"))
    for name in ("credentials", "run"):
        rows = config_rows(name)
        for key, value in (credentials if name == "credentials" else run).items():
            check_config_value(file, rows[key], value)
    return RawSettings(
        targets=tuple(f"{api}={url}" for api, url in targets.items()),
        token=_str_or_none(credentials.get("token")),
        realm=_str_or_none(credentials.get("realm")),
        password=_str_or_none(credentials.get("password")),
        sender_code=_str_or_none(credentials.get("sender_code")),
        profile=_str_or_none(run.get("profile")),
        extra={k: v for k, v in run.items() if k != "profile"},
    )


def _table(data: dict[str, Any], name: str, file: Path, keys: Sequence[str]) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {file}: [{name}] must be a table")
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise ConfigError(
            f"config file {file}: unknown key(s) in [{name}]: {', '.join(unknown)}",
            hint=unknown_key_hint(unknown, keys),
        )
    return table


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_targets(values: Sequence[str], apis: Sequence[str], api_option: str) -> dict[str, str]:
    """``--target`` values -> {api: base URL}.

    A value is ``api=URL`` or a bare URL. A bare URL without a path (``http://host:8000``) is the
    host of the selected APIs: each API's base path (``/v1``, ``/bin``, ``/api/v2``) is appended,
    as every document puts its API there. A bare URL with a path is one API's base URL, taken as
    given, and needs exactly one API selected.
    """
    targets: dict[str, str] = {}
    bare: list[str] = []
    for value in values:
        name, sep, url = value.partition("=")
        if sep and name in APIS and "://" in url:
            targets[name] = _check_url(url)
        elif sep and "://" not in name:
            raise BadChoice("--target API", name, APIS)
        else:
            bare.append(_check_url(value))
    if len(bare) > 1:
        raise UsageError("more than one --target without an API name", hint="write api=URL for each")
    if bare:
        url = bare[0]
        if urlsplit(url).path.strip("/") == "":
            for api in apis:
                targets.setdefault(api, url.rstrip("/") + APIS[api].base_path)
        elif len(apis) == 1:
            targets.setdefault(apis[0], url)
        else:
            raise UsageError(
                f"--target {url} is one API's base URL but --api {api_option} selects {len(apis)} APIs",
                hint=f"pass --api {'|'.join(APIS)}, write api=URL, or give the host root",
            )
    return targets


def _check_url(url: str) -> str:
    # The one URL parser (core/urls.py): the writes guard and the connection use the same parse.
    try:
        return str(parse_url(url))
    except UrlError as exc:
        raise UsageError(
            f"invalid target URL: {exc}", hint="an http(s) URL, e.g. http://127.0.0.1:8000/v1"
        ) from None


def resolve_settings(
    cli: RawSettings, api: str = "all", environ: Mapping[str, str] | None = None
) -> Settings:
    """Merge command line > environment > config file > defaults into the run's settings."""
    if api not in API_CHOICES:
        raise BadChoice("--api", api, API_CHOICES)
    env = env_settings(environ)
    config_path = cli.config or env.config
    file = file_settings(config_path) if config_path else RawSettings()
    layers = (cli, env, file)

    def first(name: str) -> Any:
        for layer in layers:
            value = getattr(layer, name)
            if value:
                return value
        return None

    profile = check_profile(first("profile") or "auto", PROFILES)
    selected = resolve_apis(api)
    raw_targets = next((layer.targets for layer in layers if layer.targets), ())
    targets = parse_targets(raw_targets, selected, api)
    if targets and api == "all":
        # Only the APIs that were given a target run (in the catalog's order).
        selected = [name for name in APIS if name in targets]
    elif targets:
        untargeted = [name for name in selected if name not in targets]
        if untargeted:
            raise UsageError(
                f"--api {api} has no target while other targets are given",
                hint=f"add --target {untargeted[0]}=URL, or drop every target to use the embedded server",
            )
        # Targets of APIs that are not selected (a config file naming all three) are ignored.
        targets = {name: url for name, url in targets.items() if name in selected}
    credentials = Credentials(**{key: first(key) for key in CREDENTIAL_KEYS})
    if targets:  # the embedded reference server's own credentials are always used for it
        for key in SECRET_KEYS:
            check_secret(key, getattr(credentials, key))
        for key in sorted({c.key for name in targets for c in APIS[name].credentials
                           if c.travels == "header"}):
            check_header_safe(key, getattr(credentials, key))
    missing = [
        (name, key)
        for name in selected
        if name in targets
        for key in REQUIRED_CREDENTIALS[name]
        if not getattr(credentials, key)
    ]
    if missing:
        name, key = missing[0]
        raise UsageError(
            f"the {name} target needs a {key.replace('_', ' ')}",
            hint=f"pass --{key.replace('_', '-')} or set {ENV_PREFIX}{key.upper()}",
        )
    return Settings(
        apis=tuple(selected), targets=targets, credentials=credentials, profile=profile, run=file.extra
    )
