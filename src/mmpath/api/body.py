"""Reading a JSON request body safely: size limit, content type, strict JSON.

Whatever a client sends, the outcome is the decoded value or an :class:`ApiError`
(413 too large, 415 not JSON, 422 not decodable), never an unhandled exception.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request

from mmpath.api.errors import ApiError
from mmpath.record.decode import strict_json
from mmpath.record.errors import Problem, RecordError
from mmpath.store.canonical import unstorable_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit} bytes")


class BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes (declared or actually sent)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    await _send_json(send, 413, too_large(self.limit).detail)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.limit)
            return message

        await self.app(scope, counted, send)


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def decode_json(raw: bytes) -> Any:
    """The body decoded by the record layer's strict JSON decoder (:mod:`mmpath.record.decode`)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 (byte {error.start}: {error.reason})"
        raise ApiError(422, "request body is not UTF-8", [Problem("", message)]) from None
    try:
        value = strict_json(text)
    except RecordError as error:
        raise ApiError(422, "request body is not valid JSON", error.problems) from None
    problems = unstorable_text(value)
    if problems:
        raise ApiError(422, "request body has text that cannot be stored", problems)
    return value


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_body(request: Request) -> Any:
    """The decoded JSON body of ``request`` (see the module docstring for the errors)."""
    content_type = request.headers.get("content-type", "")
    if not is_json(content_type):
        raise ApiError(
            415, f"expected a JSON body (Content-Type: application/json), got {content_type!r}"
        )
    return decode_json(await request.body())
