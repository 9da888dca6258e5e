"""The HTTP/1.1 protocol the server runs: uvicorn's httptools protocol with request headers
bounded, before any of them reaches the application (or authentication).

httptools buffers a header line whole, whatever its length: without a bound, one request with a
64 MB header costs 64 MB, and a few in parallel take the process's memory. Bytes received while
the request line and headers are still incomplete are counted; past `TMF_MAX_HEADER_BYTES` the
request is answered 431 with a TMF `Error` body and the connection closed.
"""

from __future__ import annotations

import json
from functools import cache
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

import errors
from settings import Settings


class HeaderTooLarge(errors.TmfError):
    status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


@cache
def _limit() -> int:
    # Read here, not passed in: uvicorn hands the protocol class to worker processes by name.
    return Settings.from_env().max_header_bytes


class BoundedHeaders(HttpToolsProtocol):  # type: ignore[misc]
    """uvicorn's protocol, refusing requests whose headers exceed `TMF_MAX_HEADER_BYTES`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_headers = True
        self._header_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._reading_headers or self.transport.is_closing():
            return
        # All of this chunk was header: the headers are still not complete.
        self._header_bytes += len(data)
        if self._header_bytes > _limit():
            self._refuse()

    def _refuse(self) -> None:
        refusal = HeaderTooLarge(
            f"request line and headers larger than {_limit()} bytes",
            reason="Request header fields too large",
        )
        body = json.dumps(refusal.body(), separators=(",", ":")).encode()
        status = refusal.status
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        self.transport.close()
