"""HTTP to the server: one keep-alive connection per load thread, and the paths the operations
request (each operation's own requests are in bench/operations/)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Collection
from typing import Any

from bench.workload import (
    LISTED_ORDER_STATE,
    LISTED_STATUS,
    PAGE_SIZE,
)
from tmf_apis.tmf620.registry import API as CATALOG_API
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf622.registry import API as ORDERING_API
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf629.registry import API, CUSTOMER

CUSTOMERS = f"{API.base_path}/{CUSTOMER.path}"
OFFERINGS = f"{CATALOG_API.base_path}/{PRODUCT_OFFERING.path}"
ORDERS = f"{ORDERING_API.base_path}/{PRODUCT_ORDER.path}"
TIMEOUT_S = 30.0
# A keep-alive connection the server closed while idle fails on first use; one retry reconnects.
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class UnexpectedStatus(RuntimeError):
    """The server answered, but not with the status the operation succeeds with."""


class HttpClient:
    """One HTTP/1.1 keep-alive connection (stdlib: it costs the client far less CPU than httpx)."""

    def __init__(self, host: str, port: int) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        expected: int | Collection[int] = 200,
        headers_out: dict[str, str] | None = None,
    ) -> bytes:
        """Send one request, read the whole response; UnexpectedStatus for any other status."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            try:
                self._connection.request(method, path, payload, headers)
                response = self._connection.getresponse()
                data = response.read()
                break
            except _STALE_CONNECTION:
                self._connection.close()
                if attempt == 2:
                    raise
        wanted = {expected} if isinstance(expected, int) else set(expected)
        if response.status not in wanted:
            raise UnexpectedStatus(f"{method} {path}: {response.status} {data[:200]!r}")
        if headers_out is not None:
            headers_out.update((k.lower(), v) for k, v in response.getheaders())
        return data

    def close(self) -> None:
        self._connection.close()


def offering_list_path(category_id: str) -> str:
    """The offerings operation's request: launched offerings of one category, one page."""
    return (
        f"{OFFERINGS}?lifecycleStatus={LISTED_STATUS}&category.id={category_id}&limit={PAGE_SIZE}"
    )


def order_list_path(customer_id: str) -> str:
    """The orders operation's request: one customer's orders at work, one page."""
    return f"{ORDERS}?state={LISTED_ORDER_STATE}&relatedParty.id={customer_id}&limit={PAGE_SIZE}"
