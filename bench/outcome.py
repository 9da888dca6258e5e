"""What one operation measured: its timed windows for the server and the raw driver, and for the
events operation what the listeners received in each of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.delivery import Delivery
from bench.load import Window
from bench.memory import Memory


@dataclass
class OperationResult:
    name: str
    server: list[Window] = field(default_factory=list)
    raw: list[Window] = field(default_factory=list)
    # The events operation only: one per window, beside the window of changes that caused them.
    server_delivery: list[Delivery] = field(default_factory=list)
    raw_delivery: list[Delivery] = field(default_factory=list)
    # The server's resident memory over the operation's windows (warm-up and raw ones included).
    server_memory: Memory | None = None

    def failures(self) -> list[str]:
        """What went wrong, one line per side: failed requests, deliveries not exactly once."""
        found = []
        for side, windows, deliveries in (
            ("server", self.server, self.server_delivery),
            ("raw", self.raw, self.raw_delivery),
        ):
            errors = sum(w.errors for w in windows)
            if errors:
                first = next((w.first_error for w in windows if w.first_error), "")
                found.append(f"{self.name} ({side}) failed {errors} time(s); first: {first}")
            wrong = [d for d in deliveries if not d.ok]
            if wrong:
                found.append(
                    f"{self.name} ({side}) delivery was not exactly once and in order in "
                    f"{len(wrong)} of {len(deliveries)} windows; first: {wrong[0].first_problem}"
                )
        return found
