"""What the commands work on: the server's database, and the server itself over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from persistence import address, clients
from persistence.database import Database
from settings import Settings

OPERATOR_NAME = "admin command line"
# A probe any protected server refuses without credentials.
_PROBE = "/tmf-api/customerManagement/v4/customer?limit=1"


@contextmanager
def database(settings: Settings) -> Iterator[Database]:
    uri = address.database_uri(settings.mongo_uri, settings.data_dir, settings.port)
    opened = Database(uri, settings.mongo_database, event_partitions=settings.event_partitions)
    try:
        yield opened
    finally:
        opened.close()


def server_url(settings: Settings, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


@contextmanager
def operator_headers(settings: Settings, url: str, purpose: str) -> Iterator[dict[str, str]]:
    """Headers that let the command act as the operator: none for a server running open, else
    an administrator's key made now in the server's database and revoked when the block ends
    (kept, revoked, in the client list: who did what stays on record)."""
    if not _requires_credentials(url):
        yield {}
        return
    with database(settings):
        client, key = clients.create(f"{OPERATOR_NAME} ({purpose})", ["admin"], None)
    try:
        yield {"X-API-Key": key}
    finally:
        with database(settings):
            clients.revoke(client.client_id)


def _requires_credentials(url: str) -> bool:
    try:
        urllib.request.urlopen(url + _PROBE, timeout=30).close()
    except urllib.error.HTTPError as refused:
        return refused.code == 401
    return False
