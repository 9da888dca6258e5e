"""What a timed operation is: one request to the server, the same work as raw driver calls, what
it needs seeded, and how the report describes it. Each lives in a module of `bench/operations/`,
registered in `bench/operations/__init__.py`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from bench.api import HttpClient
from bench.load import Worker, WorkerFactory
from bench.seed import CustomerShape
from bench.workload import Workload

# What an operation needs before it is timed: seeded customers, the demo catalog loaded through
# the API, orders placed through the API (bench/run.py does each once for all operations).
CUSTOMERS, CATALOG, ORDERS = "customers", "catalog", "orders"


@dataclass(frozen=True)
class Setup:
    """What the workers of an operation draw on: the server's address, the database, the seeded
    customers' shape and the workload, and the run's seed."""

    host: str
    port: int
    database: Database[dict[str, Any]]
    shape: CustomerShape
    workload: Workload
    seed: int


@dataclass(frozen=True)
class Paired:
    """An operation timed against the server and against the raw driver doing its work."""

    name: str
    # For the report: "server request · raw calls".
    what: str
    # The TMF API it exercises, for the report's header.
    api: str
    needs: frozenset[str]
    server: Callable[[Setup], WorkerFactory]
    raw: Callable[[Setup], WorkerFactory]


def over_http(
    setup: Setup, name: str, request: Callable[[HttpClient, random.Random], None]
) -> WorkerFactory:
    """Workers sending `request` over a keep-alive connection each, with a random stream each."""

    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-{name}-{thread}")
        return Worker(lambda: request(client, rng), client.close)

    return worker


def direct(setup: Setup, name: str, request: Callable[[random.Random], None]) -> WorkerFactory:
    """Workers making `request`'s driver calls (on the run's one client), a random stream each;
    the same streams as `over_http`'s, so both sides send the same requests."""

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-{name}-{thread}")
        return Worker(lambda: request(rng))

    return worker
