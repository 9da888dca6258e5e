"""order_create: an order of 1-3 offerings for a random seeded customer."""

from __future__ import annotations

import random

from bench.api import ORDERS as ORDERS_PATH
from bench.api import HttpClient
from bench.load import WorkerFactory
from bench.operation import CATALOG, CUSTOMERS, ORDERS, Paired, Setup, direct, over_http
from bench.order_shape import OrderShape
from bench.workload import order_body

NAME = "order_create"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        body = order_body(rng, setup.workload.offerings, rng.choice(setup.workload.ids))
        client.send("POST", ORDERS_PATH, body, expected=201)

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    shape = OrderShape(setup.database)

    def request(rng: random.Random) -> None:
        # bench/order_shape.py: two finds with $in, the priced document, insert, update.
        shape.place(order_body(rng, setup.workload.offerings, rng.choice(setup.workload.ids)))

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`POST /productOrder` of 1-3 offerings, priced and validated by the server · "
    "`find` offerings `$in` + `find` prices `$in`, priced in Python, `insert_one` + `update_one` "
    "to inProgress",
    api="TMF622 Product Ordering",
    # The orders placed before it give the orderable offerings.
    needs=frozenset({CUSTOMERS, CATALOG, ORDERS}),
    server=server,
    raw=raw,
)
