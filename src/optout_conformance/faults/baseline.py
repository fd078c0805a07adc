"""The comparison: plain ``schemathesis run --checks all`` against the same catalog.

For each entry (and for the unmodified reference server, the control) the entry is served on
127.0.0.1 and Schemathesis runs as a user would run it: the API's spec file as shipped (not
profile-narrowed), ``--url`` the base URL, ``--checks all``, a bounded ``--max-examples``, a fixed
``--seed``, a JSON report. Credentials go in the plain ways Schemathesis offers a user:

- Avaamo's ``access-token`` header: ``-H access-token:<token>``;
- Convoso's ``auth_token`` is a form field, which ``-H`` cannot set; a user writes it into a
  ``schemathesis.toml`` ``[parameters]`` table (``"body.auth_token" = …``), and so do we;
- WhatCounts' realm, password, command and sender code are query parameters: the same table
  (``"query.r"``, ``"query.p"``, ``"query.c"``, ``"query.sender_code"``).

Plain Schemathesis already reports failures against the faithful reference (an HTTP 401 or a
``success: false`` body with status 200 are not what its generic checks expect), so "detected"
cannot mean "exit code 1". A fault counts as detected by plain Schemathesis when the run reports
a failure (title and operation) that the control run against the reference did not report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optout_conformance.core.apis import APIS, load_reference
from optout_conformance.faults import catalog
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer
from optout_conformance.runner.targets import EMBEDDED_SEED_RECORDS, embedded_credentials

SEED = 1
# Wall-clock cap of one Schemathesis run (its coverage phase is not capped by --max-examples).
RUN_TIMEOUT = 180.0
CONTROL = "reference"


def spec_path(api: str) -> Path:
    """The shipped spec file of ``api`` (repository checkout or installed package)."""
    name = APIS[api].spec_file
    package = Path(__file__).resolve().parents[1]
    for base in (package / "openapi", package.parents[1] / "openapi"):
        if (base / name).is_file():
            return base / name
    raise FileNotFoundError(f"spec file {name} not found next to the package or in the checkout")


def _user_parameters(api: str) -> tuple[dict[str, str], list[str]]:
    """(schemathesis.toml ``[parameters]``, extra command-line arguments) as a user writes them
    for ``api``: its definition's ``baseline_config`` (see the module doc)."""
    reference = getattr(APIS[api], "baseline_config", "")
    if not reference:
        return {}, []
    parameters, arguments = load_reference(reference, api)(embedded_credentials())
    return dict(parameters), list(arguments)


def user_config(api: str) -> str:
    """The ``schemathesis.toml`` a user writes to pass the credentials (see the module doc)."""
    values, _arguments = _user_parameters(api)
    lines = ["[parameters]"] + [f'"{key}" = "{value}"' for key, value in values.items()]
    return "\n".join(lines) + "\n"


def command(api: str, base_url: str, config_file: Path, report: Path, max_examples: int) -> list[str]:
    """The Schemathesis command line for one run (what docs/detection.md shows)."""
    args = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_file), "run",
        str(spec_path(api)), "--url", base_url, "--checks", "all",
        "--max-examples", str(max_examples), "--seed", str(SEED),
        "--report", "json", "--report-json-path", str(report), "--no-color",
    ]
    return args + _user_parameters(api)[1]


@dataclass
class BaselineOutcome:
    """What plain Schemathesis reported against one entry (or the control)."""

    name: str
    api: str
    kind: str
    exit_code: int | None
    # "title @ operation" of every failure it reported.
    failures: list[str] = field(default_factory=list)
    # Failures the control run against the unmodified reference did not report.
    new_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def detected(self) -> bool:
        return bool(self.new_failures)


@dataclass
class BaselineResult:
    outcomes: list[BaselineOutcome] = field(default_factory=list)
    controls: dict[str, BaselineOutcome] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        faults = [o for o in self.outcomes if o.kind == "fault"]
        faithful = [o for o in self.outcomes if o.kind == "faithful"]
        return {
            "detected": sum(o.detected for o in faults),
            "faults": len(faults),
            "false_alarms": sum(o.detected for o in faithful),
            "faithful": len(faithful),
            "controls": {api: asdict(o) for api, o in self.controls.items()},
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def _failures(report: Path) -> list[str]:
    data = json.loads(report.read_text(encoding="utf-8"))
    found = []
    for group in data.get("failures", []):
        for operation in group.get("operations") or ["?"]:
            found.append(f"{group.get('title')} @ {operation}")
    return sorted(set(found))


def run_one(name: str, api: str, kind: str, *, max_examples: int) -> BaselineOutcome:
    """Serve ``name`` (or the reference for CONTROL) and run plain Schemathesis against it."""
    config = ReferenceConfig(seed_records=EMBEDDED_SEED_RECORDS)
    app = create_app(config, apis=[api]) if name == CONTROL else catalog.build_app(name, config, apis=[api])
    outcome = BaselineOutcome(name=name, api=api, kind=kind, exit_code=None)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="oc-baseline-") as directory, EmbeddedServer(app) as server:
        config_file = Path(directory) / "schemathesis.toml"
        config_file.write_text(user_config(api), encoding="utf-8")
        report = Path(directory) / "report.json"
        args = command(api, server.url(api), config_file, report, max_examples)
        try:
            done = subprocess.run(args, cwd=directory, capture_output=True, text=True, timeout=RUN_TIMEOUT)
            outcome.exit_code = done.returncode
            if report.is_file():
                outcome.failures = _failures(report)
            else:
                outcome.note = (done.stderr or done.stdout).strip().splitlines()[-1:][0] if (
                    done.stderr or done.stdout).strip() else "no report written"
        except subprocess.TimeoutExpired:
            outcome.note = f"stopped after {RUN_TIMEOUT:g} s"
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_baseline(
    apis: Collection[str] | None = None,
    names: Collection[str] | None = None,
    *,
    max_examples: int = 25,
    echo: Callable[[str], None] | None = print,
) -> BaselineResult:
    """Plain Schemathesis against the control and every selected entry, one at a time."""
    say = echo or (lambda _line: None)
    entries = catalog.select(apis, names)
    result = BaselineResult()
    for api in sorted({e.api for e in entries}):
        control = run_one(CONTROL, api, "control", max_examples=max_examples)
        result.controls[api] = control
        say(f"{CONTROL:<46} {api:<10} {len(control.failures)} failure(s) on the faithful reference")
    for entry in entries:
        outcome = run_one(entry.name, entry.api, entry.kind, max_examples=max_examples)
        outcome.new_failures = sorted(set(outcome.failures) - set(result.controls[entry.api].failures))
        result.outcomes.append(outcome)
        verdict = "detected" if outcome.detected else "-"
        say(f"{entry.name:<46} {entry.api:<10} {verdict:<9} {outcome.seconds:6.1f}s  "
            + ("; ".join(outcome.new_failures) or outcome.note))
    return result
