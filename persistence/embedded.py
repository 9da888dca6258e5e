"""The embedded SecantusDB: a MongoDB-compatible server run as a child process of this one."""

from __future__ import annotations

import ctypes
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 0.05
# The oplog only serves change streams here; a short one keeps the store small.
OPLOG_MAX_ENTRIES = 10_000
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started."""


class EmbeddedDatabase:
    """Starts `secantusd-py` on a free loopback port and stops it again.

    `storage_path` is a directory kept across restarts, or ":memory:" for a throwaway store.
    """

    def __init__(self, storage_path: str, host: str = "127.0.0.1") -> None:
        self.storage_path = storage_path
        self.host = host
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        # Without retryWrites=false SecantusDB keeps a record per write and slows to ~100 writes/s.
        return f"mongodb://{self.host}:{self.port}/?retryWrites=false&directConnection=true"

    def start(self) -> EmbeddedDatabase:
        executable = _daemon_executable()
        if self.storage_path != ":memory:":
            Path(self.storage_path).mkdir(parents=True, exist_ok=True)
        self.port = _free_port(self.host)
        command = [
            executable,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            self.storage_path,
            "--log-level",
            "WARNING",
            "--oplog-max-entries",
            str(OPLOG_MAX_ENTRIES),
        ]
        log.info("starting embedded database", extra={"storage": self.storage_path})
        # A session of its own: a Ctrl-C on the terminal reaches us, and we stop the child in order.
        self._process = subprocess.Popen(
            command, start_new_session=True, preexec_fn=_die_with_parent
        )
        self._wait_until_ready()
        log.info("embedded database ready", extra={"port": self.port})
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("embedded database did not stop in time; killing it")
            process.kill()
            process.wait()
        log.info("embedded database stopped")

    def __enter__(self) -> EmbeddedDatabase:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        client: MongoClient[dict[str, object]] = MongoClient(
            self.uri, serverSelectionTimeoutMS=200, connectTimeoutMS=200
        )
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise EmbeddedDatabaseError(
                        f"secantusd-py exited with code {self._process.returncode} during start-up"
                    )
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    time.sleep(POLL_INTERVAL_S)
        finally:
            client.close()
        self.stop()
        raise EmbeddedDatabaseError(f"secantusd-py did not answer within {STARTUP_TIMEOUT_S:.0f} s")


def _die_with_parent() -> None:
    """In the child: ask Linux to kill it if this server dies without stopping it.

    SIGKILL, not SIGTERM: a dying parent's threads can deliver the signal several times, and
    SecantusDB's SIGTERM handler is not reentrant (a second SIGTERM inside the first deadlocks
    on its own lock), which left orphan databases running. A stop by `stop()` still sends one
    SIGTERM and waits for a clean shutdown; after an abrupt death WiredTiger recovers its
    journal on the next start."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _daemon_executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if found is None:
        raise EmbeddedDatabaseError(
            "secantusd-py not found: install the project (`make run` does) or set TMF_MONGO_URI"
        )
    return found


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
