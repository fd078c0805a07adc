"""The settings table (settings.py): every command's options and the pytest options come from it;
command line > environment > config file > default, decided by click's parameter source; typed
config and environment values; secrets shown nowhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from optout_conformance import settings as table
from optout_conformance.cli import cli
from optout_conformance.config import CREDENTIAL_KEYS, RUN_FILE_KEYS, RawSettings, resolve_settings
from optout_conformance.core import http

ROOT = Path(__file__).resolve().parents[2]
# One quick read-only check against the embedded server: enough for the run's options to be reported.
QUICK_CHECK = "convoso.pagination.page_past_the_end_is_empty"
SECRET = "s3cret-value-never-shown"


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    """The real CLI, with every OPTOUT_CONFORMANCE_ variable of the surrounding shell cleared."""
    environ: dict[str, str | None] = dict.fromkeys(table.env_names())
    environ.update(env or {})
    return CliRunner().invoke(cli, args, env=environ)


def run_options(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """The options a real ``run`` used, as its JSON report records them."""
    report = tmp_path / "report.json"
    result = invoke(["run", "--api", "convoso", "--check", QUICK_CHECK, "--report-json", str(report),
                     *args], env)
    assert result.exit_code == 0, result.output + result.stderr
    options: dict[str, Any] = json.loads(report.read_text())["options"]
    return options


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conformance.toml"
    path.write_text(text, encoding="utf-8")
    return path


def option_params(command: click.Command) -> dict[str, click.Option]:
    return {param.name or "": param for param in command.params if isinstance(param, click.Option)}


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_each_commands_options_are_exactly_the_tables_rows_for_that_command(name: str) -> None:
    command = cli.commands[name]
    params = option_params(command)
    rows = table.rows_for(name)
    assert set(params) == {row.dest for row in rows}
    for row in rows:
        option = params[row.dest]
        assert set(option.opts + option.secondary_opts) == set(row.long_flags) | {
            flag for flag in row.flags if not flag.startswith("--")}
        assert option.multiple == row.multiple
        assert option.required == row.required
        assert (option.help or "").startswith(row.help)
        if not row.required and not row.flag:
            assert option.default == row.default


def test_every_command_the_table_names_is_a_command_of_the_cli() -> None:
    assert set(table.COMMANDS) <= set(cli.commands)
    assert {"run", "serve", "detect", "record", "validate", "proxy", "compare"} <= set(table.COMMANDS)


def test_the_config_files_run_and_credentials_keys_are_the_tables_config_keys() -> None:
    assert set(RUN_FILE_KEYS) == {"profile", "allow_writes", "rate", "timeout", "workers", "deadline"}
    assert set(CREDENTIAL_KEYS) == {"token", "realm", "password", "sender_code"}
    for key in RUN_FILE_KEYS:
        assert table.config_rows("run")[key].config_key == f"run.{key}"


def test_the_tables_defaults_are_the_runners_defaults() -> None:
    assert table.ROWS["timeout"].default == http.DEFAULT_TIMEOUT
    assert table.ROWS["deadline"].default == http.DEFAULT_RUN_DEADLINE


def test_workers_1_and_timeout_10_on_the_command_line_override_a_config_files_workers_4_and_timeout_2_5(
    tmp_path: Path,
) -> None:
    config = config_file(tmp_path, "[run]\nworkers = 4\ntimeout = 2.5\n")
    options = run_options(tmp_path, ["--config", str(config), "--workers", "1", "--timeout", "10"])
    assert (options["workers"], options["timeout"]) == (1, 10.0)


def test_no_allow_writes_switches_off_a_config_files_allow_writes(tmp_path: Path) -> None:
    config = config_file(tmp_path, "[run]\nallow_writes = true\n")
    assert run_options(tmp_path, ["--config", str(config), "--no-allow-writes"])["allow_writes"] is False
    assert run_options(tmp_path, ["--config", str(config)])["allow_writes"] is True


def test_a_config_file_fills_what_the_command_line_leaves_out(tmp_path: Path) -> None:
    config = config_file(tmp_path, "[run]\nworkers = 4\ntimeout = 2.5\nrate = 50\nallow_writes = true\n")
    options = run_options(tmp_path, ["--config", str(config)])
    assert (options["workers"], options["timeout"], options["rate"], options["allow_writes"]) == (
        4, 2.5, 50.0, True)


def test_the_environment_beats_the_config_file_and_the_command_line_beats_the_environment(
    tmp_path: Path,
) -> None:
    config = config_file(tmp_path, "[run]\nworkers = 4\nallow_writes = true\n")
    env = {"OPTOUT_CONFORMANCE_WORKERS": "3", "OPTOUT_CONFORMANCE_ALLOW_WRITES": "false"}
    from_env = run_options(tmp_path, ["--config", str(config)], env)
    assert (from_env["workers"], from_env["allow_writes"]) == (3, False)
    from_cli = run_options(tmp_path, ["--config", str(config), "--workers", "1", "--allow-writes"], env)
    assert (from_cli["workers"], from_cli["allow_writes"]) == (1, True)


def test_a_value_equal_to_the_default_given_on_the_command_line_counts_as_given() -> None:
    seen: dict[str, frozenset[str]] = {}

    @click.command()
    @table.click_options("run")
    def probe(**_: Any) -> None:
        seen["given"] = table.given_on_command_line(click.get_current_context())

    CliRunner().invoke(probe, ["--workers", "1", "--timeout", "10", "--no-allow-writes"],
                       catch_exceptions=False)
    assert {"workers", "timeout", "allow_writes"} <= seen["given"]
    CliRunner().invoke(probe, [], catch_exceptions=False)
    assert seen["given"] == frozenset()


BAD_CONFIG_VALUES = [
    ("run", "allow_writes", '"false"', "true or false"),
    ("run", "allow_writes", "1", "true or false"),
    ("run", "workers", '"4"', "an integer from 1 to 32"),
    ("run", "workers", "0", "an integer from 1 to 32"),
    ("run", "workers", "33", "an integer from 1 to 32"),
    ("run", "workers", "2.5", "an integer from 1 to 32"),
    ("run", "timeout", "0", "a number > 0"),
    ("run", "timeout", '"2.5"', "a number > 0"),
    ("run", "rate", "-1", "a number > 0"),
    ("run", "rate", "nan", "a number > 0"),
    ("run", "deadline", "true", "a number > 0"),
    ("run", "profile", "3", "a string"),
    ("credentials", "realm", "7", "a string"),
    ("credentials", "sender_code", "1.5", "a string or an integer"),
]


@pytest.mark.parametrize(("section", "key", "value", "expected"), BAD_CONFIG_VALUES)
def test_a_config_value_of_the_wrong_type_is_one_line_naming_the_key_the_file_and_the_type(
    tmp_path: Path, section: str, key: str, value: str, expected: str
) -> None:
    config = config_file(tmp_path, f"[{section}]\n{key} = {value}\n")
    result = invoke(["run", "--config", str(config)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"config file {config} [{section}]: {key} must be" in lines[0]
    assert f"must be {expected}" in lines[0]
    assert "Traceback" not in result.output + result.stderr


BAD_ENV_VALUES = [
    ("OPTOUT_CONFORMANCE_WORKERS", "abc", "an integer from 1 to 32"),
    ("OPTOUT_CONFORMANCE_WORKERS", "40", "an integer from 1 to 32"),
    ("OPTOUT_CONFORMANCE_TIMEOUT", "0", "a number > 0"),
    ("OPTOUT_CONFORMANCE_RATE", "fast", "a number > 0"),
    ("OPTOUT_CONFORMANCE_DEADLINE", "inf", "a number > 0"),
    ("OPTOUT_CONFORMANCE_ALLOW_WRITES", "maybe", "true or false"),
]


@pytest.mark.parametrize(("variable", "value", "expected"), BAD_ENV_VALUES)
def test_an_environment_value_of_the_wrong_type_is_one_line_naming_the_variable_and_the_type(
    variable: str, value: str, expected: str
) -> None:
    result = invoke(["run"], {variable: value})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: environment variable {variable} must be {expected}, got {value!r}"]


@pytest.mark.parametrize(("text", "value"), [("true", True), ("1", True), ("Yes", True), ("off", False),
                                             ("false", False), ("0", False)])
def test_a_boolean_environment_value_is_read_as_a_boolean_not_as_any_non_empty_text(
    text: str, value: bool
) -> None:
    assert table.parse_env(table.ROWS["allow_writes"], {"OPTOUT_CONFORMANCE_ALLOW_WRITES": text}) is value


def test_an_unknown_config_key_is_an_error_naming_the_closest_valid_key(tmp_path: Path) -> None:
    config = config_file(tmp_path, "[run]\nworker = 4\n")
    result = invoke(["run", "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown key(s) in [run]: worker" in result.stderr
    assert "did you mean worker -> workers?" in result.stderr


def test_secrets_appear_in_no_help_default_no_repr_and_no_error(tmp_path: Path) -> None:
    env = {"OPTOUT_CONFORMANCE_TOKEN": SECRET, "OPTOUT_CONFORMANCE_PASSWORD": SECRET}
    for name in table.COMMANDS:
        result = invoke([name, "--help"], env)
        assert result.exit_code == 0
        assert SECRET not in result.output
    for row in table.TABLE:
        if row.secret:
            assert not row.show_default
    assert SECRET not in repr(RawSettings(token=SECRET, password=SECRET))
    config = config_file(tmp_path, f'[credentials]\ntoken = ["{SECRET}"]\npassword = ["{SECRET}"]\n')
    result = invoke(["run", "--config", str(config)])
    assert result.exit_code == 2
    assert "[credentials]: token must be a string" in result.stderr
    assert SECRET not in result.output + result.stderr


def test_record_takes_allow_writes_and_timeout_from_the_same_rows_as_run() -> None:
    assert table.setting("record", "allow_writes") is table.setting("run", "allow_writes")
    assert table.setting("record", "timeout") is table.setting("run", "timeout")


def test_pytest_help_shows_the_tables_pytest_options() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    text = " ".join(completed.stdout.split())
    section = text[text.index("conformance suite target"):]
    rows = table.pytest_rows()
    assert {row.pytest_flag for row in rows} == {
        "--target", "--api", "--profile", "--token", "--realm", "--password", "--sender-code",
        "--allow-writes", "--conformance-config"}
    for row in rows:
        assert f"{row.pytest_flag} " in section or f"{row.pytest_flag}=" in section
        assert " ".join(row.help.split()[:4]) in section, row.row
    assert "--no-allow-writes" in section


def test_pytest_options_resolve_to_the_same_settings_as_the_command_line() -> None:
    import argparse

    parser = argparse.ArgumentParser()

    class Group:
        def addoption(self, *names: str, **kwargs: Any) -> None:
            parser.add_argument(*names, **kwargs)

    table.add_pytest_options(Group())
    values = vars(parser.parse_args(["--target", "http://127.0.0.1:9/v1", "--api", "convoso",
                                     "--token", "t0ken-long", "--no-allow-writes"]))
    assert values["allow_writes"] is False
    assert table.given_pytest_options(lambda flag: values[flag.removeprefix("--").replace("-", "_")]) == {
        "targets", "api", "token", "allow_writes"}
    raw = RawSettings(targets=tuple(values["target"]), token=values["token"])
    settings = resolve_settings(raw, api=values["api"], environ={})
    assert settings.targets == {"convoso": "http://127.0.0.1:9/v1"}
