"""orders: one page of a random orderer's orders in progress."""

from __future__ import annotations

import random

from bench.api import HttpClient, order_list_path
from bench.load import WorkerFactory
from bench.operation import CATALOG, CUSTOMERS, ORDERS, Paired, Setup, direct, over_http
from bench.raw import order_filter, read_page
from tmf_apis.tmf622.registry import PRODUCT_ORDER

NAME = "orders"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        path = order_list_path(rng.choice(setup.workload.orderers))
        client.send("GET", path, expected=(200, 206))

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[PRODUCT_ORDER.collection]

    def request(rng: random.Random) -> None:
        read_page(collection, order_filter(rng.choice(setup.workload.orderers)))

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`GET /productOrder?state=inProgress&relatedParty.id=<customer>&limit=20` · "
    "`find($and of both).sort(_id).limit(20)` + `count_documents` when the page is full",
    api="TMF622 Product Ordering",
    needs=frozenset({CUSTOMERS, CATALOG, ORDERS}),
    server=server,
    raw=raw,
)
