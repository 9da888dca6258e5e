"""The hub listener of the events operation: an HTTP endpoint on 127.0.0.1 inside the bench process
that answers every POST 201 with an empty body and records what it received, and when."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.callbacks import SIGNATURE_HEADER
from notifications.delivery import EVENT_ID_HEADER

HOST = "127.0.0.1"
# Connections waiting to be accepted: the raw side's client threads post at once.
BACKLOG = 64


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: parsed only after the window, to keep the listener's work small."""

    # Receive order across all paths; the time is taken once the whole body was read.
    order: int
    received: float  # time.time()
    path: str
    event_id: str
    signature: str
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self) -> None:
        super().__init__((HOST, 0), _Handler)
        self.records: list[Received] = []
        self.lock = threading.Lock()
        self.sequence = itertools.count()


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive when the sender asks for it; the server's delivery sends `Connection: close`.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        received = time.time()
        with self.server.lock:
            # Recorded before the answer, so a sender that got its 201 finds the record there.
            self.server.records.append(
                Received(
                    order=next(self.server.sequence),
                    received=received,
                    path=self.path,
                    event_id=self.headers.get(EVENT_ID_HEADER, ""),
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                    body=body,
                )
            )
        self.send_response(HTTPStatus.CREATED)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None  # stderr carries bench's progress only


class Listener:
    """Serves in a background thread between `start` and `stop` (or as a context manager)."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bench-listener", daemon=True
        )

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def count(self) -> int:
        return len(self._server.records)

    def take(self) -> list[Received]:
        """Everything received since the last take, in receive order; the list starts afresh."""
        with self._server.lock:
            taken, self._server.records = self._server.records, []
        return taken

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
