"""The server's own counters for what happens away from a request: event deliveries, bill runs,
database errors. Kept here, below every layer, so that the delivery worker and the bill runner
count without knowing HTTP; `/metrics` (handlers/metrics.py) shows them with the request metrics.
"""

from __future__ import annotations

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
