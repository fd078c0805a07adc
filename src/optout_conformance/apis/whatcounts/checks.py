"""WhatCounts "Stop Sending SMS to Contact" (002 only): one check per rule the document states.

A stop is a write (it opts a phone out), so checks that send valid credentials with a phone run
only when writes are allowed; they use fictional 555-01XX numbers prefixed with 1, eleven digits
like the document's example ``12065551212``. Checks that send a wrong realm, a wrong password or
no credentials at all cannot change anything and always run.
"""

from __future__ import annotations

import re

from optout_conformance.apis.whatcounts.dialect import SUCCESS_LINE
from optout_conformance.checks.response import Reply, text_reply_conforms
from optout_conformance.core.checks import PUBLIC_FACTS, check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped

S002 = "002_b0345f491e7a5826.txt"
PATH = "/api_web"
COMMAND = "smsstopsubscribersend"
LONG = {"command": "cmd", "realm": "realm", "password": "pwd"}
SHORT = {"command": "c", "realm": "r", "password": "p"}
# Public fact (seeds README): "a wrong realm answers FAILURE: Unable to determine customer account
# (realm)".
REALM_FAILURE = "Unable to determine customer account (realm)"

# The sentences of 002 (and the public facts) the checks below cite.
RESULTS = (S002, "The Stop Sending SMS to Contact command outputs either a SUCCESS or FAILURE message.")
SUCCESS_TEXT = (S002, "Successful results return: SUCCESS: Stopping message to phone was successful")
FAILS_IF = (S002, "The command will fail if a subscription does not exist, if the phone number is not "
            "found, or if an argument is invalid.")
FAILURE_FORMAT = (S002, "The result format is: FAILURE: [Reason]")
REALM_PASSWORD = (S002, "This is required, and the command will fail if the realm and password do not "
                  "match.")
REQUIRED = (S002, "The command requires the following arguments: Command, Realm, Password, Phone Number, "
            "and Sender Code.")
WRONG_REALM_FACT = (PUBLIC_FACTS, "a wrong realm answers `FAILURE: Unable to determine customer account "
                    "(realm)`")
ANY_PHONE = (S002, "create an opt out for any Phone number regardless of subscription")
# 002's example stop and what it says of it: the contact 12065551212 is subscribed to 120162701555.
EXAMPLE_PHONE = "12065551212"
EXAMPLE_SENDER_CODE = "120162701555"
EXAMPLE_CONTACT = (S002, "The SMS contact with the matching phone number will be removed from the sender "
                   "code '120162701555'.")
EXAMPLE_REQUEST = (S002, "api_web?r=myrealm&p=mypass&c=smsstopsubscribersend&phone=12065551212&"
                   "sender_code=120162701555")


def _phone(ctx: CheckContext) -> str:
    return "1" + ctx.fictional_phone()


def arguments(ctx: CheckContext, phone: str, *, long: bool = False,
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


def stop(ctx: CheckContext, args: dict[str, str], *, method: str = "GET", form: bool = False) -> Exchange:
    if method == "POST" and form:
        return ctx.http.post(PATH, data=args)
    if method == "POST":
        return ctx.http.post(PATH, params=args)
    return ctx.http.get(PATH, params=args)


def outcome(ctx: CheckContext, ex: Exchange, rule: str) -> str:
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


def expect_failure(ctx: CheckContext, ex: Exchange, rule: str, documented: str,
                   control: Exchange | None = None) -> None:
    """The reply must be ``FAILURE: <reason>``.

    With a ``control`` (a valid stop sent alongside), a FAILURE for the very reason the valid stop
    got shows nothing about the argument under test: the check is inconclusive then, not passed.
    """
    if outcome(ctx, ex, rule) != "FAILURE":
        raise CheckFailed(rule, received=ex.summary(), documented=f"FAILURE: <reason> ({documented})",
                          source=f"{S002} (Arguments; Failure)", exchange=ex)
    if control is not None and outcome(ctx, control, rule) == "FAILURE" \
            and _masked(control.text) == _masked(ex.text):
        raise CheckInconclusive(
            f"no evidence that the argument was judged: a valid stop got the same FAILURE "
            f"({control.text.strip()[:80]!r}), so this refusal need not concern it ({documented})")


def _stop_outcome(ctx: CheckContext, ex: Exchange, rule: str) -> str:
    """SUCCESS or FAILURE of a valid stop; a valid stop refused as a wrong realm fails.

    002 lists why the command fails ("if a subscription does not exist, if the phone number is
    not found, or if an argument is invalid"; "if the realm and password do not match"), and the
    public fact gives a wrong realm's reply. A valid stop answered exactly that names a cause that
    does not hold: the realm and password sent are the configured, matching ones.
    """
    kind = outcome(ctx, ex, rule)
    ctx.observe("whatcounts.stop.subscription-required", kind)
    # The realm's reason after the 8-character "FAILURE:" (the SUCCESS line's tail is never it).
    reason = ex.text.strip()[len("FAILURE:"):].strip()
    if reason.lower() == REALM_FAILURE.lower():
        raise CheckFailed(rule, received=ex.summary(), documented="SUCCESS, or a FAILURE for a documented "
                          "cause (no subscription, phone not found, invalid argument): the realm and "
                          "password sent match", source=f"{S002} (Failure; Realm); seeds README public "
                          "fact (a wrong realm answers this)", exchange=ex)
    return kind


NO_SUCCESS = ("no SUCCESS seen: the target answered FAILURE ({reply!r}) to a valid stop of a "
              "never-subscribed phone, which 002 documents too ('The command will fail if a "
              "subscription does not exist'), so {what} could not be judged; WhatCounts has no "
              "documented way to create a subscription to stop")


def example_stop(ctx: CheckContext) -> Exchange:
    """002's own example stop (phone 12065551212, sender code 120162701555) with the run's realm and
    password, in the example's argument order.

    002 says of it "The SMS contact with the matching phone number will be removed from the sender
    code '120162701555'" and "Successful results return: SUCCESS: ...": the one stop the document
    presents as a subscribed contact's. A target that refuses stops of never-subscribed phones
    (002: "The command will fail if a subscription does not exist") can still show its success
    text on it; 206-555-1212 is directory assistance, not a person's phone.
    """
    credentials = ctx.credentials
    return ctx.http.get(PATH, params={
        "r": credentials.realm or "", "p": credentials.password or "", "c": COMMAND,
        "phone": EXAMPLE_PHONE, "sender_code": EXAMPLE_SENDER_CODE,
    })


@check(id="whatcounts.state.valid_stop_replies_the_documented_success_text", api="whatcounts",
       family="state", writes=True,
       source=f"{S002} (Example: 'Successful results return: SUCCESS: Stopping message to phone was "
       "successful'; Results)",
       cites=(SUCCESS_TEXT, RESULTS, FAILS_IF, WRONG_REALM_FACT, EXAMPLE_CONTACT, EXAMPLE_REQUEST))
def valid_stop_replies_the_documented_success_text(ctx: CheckContext) -> None:
    """A valid stop (GET, short names as in the example) answers the exact SUCCESS line.

    A FAILURE for a never-subscribed phone is documented too (registry
    whatcounts.stop.subscription-required). Then 002's own example stop is sent: the document
    presents its phone as a contact subscribed to its sender code, so a target that requires a
    subscription can show its success text there (SUCCESS must be the exact line). Without any
    SUCCESS the check is inconclusive; a FAILURE that calls the matching realm wrong fails.
    """
    ctx.require_writes()
    rule = "a valid stop answers 'SUCCESS: Stopping message to phone was successful'"
    ex = stop(ctx, arguments(ctx, _phone(ctx)))
    if _stop_outcome(ctx, ex, rule) == "SUCCESS":
        return
    example = example_stop(ctx)
    if outcome(ctx, example, rule) == "SUCCESS":
        ctx.observe("whatcounts.stop.subscription-required", "FAILURE for a never-subscribed phone; "
                    "SUCCESS for 002's example contact")
        return
    raise CheckInconclusive(NO_SUCCESS.format(reply=ex.text.strip()[:80], what="the success text")
                            + f"; 002's example stop got {example.text.strip()[:80]!r} too")


@check(id="whatcounts.state.long_and_short_argument_names_give_the_same_outcome", api="whatcounts",
       family="state", writes=True, source=f"{S002} (Arguments: cmd= / c=, realm= / r=, pwd= / p=)",
       cites=((S002, "cmd=smsstopsubscribersend c=smsstopsubscribersend"),
              (S002, "realm=[realm_name] r=[realm_name]"), (S002, "pwd=[password] p=[password]"),
              RESULTS))
def long_and_short_argument_names_give_the_same_outcome(ctx: CheckContext) -> None:
    """cmd/realm/pwd and c/r/p are two names of the same arguments: the same stop, the same outcome."""
    ctx.require_writes()
    rule = "long and short argument names give the same outcome"
    short_ex = stop(ctx, arguments(ctx, _phone(ctx)))
    long_ex = stop(ctx, arguments(ctx, _phone(ctx), long=True))
    kinds = (outcome(ctx, short_ex, rule), outcome(ctx, long_ex, rule))
    # The same outcome is the same reply: SUCCESS is one exact line, and two FAILUREs are the same
    # outcome only for the same reason (numbers masked: the phones differ).
    if _masked(short_ex.text) != _masked(long_ex.text):
        raise CheckFailed(rule, received=f"short names: {short_ex.text.strip()!r}; long names: "
                          f"{long_ex.text.strip()!r}", documented="the same outcome for both names",
                          source=f"{S002} (Arguments)", exchange=long_ex)
    _stop_outcome(ctx, short_ex, rule)
    _stop_outcome(ctx, long_ex, rule)
    if kinds == ("FAILURE", "FAILURE"):
        # A FAILURE for a never-subscribed phone is documented (registry
        # whatcounts.stop.subscription-required), and the same FAILURE for both names shows
        # nothing by itself: a target refusing every stop alike reads neither. The names are then
        # judged on refusals that depend on them: each argument given a wrong value under either
        # name must give the same outcome, and one that differs from the valid stop's FAILURE.
        _names_judged_by_wrong_values(ctx, rule, short_ex)
    _observe_post(ctx, rule)


def _names_judged_by_wrong_values(ctx: CheckContext, rule: str, valid: Exchange) -> None:
    """For command, realm and password: a wrong value under the short and under the long name.

    Both must give the same outcome (two names of one argument); when the wrong value's reply is
    the valid stop's FAILURE, the argument's reading is not shown and the check is inconclusive.
    """
    wrong = {"command": f"{COMMAND}-{ctx.run_prefix}", "realm": f"{ctx.run_prefix}-no-such-realm",
             "password": f"{ctx.run_prefix}-wrong-password"}
    unshown = []
    for name, value in wrong.items():
        short_ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={name: value}))
        long_ex = stop(ctx, arguments(ctx, _phone(ctx), long=True, overrides={name: value}))
        # Both replies must be documented ones; the same outcome is the same reply (see above).
        outcome(ctx, short_ex, rule)
        outcome(ctx, long_ex, rule)
        if _masked(short_ex.text) != _masked(long_ex.text):
            raise CheckFailed(rule, received=f"a wrong {name}: short names: {short_ex.text.strip()!r}; "
                              f"long names: {long_ex.text.strip()!r}", documented="the same outcome for "
                              "both names", source=f"{S002} (Arguments)", exchange=long_ex)
        if _masked(short_ex.text) == _masked(valid.text):
            unshown.append(name)
    if unshown:
        raise CheckInconclusive(NO_SUCCESS.format(reply=valid.text.strip()[:80],
                                                  what="whether both names are read")
                                + f"; a wrong {', '.join(unshown)} got the same FAILURE")


def _masked(text: str) -> str:
    """A reply with its digit runs masked (phone numbers, codes), to compare two replies' reasons."""
    return re.sub(r"[0-9]+", "#", text.strip())


def _observe_post(ctx: CheckContext, rule: str) -> None:
    """POST is not documented (registry whatcounts.http-method): answers are recorded, never judged."""
    seen = {}
    for form in (False, True):
        ex = stop(ctx, arguments(ctx, _phone(ctx)), method="POST", form=form)
        seen["form body" if form else "query string"] = f"HTTP {ex.status} {ex.text.strip()[:80]!r}"
    ctx.observe("whatcounts.http-method", {"POST": seen})


@check(id="whatcounts.errors.wrong_realm_fails", api="whatcounts", family="errors",
       source=f"{S002} (Realm: 'the command will fail if the realm and password do not match')",
       cites=(REALM_PASSWORD, FAILURE_FORMAT, WRONG_REALM_FACT))
def wrong_realm_fails(ctx: CheckContext) -> None:
    """A realm that does not match the password answers FAILURE: <reason>, and the reason is the
    public fact's: ``FAILURE: Unable to determine customer account (realm)``."""
    ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={"realm": f"{ctx.run_prefix}-no-such-realm"}))
    rule = "a wrong realm fails"
    expect_failure(ctx, ex, rule, "realm and password do not match")
    reason = ex.text.strip()[len("FAILURE:"):].strip()
    ctx.observe("whatcounts.failure-reason-text", reason[:120])
    if " ".join(reason.split()).lower() != REALM_FAILURE.lower():
        raise CheckFailed(rule + " with the realm's reason", received=ex.summary(),
                          documented=f"FAILURE: {REALM_FAILURE}",
                          source="seeds README public fact (a wrong realm answers this)", exchange=ex)


@check(id="whatcounts.errors.wrong_password_fails", api="whatcounts", family="errors",
       source=f"{S002} (Password: 'the command will fail if the realm and password do not match')",
       cites=(REALM_PASSWORD, FAILURE_FORMAT))
def wrong_password_fails(ctx: CheckContext) -> None:
    """A password that does not match the realm answers FAILURE: <reason>.

    When writes are allowed a valid stop is the control: a refusal for the same reason as the
    valid stop's shows nothing about the password (inconclusive).
    """
    ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={"password": f"{ctx.run_prefix}-wrong-password"}))
    control = stop(ctx, arguments(ctx, _phone(ctx))) if ctx.writes_allowed else None
    expect_failure(ctx, ex, "a wrong password fails", "realm and password do not match", control)


@check(id="whatcounts.errors.missing_command_realm_or_password_fails", api="whatcounts", family="errors",
       source=f"{S002} (Arguments: Command, Realm, Password 'Req? Yes'; 'The command requires the following "
       "arguments')",
       cites=(REQUIRED, FAILS_IF, FAILURE_FORMAT))
def missing_command_realm_or_password_fails(ctx: CheckContext) -> None:
    """Leaving out the command, the realm or the password (both names) answers FAILURE: <reason>.

    Without a realm or a password nothing can change; without the command a faulty target might
    still stop the phone, so that case runs only when writes are allowed, with a valid stop as the
    control: the same FAILURE for both shows nothing about the missing argument (inconclusive).
    """
    control = stop(ctx, arguments(ctx, _phone(ctx))) if ctx.writes_allowed else None
    for name in ("command", "realm", "password") if ctx.writes_allowed else ("realm", "password"):
        ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={name: None}))
        expect_failure(ctx, ex, f"a stop without the {name} argument fails", f"{name} is required", control)


@check(id="whatcounts.errors.missing_phone_or_sender_code_fails", api="whatcounts", family="errors",
       writes=True, source=f"{S002} (Arguments: Phone, Sender Code 'Req? Yes')",
       cites=(REQUIRED, FAILS_IF, FAILURE_FORMAT))
def missing_phone_or_sender_code_fails(ctx: CheckContext) -> None:
    """Leaving out the phone or the sender code answers FAILURE: <reason> (valid credentials sent).

    A valid stop is the control: a target that refuses it for the same reason shows nothing about
    the missing argument (inconclusive).
    """
    ctx.require_writes()
    control = stop(ctx, arguments(ctx, _phone(ctx)))
    for name in ("phone", "sender_code"):
        ex = stop(ctx, arguments(ctx, _phone(ctx), overrides={name: None}))
        expect_failure(ctx, ex, f"a stop without the {name} argument fails", f"{name} is required", control)


@check(id="whatcounts.errors.non_numeric_phone_fails", api="whatcounts", family="errors", writes=True,
       source=f"{S002} (Phone: 'Numeric phone number ... Do not include special characters (such as "
       "parenthesis or dash)'; Failure: 'if an argument is invalid')",
       cites=((S002, "Numeric phone number for the contacts. Do not include special characters (such as "
               "parenthesis or dash)."), FAILS_IF, FAILURE_FORMAT))
def non_numeric_phone_fails(ctx: CheckContext) -> None:
    """A phone with a dash or parentheses is an invalid argument: FAILURE: <reason>.

    The same digits sent plainly are the control: a refusal for the same reason as theirs shows
    nothing about the special characters (inconclusive). Each probe is the control's phone with
    special characters added and nothing taken away, so only they can explain a refusal.
    """
    ctx.require_writes()
    digits = ctx.fictional_phone()
    control = stop(ctx, arguments(ctx, "1" + digits))
    for phone in (f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"1({digits[:3]}){digits[3:]}"):
        ex = stop(ctx, arguments(ctx, phone))
        expect_failure(ctx, ex, "a non-numeric phone fails", "phone must be numeric", control)
