"""Recording: scrubbed cassettes that vcrpy loads, a manifest, and replay matching the live run.

Security: recording against targets with distinctive credentials leaves the credential strings
nowhere under the output directory (every file is searched, raw and URL-encoded), also when the
target echoes them back in its replies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

import pytest
import vcr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from optout_conformance.cassettes.record import record
from optout_conformance.cassettes.replay import replay
from optout_conformance.cassettes.scenarios import FINGERPRINT_CASSETTE, MANIFEST, Manifest
from optout_conformance.core.context import Credentials
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

TOKEN = "tok-Zq81x/Distinctive+Secret"
PASSWORD = "pw-Distinctive Secret&42"
CREDENTIALS = Credentials(token=TOKEN, realm="acme-realm", password=PASSWORD, sender_code="120162701555")


def leaked(directory: Path) -> list[str]:
    """Files holding a credential: raw, or once any percent-encoding (or + for space) is undone."""
    found = []
    for path in (p for p in directory.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for readable in (text, unquote(text), unquote_plus(text)):
            found += [f"{path.name}: {secret}" for secret in (TOKEN, PASSWORD) if secret in readable]
    return found


@pytest.fixture(scope="module")
def reference() -> Iterator[EmbeddedServer]:
    config = ReferenceConfig(token=TOKEN, realm="acme-realm", password=PASSWORD, seed_records=150)
    with EmbeddedServer(create_app(config)) as server:
        yield server


async def echo(request: Request) -> Response:
    """Echoes every credential it is sent, in the body and in a header (a careless target)."""
    body = (await request.body()).decode()
    echoed = f"{request.url.query} {body} {request.headers.get('access-token', '')}"
    headers = {"x-echo": quote(echoed.strip())[:1000] or "-"}
    if request.url.path.startswith("/bin"):
        return PlainTextResponse(f"FAILURE: {echoed}", headers=headers)
    return JSONResponse({"success": False, "error": echoed, "records": []}, headers=headers)


@pytest.fixture(scope="module")
def echoing() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])) as server:
        yield server


@pytest.mark.parametrize("api", ["convoso", "whatcounts", "avaamo"])
def test_recording_with_real_credentials_leaves_them_nowhere_and_replays_as_live(
    api: str, reference: EmbeddedServer, tmp_path: Path
) -> None:
    recording = record(api, tmp_path, target=reference.url(api), credentials=CREDENTIALS, profile="community")
    assert {r.status for r in recording.results} == {"passed"}, [
        (r.id, r.rule) for r in recording.results if r.status != "passed"]
    assert leaked(tmp_path) == []
    assert (tmp_path / MANIFEST).exists() and (tmp_path / FINGERPRINT_CASSETTE).exists()
    replayed = replay(tmp_path)
    assert replayed.mismatches() == []
    assert Manifest.load(tmp_path).realm == "acme-realm"


@pytest.mark.parametrize("api", ["convoso", "whatcounts", "avaamo"])
def test_a_target_echoing_credentials_in_replies_leaves_them_nowhere(
    api: str, echoing: EmbeddedServer, tmp_path: Path
) -> None:
    record(api, tmp_path, target=echoing.url(api), credentials=CREDENTIALS, profile="lenient")
    assert leaked(tmp_path) == []
    assert any(tmp_path.glob(f"{api}.*.yaml"))


def test_recorded_cassettes_load_in_vcrpy_and_replay_a_request(tmp_path: Path) -> None:
    record("whatcounts", tmp_path)
    import httpx

    cassette = next(tmp_path.glob("whatcounts.*.yaml"))
    recorder = vcr.VCR(record_mode="none", match_on=("method", "path"))
    with recorder.use_cassette(str(cassette)) as loaded, httpx.Client() as client:
        first = loaded.requests[0]
        reply = client.request(first.method, "http://elsewhere.invalid" + first.path)
    assert reply.status_code == 200
    assert reply.text.startswith(("SUCCESS:", "FAILURE:"))


def test_recording_twice_gives_the_same_requests(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    record("whatcounts", first)  # its checks write (stops of fictional numbers)
    record("whatcounts", second)
    def requests(path: Path) -> list[vcr.request.Request]:
        return vcr.serialize.deserialize(path.read_text(), vcr.serializers.yamlserializer)[0]

    for cassette in sorted(first.glob("*.yaml")):
        old, new = requests(cassette), requests(second / cassette.name)
        assert [(r.method, r.path, r.query, r.body) for r in old] == [
            (r.method, r.path, r.query, r.body) for r in new], cassette.name


def test_record_command_writes_a_recording_and_exits_0(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from optout_conformance.cli import cli

    result = CliRunner().invoke(cli, ["record", "--api", "avaamo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "check(s) of avaamo" in result.output
    assert Manifest.load(tmp_path).api == "avaamo"


def test_record_command_with_an_unreachable_target_exits_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from optout_conformance.cli import cli

    result = CliRunner().invoke(cli, ["record", "--api", "convoso", "--target", "http://127.0.0.1:9/v1",
                                      "--token", "t0ken-long", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "unreachable" in result.output
