"""order_create: an order of 1-3 offerings for a random seeded customer."""

from __future__ import annotations

import random

from bench.api import ORDERS as ORDERS_PATH
from bench.api import HttpClient
from bench.load import Worker, WorkerFactory
from bench.operation import CATALOG, CUSTOMERS, ORDERS, Paired, Setup
from bench.order_shape import OrderShape
from bench.workload import order_body


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-order_create-{thread}")

        def request() -> None:
            body = order_body(rng, setup.workload.offerings, rng.choice(setup.workload.ids))
            client.send("POST", ORDERS_PATH, body, expected=201)

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    shape = OrderShape(setup.database)

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-order_create-{thread}")

        def request() -> None:
            # bench/order_shape.py: two finds with $in, the priced document, insert, update.
            body = order_body(rng, setup.workload.offerings, rng.choice(setup.workload.ids))
            shape.place(body)

        return Worker(request)

    return worker


OPERATION = Paired(
    name="order_create",
    what="`POST /productOrder` of 1-3 offerings, priced and validated by the server · "
    "`find` offerings `$in` + `find` prices `$in`, priced in Python, `insert_one` + `update_one` "
    "to inProgress",
    api="TMF622 Product Ordering",
    # The orders placed before it give the orderable offerings.
    needs=frozenset({CUSTOMERS, CATALOG, ORDERS}),
    server=server,
    raw=raw,
)
