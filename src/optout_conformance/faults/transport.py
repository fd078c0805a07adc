"""Transport faults: tiny ASGI middlewares that spoil what goes over the wire, not the logic.

Two small bases do the plumbing: :class:`ResponseRewriter` buffers one API's replies and hands
them to ``rewrite``; :class:`InputGate` reads a request's body first and may answer in place of
the service (a crash page). Each registered fault then overrides one method.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optout_conformance.core.apis import APIS
from optout_conformance.core.faults import fault

Headers = list[tuple[bytes, bytes]]

CRASH_PAGE = (
    b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    b"<h1>Internal Server Error</h1><pre>Traceback (most recent call last):\n"
    b'  File "app.py", line 42, in handler\nValueError: field too long</pre></body></html>'
)


def _api_of(scope: Scope) -> str | None:
    path = scope.get("path", "")
    for info in APIS.values():
        if path.startswith(info.base_path + "/"):
            return info.name
    return None


def _set_header(headers: Headers, name: bytes, value: bytes) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value)]


class ResponseRewriter:
    """Buffers every reply of ``api`` and passes it through ``rewrite`` before sending it."""

    api = "convoso"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return status, headers, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _api_of(scope) != self.api:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            original = list(start.get("headers", []))
            status, headers, body = self.rewrite(start["status"], original, b"".join(chunks))
            headers = _set_header(headers, b"content-length", str(len(body)).encode())
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)


class InputGate:
    """Reads the whole request of ``api`` first; ``answer`` may reply instead of the service."""

    api = "convoso"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        """(status, content type, body) to send instead of the service's reply, or None."""
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _api_of(scope) != self.api:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        reply = self.answer(scope.get("query_string", b""), body)
        if reply is not None:
            status, content_type, content = reply
            headers = [(b"content-type", content_type), (b"content-length", str(len(content)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, {"type": "http.disconnect"})

        await self.app(scope, replayed, send)


def _looks_odd(data: bytes) -> bool:
    """Long (over 2,000 bytes) or not UTF-8: the input a hurried parser chokes on."""
    if len(data) > 2000:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@fault(
    "convoso-html-500-on-long-input",
    api="convoso",
    family="robustness",
    detected_by=("convoso.robustness.odd_input_gets_a_documented_reply",),
    middleware=True,
)
class ConvosoCrashesOnLongInput(InputGate):
    """Answers a long or non-UTF-8 request body with an HTTP 500 HTML traceback page.

    Breaks: every Convoso reply is JSON with ``success`` (000_4120ae5ce1e52dc7.txt, "Error
    Handling": ``{"success": false, "error": ...}``); the Convoso glossary's 500 means the server
    failed, never a validation answer.
    """

    api = "convoso"

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if _looks_odd(body) else None


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
        odd = _looks_odd(query) or _looks_odd(body)
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if odd else None


@fault(
    "avaamo-html-500-on-long-input",
    api="avaamo",
    family="robustness",
    detected_by=("avaamo.robustness.odd_input_gets_a_documented_reply",),
    middleware=True,
)
class AvaamoCrashesOnLongInput(InputGate):
    """Answers a long query string (e.g. a 10,000-character to_phone) with an HTTP 500 HTML page.

    Breaks: the opt-status endpoint answers JSON (003_725be0800b974dd2.txt: ``opt-status.json``,
    the response attributes table); a bad filter value is not a server failure.
    """

    api = "avaamo"

    def answer(self, query: bytes, body: bytes) -> tuple[int, bytes, bytes] | None:
        return (500, b"text/html; charset=utf-8", CRASH_PAGE) if _looks_odd(query) else None


@fault(
    "convoso-json-served-as-text-html",
    api="convoso",
    family="shapes",
    detected_by=("convoso.shapes.search_replies_conform_to_the_spec",
                 "convoso.properties.generated_requests_follow_the_spec"),
    middleware=True,
)
class ConvosoJsonAsHtml(ResponseRewriter):
    """Labels every JSON reply ``text/html`` (a framework default left in place).

    Breaks: the replies are JSON documents (000_4120ae5ce1e52dc7.txt response examples marked
    ``json``; 001_5cae901d395a1be8.txt "Example JSON Response"); a client that checks the media
    type rejects them.
    """

    api = "convoso"

    def rewrite(self, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        return status, _set_header(headers, b"content-type", b"text/html; charset=utf-8"), body


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
        return status, _set_header(headers, b"content-type", b"text/html; charset=utf-8"), page
