"""WhatCounts "Stop Sending SMS to Contact" (002 only): one check per rule the document states.

A stop is a write (it opts a phone out), so checks that send valid credentials with a phone run
only when writes are allowed; they use fictional 555-01XX numbers prefixed with 1, eleven digits
like the document's example ``12065551212``. Checks that send a wrong realm, a wrong password or
no credentials at all cannot change anything and always run.
"""

from __future__ import annotations

import re

from optout_conformance.checks.registry import check
from optout_conformance.checks.response import SUCCESS_LINE, Reply, text_reply_conforms
from optout_conformance.runner.context import CheckFailed, CheckSkipped, RunContext
from optout_conformance.runner.http import Exchange

S002 = "002_b0345f491e7a5826.txt"
PATH = "/api_web"
COMMAND = "smsstopsubscribersend"
LONG = {"command": "cmd", "realm": "realm", "password": "pwd"}
SHORT = {"command": "c", "realm": "r", "password": "p"}


def _phone(ctx: RunContext) -> str:
    return "1" + ctx.fictional_phone()


def arguments(ctx: RunContext, phone: str, *, long: bool = False,
              overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """The five documented arguments (short or long names); an override of None leaves one out."""
    credentials = ctx.credentials
    if not (credentials.realm and credentials.password and credentials.sender_code):
        raise CheckSkipped("WhatCounts realm, password and sender code are needed (--realm, --password, "
                           "--sender-code)")
    names = LONG if long else SHORT
    values: dict[str, str | None] = {
        names["command"]: COMMAND, names["realm"]: credentials.realm, names["password"]: credentials.password,
        "phone": phone, "sender_code": credentials.sender_code,
    }
    aliases = {"command": names["command"], "realm": names["realm"], "password": names["password"]}
    for key, value in (overrides or {}).items():
        values[aliases.get(key, key)] = value
    return {k: v for k, v in values.items() if v is not None}


def stop(ctx: RunContext, args: dict[str, str], *, method: str = "GET", form: bool = False) -> Exchange:
    if method == "POST" and form:
        return ctx.http.post(PATH, data=args)
    if method == "POST":
        return ctx.http.post(PATH, params=args)
    return ctx.http.get(PATH, params=args)


def outcome(ctx: RunContext, ex: Exchange, rule: str) -> str:
    """SUCCESS or FAILURE; fails on no reply, a server error or a reply in neither documented form."""
    if ex.error or ex.status is None:
        raise CheckFailed(rule, received=ex.error or "no reply", documented="a SUCCESS or FAILURE message",
                          source=f"{S002} (Results)", exchange=ex)
    ctx.observe("whatcounts.content-type", ex.content_type or "(none)")
    if ex.status >= 500:
        raise CheckFailed(rule, received=ex.summary(), documented="a SUCCESS or FAILURE message, not a "
                          "server error", source=f"{S002} (Results); registry whatcounts.failure-http-status",
                          exchange=ex)
    violation = text_reply_conforms(Reply.from_exchange(ex, ex.method, PATH))
    if violation:
        raise CheckFailed(rule, received=violation.received, documented=violation.documented,
                          source=violation.source, exchange=ex)
    kind = "SUCCESS" if ex.text.strip() == SUCCESS_LINE else "FAILURE"
    if kind == "FAILURE":
        ctx.observe("whatcounts.failure-http-status", ex.status)
    return kind


def expect_failure(ctx: RunContext, ex: Exchange, rule: str, documented: str) -> None:
    if outcome(ctx, ex, rule) != "FAILURE":
        raise CheckFailed(rule, received=ex.summary(), documented=f"FAILURE: <reason> ({documented})",
                          source=f"{S002} (Arguments; Failure)", exchange=ex)


def _stop_or_skip(ctx: RunContext, ex: Exchange, rule: str) -> str:
    kind = outcome(ctx, ex, rule)
    ctx.observe("whatcounts.stop.subscription-required", kind)
    return kind


@check(id="whatcounts.state.valid_stop_replies_the_documented_success_text", api="whatcounts",
       family="state", writes=True,
       source=f"{S002} (Example: 'Successful results return: SUCCESS: Stopping message to phone was "
       "successful'; Results)")
def valid_stop_replies_the_documented_success_text(ctx: RunContext) -> None:
    """A valid stop (GET, short names as in the example) answers the exact SUCCESS line, or FAILURE."""
    ctx.require_writes()
    rule = "a valid stop answers 'SUCCESS: Stopping message to phone was successful'"
    ex = stop(ctx, arguments(ctx, _phone(ctx)))
    if _stop_or_skip(ctx, ex, rule) == "FAILURE":
        # 002 contradicts itself on phones without a subscription (registry
        # whatcounts.stop.subscription-required): a FAILURE here is documented too.
        raise CheckSkipped("the target refuses stops for a never-subscribed phone (documented variant), "
                           "so the success text could not be seen")


@check(id="whatcounts.state.long_and_short_argument_names_give_the_same_outcome", api="whatcounts",
       family="state", writes=True, source=f"{S002} (Arguments: cmd= / c=, realm= / r=, pwd= / p=)")
def long_and_short_argument_names_give_the_same_outcome(ctx: RunContext) -> None:
    """cmd/realm/pwd and c/r/p are two names of the same arguments: the same stop, the same outcome."""
    ctx.require_writes()
    rule = "long and short argument names give the same outcome"
    short_ex = stop(ctx, arguments(ctx, _phone(ctx)))
    long_ex = stop(ctx, arguments(ctx, _phone(ctx), long=True))
    kinds = (_stop_or_skip(ctx, short_ex, rule), _stop_or_skip(ctx, long_ex, rule))
    # Two FAILUREs are the same outcome only for the same reason (numbers masked: the phones differ).
    reasons = {_masked(short_ex.text), _masked(long_ex.text)} if kinds == ("FAILURE", "FAILURE") else set()
    if kinds[0] != kinds[1] or len(reasons) > 1:
        raise CheckFailed(rule, received=f"short names: {short_ex.text.strip()!r}; long names: "
                          f"{long_ex.text.strip()!r}", documented="the same outcome for both names",
                          source=f"{S002} (Arguments)", exchange=long_ex)
    if reasons:
        # As for the success text: a FAILURE for a never-subscribed phone is documented (registry
        # whatcounts.stop.subscription-required), and a target refusing every stop alike shows
        # nothing about the names.
        raise CheckSkipped(f"both names got the same FAILURE ({short_ex.text.strip()[:80]!r}), documented "
                           "for a never-subscribed phone: the names could not be told apart")
    _observe_post(ctx, rule)


def _masked(text: str) -> str:
    """A reply with its digit runs masked (phone numbers, codes), to compare two replies' reasons."""
    return re.sub(r"[0-9]+", "#", text.strip())


def _observe_post(ctx: RunContext, rule: str) -> None:
    """POST is not documented (registry whatcounts.http-method): answers are recorded, 5xx fails."""
    seen = {}
    for form in (False, True):
        ex = stop(ctx, arguments(ctx, _phone(ctx)), method="POST", form=form)
        if ex.status is not None and ex.status >= 500:
            raise CheckFailed(rule + " (POST)", received=ex.summary(), documented="no server error",
                              source="registry whatcounts.http-method", exchange=ex)
        seen["form body" if form else "query string"] = f"HTTP {ex.status} {ex.text.strip()[:80]!r}"
    ctx.observe("whatcounts.http-method", {"POST": seen})


@check(id="whatcounts.errors.wrong_realm_fails", api="whatcounts", family="errors",
       source=f"{S002} (Realm: 'the command will fail if the realm and password do not match')")
def wrong_realm_fails(ctx: RunContext) -> None:
    """A realm that does not match the password answers FAILURE: <reason>."""
    ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={"realm": f"{ctx.run_prefix}-no-such-realm"}))
    expect_failure(ctx, ex, "a wrong realm fails", "realm and password do not match")


@check(id="whatcounts.errors.wrong_password_fails", api="whatcounts", family="errors",
       source=f"{S002} (Password: 'the command will fail if the realm and password do not match')")
def wrong_password_fails(ctx: RunContext) -> None:
    """A password that does not match the realm answers FAILURE: <reason>."""
    ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={"password": f"{ctx.run_prefix}-wrong-password"}))
    expect_failure(ctx, ex, "a wrong password fails", "realm and password do not match")


@check(id="whatcounts.errors.missing_command_realm_or_password_fails", api="whatcounts", family="errors",
       source=f"{S002} (Arguments: Command, Realm, Password 'Req? Yes'; 'The command requires the following "
       "arguments')")
def missing_command_realm_or_password_fails(ctx: RunContext) -> None:
    """Leaving out the command, the realm or the password (both names) answers FAILURE: <reason>.

    Without a realm or a password nothing can change; without the command a faulty target might
    still stop the phone, so that case runs only when writes are allowed.
    """
    for name in ("command", "realm", "password") if ctx.writes_allowed else ("realm", "password"):
        ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={name: None}))
        expect_failure(ctx, ex, f"a stop without the {name} argument fails", f"{name} is required")


@check(id="whatcounts.errors.missing_phone_or_sender_code_fails", api="whatcounts", family="errors",
       writes=True, source=f"{S002} (Arguments: Phone, Sender Code 'Req? Yes')")
def missing_phone_or_sender_code_fails(ctx: RunContext) -> None:
    """Leaving out the phone or the sender code answers FAILURE: <reason> (valid credentials sent)."""
    ctx.require_writes()
    for name in ("phone", "sender_code"):
        ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={name: None}))
        expect_failure(ctx, ex, f"a stop without the {name} argument fails", f"{name} is required")


@check(id="whatcounts.errors.non_numeric_phone_fails", api="whatcounts", family="errors", writes=True,
       source=f"{S002} (Phone: 'Numeric phone number ... Do not include special characters (such as "
       "parenthesis or dash)'; Failure: 'if an argument is invalid')")
def non_numeric_phone_fails(ctx: RunContext) -> None:
    """A phone with a dash or parentheses is an invalid argument: FAILURE: <reason>."""
    ctx.require_writes()
    digits = ctx.fictional_phone()
    for phone in (f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"({digits[:3]}) {digits[3:]}"):
        ex = stop(ctx, arguments(ctx, phone))
        expect_failure(ctx, ex, "a non-numeric phone fails", "phone must be numeric")
