"""WhatCounts faults: the reference ``WhatCountsService`` with one realistic deviation each.

Each class overrides one method; its docstring names the bug, the rule of
002_b0345f491e7a5826.txt it breaks, and the clause.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import PlainTextResponse, Response

from optout_conformance.apis.whatcounts.reference import (
    ALIASES,
    REALM_FAILURE,
    StopFailure,
    WhatCountsService,
)
from optout_conformance.core.faults import fault
from optout_conformance.reference.transport import (
    CRASH_PAGE,
    Headers,
    InputGate,
    ResponseRewriter,
    looks_odd,
    set_header,
)

ERRORS = "whatcounts.errors."
STATE = "whatcounts.state."


@fault("whatcounts-short-aliases-ignored", api="whatcounts", family="errors",
       detected_by=(STATE + "long_and_short_argument_names_give_the_same_outcome",))
class ShortAliasesIgnored(WhatCountsService):
    """Reads only the long argument names (cmd, realm, pwd); c, r and p count as missing.

    Breaks: the Arguments table gives both forms, "cmd=smsstopsubscribersend" and
    "c=smsstopsubscribersend", "realm=" and "r=", "pwd=" and "p=" (002_b0345f491e7a5826.txt);
    its own example uses the short forms.
    """

    def argument(self, arguments: dict[str, str], name: str) -> str:
        return arguments.get(name, "")


@fault("whatcounts-long-aliases-ignored", api="whatcounts", family="errors",
       detected_by=(STATE + "long_and_short_argument_names_give_the_same_outcome",))
class LongAliasesIgnored(WhatCountsService):
    """Reads only the short argument names (c, r, p); cmd, realm and pwd count as missing.

    Breaks: the Arguments table gives both forms, "cmd=" / "c=", "realm=" / "r=", "pwd=" / "p="
    (002_b0345f491e7a5826.txt).
    """

    def argument(self, arguments: dict[str, str], name: str) -> str:
        return arguments.get(ALIASES[name], "")


@fault("whatcounts-wrong-success-text", api="whatcounts", family="shapes",
       detected_by=(STATE + "valid_stop_replies_the_documented_success_text",))
class WrongSuccessText(WhatCountsService):
    """Answers a successful stop with "SUCCESS: Contact unsubscribed".

    Breaks: "Successful results return: SUCCESS: Stopping message to phone was successful"
    (002_b0345f491e7a5826.txt, Example and Results).
    """

    def success_response(self) -> Response:
        return PlainTextResponse("SUCCESS: Contact unsubscribed")


@fault("whatcounts-failure-without-reason", api="whatcounts", family="errors",
       detected_by=(ERRORS + "wrong_realm_fails", "whatcounts.properties.generated_requests_follow_the_spec"))
class FailureWithoutReason(WhatCountsService):
    """Answers every failure with a bare "FAILURE:" and no reason.

    Breaks: "The result format is: FAILURE: [Reason]" (002_b0345f491e7a5826.txt, Failure).
    """

    def failure_response(self, reason: str) -> Response:
        return PlainTextResponse("FAILURE:")


@fault("whatcounts-failure-as-http-500", api="whatcounts", family="robustness",
       detected_by=(ERRORS + "wrong_realm_fails",))
class FailureAsHttp500(WhatCountsService):
    """Answers every failure with HTTP 500 (an unhandled validation exception).

    Breaks: "The command will fail if ... an argument is invalid. The result format is:
    FAILURE: [Reason]" (002_b0345f491e7a5826.txt): an invalid argument is a documented FAILURE,
    not a server failure.
    """

    def failure_response(self, reason: str) -> Response:
        return PlainTextResponse(f"FAILURE: {reason}", status_code=500)


@fault("whatcounts-non-numeric-phone-accepted", api="whatcounts", family="errors",
       detected_by=(ERRORS + "non_numeric_phone_fails",))
class NonNumericPhoneAccepted(WhatCountsService):
    """Stops any non-empty phone, "(206) 555-1212" included.

    Breaks: Phone "Numeric phone number for the contacts. Do not include special characters
    (such as parenthesis or dash)" (002_b0345f491e7a5826.txt, Arguments).
    """

    def check_phone(self, phone: str) -> str:
        if phone == "":
            raise StopFailure("Missing required argument: phone")
        return phone


@fault("whatcounts-password-not-checked", api="whatcounts", family="auth",
       detected_by=(ERRORS + "wrong_password_fails",))
class PasswordNotChecked(WhatCountsService):
    """Accepts any password for a known realm.

    Breaks: Password "This is required, and the command will fail if the realm and password do
    not match" (002_b0345f491e7a5826.txt, Arguments).
    """

    def check_password(self, password: str) -> None:
        return None


@fault("whatcounts-realm-not-checked", api="whatcounts", family="auth",
       detected_by=(ERRORS + "wrong_realm_fails",))
class RealmNotChecked(WhatCountsService):
    """Accepts any realm (the account is taken from the password alone).

    Breaks: Realm "the command will fail if the realm and password do not match"
    (002_b0345f491e7a5826.txt, Arguments); public fact: a wrong realm answers
    "FAILURE: Unable to determine customer account (realm)".
    """

    def check_realm(self, realm: str) -> None:
        return None


@fault("whatcounts-missing-sender-code-accepted", api="whatcounts", family="errors",
       detected_by=(ERRORS + "missing_phone_or_sender_code_fails",))
class MissingSenderCodeAccepted(WhatCountsService):
    """Falls back to the account's first sender code when sender_code is missing.

    Breaks: Sender Code "Req? Yes" (002_b0345f491e7a5826.txt, Arguments; "The command requires
    the following arguments: Command, Realm, Password, Phone Number, and Sender Code").
    """

    def check_sender_code(self, sender_code: str) -> str:
        return super().check_sender_code(sender_code or self.config.sender_codes[0])


@fault("whatcounts-missing-command-accepted", api="whatcounts", family="errors",
       detected_by=(ERRORS + "missing_command_realm_or_password_fails",))
class MissingCommandAccepted(WhatCountsService):
    """Runs smsstopsubscribersend when no command is given (the endpoint's default command).

    Breaks: Command "Req? Yes" (002_b0345f491e7a5826.txt, Arguments).
    """

    def check_command(self, command: str) -> None:
        if command:
            super().check_command(command)


@fault("whatcounts-valid-realm-refused", api="whatcounts", family="auth",
       detected_by=(STATE + "valid_stop_replies_the_documented_success_text",
                    STATE + "long_and_short_argument_names_give_the_same_outcome"))
class ValidRealmRefused(WhatCountsService):
    """Never stops anything: every stop, valid realm included, answers the wrong-realm FAILURE.

    Breaks: "The command will fail if a subscription does not exist, if the phone number is not
    found, or if an argument is invalid" and, for the realm, "the command will fail if the realm
    and password do not match" (002_b0345f491e7a5826.txt); the public fact gives a wrong realm's
    reply, "FAILURE: Unable to determine customer account (realm)": here the realm is right.
    """

    def check_realm(self, realm: str) -> None:
        raise StopFailure(REALM_FAILURE)


@fault("whatcounts-wrong-realm-reason-invented", api="whatcounts", family="errors",
       detected_by=(ERRORS + "wrong_realm_fails",))
class WrongRealmReasonInvented(WhatCountsService):
    """Answers a wrong realm with "FAILURE: Invalid credentials" (its own wording).

    Breaks: the public fact of the seeds README: "a wrong realm answers FAILURE: Unable to
    determine customer account (realm)" (002_b0345f491e7a5826.txt gives the format "FAILURE:
    [Reason]"; the fact gives the realm's reason).
    """

    def check_realm(self, realm: str) -> None:
        if realm != self.config.realm:
            raise StopFailure("Invalid credentials")


# -- transport -----------------------------------------------------------------------------------


@fault(
    "whatcounts-html-500-on-long-input",
    api="whatcounts",
    family="robustness",
    detected_by=("whatcounts.robustness.odd_input_gets_a_documented_reply",),
    middleware=True,
)
class WhatCountsCrashesOnLongInput(InputGate):
    """Answers a long or non-UTF-8 query or body with an HTTP 500 HTML traceback page.

    Breaks: "The Stop Sending SMS to Contact command outputs either a SUCCESS or FAILURE
    message" (002_b0345f491e7a5826.txt, Results); an invalid argument is a FAILURE, not a crash.
    """

    api = "whatcounts"

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        odd = looks_odd(query) or looks_odd(body)
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if odd else None


@fault(
    "whatcounts-reply-wrapped-in-html",
    api="whatcounts",
    family="shapes",
    detected_by=("whatcounts.state.valid_stop_replies_the_documented_success_text",),
    middleware=True,
)
class WhatCountsHtmlReply(ResponseRewriter):
    """Wraps the SUCCESS/FAILURE line in an HTML page.

    Breaks: "Successful results return: SUCCESS: Stopping message to phone was successful" and
    "The result format is: FAILURE: [Reason]" (002_b0345f491e7a5826.txt, Results): the body is
    the message itself.
    """

    api = "whatcounts"

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        page = b"<html><body><p>" + body + b"</p></body></html>"
        return status, set_header(headers, b"content-type", b"text/html; charset=utf-8"), page


# -- the plain-Schemathesis baseline (faults/baseline.py) ---------------------------------------


def baseline_config(credentials: Any) -> tuple[dict[str, str], list[str]]:
    """The realm, password, command and sender code are query parameters: a user writes them into
    a ``schemathesis.toml`` ``[parameters]`` table (``"query.r"``, ``"query.p"``, ...)."""
    return {
        "query.c": "smsstopsubscribersend",
        "query.r": credentials.realm,
        "query.p": credentials.password,
        "query.sender_code": credentials.sender_code,
    }, []
