"""The operations as the pymongo calls the server's store makes for them, and nothing else."""

from __future__ import annotations

import random
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from bench.load import Worker, WorkerFactory
from bench.order_shape import OrderShape
from bench.seed import CustomerShape
from bench.workload import (
    LISTED_ORDER_STATE,
    LISTED_STATUS,
    PAGE_SIZE,
    Workload,
    customer_body,
    order_body,
    patch_body,
)
from persistence.store import REVISION
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf629.registry import CUSTOMER

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


def order_filter(customer_id: str) -> Document:
    """What persistence/query.py builds for the orders request: two conditions AND-ed."""
    return {"$and": [{"state": LISTED_ORDER_STATE}, {"relatedParty.id": customer_id}]}


def operations(
    database: Database[Document], shape: CustomerShape, workload: Workload, seed: int
) -> dict[str, WorkerFactory]:
    """A worker factory per operation; the workers share one client, as the server's requests do."""
    ids, parties = workload.ids, workload.parties
    collection = database[CUSTOMER.collection]
    offerings_collection = database[PRODUCT_OFFERING.collection]
    orders_collection = database[PRODUCT_ORDER.collection]
    order_shape = OrderShape(database)

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

    def orders(thread: int) -> Worker:
        rng = random.Random(f"{seed}-orders-{thread}")

        def request() -> None:
            # The same store calls again, on the orders.
            where = order_filter(rng.choice(workload.orderers))
            cursor = orders_collection.find(where, _SHOWN).sort([("_id", ASCENDING)]).skip(0)
            items = list(cursor.limit(PAGE_SIZE))
            if len(items) == PAGE_SIZE:
                orders_collection.count_documents(where)

        return Worker(request)

    def order_create(thread: int) -> Worker:
        rng = random.Random(f"{seed}-order_create-{thread}")

        def request() -> None:
            # bench/order_shape.py: two finds with $in, the priced document, insert, update.
            order_shape.place(order_body(rng, workload.offerings, rng.choice(ids)))

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
        "orders": orders,
        "create": create,
        "patch": patch,
        "order_create": order_create,
    }
