"""Servers killed with SIGKILL at a chosen moment and started again on the same database, for
tests/test_crash_recovery.py.

A `CrashableServer` is `python app.py` (as tests/servers.py starts it) on a database of its own,
with the background work polling quickly: `start` starts a new process on that database, `kill`
kills the running one with no chance to finish anything. `kill_during` runs a workload in a few
threads and kills the server after a given delay, or at the first moment after it that a given
check holds; the workload ends when its requests fail.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.database import Database

from settings import Settings
from tests.conftest import _free_port
from tests.servers import ROOT, _stop, _wait_healthy, environment


class CrashableServer:
    """One server process at a time on one database that outlives them."""

    def __init__(self, settings: Settings, database: str, **overrides: Any) -> None:
        self.settings = dataclasses.replace(
            settings,
            mongo_database=database,
            scheduler_poll_ms=100,
            completion_grace_ms=300,
            **overrides,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> httpx.Client:
        """Start a new process on the database; a client of it (closed by the caller)."""
        assert not self.running(), "one process at a time"
        port = _free_port()
        settings = dataclasses.replace(self.settings, port=port)
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=environment(settings)
        )
        self.url = f"http://127.0.0.1:{port}"
        _wait_healthy(self.process, self.url)
        return httpx.Client(base_url=self.url, timeout=30)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: whatever the process was doing stops where it is."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


@contextmanager
def crashable(settings: Settings, database: str, **overrides: Any) -> Iterator[CrashableServer]:
    """A CrashableServer on `database`, emptied first; its last process is stopped after."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongo_uri) as client:
        client.drop_database(database)
    server = CrashableServer(settings, database, **overrides)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def stored(settings: Settings, database: str) -> Iterator[Database[dict[str, Any]]]:
    """The database itself, for the bookkeeping the API does not show."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongo_uri) as client:
        yield client[database]


Work = Callable[[httpx.Client], None]


def kill_during(
    server: CrashableServer,
    works: Sequence[Work],
    delay: float,
    when: Callable[[], Any] | None = None,
    patience: float = 15,
) -> None:
    """Run each of `works` in a thread of its own (with a client of its own) against the
    server's running process (a new one when none runs), SIGKILL it `delay` seconds later and
    wait for the workload to stop. Given `when`, the kill waits after `delay` for the first moment
    `when()` is true (checked every few milliseconds, `patience` seconds at most): a window a few
    milliseconds wide is then hit on purpose rather than by luck. A work returns when it is done or
    when a request fails (httpx.TransportError: the server is gone)."""
    if not server.running():
        server.start().close()

    def each(work: Work) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            try:
                work(client)
            except httpx.TransportError:
                pass

    workers = [threading.Thread(target=each, args=(work,), daemon=True) for work in works]
    for worker in workers:
        worker.start()
    time.sleep(delay)
    if when is not None:
        deadline = time.monotonic() + patience
        while not when() and time.monotonic() < deadline:
            time.sleep(0.002)
    server.kill()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive(), "the workload did not stop when the server died"


def wait_until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll `check` until it returns something true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def live(collection: Any, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The documents of a collection that are not tombstones of deleted ones."""
    return list(collection.find({**(where or {}), "_gone": {"$ne": True}}))
