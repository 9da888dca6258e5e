"""retrieve: one customer by id, a random seeded one."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup, direct, over_http
from bench.raw import SHOWN, NotFoundError
from tmf_apis.tmf629.registry import CUSTOMER

NAME = "retrieve"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        client.send("GET", f"{CUSTOMERS}/{rng.choice(setup.workload.ids)}")

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def request(rng: random.Random) -> None:
        if collection.find_one({"id": rng.choice(setup.workload.ids)}, SHOWN) is None:
            raise NotFoundError("seeded customer missing")

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`GET /customer/{id}` · `find_one({id}, {_id:0,_rev:0})`, random seeded ids",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
