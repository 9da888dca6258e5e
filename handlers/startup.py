"""The lines `python app.py` prints once the server answers: where it listens, where to start
(landing page, Swagger UI), the database in use and whether callers must authenticate.

Printed when `/health` first answers on the bound port, not before: a server that could not bind
its port, or failed while starting, prints nothing of the kind."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable

from pymongo.uri_parser import parse_uri

from handlers import version
from settings import Settings

# How long the server may take to answer its first `/health` before nothing is printed.
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.1
FIRST_UI = "/tmf-api/productCatalogManagement/v4/ui/"


def lines(settings: Settings, auth_required: bool, embedded: bool) -> list[str]:
    shown = settings.public_url.rstrip("/") or f"http://{_reachable(settings.host)}:{settings.port}"
    if embedded:
        database = (
            f"embedded SecantusDB in {settings.data_dir} (database {settings.mongo_database})"
        )
    else:
        database = f"MongoDB at {_nodes(settings.mongo_uri)} (database {settings.mongo_database})"
    commit = version.commit()
    build = version.version() + (f", commit {commit}" if commit else "")
    authentication = (
        "required (API keys or JWTs; README.md, Security)"
        if auth_required
        else "off: every caller may do everything (loopback only)"
    )
    return [
        f"TMF Open API server {build} listening on {shown}/",
        f"  landing page    {shown}/  (every API, its root, Swagger UI and OpenAPI document)",
        f"  Swagger UI      {shown}{FIRST_UI}  (each API at <root>/ui/)",
        f"  health          {shown}/health",
        f"  database        {database}",
        f"  authentication  {authentication}",
        f"  workers         {settings.workers}",
    ]


def announce_when_up(
    settings: Settings, shown: list[str], say: Callable[[str], None] = print
) -> threading.Thread:
    """In the background: once `/health` answers on the server's port, `say` each line."""

    def wait() -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if _answers(_reachable(settings.host), settings.port):
                for line in shown:
                    say(line)
                return
            time.sleep(POLL_SECONDS)

    thread = threading.Thread(target=wait, name="startup-announcement", daemon=True)
    thread.start()
    return thread


def _answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status in (200, 503)
    except OSError:
        return False
    finally:
        connection.close()


def _reachable(host: str) -> str:
    """Where this machine reaches a server bound to `host` (all interfaces: loopback)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _nodes(uri: str) -> str:
    """The hosts of a MongoDB URI, without its credentials or options."""
    try:
        nodes = parse_uri(uri, validate=False)["nodelist"]
    except Exception:  # a URI the driver will refuse with its own message
        return "the configured TMF_MONGO_URI"
    return ",".join(f"{host}:{port}" for host, port in nodes)
