"""The inventory of orders completed before the server kept one: an idempotent migration.

    python -m admin backfill-products [--dry-run]

It reaches the server's database as every admin command does (admin/__init__.py) and walks the
completed and partial orders in the order they completed. For each completed item it does what
the server now does when an item completes (inventory.py): an `add` gets its product (the id the
server would have given it, recorded on the order item), a `modify` changes the product it
names, a `delete` ends it; the item's rates are stamped with their product. Each step checks
what is already there first, so the command can be stopped and run again at any point, and a
second run changes nothing. It writes no events (what it records happened before anyone could
subscribe to products) and charges nothing (the items were charged when they completed).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING

from persistence.database import Database
from persistence.store import REVISION, WITHOUT_INTERNALS, live
from tmf_apis.domain import order_items, product_id
from tmf_apis.registry import Resource
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf637 import inventory
from tmf_apis.tmf637.registry import PRODUCT

log = logging.getLogger("tmf.backfill")
# What the inventory's reaction reads or writes, by schema name (as rules reach other APIs).
_READ = ("ProductOrder", "Customer", "ProductOffering", "ProductSpecification")
RATES = "AppliedCustomerBillingRate"
COMPLETED, PARTIAL = "completed", "partial"
ACTIONS = ("add", "modify", "delete")


@dataclass
class Backfill:
    orders: int = 0
    created: int = 0
    changed: int = 0
    rates: int = 0

    def summary(self) -> str:
        return (
            f"backfill: {self.orders} completed orders read, {self.created} products created, "
            f"{self.changed} order items applied to existing products, {self.rates} rates "
            "stamped with their product"
        )


def backfill(database: Database, dry_run: bool = False) -> Backfill:
    # Stores without events: what the command records happened before.
    stores = {r.schema: database.store(r.collection) for r in (PRODUCT, *map(_resource, _READ))}
    products, orders = stores[PRODUCT.schema], stores["ProductOrder"]
    rates = database.db[_resource(RATES).collection]
    done = Backfill()
    for order in _completed_orders(database):
        done.orders += 1
        context = RuleContext(now=str(order.get("completionDate") or ""), stores=stores)
        for item in order_items(order.get("productOrderItem") or []):
            if item.get("state") != COMPLETED or item.get("action") not in (
                "add",
                "modify",
                "delete",
            ):
                continue
            if item.get("action") == "add":
                named = (item.get("product") or {}).get("id")
                made = named or product_id(str(order["id"]), str(item.get("id")))
                if dry_run:
                    done.created += int(not products.exists({"id": made}))
                    continue
                if not named:
                    _record_product(orders, str(order["id"]), str(item.get("id")), made)
                    item["product"] = {**(item.get("product") or {}), "id": made}
                if not products.exists({"id": made}):
                    inventory.on_item_completed(context, order, item)
                    done.created += 1
            elif not dry_run:
                before = products.find_one({"id": (item.get("product") or {}).get("id")})
                inventory.on_item_completed(context, order, item)
                after = products.find_one({"id": (item.get("product") or {}).get("id")})
                done.changed += int(before != after)
            if not dry_run:
                done.rates += _stamp_rates(rates, order, item)
    return done


def _resource(schema: str) -> Resource:
    from tmf_apis import APIS  # every API's registry, which imports this package's

    return next(r for api in APIS for r in api.resources if r.schema == schema)


def _completed_orders(database: Database) -> Iterator[Document]:
    collection = database.db[_resource("ProductOrder").collection]
    where = live({"state": {"$in": [COMPLETED, PARTIAL]}})
    # Later orders change the products earlier ones made: in the order they completed.
    for found in collection.find(where, WITHOUT_INTERNALS).sort("completionDate", ASCENDING):
        yield {k: v for k, v in found.items() if not k.startswith("_")}


def _record_product(orders: Any, order_id: str, item_id: str, made: str) -> None:
    """The order item shows the product it made, as orders completed now do (no event: the
    order did not change, only what it shows of what it did)."""
    before, revision = orders.get_for_update(order_id)
    after = copy.deepcopy(before)
    for item in order_items(after.get("productOrderItem") or []):
        if str(item.get("id")) == item_id and not (item.get("product") or {}).get("id"):
            item["product"] = {**(item.get("product") or {}), "id": made}
            item["product"]["@referredType"] = "Product"
    orders.replace(before, revision, after, events=[])


def _stamp_rates(rates: Any, order: Document, item: Document) -> int:
    made = (item.get("product") or {}).get("id")
    if not made:
        return 0
    charged = {
        "characteristic": {
            "$all": [
                {"$elemMatch": {"name": "productOrder", "value": order["id"]}},
                {"$elemMatch": {"name": "productOrderItem", "value": item.get("id")}},
            ]
        },
        "product": {"$exists": False},
    }
    # A new revision: ETags and the shapes kept per revision follow the change.
    stamped = {"$set": {"product": {"id": made, "@referredType": "Product"}}, "$inc": {REVISION: 1}}
    return int(rates.update_many(charged, stamped).modified_count)
