"""list: one page of the customers of a random engaged party."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup, direct, over_http
from bench.raw import read_page
from bench.workload import PAGE_SIZE
from tmf_apis.tmf629.registry import CUSTOMER

NAME = "list"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        party = rng.choice(setup.workload.parties)
        path = f"{CUSTOMERS}?engagedParty.id={party}&limit={PAGE_SIZE}"
        client.send("GET", path, expected=(200, 206))

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def request(rng: random.Random) -> None:
        read_page(collection, {"engagedParty.id": rng.choice(setup.workload.parties)})

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`GET /customer?engagedParty.id=<party>&limit=20` · `find(...).sort(_id).limit(20)` "
    "+ `count_documents`",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
