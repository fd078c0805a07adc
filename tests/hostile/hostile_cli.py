"""What the hostile tests share: the installed CLI, the secrets they pass, and the clean-exit rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("optout-conformance"))
TOKEN = "hostile-secret-token-8f3a"
PASSWORD = "hostile-secret-password-2c9d"
SECRETS = (TOKEN, PASSWORD)
BASE_PATHS = {"convoso": "/v1", "whatcounts": "/bin", "avaamo": "/api/v2"}
# Targets that give no complete answer (the run declares them unreachable).
UNANSWERED = ("silent", "trickle", "reset")
# A hang guard only: the commands' own bounds end every case long before it.
HANG_GUARD = 240


def assert_clean(code: int, output: str, report: str = "", codes: tuple[int, ...] = (1, 2)) -> None:
    """Exit code among ``codes``, no traceback, no secret, an exit 2 is one ``error:`` line."""
    assert code in codes, output[-2000:]
    assert "Traceback" not in output and "RecursionError" not in output, output[-3000:]
    for secret in SECRETS:
        assert secret not in output and secret not in report
    if code == 2:
        assert output.startswith("error: "), output[:500]
    if report:
        json.loads(report)
