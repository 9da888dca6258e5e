"""Background work that runs every few seconds in a thread of its own, in every server process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import telemetry

log = logging.getLogger("tmf.polling")


class Poller:
    """Calls `poll` every `interval` seconds until stopped. A failing poll (a database gone for
    a while) is logged and tried again at the next interval: the thread outlives it."""

    name = "tmf-poller"

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def poll(self) -> object:
        raise NotImplementedError

    def start(self) -> Callable[[], None]:
        """Start the thread; returns the function that stops it."""
        self._thread.start()

        def stop() -> None:
            self._stop.set()
            self._thread.join(timeout=30)

        return stop

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
                telemetry.went_round(self.name)
            except Exception:
                log.exception("background work failed", extra={"thread": self.name})
                telemetry.went_round(self.name, failed=True)
            self._stop.wait(self.interval)
