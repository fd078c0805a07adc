"""The Fourth API's fault: the reference with one documented rule broken."""

from __future__ import annotations

from optout_conformance.core.faults import fault
from optout_fourth_api.reference import FourthService


@fault("fourth-api-key-not-checked", api="fourth", family="auth",
       detected_by=("fourth.auth.no_status_without_a_valid_api_key",))
class ApiKeyNotChecked(FourthService):
    """Answers every lookup whatever the api_key.

    Breaks: "Requests without a valid api_key are refused with HTTP 401." (fourth_status.txt).
    """

    def key_is_valid(self, key: str | None) -> bool:
        return True
