"""Bases of transport faults: tiny ASGI middlewares that spoil what goes over the wire, not the logic.

Two small bases do the plumbing: :class:`ResponseRewriter` buffers one API's replies and hands
them to ``rewrite``; :class:`InputGate` reads a request's body first and may answer in place of
the service (a crash page). Each API's transport faults (in its ``faults`` module) set ``api``
and override one method.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optout_conformance.core.apis import APIS

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


def set_header(headers: Headers, name: bytes, value: bytes) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value)]


class ResponseRewriter:
    """Buffers every reply of ``api`` and passes it through ``rewrite`` before sending it."""

    api = ""

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
            headers = set_header(headers, b"content-length", str(len(body)).encode())
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)


class InputGate:
    """Reads the whole request of ``api`` first; ``answer`` may reply instead of the service."""

    api = ""

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


def looks_odd(data: bytes) -> bool:
    """Long (over 2,000 bytes) or not UTF-8: the input a hurried parser chokes on."""
    if len(data) > 2000:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
