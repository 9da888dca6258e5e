"""Test fixtures: a database server per test process, a database per worker, live servers.

Each xdist worker (or the one pytest process of a run without workers) starts a SecantusDB of its
own, unless TMF_TEST_MONGO_URI names a MongoDB for all of them. SecantusDB serves its clients with
one core at most (it is Python), and the suite keeps its database the busiest process of the run:
one per worker lets the workers' database work run on as many cores. Each worker uses databases
named after it, so a shared MongoDB works as well.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from pymongo import MongoClient

from app import create_app, server_options
from persistence.database import Database
from persistence.embedded import EmbeddedDatabase
from settings import Settings

URI_VARIABLE = "TMF_TEST_MONGO_URI"
_embedded: EmbeddedDatabase | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _embedded
    if os.environ.get(URI_VARIABLE) or _distributes(config):
        return
    _embedded = EmbeddedDatabase(":memory:").start()
    os.environ[URI_VARIABLE] = _embedded.uri


def _distributes(config: pytest.Config) -> bool:
    """Whether this process is the controller of xdist workers (which run the tests)."""
    if hasattr(config, "workerinput"):
        return False
    workers = config.getoption("numprocesses", None)
    return workers in ("auto", "logical") or (isinstance(workers, int) and workers > 0)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _embedded is not None:
        _embedded.stop()


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    return os.environ[URI_VARIABLE]


@pytest.fixture(scope="session")
def database_name(mongo_uri: str, worker_id: str) -> str:
    """This worker's database, emptied once before anything uses it: dropping it later would
    also drop the indexes a running server made (every lookup would then scan)."""
    name = f"tmf_test_{worker_id}"
    with MongoClient(mongo_uri) as client:
        client.drop_database(name)
    return name


@pytest.fixture(scope="session")
def database(mongo_uri: str, database_name: str) -> Iterator[Database]:
    db = Database(mongo_uri, database_name)
    yield db
    db.close()


@pytest.fixture(scope="session")
def settings(
    mongo_uri: str, database_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        mongo_uri=mongo_uri,
        mongo_database=database_name,
        export_dir=str(tmp_path_factory.mktemp("exports")),
        validate_responses=True,
        max_page_size=200,  # tests/conformance/deviations.py relies on it
        max_body_bytes=64 * 1024,
        log_level="WARNING",
        # Failing deliveries are retried quickly. Callbacks on private addresses are refused, as
        # by default: event tests use `events_server`, which allows their 127.0.0.1 listeners.
        delivery_poll_ms=100,
        delivery_first_retry_ms=100,
        delivery_max_retry_ms=1000,
        delivery_timeout_ms=2000,
        # Each background job of a server reads the database at every poll, even with nothing to
        # do: at 100 ms, an idle server kept about a tenth of the database's core busy, and a run
        # has several servers up at once. Work started by a request (a bill run, a catalog job)
        # wakes its job at once; tests of what only the poll finds (sweeps after a kill, lapsed
        # leases) poll quickly on servers of their own (tests/crashes.py).
        scheduler_poll_ms=1000,
        completion_grace_ms=300,
    )


@dataclass
class LiveServer:
    url: str
    client: httpx.Client

    def api(self, base_path: str) -> str:
        return f"{self.url}{base_path}"


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app under uvicorn on a free loopback port, as `python app.py` runs it."""
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield LiveServer(url, client)


@pytest.fixture(scope="session")
def events_server(settings: Settings) -> Iterator[LiveServer]:
    """A server of its own that posts events to listeners on 127.0.0.1 (`python app.py`, on a
    database of its own). The shared server refuses such callbacks, as production does, so
    fuzzed hub registrations cannot point its deliveries back at itself."""
    from tests.servers import server_process  # tests.servers imports this module

    own = dataclasses.replace(
        settings, callback_allow_private=True, mongo_database=f"{settings.mongo_database}_events"
    )
    with server_process(own) as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        yield LiveServer(url, client)


class running_server:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __enter__(self) -> str:
        port = _free_port()
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
            **server_options(self.settings),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
