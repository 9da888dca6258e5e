"""A real HTTP listener for event deliveries: records what it receives, answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import _free_port


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Listener:
    url: str
    # Every request, answered or not, in arrival order; `received` holds the ones answered 2xx.
    requests: list[Delivery] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    # The status for each request; 201 unless a test says otherwise.
    answer: Callable[[Delivery], int] = lambda _: 201
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = [d.event for d in self.received]
        return [e for e in found if event_type is None or e["eventType"] == event_type]

    def wait_for(
        self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float = 20
    ) -> list[dict[str, Any]]:
        """The events received once `condition` holds for them; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.events()
            if condition(events):
                return events
            time.sleep(0.05)
        raise AssertionError(f"listener: condition not met; received {self.events()}")

    def wait_count(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        return self.wait_for(lambda events: len(events) >= count, timeout)


@contextmanager
def running_listener(port: int | None = None) -> Iterator[Listener]:
    """A listener on 127.0.0.1 (on `port`, or a free one) until the block ends."""
    port = port or _free_port()
    listener = Listener(f"http://127.0.0.1:{port}/listener")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            delivery = Delivery(self.path, dict(self.headers.items()), self.rfile.read(length))
            status = listener.answer(delivery)
            with listener.lock:
                listener.requests.append(delivery)
                if 200 <= status < 300:
                    listener.received.append(delivery)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
