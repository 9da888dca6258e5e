"""While the database is unreachable, requests get 503 with Retry-After, and /health says so."""

from __future__ import annotations

import dataclasses

import httpx

from persistence.embedded import EmbeddedDatabase
from settings import Settings
from tests.builders import customer
from tests.servers import server_process

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def test_requests_get_503_while_the_database_is_down(settings: Settings) -> None:
    database = EmbeddedDatabase(":memory:").start()
    own = dataclasses.replace(settings, mongo_uri=database.uri, mongo_timeout_ms=300)
    try:
        with server_process(own) as (_, url):
            assert httpx.post(f"{url}{CUSTOMERS}", json=customer()).status_code == 201
            database.stop()
            response = httpx.get(f"{url}{CUSTOMERS}", timeout=10)
            assert response.status_code == 503
            assert response.json()["@type"] == "Error"
            assert response.headers["Retry-After"]
            health = httpx.get(f"{url}/health", timeout=10)
            assert health.status_code == 503
            assert health.json()["database"]["status"] == "down"
    finally:
        database.stop()
