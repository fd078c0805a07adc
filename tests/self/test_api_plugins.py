"""A fourth API, installed as a separate package, is found and served like the built-in three.

``tests/plugins/fourth_api`` is a real distribution (its own pyproject.toml and entry point in
the group ``optout_conformance.apis``); it is installed with pip into a temporary directory and
every command runs as a subprocess with that directory on PYTHONPATH. No file outside the plugin
names it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PLUGIN = REPOSITORY / "tests" / "plugins" / "fourth_api"
COMMAND = shutil.which("optout-conformance") or str(Path(sys.executable).parent / "optout-conformance")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("fourth-api")
    build = tmp_path_factory.mktemp("fourth-api-source") / "fourth_api"
    shutil.copytree(PLUGIN, build)  # pip builds in place: keep the checkout clean
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(build)], check=True, capture_output=True)
    return target


def environment(path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTOUT_CONFORMANCE_")}
    env["PYTHONPATH"] = str(path)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli(path: Path, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *arguments], capture_output=True, text=True, env=environment(path),
                          cwd=cwd, timeout=300)


def test_the_installed_plugin_is_one_of_the_apis(installed: Path) -> None:
    result = cli(installed, "run", "--help")
    assert result.returncode == 0
    assert "convoso|whatcounts|avaamo|fourth|all" in result.stdout


def test_run_checks_the_plugin_api_against_its_own_reference_service(installed: Path) -> None:
    result = cli(installed, "run", "--api", "fourth")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 inconclusive, 0 failed" in result.stdout


def test_detect_catches_the_plugin_fault_by_the_check_it_names(installed: Path) -> None:
    result = cli(installed, "detect", "--api", "fourth")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"fourth-api-key-not-checked\s+fourth\s+detected", result.stdout)
    assert "detected 1/1 faults" in result.stdout


def test_record_then_validate_the_plugin_api_cassettes(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "cassettes"
    recorded = cli(installed, "record", "--api", "fourth", "--out", str(out))
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    cassettes = sorted(out.glob("fourth.*.yaml"))
    assert [c.name for c in cassettes] == ["fourth.auth.no_status_without_a_valid_api_key.yaml",
                                           "fourth.shapes.status_reply_has_phone_and_opted_out.yaml"]
    assert "reference-token" not in "".join(c.read_text() for c in cassettes)  # the api_key is scrubbed
    validated = cli(installed, "validate", "--skip-requests", *map(str, cassettes))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "0 violation(s)" in validated.stdout
    # Judging the requests too, the missing api_key of the auth check's probe breaks the plugin's spec.
    strict = cli(installed, "validate", *map(str, cassettes))
    assert strict.returncode == 1
    assert "api_key: required query parameter missing (fourth_status.txt)" in strict.stdout


@pytest.fixture
def served(installed: Path) -> Iterator[str]:
    process = subprocess.Popen([COMMAND, "serve", "--api", "fourth", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=environment(installed))
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            match = re.search(r"fourth\s+(http://127\.0\.0\.1:\d+/fourth)", line)
            url = match.group(1) if match else None
        assert url, "serve printed no base URL for the fourth API"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_answers_the_plugin_api_over_http(served: str) -> None:
    for _ in range(50):
        try:
            reply = httpx.get(f"{served}/status.json",
                              params={"phone": "2065550100", "api_key": "reference-token"})
            break
        except httpx.ConnectError:
            time.sleep(0.1)
    assert reply.status_code == 200
    assert reply.json() == {"phone": "2065550100", "opted_out": True}
    assert httpx.get(f"{served}/status.json", params={"phone": "2065550100"}).status_code == 401


def test_the_plugin_checks_cite_its_own_source_document(installed: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                             str(REPOSITORY / "tests" / "self" / "test_citations.py"),
                             "-k", "every_citation or at_least_one"],
                            capture_output=True, text=True, env=environment(installed), cwd=REPOSITORY,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_plugin_that_fails_to_load_is_one_line_naming_its_entry_point(tmp_path: Path) -> None:
    info = tmp_path / "broken_api-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-api\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[optout_conformance.apis]\nbroken = no_such_module_here:DEFINITION\n")
    result = cli(tmp_path, "run", "--api", "all")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: API entry point 'broken' (no_such_module_here:DEFINITION) failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    ]
    assert "Traceback" not in result.stdout + result.stderr
