"""Faithful variants: servers that differ from the reference only where no document speaks.

The suite must pass every one of them in each run profile listed: a failure here is a false
alarm (the suite enforcing something no document states). Each docstring says what differs and
why the documents allow it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from optout_conformance.faults.catalog import faithful
from optout_conformance.reference.avaamo import AvaamoBadRequest, AvaamoService
from optout_conformance.reference.convoso import ConvosoService
from optout_conformance.reference.convoso_errors import ConvosoBadRequest, message_for
from optout_conformance.reference.store import ConvosoRecord, Where
from optout_conformance.reference.whatcounts import StopFailure, WhatCountsService

COMMUNITY_RUNS = ("community", "lenient", "auto")
OFFICIAL_RUNS = ("official", "lenient", "auto")
ANY_RUN = ("auto", "lenient")


@faithful("convoso-errors-with-http-400", api="convoso", family="errors", profiles=COMMUNITY_RUNS,
          server_profile="community")
class ErrorsWithHttp400(ConvosoService):
    """Answers coded errors with HTTP 400 instead of 200 (same body).

    No seed document gives the HTTP status of an error (000_4120ae5ce1e52dc7.txt and
    001_5cae901d395a1be8.txt list codes and messages only; registry convoso.error.http-status).
    """

    def error_response(self, code: int, operation: str) -> Response:
        response = super().error_response(code, operation)
        response.status_code = 400
        return response


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


@faithful("convoso-limit-above-max-rejected", api="convoso", family="limits", profiles=COMMUNITY_RUNS,
          server_profile="community")
class LimitAboveMaxRejected(ConvosoService):
    """Rejects limit above 1000 (HTTP 400) instead of clamping it.

    Both documents say "max 1000" (000_4120ae5ce1e52dc7.txt, 001_5cae901d395a1be8.txt) without
    saying whether a larger value is clamped or refused (registry convoso.search.limit-above-max).
    """

    def parse_limit(self, value: str) -> int:
        if value.isdigit() and int(value) > 1000:
            raise ConvosoBadRequest("limit must be at most 1000")
        return super().parse_limit(value)


@faithful("convoso-newest-first", api="convoso", family="pagination", profiles=COMMUNITY_RUNS,
          server_profile="community")
class NewestFirst(ConvosoService):
    """Orders search results newest first (id descending), stably.

    Neither document fixes an order (000_4120ae5ce1e52dc7.txt, 001_5cae901d395a1be8.txt;
    registry convoso.search.order).
    """

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        total = self.count(where)
        start = max(total - offset - limit, 0)
        size = max(min(limit, total - offset), 0)
        return list(reversed(super().page(where, start, size))) if size else []


@faithful("convoso-errors-use-message-key", api="convoso", family="errors", profiles=COMMUNITY_RUNS,
          server_profile="community")
class ErrorsUseMessageKey(ConvosoService):
    """Puts the error text under "message" instead of "error" in coded errors.

    The error tables have columns "Code | Message" (001_5cae901d395a1be8.txt) and public fact:
    the convoso-js SDK reads a "message" or an "error" string (registry convoso.error.body-shape).
    """

    def error_response(self, code: int, operation: str) -> Response:
        message = message_for(code, operation, self.config.profile)
        return JSONResponse({"success": False, "code": code, "message": message})


@faithful("convoso-record-not-found-text", api="convoso", family="errors", profiles=COMMUNITY_RUNS,
          server_profile="community")
class RecordNotFoundText(ConvosoService):
    """Answers an update of an unknown id with 000's "Record not found" instead of 6056.

    000_4120ae5ce1e52dc7.txt lists both 6056 "Missing or Invalid value for ID" and, in its Error
    Handling table, "Record not found" (registry convoso.update.record-not-found).
    """

    def find_update_record(self, value: str) -> ConvosoRecord:
        known = value.isdigit() and len(value) <= 18  # SQLite integers are 64-bit
        record = self.store.get_convoso(int(value)) if known else None
        if record is None and known:
            raise ConvosoBadRequest("Record not found")
        return super().find_update_record(value)


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


@faithful("whatcounts-failure-with-http-400", api="whatcounts", family="errors", profiles=ANY_RUN)
class WhatCountsFailureWithHttp400(WhatCountsService):
    """Answers FAILURE replies with HTTP 400 (same text body).

    002_b0345f491e7a5826.txt gives the FAILURE text but no status (registry
    whatcounts.failure-http-status).
    """

    def failure_response(self, reason: str) -> Response:
        return PlainTextResponse(f"FAILURE: {reason}", status_code=400)


@faithful("whatcounts-never-subscribed-fails", api="whatcounts", family="state", profiles=ANY_RUN)
class NeverSubscribedFails(WhatCountsService):
    """Answers a stop for a phone with no subscription with FAILURE.

    002_b0345f491e7a5826.txt says both "create an opt out for any Phone number regardless of
    subscription" and "The command will fail if a subscription does not exist" (registry
    whatcounts.stop.subscription-required).
    """

    def stop(self, phone: str, sender_code: str) -> None:
        raise StopFailure("Subscription does not exist for phone")


@faithful("whatcounts-get-only", api="whatcounts", family="robustness", profiles=ANY_RUN)
class GetOnly(WhatCountsService):
    """Serves only GET (POST -> 405).

    002_b0345f491e7a5826.txt documents only a URL with a query string (registry
    whatcounts.http-method): POST is neither required nor forbidden.
    """

    def routes(self) -> list[Route]:
        return [Route("/bin/api_web", self.handle, methods=["GET"])]


@faithful("avaamo-per-page-above-max-rejected", api="avaamo", family="limits", profiles=ANY_RUN)
class PerPageAboveMaxRejected(AvaamoService):
    """Rejects per_page above 100 with HTTP 400 instead of clamping.

    003_725be0800b974dd2.txt says "Maximum value: 100" without saying what a larger value does
    (registry avaamo.query.per-page-above-max).
    """

    def parse_per_page(self, value: str) -> int:
        if value.isdigit() and int(value) > 100:
            raise AvaamoBadRequest("per_page must be at most 100")
        return super().parse_per_page(value)


@faithful("avaamo-json-path-only", api="avaamo", family="shapes", profiles=ANY_RUN)
class JsonPathOnly(AvaamoService):
    """Serves only /api/v2/sms/opt-status.json (the plain path is 404).

    003_725be0800b974dd2.txt's endpoint line has the .json suffix; its curl examples omit it
    (registry avaamo.path.json-suffix: .json binding, plain path observed).
    """

    def routes(self) -> list[Route]:
        return [Route("/api/v2/sms/opt-status.json", self.handle, methods=["GET"])]


@faithful("avaamo-unauthorized-403", api="avaamo", family="auth", profiles=ANY_RUN)
class Unauthorized403(AvaamoService):
    """Answers a missing or wrong access-token with HTTP 403 and a "message" body.

    003_725be0800b974dd2.txt requires the header but gives no failure response (registry
    avaamo.auth.failure-response).
    """

    def error_response(self, message: str, status: int) -> Response:
        if status == 401:
            return JSONResponse({"message": message}, status_code=403)
        return super().error_response(message, status)


@faithful("avaamo-created-at-milliseconds", api="avaamo", family="shapes", profiles=ANY_RUN)
class CreatedAtMilliseconds(AvaamoService):
    """Serves created_at in epoch milliseconds.

    003_725be0800b974dd2.txt says "UNIX epoch timestamp" without units, while start_time and
    end_time are milliseconds (registry avaamo.entry.created_at-units).
    """

    def format_entry(self, entry: Any) -> dict[str, Any]:
        return {**super().format_entry(entry), "created_at": entry.created_at * 1000}


