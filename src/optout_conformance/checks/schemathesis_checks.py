"""The response rules as Schemathesis checks ``(ctx, response, case)``, registered with
``@schemathesis.check``.

Each rule of ``checks/response.py`` gets its Schemathesis form here; a broken rule raises
:class:`DocumentedRuleBroken` (Received / Documented, with the source). The property phase runs
:func:`response_checks` (registry-aware through the run's ``expect``); :data:`RESPONSE_CHECKS`
registers every rule with Schemathesis, every registry entry pinned, so any Schemathesis run in
the process applies them too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure, Severity

from optout_conformance.checks.requests import request_negativity
from optout_conformance.checks.response import (
    Reply,
    Violation,
    body_level_rejection,
    codes_let_through,
    documented_error_code,
    profile_shape_conforms,
    text_reply_conforms,
)


class DocumentedRuleBroken(Failure):
    """A reply broke a rule a source document states (Received / Documented, with the source)."""

    code = "ST990"
    kind_title = "Documented rule broken"

    @classmethod
    def of(cls, violation: Violation, case: schemathesis.Case) -> DocumentedRuleBroken:
        return cls(
            operation=case.operation.label,
            title=violation.rule,
            message=f"Received: {violation.received}\n"
            f"Documented: {violation.documented} ({violation.source})",
            severity=Severity.HIGH,
        )


def _raise(violation: Violation | None, case: schemathesis.Case) -> None:
    if violation is not None:
        raise DocumentedRuleBroken.of(violation, case)


def check_text_reply_conforms(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                              case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`text_reply_conforms` (002 Results)."""
    _raise(text_reply_conforms(Reply.from_response(response, case)), case)
    return None


def check_profile_shape_conforms(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                 case: schemathesis.Case) -> bool | None:
    """Schemathesis form of :func:`profile_shape_conforms` (the narrowed spec loaded)."""
    _raise(profile_shape_conforms(Reply.from_response(response, case), case.operation.schema.raw_schema),
           case)
    return None


def response_checks(expect: Callable[[str], Any] | None = None) -> tuple[Callable[..., bool | None], ...]:
    """Every response rule as a Schemathesis check ``(ctx, response, case)``.

    ``expect`` is the run's :meth:`CheckContext.expect`; the two error-code rules let through the
    codes :func:`codes_let_through` names under it. None: every registry entry counts as pinned.
    """
    @functools.cache
    def let_through(path: str) -> frozenset[int]:
        return frozenset() if expect is None else codes_let_through(path, expect)

    def check_body_level_rejection(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                   case: schemathesis.Case) -> bool | None:
        """Schemathesis form of :func:`body_level_rejection` (000/001 Error Codes; 002 Results)."""
        reply = Reply.from_response(response, case)
        if reply.api is not None:
            sent = request_negativity(case, response)
            _raise(body_level_rejection(reply, case.operation.schema.raw_schema, sent.negative,
                                        sent.negation, sent.disputed_sent, let_through(case.path)), case)
        return None

    def check_documented_error_code(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                                    case: schemathesis.Case) -> bool | None:
        """Schemathesis form of :func:`documented_error_code` (000/001 Error Codes tables)."""
        _raise(documented_error_code(Reply.from_response(response, case), case.operation.schema.raw_schema,
                                     let_through(case.path)), case)
        return None

    return (check_body_level_rejection, check_text_reply_conforms, check_profile_shape_conforms,
            check_documented_error_code)


def inserted_number_is_listed(insert: schemathesis.Case, inserted: schemathesis.Response,
                              search: schemathesis.Case, found: schemathesis.Response
                              ) -> DocumentedRuleBroken | None:
    """The sequence rule of Convoso's insert -> search link (spec link ``SearchInsertedNumber``).

    An insert answered ``"success": true`` must be listed by the search for its phone_number that
    follows it (000 SMS Compliance "Honor opt-out immediately"; 000 workflow "Checking SMS Opt-Out
    Status"). Judged only when the search filters by that phone_number alone and answers a page
    holding every match (``total`` not above the records listed); else None.
    """
    number = insert.body.get("phone_number") if isinstance(insert.body, dict) else None
    filters = search.body if isinstance(search.body, dict) else {}
    if not number or set(filters) - {"auth_token", "phone_number"} or filters.get("phone_number") != number:
        return None
    try:
        ack, page = inserted.json(), found.json()
    except ValueError:
        return None
    if not (isinstance(ack, dict) and ack.get("success") is True and isinstance(page, dict)
            and page.get("success") is True and isinstance(page.get("records"), list)):
        return None
    records = page["records"]
    try:
        complete = int(page.get("total", 0)) <= len(records)
    except (TypeError, ValueError):
        complete = False
    if not complete or any(isinstance(r, dict) and r.get("phone_number") == number for r in records):
        return None
    return DocumentedRuleBroken(
        operation=search.operation.label,
        title="an inserted opt-out is listed by the next search for its number",
        message=f"Received: insert of phone_number {number} answered success true; the search for "
        f"phone_number {number} right after lists {len(records)} record(s), none with that number\n"
        "Documented: opt-outs are honored immediately; the search returns all SMS opt-out entries "
        "for the number (000_4120ae5ce1e52dc7.txt, SMS Compliance; workflow)",
        severity=Severity.HIGH,
    )


# Registered with Schemathesis (any run in the process applies them), every registry entry pinned.
RESPONSE_CHECKS = tuple(schemathesis.check(function) for function in response_checks())


