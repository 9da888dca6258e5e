"""retrieve: one customer by id, a random seeded one."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import Worker, WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup
from bench.raw import SHOWN, NotFoundError
from tmf_apis.tmf629.registry import CUSTOMER


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-retrieve-{thread}")

        def request() -> None:
            client.send("GET", f"{CUSTOMERS}/{rng.choice(setup.workload.ids)}")

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-retrieve-{thread}")

        def request() -> None:
            if collection.find_one({"id": rng.choice(setup.workload.ids)}, SHOWN) is None:
                raise NotFoundError("seeded customer missing")

        return Worker(request)

    return worker


OPERATION = Paired(
    name="retrieve",
    what="`GET /customer/{id}` · `find_one({id}, {_id:0,_rev:0})`, random seeded ids",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
