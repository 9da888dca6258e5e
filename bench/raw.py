"""The operations as the pymongo calls the server's store makes for them, and nothing else."""

from __future__ import annotations

import random
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from bench.load import Worker, WorkerFactory
from bench.seed import CustomerShape
from bench.workload import LISTED_STATUS, PAGE_SIZE, Workload, customer_body, patch_body
from persistence.store import REVISION

Document = dict[str, Any]
_SHOWN = {"_id": 0, REVISION: 0}
# As handlers/resources.py PATCH_ATTEMPTS: a concurrent change between read and write is retried.
PATCH_ATTEMPTS = 3


class NotFoundError(LookupError):
    """A seeded customer was not there."""


class StaleWriteError(RuntimeError):
    """Every attempt of a read-modify-write met a concurrent change."""


def offering_filter(category_id: str) -> Document:
    """What persistence/query.py builds for the offerings request: two conditions AND-ed."""
    return {"$and": [{"lifecycleStatus": LISTED_STATUS}, {"category.id": category_id}]}


def operations(
    collection: Collection[Document],
    offerings_collection: Collection[Document],
    shape: CustomerShape,
    workload: Workload,
    seed: int,
) -> dict[str, WorkerFactory]:
    """A worker factory per operation; the workers share one client, as the server's requests do.

    `collection` holds the customers, `offerings_collection` the demo catalog's offerings.
    """
    ids, parties = workload.ids, workload.parties

    def retrieve(thread: int) -> Worker:
        rng = random.Random(f"{seed}-retrieve-{thread}")

        def request() -> None:
            if collection.find_one({"id": rng.choice(ids)}, _SHOWN) is None:
                raise NotFoundError("seeded customer missing")

        return Worker(request)

    def list_page(thread: int) -> Worker:
        rng = random.Random(f"{seed}-list-{thread}")

        def request() -> None:
            # persistence/store.py ResourceStore.find: one page, then a count only if it is full.
            where = {"engagedParty.id": rng.choice(parties)}
            cursor = collection.find(where, _SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                collection.count_documents(where)

        return Worker(request)

    def offerings(thread: int) -> Worker:
        rng = random.Random(f"{seed}-offerings-{thread}")

        def request() -> None:
            # The same store calls as the customer list, on the catalog's offerings.
            where = offering_filter(rng.choice(workload.categories))
            cursor = offerings_collection.find(where, _SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                offerings_collection.count_documents(where)

        return Worker(request)

    def create(thread: int) -> Worker:
        rng = random.Random(f"{seed}-create-{thread}")

        def request() -> None:
            # Building the document is client work here; in the server it is part of the request.
            collection.insert_one(shape.stored(customer_body(rng, rng.randrange(len(parties)))))

        return Worker(request)

    def patch(thread: int) -> Worker:
        rng = random.Random(f"{seed}-patch-{thread}")

        def request() -> None:
            resource_id, changes = rng.choice(ids), patch_body(rng)
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

    return {
        "retrieve": retrieve,
        "list": list_page,
        "offerings": offerings,
        "create": create,
        "patch": patch,
    }
