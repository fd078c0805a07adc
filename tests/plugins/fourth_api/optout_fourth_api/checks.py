"""The Fourth API's checks, each citing a sentence of sources/fourth_status.txt."""

from __future__ import annotations

from optout_conformance.core.checks import check
from optout_conformance.core.outcomes import CheckFailed
from optout_conformance.runner.context import RunContext

SOURCE = "fourth_status.txt"
PATH = "/status.json"
PHONE = "2065550100"


@check(id="fourth.auth.no_status_without_a_valid_api_key", api="fourth", family="auth",
       source=f"{SOURCE} (api_key required)",
       cites=((SOURCE, "Requests without a valid api_key are refused with HTTP 401."),))
def no_status_without_a_valid_api_key(ctx: RunContext) -> None:
    """A request with no api_key, or a wrong one, is refused with HTTP 401."""
    for label, key in (("missing", None), ("wrong", f"{ctx.run_prefix}-not-a-key")):
        params = {"phone": PHONE} if key is None else {"phone": PHONE, "api_key": key}
        ex = ctx.http.get(PATH, params=params)
        if ex.status != 401:
            raise CheckFailed(f"a request with a {label} api_key is refused with HTTP 401",
                              received=ex.summary(), documented="HTTP 401",
                              source=f"{SOURCE} (api_key)", exchange=ex)


@check(id="fourth.shapes.status_reply_has_phone_and_opted_out", api="fourth", family="shapes",
       source=f"{SOURCE} (successful reply)",
       cites=((SOURCE, "A successful reply is a JSON object with the fields phone and opted_out"),))
def status_reply_has_phone_and_opted_out(ctx: RunContext) -> None:
    """A valid lookup answers a JSON object with the phone asked for and a boolean opted_out."""
    ex = ctx.http.get(PATH, params={"phone": PHONE, "api_key": ctx.credentials.token or ""})
    body = ex.json_or_none()
    if ex.status != 200 or not isinstance(body, dict) or body.get("phone") != PHONE \
            or not isinstance(body.get("opted_out"), bool):
        raise CheckFailed("a valid lookup answers {phone, opted_out}", received=ex.summary(),
                          documented='{"phone": "<the number>", "opted_out": true|false}',
                          source=f"{SOURCE} (successful reply)", exchange=ex)
