"""The server's own counters for what happens away from a request: event deliveries, bill runs,
database errors, and when each background loop of this process last went round. Kept here, below
every layer, so that the delivery worker and the bill runner count without knowing HTTP;
`/metrics` (handlers/metrics.py) shows the counters with the request metrics, `/health` the loops.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "tmf_event_deliveries_total",
    "Event deliveries to hub listeners, by API and outcome (delivered, retried: a failure that "
    "will be retried, dead: given up on and kept as a dead letter).",
    ["api", "outcome"],
)
BILL_RUNS = Counter(
    "tmf_bill_runs_total",
    "Bill runs finished, by final state (done, terminatedWithError).",
    ["state"],
)
BILL_RUN_SECONDS = Histogram(
    "tmf_bill_run_duration_seconds",
    "Time a bill run took to carry out, from its start in this process to its last bill.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
DATABASE_ERRORS = Counter(
    "tmf_database_errors_total",
    "Requests answered 503 because the database could not be reached.",
)


_loops: dict[str, dict[str, float]] = {}
_loops_lock = threading.Lock()


def went_round(loop: str, failed: bool = False) -> None:
    """A background loop of this process (delivery, bill runs, sweepers) finished a pass, or
    failed one; `/health` shows when each last did."""
    with _loops_lock:
        _loops.setdefault(loop, {})["failed" if failed else "passed"] = time.time()


def loops() -> dict[str, dict[str, float]]:
    """Each loop's last pass and last failure (seconds since the epoch), by loop name."""
    with _loops_lock:
        return {name: dict(times) for name, times in _loops.items()}
