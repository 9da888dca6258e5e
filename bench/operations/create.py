"""create: a customer with a realistic body, of a random seeded engaged party."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import Worker, WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup
from bench.workload import customer_body
from tmf_apis.tmf629.registry import CUSTOMER


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-create-{thread}")

        def request() -> None:
            body = customer_body(rng, rng.randrange(len(setup.workload.parties)))
            client.send("POST", CUSTOMERS, body, expected=201)

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-create-{thread}")

        def request() -> None:
            # Building the document is client work here; in the server it is part of the request.
            body = customer_body(rng, rng.randrange(len(setup.workload.parties)))
            collection.insert_one(setup.shape.stored(body))

        return Worker(request)

    return worker


OPERATION = Paired(
    name="create",
    what="`POST /customer` realistic body · `insert_one` of the stored document",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
