"""What the raw sides of the operations share: the pymongo calls the server's store makes, and
nothing else (each operation's own are in bench/operations/)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from bench.workload import LISTED_ORDER_STATE, LISTED_STATUS, PAGE_SIZE
from persistence.store import REVISION

Document = dict[str, Any]
# What the server's reads leave out.
SHOWN = {"_id": 0, REVISION: 0}
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


def read_page(collection: Collection[Document], where: Document) -> None:
    """What persistence/store.py ResourceStore.find asks for a list: one page, then a count only
    if the page is full."""
    cursor = collection.find(where, SHOWN).sort([("_id", ASCENDING)]).skip(0)
    items = list(cursor.limit(PAGE_SIZE))
    if len(items) == PAGE_SIZE:
        collection.count_documents(where)
