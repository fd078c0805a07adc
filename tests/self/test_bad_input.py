"""Bad input gets one line and exit 2, never a traceback: each case through the installed command.

The command runs as a real process (``python -m optout_conformance``-equivalent console script),
so the exit status, stdout and stderr are the ones a user or a CI job sees.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COMMAND = shutil.which("optout-conformance") or str(Path(sys.executable).parent / "optout-conformance")
CLOSED_PORT = "http://127.0.0.1:9"


def invoke(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PATH": str(Path(sys.executable).parent), "HOME": str(cwd)})


def assert_one_line_usage_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 2, nothing on stdout, stderr = one ``error:`` line (and at most a ``hint:``)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "", result.stdout
    assert "Traceback" not in result.stderr
    first, *rest = result.stderr.strip().splitlines()
    assert first.startswith("error: "), result.stderr
    assert all(line.startswith("hint: ") for line in rest) and len(rest) <= 1, result.stderr
    for text in expected:
        assert text in first, first


def test_html_report_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    result = invoke("run", "--api", "convoso", "--html", "reports", cwd=tmp_path)
    assert_one_line_usage_error(result, "--html reports: is a directory")


def test_config_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_bytes(b"[run]\nprofile = \"\xff\xfe\"\n")
    result = invoke("run", "--config", "bad.toml", cwd=tmp_path)
    assert_one_line_usage_error(result, "cannot read config file bad.toml: not UTF-8 text")


def test_serve_db_in_a_missing_directory(tmp_path: Path) -> None:
    result = invoke("serve", "--port", "0", "--db", "missing/ref.sqlite3", cwd=tmp_path)
    assert_one_line_usage_error(result, "directory missing does not exist")


def test_serve_db_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = invoke("serve", "--port", "0", "--db", "data", cwd=tmp_path)
    assert_one_line_usage_error(result, "cannot use database data: it is a directory")


def test_serve_db_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("just some notes, not a database\n")
    result = invoke("serve", "--port", "0", "--db", "notes.db", cwd=tmp_path)
    assert_one_line_usage_error(result, "cannot use database notes.db: not an SQLite database")
    assert (tmp_path / "notes.db").read_text() == "just some notes, not a database\n"


def test_record_out_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "rec").write_text("a file\n")
    result = invoke("record", "--api", "convoso", "--out", "rec", cwd=tmp_path)
    assert_one_line_usage_error(result, "--out rec: exists and is not a directory")


@pytest.mark.parametrize(("line", "message"), [
    ('workers = "2"', "workers must be an integer from 1 to 32, got '2'"),
    ("workers = 0", "workers must be an integer from 1 to 32, got 0"),
    ("rate = -5", "rate must be a number > 0, got -5"),
    ("timeout = 0", "timeout must be a number > 0, got 0"),
    ('allow_writes = "false"', "allow_writes must be true or false, got 'false'"),
    ("profile = 3", "profile must be a string, got 3"),
])
def test_run_config_value_of_the_wrong_type_or_range(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "run.toml").write_text(f"[run]\n{line}\n")
    result = invoke("run", "--config", "run.toml", cwd=tmp_path)
    assert_one_line_usage_error(result, "config file run.toml [run]: " + message)


def test_credentials_config_value_of_the_wrong_type(tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text("[credentials]\ntoken = 12345678\n")
    result = invoke("run", "--config", "run.toml", cwd=tmp_path)
    assert_one_line_usage_error(result, "config file run.toml [credentials]: token must be a string")
    assert "12345678" not in result.stderr  # a secret's value is never echoed


@pytest.mark.parametrize(("line", "message"), [
    ("token = 5", "token must be a string, got 5"),
    ("seed_records = -1", "seed_records must be an integer >= 0, got -1"),
    ('seed_records = "10"', "seed_records must be an integer >= 0, got '10'"),
    ("max_body_bytes = 0", "max_body_bytes must be an integer >= 1, got 0"),
])
def test_reference_config_value_of_the_wrong_type(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "ref.toml").write_text(f"[reference]\n{line}\n")
    result = invoke("serve", "--port", "0", "--config", "ref.toml", cwd=tmp_path)
    assert_one_line_usage_error(result, "config file ref.toml [reference]: " + message)


def test_validate_of_an_empty_directory_has_nothing_to_validate(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("validate", "empty", cwd=tmp_path)
    assert_one_line_usage_error(result, "nothing to validate")


def test_validate_of_a_truncated_gzip_cassette(tmp_path: Path) -> None:
    truncated = gzip.compress(b'{"success": true, "offset": 0, "limit": 1, "total": 0, "records": []}')[:20]
    cassette = {"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "http://127.0.0.1/v1/sms-opt-out/search",
                    "body": "limit=1", "headers": {"Content-Type": ["application/x-www-form-urlencoded"]}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["GZIP"]},
                     "body": {"string": truncated}}}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cassette))
    for command in (["validate", "c.yaml"], ["diff", "c.yaml", "c.yaml"]):
        result = invoke(*command, cwd=tmp_path)
        assert_one_line_usage_error(result, "cannot read cassette c.yaml interaction 1: body is GZIP")


def test_non_ascii_avaamo_token(tmp_path: Path) -> None:
    result = invoke("run", "--api", "avaamo", "--target", CLOSED_PORT + "/api/v2", "--token", "tökén-välue",
                    cwd=tmp_path)
    assert_one_line_usage_error(result, "the token must be printable ASCII")


def test_token_too_short_to_redact(tmp_path: Path) -> None:
    result = invoke("run", "--api", "convoso", "--target", CLOSED_PORT + "/v1", "--token", "abc",
                    cwd=tmp_path)
    assert_one_line_usage_error(result, "the token is too short to redact safely (3 characters, minimum 8)")


def test_proxy_port_in_use_prints_no_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = invoke("proxy", "--api", "convoso", "--upstream", "reference", "--port", port, cwd=tmp_path)
    assert_one_line_usage_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_diff_of_two_empty_directories_has_nothing_to_compare(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = invoke("diff", "a", "b", cwd=tmp_path)
    assert_one_line_usage_error(result, "nothing to compare")


def test_report_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file\n")
    result = invoke("run", "--api", "convoso", "--report-json", "notes/report.json", cwd=tmp_path)
    assert_one_line_usage_error(result, "--report-json notes/report.json: notes is not a directory")
