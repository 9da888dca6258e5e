"""Correlation ids and the access log: one structured line per request, tied to its errors."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORRELATION_HEADER = "X-Correlation-ID"
_HEADER_KEY = CORRELATION_HEADER.lower().encode()
# A caller's id is kept only when it is short and harmless in a log line.
_ACCEPTABLE = re.compile(rb"^[A-Za-z0-9._:\-]{1,64}$")

access_log = logging.getLogger("tmf.access")


class RequestLog:
    """Gives every request a correlation id (the caller's, or a new one), echoes it in the
    response, and logs the request once it is answered.

    The id travels as a request header so the WSGI side and the error renderer can read it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != _HEADER_KEY]
        given = next((v for k, v in scope["headers"] if k == _HEADER_KEY), b"")
        correlation_id = given if _ACCEPTABLE.match(given) else uuid.uuid4().hex.encode()
        headers.append((_HEADER_KEY, correlation_id))
        scope = {**scope, "headers": headers}
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                response_headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER_KEY
                ]
                response_headers.append((_HEADER_KEY, correlation_id))
                message = {**message, "headers": response_headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "correlation_id": correlation_id.decode(),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )
