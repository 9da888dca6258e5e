"""The parameters of one benchmark run, as the command line sets them."""

from __future__ import annotations

from dataclasses import dataclass

# The order they run in: creates last, so every other operation sees exactly the seeded collection.
OPERATIONS = ("retrieve", "list", "offerings", "patch", "create")
# Those on TMF629 customers: customers are seeded only when one of them runs.
CUSTOMER_OPERATIONS = frozenset({"retrieve", "list", "patch", "create"})
# The one on the TMF620 demo catalog, loaded through the API only when it runs.
CATALOG_OPERATION = "offerings"


@dataclass(frozen=True)
class Params:
    customers: int = 10_000
    # Offerings of the demo catalog (tmf_apis/tmf620/demo.py), bundles included.
    offerings: int = 300
    # uvicorn worker processes of the server (TMF_WORKERS).
    workers: int = 1
    # Client threads, each with its own keep-alive connection, for the server and the raw driver.
    concurrency: int = 4
    duration_s: float = 4.0
    warmup_s: float = 1.0
    repeat: int = 3
    # A MongoDB to measure; empty: an embedded SecantusDB that bench starts in a temporary dir.
    mongo_uri: str = ""
    # Database name; empty: the server's default ("tmf") when embedded, else "tmf_bench".
    database: str = ""
    operations: tuple[str, ...] = OPERATIONS
    # Seeds every random choice (names, ids drawn, bodies), so two runs send the same requests.
    seed: int = 1
