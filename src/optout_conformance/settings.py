"""The one table of settings: every option of every command, and of the pytest integration.

Each row (:class:`Setting`) says once what a setting is: its click parameter name and flags, its
type and bounds, its environment variable, its config-file key, its default, its help, whether it
is a secret, which choice set names its values, whether it repeats, and which commands take it.
From the table come

- the click options of every command (:func:`click_options`),
- the pytest options (:func:`add_pytest_options`, called by the ``pytest_addoption`` hook),
- the types of the config file's values (:func:`check_config_value`) and of the environment's
  (:func:`parse_env`), so ``allow_writes = "false"`` or ``OPTOUT_CONFORMANCE_WORKERS=abc`` is a usage
  error of one line (exit 2) naming the key, where it came from and the type expected.

Precedence: command line > environment > config file > default (:func:`resolve`). Whether a value
was given on the command line is decided by click's parameter source
(:func:`given_on_command_line`), never by comparing it with the default: ``--workers 1`` overrides a
config file's ``workers = 4``.

Secrets (``secret=True``: the token and the password) never show a default in ``--help``, and their
value appears in no error message and no repr of this module.

The module imports only the standard library, click and the project's errors, so it sits low in the
layers; the choice sets (API names, profiles) are passed in by the caller.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from optout_conformance.core.errors import ConfigError, UsageError
from optout_conformance.tomlfile import ValueRule

F = TypeVar("F", bound=Callable[..., Any])

ENV_PREFIX = "OPTOUT_CONFORMANCE_"

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class ValueType(ValueRule):
    """The type and bounds of one setting's value, checked the same way whatever its source: a
    config file's value by :class:`tomlfile.ValueRule`, environment text by :meth:`parse`, the
    command line by :meth:`click_type`."""

    def parse(self, text: str) -> Any:
        """An environment variable's text as a value of this type; ValueError when it is not one."""
        if self.kind in ("str", "code"):
            return text
        if self.kind == "bool":
            word = text.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(text)
        value = int(text.strip()) if self.kind == "int" else float(text.strip())
        if not self.accepts(value):
            raise ValueError(text)
        return value

    def click_type(self) -> click.ParamType | None:
        if self.kind == "int" and self.minimum is None and self.maximum is None:
            return click.INT
        if self.kind == "int":
            return click.IntRange(min=_int_or_none(self.minimum), max=_int_or_none(self.maximum))
        if self.kind == "number":
            return click.FloatRange(min=self.minimum, max=self.maximum, min_open=self.exclusive)
        return None  # strings: click's default

    def python_type(self) -> type | None:
        return {"int": int, "number": float}.get(self.kind)


def _int_or_none(bound: float | None) -> int | None:
    return None if bound is None else int(bound)


STR = ValueType("str")
CODE = ValueType("code")
BOOL = ValueType("bool")
POSITIVE = ValueType("number", 0, exclusive=True)


@dataclass(frozen=True)
class Setting:
    """One row of the table."""

    dest: str  # the click parameter name the command function receives
    flags: tuple[str, ...]  # "--allow-writes/--no-allow-writes" makes an on/off switch
    help: str
    commands: tuple[str, ...]  # the commands that take it ("pytest" is not one: see pytest_flag)
    type: ValueType = STR
    default: Any = None
    env: str | None = None  # environment variable (command line > environment > config file)
    config_key: str | None = None  # "table.key" in the TOML config file
    secret: bool = False
    choices: str | None = None  # name of the choice set its values come from (given by the caller)
    multiple: bool = False  # repeatable
    flag: bool = False  # a boolean switch without a value
    metavar: str | None = None
    show_default: bool = False
    required: bool = False
    pytest_flag: str | None = None  # its name among the pytest options, when pytest offers it
    row: str = ""  # unique id of the row (default: dest); rows differing per command share a dest

    def __post_init__(self) -> None:
        if not self.row:
            object.__setattr__(self, "row", self.dest)
        if self.secret and self.show_default:
            raise ValueError(f"setting {self.row}: a secret never shows its default")

    def __repr__(self) -> str:  # a row holds no value, but keep reprs short and uniform
        return f"Setting({self.row!r}, {'/'.join(self.flags)})"

    @property
    def long_flags(self) -> tuple[str, ...]:
        """Every long option string the row defines (both halves of an on/off switch)."""
        names: list[str] = []
        for decl in self.flags:
            names.extend(part for part in decl.split("/") if part.startswith("--"))
        return tuple(names)

    def full_help(self) -> str:
        text = self.help
        if self.env:
            text += f" Env: {self.env}."
        if self.config_key:
            table, key = self.config_key.split(".")
            text += f" Config file: [{table}] {key}."
        return text

    def metavar_for(self, choices: Mapping[str, Sequence[str]]) -> str | None:
        if self.choices and self.choices in choices:
            return "|".join(choices[self.choices])
        return self.metavar


def _env(name: str) -> str:
    return ENV_PREFIX + name


TARGET_COMMANDS = ("run", "record")  # every command that checks a target and reads its credentials

# Defaults the runner uses too (runner/http.py); tests/self/test_settings.py holds them equal.
DEFAULT_TIMEOUT = 10.0
DEFAULT_RUN_DEADLINE = 900.0

TABLE: tuple[Setting, ...] = (
    # What to check and how to log in: run, record (and the pytest integration).
    Setting("api", ("--api",), "Which API to check (all: every API that has a target, or all three "
            "embedded).", TARGET_COMMANDS, default="all", show_default=True, choices="api",
            pytest_flag="--api"),
    Setting("targets", ("--target",), "Base URL of the API under test (…/v1, …/bin, …/api/v2). Repeat "
            "as api=URL to check several APIs in one run; a host root (http://host:8000) gets each "
            "API's base path appended; the environment may list several, separated by commas. "
            "Default: the embedded reference server.",
            TARGET_COMMANDS, env=_env("TARGET"), multiple=True, metavar="URL|API=URL",
            pytest_flag="--target"),
    Setting("profile", ("--profile",), "Which Convoso document wins where they disagree: community "
            "(000), official (001), lenient (either), auto (probe the target, then hold it to what it "
            "showed). Default: auto.", TARGET_COMMANDS, env=_env("PROFILE"), config_key="run.profile",
            choices="profile", pytest_flag="--profile"),
    Setting("token", ("--token",), "Convoso auth_token / Avaamo access-token.", TARGET_COMMANDS,
            env=_env("TOKEN"), config_key="credentials.token", secret=True, metavar="TOKEN",
            pytest_flag="--token"),
    Setting("realm", ("--realm",), "WhatCounts realm.", TARGET_COMMANDS, env=_env("REALM"),
            config_key="credentials.realm", metavar="REALM", pytest_flag="--realm"),
    Setting("password", ("--password",), "WhatCounts password.", TARGET_COMMANDS, env=_env("PASSWORD"),
            config_key="credentials.password", secret=True, metavar="PASSWORD", pytest_flag="--password"),
    Setting("sender_code", ("--sender-code",), "WhatCounts sender code.", TARGET_COMMANDS,
            type=CODE, env=_env("SENDER_CODE"), config_key="credentials.sender_code", metavar="CODE",
            pytest_flag="--sender-code"),
    Setting("config_path", ("--config",), "TOML file with [targets], [credentials], [run].",
            TARGET_COMMANDS, env=_env("CONFIG"), metavar="PATH", pytest_flag="--conformance-config"),
    # How a run behaves.
    Setting("allow_writes", ("--allow-writes/--no-allow-writes",), "Run (or record) the write checks on "
            "a non-loopback target too (they insert fictional 555-01XX numbers tagged with the run "
            "prefix); --no-allow-writes switches off a config file's or the environment's "
            "allow_writes.", TARGET_COMMANDS, type=BOOL, default=False, env=_env("ALLOW_WRITES"),
            config_key="run.allow_writes", flag=True, pytest_flag="--allow-writes"),
    Setting("rate", ("--rate",), "At most N requests per second (default: unlimited).", ("run",),
            type=POSITIVE, env=_env("RATE"), config_key="run.rate", metavar="N"),
    Setting("timeout", ("--timeout",), "Per-request timeout.", TARGET_COMMANDS, type=POSITIVE,
            default=DEFAULT_TIMEOUT, env=_env("TIMEOUT"), config_key="run.timeout", metavar="SECONDS",
            show_default=True),
    Setting("deadline", ("--deadline",), "Run-wide deadline for each API's requests; checks still "
            "waiting when it passes are reported inconclusive with the reason.", ("run",),
            type=POSITIVE, default=DEFAULT_RUN_DEADLINE, env=_env("DEADLINE"), config_key="run.deadline",
            metavar="SECONDS", show_default=True),
    Setting("workers", ("--workers",), "Read-only checks run on N threads per API; checks that write "
            "run one at a time after them.", ("run",), type=ValueType("int", 1, 32), default=1,
            env=_env("WORKERS"), config_key="run.workers", metavar="N", show_default=True),
    Setting("fast", ("--fast",), "Only the fast checks, with a small property-phase budget.", ("run",),
            type=BOOL, default=False, flag=True),
    Setting("max_examples", ("--max-examples",), "Property phase: examples per operation.", ("run",),
            type=ValueType("int", 1), metavar="N"),
    Setting("seed", ("--seed",), "Property phase: Hypothesis seed (default: derandomized).", ("run",),
            type=ValueType("int"), metavar="N"),
    Setting("check_ids", ("--check",), "Run only this check id (repeatable; runs even if --fast would "
            "leave it out). An unknown id, or one of an API not selected, is a usage error.", ("run",),
            multiple=True, metavar="ID"),
    Setting("strict", ("--strict",), "An inconclusive check (one that lacked the evidence its rule "
            "needs) fails the gate: exit 1. Without it inconclusive checks are shown but exit 0.",
            ("run",), type=BOOL, default=False, flag=True),
    Setting("baseline_path", ("--baseline",), "Known failures (docs/ci.md): a listed failure is reported "
            "as known and does not fail the gate; an unlisted one does, and so does a listed check that "
            "now passes (stale entry).", ("run",), metavar="FILE"),
    Setting("update_baseline", ("--update-baseline",), "Write the run's failures to FILE (keeping the "
            "reasons FILE already gives).", ("run",), metavar="FILE"),
    Setting("require_coverage", ("--require-coverage",), "Fail (exit 1) when a documented error code was "
            "neither triggered nor seen; codes the registry gives no documented cause are excused and "
            "listed.", ("run",), type=BOOL, default=False, flag=True),
    Setting("report_json", ("--report-json",), "Write the JSON report (schema: report.schema.json).",
            ("run",), metavar="PATH"),
    Setting("junitxml", ("--junitxml",), "Write a JUnit XML report (one testcase per check).", ("run",),
            metavar="PATH"),
    Setting("html_path", ("--html",), "Write a self-contained HTML report.", ("run",), metavar="PATH"),
    Setting("verbose", ("-v", "--verbose"), "List every skipped check and who triggered each code.",
            ("run",), type=BOOL, default=False, flag=True),
    Setting("color", ("--color/--no-color",), "Colour the output (default: when on a terminal).", ("run",),
            type=BOOL, flag=True),
    # record
    Setting("out", ("--out",), "Directory for the cassettes (one per check) and recording.json; with "
            "--api all, one subdirectory per API.", ("record",), metavar="DIR", required=True),
    # serve: the reference server (its [reference] config table is read by reference/config.py).
    Setting("api", ("--api",), "Which API to serve (all: the three on one port).", ("serve",),
            default="all", show_default=True, choices="api", row="serve.api"),
    Setting("host", ("--host",), "Address to listen on.", ("serve",), default="127.0.0.1",
            show_default=True),
    Setting("port", ("--port",), "Port to listen on.", ("serve",), type=ValueType("int", 0, 65535),
            default=8000, show_default=True),
    Setting("profile", ("--profile",), "Variant the server follows where the Convoso documents disagree. "
            "Default: community.", ("serve",), choices="server_profile", row="serve.profile"),
    Setting("db", ("--db",), "SQLite file (default: in memory).", ("serve",), metavar="PATH"),
    Setting("seed_records", ("--seed-records",), "Records seeded into an empty database.", ("serve",),
            type=ValueType("int", 0), metavar="N"),
    Setting("token", ("--token",), "Convoso auth_token / Avaamo access-token the server accepts.",
            ("serve",), secret=True, metavar="TOKEN", row="serve.token"),
    Setting("realm", ("--realm",), "WhatCounts realm the server accepts.", ("serve",), metavar="REALM",
            row="serve.realm"),
    Setting("password", ("--password",), "WhatCounts password the server accepts.", ("serve",),
            secret=True, metavar="PASSWORD", row="serve.password"),
    Setting("sender_codes", ("--sender-code",), "WhatCounts sender code the server accepts. Repeatable.",
            ("serve",), multiple=True, metavar="CODE"),
    Setting("config_path", ("--config",), "TOML file; its [reference] table (or top level) sets the "
            "server's settings.", ("serve",), metavar="PATH", row="serve.config_path"),
    Setting("fault", ("--fault",), "Serve a faulty variant from the catalog (see `optout-conformance "
            "faults`).", ("serve",), metavar="NAME"),
    # discrepancies, faults
    Setting("api", ("--api",), "Only this API's entries.", ("discrepancies",), choices="api",
            row="discrepancies.api"),
    Setting("fmt", ("--format",), "Output format.", ("discrepancies",), default="table",
            show_default=True, metavar="table|markdown|json"),
    Setting("api", ("--api",), "Only this API's entries.", ("faults",), default="all", choices="api",
            row="faults.api"),
    # compare
    Setting("markdown_path", ("--markdown",), "Write the matrix as Markdown (appended when PATH is "
            "$GITHUB_STEP_SUMMARY).", ("compare",), metavar="PATH"),
    Setting("html_path", ("--html",), "Write the matrix as one HTML page.", ("compare",), metavar="PATH",
            row="compare.html_path"),
    Setting("badges_dir", ("--badges",), "Write a shields.io endpoint JSON per target and API into DIR.",
            ("compare",), metavar="DIR"),
    Setting("baseline_path", ("--baseline",), "Known-failure baseline: listed failures show as known, "
            "listed passes as stale.", ("compare",), metavar="FILE", row="compare.baseline_path"),
    # detect, baseline (the fault catalog)
    Setting("api", ("--api",), "Run the entries of this API only.", ("detect", "baseline"), default="all",
            show_default=True, choices="api", row="faults.run.api"),
    Setting("names", ("--fault",), "Run only this catalog entry (repeatable; see `optout-conformance "
            "faults`).", ("detect", "baseline"), multiple=True, metavar="NAME"),
    Setting("workers", ("--workers",), "Entries run at once, each in its own process.", ("detect",),
            type=ValueType("int", 1, 16), default=1, show_default=True, metavar="N", row="detect.workers"),
    Setting("json_path", ("--json",), "Also write the results as JSON.", ("detect", "baseline"),
            metavar="PATH"),
    Setting("sweep", ("--sweep",), "Run the covering array of generated faithful servers instead of the "
            "catalog: every pair of two open points' realizations in at least one server, per API "
            "(Convoso on both server profiles, each run in auto and its pinned profile).", ("detect",),
            type=BOOL, default=False, flag=True),
    Setting("singles", ("--singles",), "Run one generated server per realization that differs from the "
            "reference (what attributes a sweep row's false alarm to one choice).", ("detect",),
            type=BOOL, default=False, flag=True),
    Setting("max_examples", ("--max-examples",), "Schemathesis' --max-examples per operation.",
            ("baseline",), type=ValueType("int", 1, 1000), default=25, show_default=True, metavar="N",
            row="baseline.max_examples"),
    # validate
    Setting("profile", ("--profile",), "Variant to hold replies to where the Convoso documents disagree "
            "(auto and lenient: any documented variant).", ("validate",), default="auto",
            show_default=True, choices="profile", row="validate.profile"),
    Setting("skip_requests", ("--skip-requests",), "Judge only the replies (for recordings of this "
            "suite: its negative probes break the request rules on purpose).", ("validate",), type=BOOL,
            default=False, flag=True),
    Setting("no_notes", ("--no-notes",), "Show violations only.", ("validate",), type=BOOL, default=False,
            flag=True),
    # proxy
    Setting("api", ("--api",), "The API the client talks to.", ("proxy",), choices="one_api",
            required=True, row="proxy.api"),
    Setting("upstream", ("--upstream",), "The API's base URL (…/v1, …/bin, …/api/v2; a host root gets the "
            "API's base path), or `reference` for an embedded reference server.", ("proxy",),
            metavar="URL|reference", required=True),
    Setting("port", ("--port",), "Port on 127.0.0.1.", ("proxy",), type=ValueType("int", 0, 65535),
            default=8080, show_default=True, row="proxy.port"),
    Setting("out", ("--out",), "Write violations.json and the traffic as a vcrpy cassette (proxy.yaml) "
            "here.", ("proxy",), metavar="DIR", row="proxy.out"),
    Setting("profile", ("--profile",), "Variant replies are held to (auto: any documented variant); "
            "with `--upstream reference` also the server's profile (official, else community).",
            ("proxy",), default="auto", show_default=True, choices="profile", row="proxy.profile"),
    Setting("token", ("--token",), "A credential to scrub from the cassette even if no request carries "
            "it (credentials seen in requests are always scrubbed).", ("proxy",), secret=True,
            metavar="TOKEN", row="proxy.token"),
    Setting("timeout", ("--timeout",), "Deadline of each upstream request (connect, headers and body); "
            "an upstream that misses it is answered 504.", ("proxy",), type=POSITIVE,
            default=DEFAULT_TIMEOUT, show_default=True, metavar="SECONDS", row="proxy.timeout"),
)

ROWS: dict[str, Setting] = {row.row: row for row in TABLE}
if len(ROWS) != len(TABLE):  # pragma: no cover - a table edit that reuses a row id
    raise RuntimeError("settings: two rows share an id")

COMMANDS: tuple[str, ...] = tuple(dict.fromkeys(command for row in TABLE for command in row.commands))


def rows_for(command: str) -> tuple[Setting, ...]:
    """The rows of one command, in table order."""
    return tuple(row for row in TABLE if command in row.commands)


def setting(command: str, dest: str) -> Setting:
    """The row giving ``command`` its parameter ``dest``."""
    for row in rows_for(command):
        if row.dest == dest:
            return row
    raise KeyError(f"{command} has no setting {dest}")


def config_rows(table: str) -> dict[str, Setting]:
    """Config-file key -> row, for one table of the file (``run``, ``credentials``)."""
    return {row.config_key.split(".")[1]: row for row in TABLE
            if row.config_key and row.config_key.split(".")[0] == table}


def env_names() -> tuple[str, ...]:
    """Every environment variable the table reads, in table order."""
    return tuple(dict.fromkeys(row.env for row in TABLE if row.env))


def precedence_help() -> str:
    short = ", ".join(name if i == 0 else name.removeprefix(ENV_PREFIX[:-1])
                      for i, name in enumerate(env_names()))
    return (f"Precedence: command line > environment ({short}) > config file (--config) > embedded "
            "reference server. Targets come whole from the first source naming any.")


# -- click -------------------------------------------------------------------------------------


def click_option(row: Setting, choices: Mapping[str, Sequence[str]] | None = None) -> Callable[[F], F]:
    """The click option of one row."""
    kwargs: dict[str, Any] = {
        "help": row.full_help(), "metavar": row.metavar_for(choices or {}), "multiple": row.multiple,
        "required": row.required, "show_default": row.show_default and not row.secret,
    }
    if row.flag:
        kwargs.update(is_flag="/" not in row.flags[0] or None, default=row.default)
        if kwargs["is_flag"] is None:
            del kwargs["is_flag"]
        del kwargs["metavar"]
    else:
        kwargs.update(type=row.type.click_type(), default=row.default)
    return click.option(*row.flags, row.dest, **kwargs)


def click_options(command: str, choices: Mapping[str, Sequence[str]] | None = None) -> Callable[[F], F]:
    """Decorator adding every option of ``command`` from the table, in table order."""
    options = [click_option(row, choices) for row in rows_for(command)]

    def apply(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return apply


def given_on_command_line(ctx: click.Context) -> frozenset[str]:
    """The parameters the command line gave, decided by click's parameter source (a value equal to
    the default, typed out, is given; an option left out is not)."""
    return frozenset(
        name for name in ctx.params
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    )


# -- environment and config file -----------------------------------------------------------------


def parse_env(row: Setting, environ: Mapping[str, str]) -> Any:
    """The row's value from the environment, typed; None when the variable is unset or empty.
    A value of the wrong type is a UsageError naming the variable and the type (not a secret)."""
    if not row.env:
        return None
    text = environ.get(row.env, "")
    if not text:
        return None
    try:
        return row.type.parse(text)
    except ValueError:
        shown = "" if row.secret else f", got {text!r}"
        raise UsageError(f"environment variable {row.env} must be {row.type.describe()}{shown}") from None


def check_config_value(file: object, row: Setting, value: Any) -> Any:
    """``value`` when it has the row's type; otherwise a ConfigError naming the file, the key and the
    type expected (never a secret's value)."""
    if not row.type.accepts(value):
        table, key = (row.config_key or ".").split(".")
        shown = "" if row.secret else f", got {value!r}"
        raise ConfigError(f"config file {file} [{table}]: {key} must be {row.type.describe()}{shown}")
    return value


def unknown_key_hint(unknown: Iterable[str], valid: Collection[str]) -> str:
    """``valid keys: …``, preceded by the closest valid key of each unknown one."""
    guesses = [f"{name} -> {match[0]}" for name in unknown
               if (match := difflib.get_close_matches(name, list(valid), n=1))]
    closest = f"did you mean {', '.join(guesses)}? " if guesses else ""
    return f"{closest}valid keys: {', '.join(valid)}"


def resolve(
    row: Setting,
    cli_value: Any,
    *,
    given: Collection[str],
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
) -> Any:
    """command line (when given) > environment > config file (already checked) > the row's default."""
    if row.dest in given:
        return cli_value
    from_env = parse_env(row, environ)
    if from_env is not None:
        return from_env
    key = row.config_key.split(".")[1] if row.config_key else None
    if key is not None and key in file_values:
        return file_values[key]
    return row.default


# -- pytest --------------------------------------------------------------------------------------


PYTEST_GROUP = "optout-conformance"


def pytest_rows() -> tuple[Setting, ...]:
    return tuple(row for row in TABLE if row.pytest_flag)


def pytest_group_help() -> str:
    return ("conformance suite target (tests/conformance). "
            + precedence_help().replace("(--config)", "(--conformance-config)"))


def add_pytest_options(group: Any, choices: Mapping[str, Sequence[str]] | None = None) -> None:
    """Add the table's pytest options to a pytest ``OptionGroup`` (or ``Parser``): ``getoption`` then
    reads each under its pytest flag (``config.getoption("--target")``)."""
    for row in pytest_rows():
        flag = row.pytest_flag
        assert flag is not None
        metavar = row.metavar_for(choices or {})
        if row.flag:
            dest = flag.removeprefix("--").replace("-", "_")
            # default None: "not given" stays visible to given_pytest_options (None is false, as before)
            group.addoption(flag, action="store_true", dest=dest, default=None, help=row.full_help())
            off = [name for name in row.long_flags if name.startswith("--no-")]
            for name in off:
                group.addoption(name, action="store_false", dest=dest, help=f"Switch {flag} off.")
        elif row.multiple:
            group.addoption(flag, action="append", default=[], metavar=metavar, help=row.full_help())
        else:
            kwargs: dict[str, Any] = {"default": row.default, "help": row.full_help()}
            if metavar:
                kwargs["metavar"] = metavar
            if row.type.python_type():
                kwargs["type"] = row.type.python_type()
            group.addoption(flag, **kwargs)


def given_pytest_options(getoption: Callable[[str], Any]) -> frozenset[str]:
    """The settings (by ``dest``) the pytest command line gave: an option left out keeps its
    default None (or [] when repeatable)."""
    return frozenset(row.dest for row in pytest_rows()
                     if getoption(row.pytest_flag or "") not in (None, []))
