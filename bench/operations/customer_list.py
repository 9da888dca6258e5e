"""list: one page of the customers of a random engaged party."""

from __future__ import annotations

import random

from pymongo import ASCENDING

from bench.api import CUSTOMERS, HttpClient
from bench.load import Worker, WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup
from bench.raw import SHOWN
from bench.workload import PAGE_SIZE
from tmf_apis.tmf629.registry import CUSTOMER


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-list-{thread}")

        def request() -> None:
            party = rng.choice(setup.workload.parties)
            path = f"{CUSTOMERS}?engagedParty.id={party}&limit={PAGE_SIZE}"
            client.send("GET", path, expected=(200, 206))

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-list-{thread}")

        def request() -> None:
            # persistence/store.py ResourceStore.find: one page, then a count only if it is full.
            where = {"engagedParty.id": rng.choice(setup.workload.parties)}
            cursor = collection.find(where, SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                collection.count_documents(where)

        return Worker(request)

    return worker


OPERATION = Paired(
    name="list",
    what="`GET /customer?engagedParty.id=<party>&limit=20` · `find(...).sort(_id).limit(20)` "
    "+ `count_documents`",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
