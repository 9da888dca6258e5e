"""patch: a merge patch of a random seeded customer's status (and name)."""

from __future__ import annotations

import random

from bench.api import CUSTOMERS, HttpClient
from bench.load import Worker, WorkerFactory
from bench.operation import CUSTOMERS as SEEDED_CUSTOMERS
from bench.operation import Paired, Setup
from bench.raw import PATCH_ATTEMPTS, NotFoundError, StaleWriteError
from bench.workload import patch_body
from persistence.store import REVISION
from tmf_apis.tmf629.registry import CUSTOMER


def server(setup: Setup) -> WorkerFactory:
    def worker(thread: int) -> Worker:
        client = HttpClient(setup.host, setup.port)
        rng = random.Random(f"{setup.seed}-patch-{thread}")

        def request() -> None:
            path = f"{CUSTOMERS}/{rng.choice(setup.workload.ids)}"
            client.send("PATCH", path, patch_body(rng), content_type="application/merge-patch+json")

        return Worker(request, client.close)

    return worker


def raw(setup: Setup) -> WorkerFactory:
    collection = setup.database[CUSTOMER.collection]

    def worker(thread: int) -> Worker:
        rng = random.Random(f"{setup.seed}-patch-{thread}")

        def request() -> None:
            resource_id, changes = rng.choice(setup.workload.ids), patch_body(rng)
            # store.get_for_update then store.replace, guarded by the revision.
            for _ in range(PATCH_ATTEMPTS):
                before = collection.find_one({"id": resource_id}, {"_id": 0})
                if before is None:
                    raise NotFoundError("seeded customer missing")
                revision = int(before.pop(REVISION, 0))
                after = {**before, **changes, REVISION: revision + 1}
                result = collection.replace_one({"id": resource_id, REVISION: revision}, after)
                if result.matched_count:
                    return
            raise StaleWriteError(f"customer {resource_id} kept changing")

        return Worker(request)

    return worker


OPERATION = Paired(
    name="patch",
    what="`PATCH /customer/{id}` merge patch of status (and name) · `find_one` + "
    "`replace_one` on `_rev`",
    api="TMF629 Customer",
    needs=frozenset({SEEDED_CUSTOMERS}),
    server=server,
    raw=raw,
)
