"""offerings: one page of the launched offerings of a random category of the demo catalog."""

from __future__ import annotations

import random

from pymongo import ASCENDING

from bench.api import HttpClient, offering_list_path
from bench.load import Worker, WorkerFactory
from bench.operation import CATALOG, Paired, Setup
from bench.raw import SHOWN, offering_filter
from bench.workload import PAGE_SIZE
from tmf_apis.tmf620.registry import PRODUCT_OFFERING


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-offerings-{thread}")

        def request() -> None:
            path = offering_list_path(rng.choice(setup.workload.categories))
            client.send("GET", path, expected=(200, 206))

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[PRODUCT_OFFERING.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-offerings-{thread}")

        def request() -> None:
            # The same store calls as the customer list, on the catalog's offerings.
            where = offering_filter(rng.choice(setup.workload.categories))
            cursor = collection.find(where, SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                collection.count_documents(where)

        return Worker(request)

    return worker


OPERATION = Paired(
    name="offerings",
    what="`GET /productOffering?lifecycleStatus=Launched&category.id=<category>&limit=20` "
    "on the demo catalog · `find($and of both).sort(_id).limit(20)` + `count_documents` when the "
    "page is full",
    api="TMF620 Product Catalog",
    needs=frozenset({CATALOG}),
    server=server,
    raw=raw,
)
