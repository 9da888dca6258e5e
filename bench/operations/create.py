"""create: a customer with a realistic body, of a random seeded engaged party."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup, direct, over_http
from bench.workload import customer_body
from tmf_apis.tmf629.registry import CUSTOMER

NAME = "create"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        body = customer_body(rng, rng.randrange(len(setup.workload.parties)))
        client.send("POST", CUSTOMERS, body, expected=201)

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def request(rng: random.Random) -> None:
        # Building the document is client work here; in the server it is part of the request.
        body = customer_body(rng, rng.randrange(len(setup.workload.parties)))
        collection.insert_one(setup.shape.stored(body))

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`POST /customer` realistic body · `insert_one` of the stored document",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
