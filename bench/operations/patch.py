"""patch: a merge patch of a random seeded customer's status (and name)."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup, direct, over_http
from bench.raw import PATCH_ATTEMPTS, NotFoundError, StaleWriteError
from bench.workload import patch_body
from persistence.store import REVISION
from tmf_apis.tmf629.registry import CUSTOMER

NAME = "patch"


def server(setup: Setup) -> WorkerFactory:
    def request(client: HttpClient, rng: random.Random) -> None:
        path = f"{CUSTOMERS}/{rng.choice(setup.workload.ids)}"
        client.send("PATCH", path, patch_body(rng), content_type="application/merge-patch+json")

    return over_http(setup, NAME, request)


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def request(rng: random.Random) -> None:
        resource_id, changes = rng.choice(setup.workload.ids), patch_body(rng)
        # store.get_for_update then store.replace, guarded by the revision.
        for _ in range(PATCH_ATTEMPTS):
            before = collection.find_one({"id": resource_id}, {"_id": 0})
            if before is None:
                raise NotFoundError("seeded customer missing")
            revision = int(before.pop(REVISION, 0))
            after = {**before, **changes, REVISION: revision + 1}
            if collection.replace_one({"id": resource_id, REVISION: revision}, after).matched_count:
                return
        raise StaleWriteError(f"customer {resource_id} kept changing")

    return direct(setup, NAME, request)


OPERATION = Paired(
    name=NAME,
    what="`PATCH /customer/{id}` merge patch of status (and name) · `find_one` + "
    "`replace_one` on `_rev`",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
