"""The raw side of `order_create`: what a minimal hand-written order service does with pymongo.

For one order body it
1. reads the ordered offerings by id (one `find` with `$in`), then their prices by id (a second);
2. checks, on what it read, that every offering is orderable (Launched or Active, sellable,
   valid now), and builds the order the server would store: `id`, `orderDate`, states
   `acknowledged`, `@type`, `_rev` and the prices (`itemPrice` per one-time or recurring price
   with its discounts as `priceAlteration`s, `itemTotalPrice` and `orderTotalPrice` per type,
   period and currency), computed by the server's own pricing function on what it read;
3. reads the customer (`find_one`) and, when the body names no billing account, records the
   customer's first TMF629 `account` as the order's `billingAccount` (what the server records
   for a customer that holds no TMF666 account, as the seeded ones do: docs/accounts.md);
4. `insert_one`s it, then `update_one`s the order and its items to `inProgress`.

It does not check that the customer exists nor look for TMF666 accounts, and reads nothing
twice, all of which the server does; it prices no bundles (the bench orders none).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from persistence import dates
from persistence.store import REVISION
from tmf_apis import money
from tmf_apis.tmf620.registry import PRODUCT_OFFERING, PRODUCT_OFFERING_PRICE
from tmf_apis.tmf622 import pricing
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf622.states import ACKNOWLEDGED, IN_PROGRESS
from tmf_apis.tmf629.registry import CUSTOMER

Document = dict[str, Any]
Kind = tuple[str, str | None, str]  # priceType, recurring period, currency
CHARGED = ("oneTime", "recurring")
ORDERABLE = frozenset({"Launched", "Active"})
CENT = Decimal("0.01")
_SHOWN = {"_id": 0, REVISION: 0}


class NotOrderableError(ValueError):
    """An ordered offering is missing from the catalog or not on sale."""


class LostOrderError(RuntimeError):
    """The order just inserted was not there to update."""


class OrderShape:
    """Places orders on the collections the server uses, as a minimal service would."""

    def __init__(self, database: Database[Document]) -> None:
        self.offerings = database[PRODUCT_OFFERING.collection]
        self.prices = database[PRODUCT_OFFERING_PRICE.collection]
        self.orders = database[PRODUCT_ORDER.collection]
        self.customers = database[CUSTOMER.collection]

    def place(self, body: Document) -> Document:
        """Price, store and accept the order of `body`; returns it as stored before the update."""
        wanted = [item["productOffering"]["id"] for item in body["productOrderItem"]]
        offerings = {o["id"]: o for o in self.offerings.find({"id": {"$in": wanted}}, _SHOWN)}
        price_ids = [
            ref["id"] for o in offerings.values() for ref in o.get("productOfferingPrice") or []
        ]
        prices = {p["id"]: p for p in self.prices.find({"id": {"$in": price_ids}}, _SHOWN)}
        document = stored(body, offerings, prices, dates.now())
        if "billingAccount" not in document:
            account = self._first_account(body)
            if account is not None:
                document["billingAccount"] = account
        self.orders.insert_one(document)
        accepted = self.orders.update_one(
            {"id": document["id"]},
            {
                "$set": {"state": IN_PROGRESS, "productOrderItem.$[].state": IN_PROGRESS},
                "$inc": {REVISION: 1},
            },
        )
        if not accepted.matched_count:
            raise LostOrderError(f"order {document['id']} vanished before its update")
        return document

    def _first_account(self, body: Document) -> Document | None:
        customer_id = next(
            (p["id"] for p in body.get("relatedParty") or [] if p.get("role") == "Customer"), None
        )
        customer = self.customers.find_one({"id": customer_id}, {"_id": 0, "account": 1})
        for account in (customer or {}).get("account") or []:
            ref = {k: account[k] for k in ("id", "name") if isinstance(account.get(k), str)}
            if "id" in ref:
                return {**ref, "@referredType": "BillingAccount"}
        return None


def stored(
    body: Document, offerings: dict[str, Document], prices: dict[str, Document], now: str
) -> Document:
    """The order of `body` as stored on arrival (acknowledged), priced; raises NotOrderableError.

    Prices are worked out by the server's own pricing function on what was read: the money rule
    (tmf_apis/money.py) is the same arithmetic for any service, and the order must be identical."""
    items = [{**item, "state": ACKNOWLEDGED} for item in body["productOrderItem"]]
    for item in items:
        offering = offerings.get(item["productOffering"]["id"])
        if offering is None or not orderable(offering, now):
            raise NotOrderableError(f"offering {item['productOffering']['id']} is not orderable")
    document: Document = {
        "id": str(uuid.uuid4()),
        **body,
        "productOrderItem": items,
        "orderDate": now,
        "state": ACKNOWLEDGED,
        "@type": PRODUCT_ORDER.schema,
        REVISION: 1,
    }
    tables = {PRODUCT_OFFERING.schema: offerings, PRODUCT_OFFERING_PRICE.schema: prices}
    pricing.price_order(
        document,
        lambda schema, ref: tables[schema].get(str(ref.get("id"))),
        money.default_tax_rate(None),
    )
    return document


def orderable(offering: Document, now: str) -> bool:
    valid_for = offering.get("validFor") or {}
    start, end = valid_for.get("startDateTime"), valid_for.get("endDateTime")
    # Stored date-times are fixed-width UTC text: text order is time order.
    return (
        offering.get("lifecycleStatus") in ORDERABLE
        and offering.get("isSellable") is not False
        and not (isinstance(start, str) and start > now)
        and not (isinstance(end, str) and end < now)
    )
