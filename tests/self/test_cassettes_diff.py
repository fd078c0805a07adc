"""``diff``: drift between two recordings of the same scenarios, by kind, never showing a credential."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from optout_conformance.cassettes.diff import diff_paths, request_key
from optout_conformance.cassettes.interactions import load_cassette
from optout_conformance.cli import cli

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
CLEAR_TOKEN = "clear-token-d1ff-8a2b"


def edit_replies(path: Path, edit: Any) -> None:
    """Rewrite every JSON reply of a cassette file through ``edit(body) -> body``."""
    data = yaml.safe_load(path.read_text())
    for item in data["interactions"]:
        body = item["response"]["body"]
        try:
            parsed = json.loads(body["string"])
        except (TypeError, ValueError):
            continue
        body["string"] = json.dumps(edit(parsed))
    path.write_text(yaml.safe_dump(data))


def test_a_recording_compared_with_itself_is_identical_in_shape() -> None:
    directory = CASSETTES / "avaamo" / "auto"
    report = diff_paths(directory, directory)
    assert report.exit_code == 0
    assert report.render().endswith("identical in shape")


def test_drift_in_types_fields_defaults_errors_and_interactions_is_reported(tmp_path: Path) -> None:
    old = CASSETTES / "convoso" / "community"
    new = tmp_path / "new"
    shutil.copytree(old, new)

    def drift(body: dict[str, Any]) -> dict[str, Any]:
        if "records" in body:
            body["total"] = str(body["total"])
            for record in body["records"]:
                record.pop("campaign_name", None)
        if body.get("code") == 7231:
            body["code"] = 7232
        return body

    edit_replies(new / "_fingerprint.yaml", drift)
    (new / "convoso.errors.duplicate_insert_gets_6008.yaml").unlink()
    report = diff_paths(old, new)
    text = report.render()
    assert report.exit_code == 1
    for expected in ("type: $.total: integer -> string", "missing field: $.records[].campaign_name",
                     "fingerprint convoso.search.paging-field-types", "error: code 7231",
                     "-> code 7232", "missing cassette: convoso.errors.duplicate_insert_gets_6008.yaml"):
        assert expected in text, expected


def test_the_official_recording_differs_from_the_community_one_on_the_disputed_points() -> None:
    result = CliRunner().invoke(cli, ["diff", str(CASSETTES / "convoso" / "community"),
                                      str(CASSETTES / "convoso" / "official")])
    assert result.exit_code == 1
    assert "default: limit 1000 -> limit '100'" in result.output
    assert "fingerprint convoso.record.insert_date-format: YYYY-MM-DD -> YYYY-MM-DD HH:MM:SS" in result.output
    assert ("error: code 6058 'Invalid Reason Provided' -> code 6058 'Invalid Purpose Provided'"
            in result.output)


def test_run_specific_values_do_not_tell_requests_apart() -> None:
    recording = CASSETTES / "convoso" / "community"
    first = load_cassette(next(recording.glob("convoso.errors.duplicate*.yaml")))[0]
    first.request_body = b"auth_token=x&phone_number=2345550107&reason=oc-abc123+dup"
    key_a = request_key(first)
    first.request_body = b"auth_token=y&phone_number=9875550142&reason=oc-recording+dup"
    assert request_key(first) == key_a
    assert "<credential>" in key_a and "<phone>" in key_a and "<run>" in key_a


def test_diff_never_prints_a_credential_in_clear(tmp_path: Path) -> None:
    def cassette(name: str, status: int) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump({"version": 1, "interactions": [{
            "request": {"method": "POST", "uri": "https://api.convoso.com/v1/sms-opt-out/search",
                        "body": f"auth_token={CLEAR_TOKEN}",
                        "headers": {"Content-Type": ["application/x-www-form-urlencoded"]}},
            "response": {"status": {"code": status, "message": ""},
                         "headers": {"Content-Type": ["application/json"]},
                         "body": {"string": json.dumps({"success": False, "error": f"bad {CLEAR_TOKEN}"})}},
        }]}))
        return path

    result = CliRunner().invoke(cli, ["diff", str(cassette("old.yaml", 200)), str(cassette("new.yaml", 401))])
    assert result.exit_code == 1
    assert "status: 200 -> 401" in result.output
    assert CLEAR_TOKEN not in result.output


def test_an_unreadable_recording_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "nope.yaml"), str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "error: cassette not found" in result.output
