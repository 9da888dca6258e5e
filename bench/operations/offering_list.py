"""offerings: one page of the launched offerings of a random category of the demo catalog."""

from __future__ import annotations

import random

from bench.api import HttpClient, offering_list_path
from bench.load import WorkerFactory
from bench.operation import CATALOG, Paired, Setup, direct, over_http
from bench.raw import offering_filter, read_page
from tmf_apis.tmf620.registry import PRODUCT_OFFERING

NAME = "offerings"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        path = offering_list_path(rng.choice(setup.workload.categories))
        client.send("GET", path, expected=(200, 206))

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[PRODUCT_OFFERING.collection]

    def request(rng: random.Random) -> None:
        read_page(collection, offering_filter(rng.choice(setup.workload.categories)))

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`GET /productOffering?lifecycleStatus=Launched&category.id=<category>&limit=20` "
    "on the demo catalog · `find($and of both).sort(_id).limit(20)` + `count_documents` when the "
    "page is full",
    api="TMF620 Product Catalog",
    needs=frozenset({CATALOG}),
    server=server,
    raw=raw,
)
