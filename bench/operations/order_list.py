"""orders: one page of a random orderer's orders in progress."""

from __future__ import annotations

import random

from pymongo import ASCENDING

from bench.api import HttpClient, order_list_path
from bench.load import Worker, WorkerFactory
from bench.operation import CATALOG, CUSTOMERS, ORDERS, Paired, Setup
from bench.raw import SHOWN, order_filter
from bench.workload import PAGE_SIZE
from tmf_apis.tmf622.registry import PRODUCT_ORDER


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-orders-{thread}")

        def request() -> None:
            path = order_list_path(rng.choice(setup.workload.orderers))
            client.send("GET", path, expected=(200, 206))

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[PRODUCT_ORDER.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-orders-{thread}")

        def request() -> None:
            # The same store calls again, on the orders.
            where = order_filter(rng.choice(setup.workload.orderers))
            cursor = collection.find(where, SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                collection.count_documents(where)

        return Worker(request)

    return worker


OPERATION = Paired(
    name="orders",
    what="`GET /productOrder?state=inProgress&relatedParty.id=<customer>&limit=20` · "
    "`find($and of both).sort(_id).limit(20)` + `count_documents` when the page is full",
    api="TMF622 Product Ordering",
    needs=frozenset({CUSTOMERS, CATALOG, ORDERS}),
    server=server,
    raw=raw,
)
