"""The reference WhatCounts HTTP API: ``GET|POST /bin/api_web`` with ``smsstopsubscribersend``.

Faithful to 002_b0345f491e7a5826.txt: arguments in long or short form (cmd/c, realm/r, pwd/p),
phone and sender_code; every reply is HTTP 200 text/plain, ``SUCCESS: ...`` or
``FAILURE: <reason>``. Choices where the document is silent follow ``openapi/discrepancies.yaml``.
Each step is one method so a faulty variant overrides exactly one.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from optout_conformance.apis.whatcounts.store import WhatCountsStore, WhatCountsTables
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.forms import BodyTooLarge, BodyUndecodable, read_form
from optout_conformance.reference.store import Store

COMMAND = "smsstopsubscribersend"
SUCCESS = "SUCCESS: Stopping message to phone was successful"
# Public fact (seeds/README.md): a wrong realm answers exactly this.
REALM_FAILURE = "Unable to determine customer account (realm)"
# Argument name -> its short alias (002's Arguments table).
ALIASES = {"cmd": "c", "realm": "r", "pwd": "p"}
PHONE = re.compile(r"[0-9]{7,15}")


class StopFailure(Exception):
    """A FAILURE reply; the message is the reason after ``FAILURE: ``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WhatCountsService:
    """The ``api_web`` endpoint over a Store, for one ReferenceConfig."""

    # The store's table of this API (apis/whatcounts/store.py); nothing is seeded.
    TABLES = WhatCountsTables

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        self.config = config
        self.store = WhatCountsStore(store)

    def routes(self) -> list[Route]:
        return [Route("/bin/api_web", self.handle, methods=["GET", "POST"])]

    async def handle(self, request: Request) -> Response:
        """Gather the arguments, run the command, answer SUCCESS or FAILURE."""
        try:
            arguments = await self.arguments(request)
            self.run(arguments)
        except StopFailure as exc:
            return self.failure_response(exc.reason)
        except (BodyTooLarge, BodyUndecodable) as exc:
            return self.failure_response(str(exc))
        return self.success_response()

    async def arguments(self, request: Request) -> dict[str, str]:
        """Query-string arguments, with a POST's form fields added (the form wins on a clash)."""
        arguments = {key: value for key, value in request.query_params.items()}
        if request.method == "POST":
            arguments.update(await read_form(request, self.config.max_body_bytes))
        return arguments

    def run(self, arguments: dict[str, str]) -> None:
        """Check realm and password, then the command and its arguments, then record the stop."""
        self.check_realm(self.argument(arguments, "realm"))
        self.check_password(self.argument(arguments, "pwd"))
        self.check_command(self.argument(arguments, "cmd"))
        phone = self.check_phone(arguments.get("phone", ""))
        sender_code = self.check_sender_code(arguments.get("sender_code", ""))
        self.stop(phone, sender_code)

    def argument(self, arguments: dict[str, str], name: str) -> str:
        """An argument given in long or short form; both with different values -> FAILURE
        (ambiguous, so an invalid argument); absent -> ''."""
        long_value = arguments.get(name)
        short_value = arguments.get(ALIASES[name])
        if long_value is not None and short_value is not None and long_value != short_value:
            raise StopFailure(f"Conflicting values for {name} and {ALIASES[name]}")
        return long_value if long_value is not None else (short_value or "")

    def check_realm(self, realm: str) -> None:
        """A missing or unknown realm -> the documented realm failure."""
        if realm != self.config.realm:
            raise StopFailure(REALM_FAILURE)

    def check_password(self, password: str) -> None:
        """The password must match the realm's."""
        if password != self.config.password:
            raise StopFailure("Realm and password do not match")

    def check_command(self, command: str) -> None:
        """Only smsstopsubscribersend is served."""
        if command == "":
            raise StopFailure("Missing required argument: cmd")
        if command != COMMAND:
            raise StopFailure(f"Unknown command: {command}")

    def check_phone(self, phone: str) -> str:
        """Numeric only, no special characters (002); 7 to 15 digits (registry choice)."""
        if phone == "":
            raise StopFailure("Missing required argument: phone")
        if not PHONE.fullmatch(phone):
            raise StopFailure("Invalid phone number")
        return phone

    def check_sender_code(self, sender_code: str) -> str:
        """Required, and one of the account's sender codes."""
        if sender_code == "":
            raise StopFailure("Missing required argument: sender_code")
        if sender_code not in self.config.sender_codes:
            raise StopFailure("Invalid sender code")
        return sender_code

    def stop(self, phone: str, sender_code: str) -> None:
        """Record the opt-out; a phone never subscribed or already stopped succeeds too."""
        created = self.config.now().strftime("%Y-%m-%d %H:%M:%S")
        self.store.add_whatcounts_stop(phone, sender_code, self.config.realm, created)

    def success_response(self) -> Response:
        return PlainTextResponse(SUCCESS)

    def failure_response(self, reason: str) -> Response:
        """Every failure is HTTP 200 text/plain ``FAILURE: <reason>``."""
        return PlainTextResponse(f"FAILURE: {reason}")
