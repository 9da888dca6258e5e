"""The raw side of `order_create`: what a minimal hand-written order service does with pymongo.

For one order body it
1. reads the ordered offerings by id (one `find` with `$in`), then their prices by id (a second);
2. checks, on what it read, that every offering is orderable (Launched or Active, sellable,
   valid now), and builds the order the server would store: `id`, `orderDate`, states
   `acknowledged`, `@type`, `_rev` and the prices of tmf_apis/tmf622/pricing.py's convention for
   items of simple offerings (`itemPrice` per one-time or recurring price with its discounts as
   `priceAlteration`s, `itemTotalPrice` and `orderTotalPrice` per type, period and currency);
3. `insert_one`s it, then `update_one`s the order and its items to `inProgress`.

It does not check that the customer exists and reads nothing twice, both of which the server
does; it prices no bundles (the bench orders none).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pymongo.database import Database

from persistence import dates
from persistence.store import REVISION
from tmf_apis.tmf620.registry import PRODUCT_OFFERING, PRODUCT_OFFERING_PRICE
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf622.states import ACKNOWLEDGED, IN_PROGRESS

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

    def place(self, body: Document) -> Document:
        """Price, store and accept the order of `body`; returns it as stored before the update."""
        wanted = [item["productOffering"]["id"] for item in body["productOrderItem"]]
        offerings = {o["id"]: o for o in self.offerings.find({"id": {"$in": wanted}}, _SHOWN)}
        price_ids = [
            ref["id"] for o in offerings.values() for ref in o.get("productOfferingPrice") or []
        ]
        prices = {p["id"]: p for p in self.prices.find({"id": {"$in": price_ids}}, _SHOWN)}
        document = stored(body, offerings, prices, dates.now())
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


def stored(
    body: Document, offerings: dict[str, Document], prices: dict[str, Document], now: str
) -> Document:
    """The order of `body` as stored on arrival (acknowledged), priced; raises NotOrderableError."""
    items = [{**item, "state": ACKNOWLEDGED} for item in body["productOrderItem"]]
    totals: dict[Kind, tuple[Decimal, Decimal]] = {}
    for item in items:
        offering = offerings.get(item["productOffering"]["id"])
        if offering is None or not orderable(offering, now):
            raise NotOrderableError(f"offering {item['productOffering']['id']} is not orderable")
        own = [
            prices[r["id"]] for r in offering.get("productOfferingPrice") or [] if r["id"] in prices
        ]
        for kind, (net, gross) in _price_item(item, own).items():
            _add(totals, kind, net, gross)
    document: Document = {
        "id": str(uuid.uuid4()),
        **body,
        "productOrderItem": items,
        "orderDate": now,
        "state": ACKNOWLEDGED,
        "@type": PRODUCT_ORDER.schema,
        REVISION: 1,
    }
    if totals:
        document["orderTotalPrice"] = [_total(kind, sums) for kind, sums in totals.items()]
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


@dataclass
class _Charge:
    price: Document
    amount: Decimal
    currency: str
    tax_rate: Decimal
    reduction: Decimal = Decimal(0)
    alterations: list[Document] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        recurring = self.price["priceType"] == "recurring"
        period = self.price.get("recurringChargePeriodType") if recurring else None
        return (self.price["priceType"], period, self.currency)

    def reduce(self, discount: Document) -> None:
        if discount.get("percentage") is not None:
            off = self.amount * Decimal(str(discount["percentage"])) / 100
        else:
            off = Decimal(str(discount.get("price", {}).get("value", 0)))
        off = min(off, self.amount - self.reduction)
        self.reduction += off
        alteration: Document = {
            "name": discount.get("name", "discount"),
            "priceType": "discount",
            "price": _price(-off, self.currency, self.tax_rate),
            "productOfferingPrice": _ref(discount),
        }
        if discount.get("percentage") is not None:
            alteration["price"]["percentage"] = discount["percentage"]
        if self.kind[1]:
            alteration["recurringChargePeriod"] = self.kind[1]
        self.alterations.append(alteration)

    def entry(self) -> Document:
        entry: Document = {
            "name": self.price.get("name", self.price["priceType"]),
            "priceType": self.price["priceType"],
            "price": _price(self.amount, self.currency, self.tax_rate),
            "productOfferingPrice": _ref(self.price),
        }
        if self.kind[1]:
            entry["recurringChargePeriod"] = self.kind[1]
        if self.alterations:
            entry["priceAlteration"] = self.alterations
        return entry


def _price_item(item: Document, prices: Iterable[Document]) -> dict[Kind, tuple[Decimal, Decimal]]:
    """Writes the item's prices and totals; its totals per kind of charge."""
    prices = list(prices)
    charges = [
        _Charge(p, Decimal(str(p["price"]["value"])), p["price"].get("unit", ""), _tax_rate(p))
        for p in prices
        if p.get("priceType") in CHARGED and isinstance(p.get("price"), dict)
    ]
    if not charges:
        return {}
    for discount in (p for p in prices if p.get("priceType") == "discount"):
        named = {r.get("id") for r in discount.get("popRelationship") or []}
        for charge in charges:
            if charge.price["id"] in named if named else charge.kind[0] == "recurring":
                charge.reduce(discount)
    quantity = Decimal(item.get("quantity", 1))
    sums: dict[Kind, tuple[Decimal, Decimal]] = {}
    for charge in charges:
        net = (charge.amount - charge.reduction) * quantity
        _add(sums, charge.kind, net, net * (1 + charge.tax_rate / 100))
    item["itemPrice"] = [charge.entry() for charge in charges]
    item["itemTotalPrice"] = [_total(kind, amounts) for kind, amounts in sums.items()]
    return sums


def _add(
    sums: dict[Kind, tuple[Decimal, Decimal]], kind: Kind, net: Decimal, gross: Decimal
) -> None:
    before = sums.get(kind, (Decimal(0), Decimal(0)))
    sums[kind] = (before[0] + net, before[1] + gross)


def _total(kind: Kind, amounts: tuple[Decimal, Decimal]) -> Document:
    price_type, period, currency = kind
    price = {
        "dutyFreeAmount": {"unit": currency, "value": _cents(amounts[0])},
        "taxIncludedAmount": {"unit": currency, "value": _cents(amounts[1])},
    }
    total: Document = {"priceType": price_type, "price": price}
    if period:
        total["recurringChargePeriod"] = period
    return total


def _price(amount: Decimal, currency: str, tax_rate: Decimal) -> Document:
    return {
        "dutyFreeAmount": {"unit": currency, "value": _cents(amount)},
        "taxIncludedAmount": {"unit": currency, "value": _cents(amount * (1 + tax_rate / 100))},
        "taxRate": float(tax_rate),
    }


def _tax_rate(price: Document) -> Decimal:
    return sum((Decimal(str(t["taxRate"])) for t in price.get("tax") or []), Decimal(0))


def _cents(amount: Decimal) -> float:
    return float(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _ref(entity: Document) -> Document:
    return {k: entity[k] for k in ("id", "name", "version") if k in entity}
