"""`python app.py` as a child process: started as the README runs it, health-checked, metered."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

from bench import cpu, memory
from bench.database import Target

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.1
STDERR = 2


class ServerError(RuntimeError):
    """The server did not start, or exited."""


class ServerProcess:
    """The server with production settings (response validation off), on the target database.

    Two settings differ from `python app.py` alone: the database URI, because bench starts the
    embedded database itself so that its pymongo client reaches the very same one; and hub
    callbacks on loopback addresses are allowed, because the events operation's listener is on
    127.0.0.1 (nothing else registers a callback, so the other operations are unaffected).
    `settings` sets further `TMF_*` variables on top (the auth operation's servers: TMF_AUTH and
    its keys).
    """

    def __init__(
        self, database: Target, workers: int, settings: Mapping[str, str] | None = None
    ) -> None:
        unknown = [name for name in settings or {} if not name.startswith("TMF_")]
        if unknown:
            raise ValueError(f"not server settings: {', '.join(unknown)}")
        self.database = database
        self.workers = workers
        self.settings = dict(settings or {})
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return HOST

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ServerProcess:
        self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TMF_")}
        environment |= {
            "TMF_HOST": HOST,
            "TMF_PORT": str(self.port),
            "TMF_LOG_LEVEL": "WARNING",
            "TMF_WORKERS": str(self.workers),
            "TMF_MONGO_URI": self.database.uri,
            "TMF_MONGO_DATABASE": self.database.name,
            "TMF_CALLBACK_ALLOW_PRIVATE": "true",
        }
        if self.database.embedded:
            # What `python app.py` sets when it starts the embedded database itself.
            environment |= {"TMF_DATA_DIR": self.database.data_dir, "TMF_EMBEDDED_DB": "true"}
        environment |= self.settings
        # Its output goes to stderr: stdout carries only the results table.
        self._process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=environment, stdout=STDERR
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def check_running(self) -> None:
        """Raise ServerError if the server has exited: every later number would be refusals."""
        if self._process is None or self._process.poll() is not None:
            code = None if self._process is None else self._process.returncode
            raise ServerError(f"app.py is not running (exit code {code})")

    def cpu_seconds(self) -> float:
        """CPU of the server and its workers, never of the database bench started."""
        if self._process is None:
            return 0.0
        excluded = [self.database.pid] if self.database.pid else []
        return cpu.tree_seconds(self._process.pid, exclude=excluded)

    @property
    def pid(self) -> int:
        """The server's first process (its workers are its children)."""
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def pids(self) -> list[int]:
        """The server's processes (its workers too), never the database bench started."""
        if self._process is None:
            return []
        excluded = [self.database.pid] if self.database.pid else []
        return memory.tree(self._process.pid, exclude=excluded)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerError(f"app.py exited with code {self._process.returncode}")
            if _healthy(self.port):
                return
            time.sleep(POLL_INTERVAL_S)
        raise ServerError(f"app.py did not answer /health within {START_TIMEOUT_S:.0f} s")


@contextmanager
def together(*servers: ServerProcess) -> Iterator[None]:
    """Start the servers at once and stop them at once: each spends most of a second or two
    importing, or shutting down, on its own."""
    with ThreadPoolExecutor(len(servers)) as pool:
        try:
            # Every start has ended, started or failed, before any stop may begin.
            starts = [pool.submit(server.start) for server in servers]
            wait(starts)
            for started in starts:
                started.result()
            yield
        finally:
            wait([pool.submit(server.stop) for server in servers])


def _healthy(port: int) -> bool:
    return answers(port, "/health", 200)


def answers(port: int, path: str, status: int) -> bool:
    """Whether a service on the port answers a GET of `path` with `status`."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == status
    except OSError:
        return False
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
