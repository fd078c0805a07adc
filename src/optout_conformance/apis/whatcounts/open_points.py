"""WhatCounts open points as behaviours: small mixins of the reference service, by name.

The generic generator (``faults/open_points.py``) composes them with reply transforms into
faithful servers; a realization names one with ``apply: {behaviour: <name>}`` in
``openapi/discrepancies.yaml``. :func:`reply_kind` tells the generator what kind of reply the
reference gave (the ``reply`` selector of a transform).
"""

from __future__ import annotations

from starlette.routing import Route

from optout_conformance.apis.whatcounts.reference import StopFailure, WhatCountsService


class WhatCountsLongArgumentWins(WhatCountsService):
    """Both forms of an argument with different values: the long form is used (no FAILURE)."""

    def argument(self, arguments: dict[str, str], name: str) -> str:
        if name in arguments:
            return arguments[name]
        return super().argument(arguments, name)


class WhatCountsGetOnly(WhatCountsService):
    """Serves only GET (POST -> 405)."""

    def routes(self) -> list[Route]:
        return [Route("/bin/api_web", self.handle, methods=["GET"])]


# 002's example contact: "The SMS contact with the matching phone number will be removed from the
# sender code '120162701555'" (phone=12065551212 in the example request).
EXAMPLE_CONTACT = "12065551212"


class WhatCountsNeverSubscribedFails(WhatCountsService):
    """A stop for a phone with no subscription -> FAILURE.

    002 says both that the command creates "an opt out for any Phone number regardless of
    subscription" and that it "will fail if a subscription does not exist"; this server takes the
    second reading. Its only subscriptions are 002's example contact (phone 12065551212) on each of
    the account's sender codes: the document's own example of a stop that succeeds, so a documented
    valid stop exists (WhatCounts documents no way to create a subscription).
    """

    def subscribed(self, phone: str, sender_code: str) -> bool:
        return phone == EXAMPLE_CONTACT and sender_code in self.config.sender_codes

    def stop(self, phone: str, sender_code: str) -> None:
        if not self.subscribed(phone, sender_code):
            raise StopFailure("Subscription does not exist for phone")
        super().stop(phone, sender_code)


class WhatCountsRepeatStopFails(WhatCountsService):
    """A second stop of the same phone on the same sender code -> FAILURE (already stopped)."""

    def stop(self, phone: str, sender_code: str) -> None:
        created = self.config.now().strftime("%Y-%m-%d %H:%M:%S")
        if not self.store.add_whatcounts_stop(phone, sender_code, self.config.realm, created):
            raise StopFailure("Phone is already stopped for this sender code")


class WhatCountsCountryCodeRequired(WhatCountsService):
    """The phone must carry the country code like 002's example 12065551212: a phone of fewer than
    11 digits -> FAILURE "Invalid phone number"."""

    def check_phone(self, phone: str) -> str:
        phone = super().check_phone(phone)
        if len(phone) < 11:
            raise StopFailure("Invalid phone number")
        return phone


class WhatCountsAnySenderCode(WhatCountsService):
    """Any non-empty sender code is accepted (the account's codes are not checked)."""

    def check_sender_code(self, sender_code: str) -> str:
        if sender_code == "":
            raise StopFailure("Missing required argument: sender_code")
        return sender_code



BEHAVIOURS: dict[str, type] = {
    "get-only": WhatCountsGetOnly,
    "never-subscribed-fails": WhatCountsNeverSubscribedFails,
    "any-sender-code": WhatCountsAnySenderCode,
    "long-argument-wins": WhatCountsLongArgumentWins,
    "repeat-stop-fails": WhatCountsRepeatStopFails,
    "country-code-required": WhatCountsCountryCodeRequired,
}


def reply_kind(status: int, body: bytes) -> str:
    """A FAILURE line or a success (every WhatCounts reply is one of the two)."""
    return "failure" if body.decode("utf-8", "replace").startswith("FAILURE") else "success"
