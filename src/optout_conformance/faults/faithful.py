"""Faithful variants: servers that differ from the reference only where no document speaks.

The suite must pass every one of them in each run profile listed: a failure here is a false
alarm (the suite enforcing something no document states). Each docstring says what differs and
why the documents allow it.

Most faithful variants are no longer written by hand: they are realizations of open points in
the registry (``openapi/discrepancies.yaml``, ``realizations``), built by the one generator in
``faults/open_points.py``. A realization with a ``catalog`` name is registered here under that
name (the former hand-written variant's, so ``serve --fault convoso-newest-first`` still works);
the rest are reached through the covering-array sweep (``detect --sweep``). What stays here are
composite variants no single open point describes.
"""

from __future__ import annotations

import dataclasses

from starlette.responses import JSONResponse, Response

from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import message_for
from optout_conformance.core.faults import add, faithful
from optout_conformance.faults import open_points

COMMUNITY_RUNS = ("community", "lenient", "auto")
OFFICIAL_RUNS = ("official", "lenient", "auto")
ANY_RUN = ("auto", "lenient")


@faithful("convoso-invalid-token-with-http-200", api="convoso", family="auth", profiles=COMMUNITY_RUNS,
          server_profile="community")
class InvalidTokenWithHttp200(ConvosoService):
    """Answers an invalid token with HTTP 200 and 000's error body.

    000_4120ae5ce1e52dc7.txt gives only the body {"success": false, "error": "Invalid
    authentication token"}; the status is unspecified (registry convoso.auth.invalid-token).
    """

    def unauthorized_response(self) -> Response:
        return JSONResponse({"success": False, "error": "Invalid authentication token"})


@faithful("convoso-invalid-token-with-http-422", api="convoso", family="auth", profiles=COMMUNITY_RUNS,
          server_profile="community")
class InvalidTokenWithHttp422(ConvosoService):
    """Answers an invalid or missing token with HTTP 422 and 000's error body.

    000_4120ae5ce1e52dc7.txt gives only the body {"success": false, "error": "Invalid
    authentication token"}; no seed document gives the status (registry convoso.auth.invalid-token;
    the Convoso glossary's 401 is a public fact, not a seed rule).
    """

    def unauthorized_response(self) -> Response:
        return JSONResponse({"success": False, "error": "Invalid authentication token"}, status_code=422)


@faithful("convoso-official-server", api="convoso", family="shapes", profiles=OFFICIAL_RUNS,
          server_profile="official")
class OfficialServer(ConvosoService):
    """The reference in its official profile with coded errors as HTTP 422.

    Follows 001_5cae901d395a1be8.txt on every disputed search point; the error status is
    unspecified in every document (registry convoso.error.http-status).
    """

    def error_response(self, code: int, operation: str) -> Response:
        return JSONResponse({"success": False, "code": str(code), "error": message_for(
            code, operation, self.config.profile)}, status_code=422)


def _register_realizations() -> None:
    """Each realization with a ``catalog`` name becomes a catalog entry of that name."""
    for alias, entry, realization in open_points.catalog_aliases():
        generated = open_points.server(
            entry.api, "community", [open_points.Choice(entry, realization)], name=alias
        )
        if entry.api == "convoso":
            add(dataclasses.replace(generated, profiles=COMMUNITY_RUNS))
        else:
            add(dataclasses.replace(generated, profiles=ANY_RUN, server_profile=None))


_register_realizations()

# The former hand-written classes, under their old names (tests and users import some of them).
LimitAboveMaxRejected = open_points.ConvosoLimitAboveMaxRejected
NewestFirst = open_points.ConvosoNewestFirst
RecordNotFoundText = open_points.ConvosoRecordNotFoundText
NeverSubscribedFails = open_points.WhatCountsNeverSubscribedFails
GetOnly = open_points.WhatCountsGetOnly
PerPageAboveMaxRejected = open_points.AvaamoPerPageAboveMaxRejected
JsonPathOnly = open_points.AvaamoJsonPathOnly
CreatedAtMilliseconds = open_points.AvaamoCreatedAtMilliseconds
