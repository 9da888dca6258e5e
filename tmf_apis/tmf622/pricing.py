"""Prices an order from the catalog when the client sends none.

The catalog's pricing convention (tmf_apis/tmf620/demo.py states it): an offering lists its
prices in `productOfferingPrice`; a price has a `priceType` (`oneTime`, `recurring`, `usage`,
`discount`), a tax-excluded `price` (Money), recurring ones a `recurringChargePeriodType`, and
optionally `tax: [{"taxRate": <percent>}]`. A discount is a price of its own with `percentage`
or a fixed `price` off, naming the prices it reduces in `popRelationship`; one that names none
reduces every recurring charge of its item (a bundle item includes its nested items).

What the order gets:
- `itemPrice` on each item: one entry per one-time or recurring charge of its offering, at the
  unit price, with the discounts that reduce it as `priceAlteration`s (usage is charged later,
  from usage, and is not priced here);
- `itemTotalPrice` on each item: per kind of charge (type, period, currency), the discounted
  amount times the item's `quantity`, without and with tax;
- `orderTotalPrice`: the same sums over every item of the order.
Amounts are rounded to the cent; `taxIncludedAmount` applies the price's tax rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tmf_apis.rules import RuleContext
from tmf_apis.tmf622.states import all_items

Document = dict[str, Any]
CHARGED = ("oneTime", "recurring")
# A kind of charge (priceType, period, currency), and its net and tax-included sums.
Kind = tuple[str, str | None, str]
Sums = dict[Kind, tuple[Decimal, Decimal]]
CENT = Decimal("0.01")


@dataclass
class Charge:
    price: Document  # the catalog's ProductOfferingPrice
    amount: Decimal  # per unit, tax excluded
    currency: str
    tax_rate: Decimal
    alterations: list[Document] = field(default_factory=list)
    reduction: Decimal = Decimal(0)

    @property
    def kind(self) -> Kind:
        period = self.price.get("recurringChargePeriodType") if self.recurring else None
        return (self.price["priceType"], period, self.currency)

    @property
    def recurring(self) -> bool:
        return bool(self.price["priceType"] == "recurring")


def needs_pricing(order: Document) -> bool:
    """The server prices an order only when the client priced none of it."""
    items = list(all_items(order.get("productOrderItem") or []))
    return not order.get("orderTotalPrice") and not any(
        item.get("itemPrice") or item.get("itemTotalPrice") for item in items
    )


def price_order(order: Document, context: RuleContext) -> None:
    """Fill in the prices of `order` in place from the catalog."""
    priced: list[tuple[Document, list[Charge]]] = []
    for item in order.get("productOrderItem") or []:
        _collect(item, context, priced)
    # Written once every discount, a bundle's included, has reduced the charges it names.
    totals: Sums = {}
    for item, charges in priced:
        for kind, (net, gross) in _write_item_prices(item, charges).items():
            _add(totals, kind, net, gross)
    if totals:
        order["orderTotalPrice"] = [_total(kind, amounts) for kind, amounts in totals.items()]


def _collect(
    item: Document, context: RuleContext, priced: list[tuple[Document, list[Charge]]]
) -> list[Charge]:
    """The charges of `item` and its nested items, with `item`'s discounts applied to them."""
    own, discounts = _catalog_charges(item, context)
    if own:
        priced.append((item, own))
    subtree = list(own)
    for child in item.get("productOrderItem") or []:
        subtree += _collect(child, context, priced)
    for discount in discounts:
        _apply(discount, subtree)
    return subtree


def _write_item_prices(item: Document, charges: list[Charge]) -> Sums:
    quantity = _quantity(item)
    item["itemPrice"] = [_item_price(charge) for charge in charges]
    sums: Sums = {}
    for charge in charges:
        net = max(charge.amount - charge.reduction, Decimal(0)) * quantity
        _add(sums, charge.kind, net, net * (1 + charge.tax_rate / 100))
    item["itemTotalPrice"] = [_total(kind, amounts) for kind, amounts in sums.items()]
    return sums


def _add(sums: Sums, kind: Kind, net: Decimal, gross: Decimal) -> None:
    before = sums.get(kind, (Decimal(0), Decimal(0)))
    sums[kind] = (before[0] + net, before[1] + gross)


def _catalog_charges(item: Document, context: RuleContext) -> tuple[list[Charge], list[Document]]:
    reference = item.get("productOffering")
    offering = context.resolve("ProductOffering", reference) if reference else None
    if offering is None or item.get("action", "add") not in ("add", "modify"):
        return [], []
    charges, discounts = [], []
    for price_ref in offering.get("productOfferingPrice") or []:
        price = context.resolve("ProductOfferingPrice", price_ref)
        if price is None:
            continue  # a price held elsewhere cannot be priced here
        if price.get("priceType") == "discount":
            discounts.append(price)
        elif price.get("priceType") in CHARGED and (money := _money(price.get("price"))):
            charges.append(Charge(price, money[0], money[1], _tax_rate(price)))
    return charges, discounts


def _apply(discount: Document, charges: Iterable[Charge]) -> None:
    named = {r.get("id") for r in discount.get("popRelationship") or []}
    targets = [c for c in charges if c.price.get("id") in named] if named else []
    if not named:
        targets = [c for c in charges if c.recurring]
    for charge in targets:
        if discount.get("percentage") is not None:
            off = charge.amount * Decimal(str(discount["percentage"])) / 100
        else:
            fixed = _money(discount.get("price"))
            off = fixed[0] if fixed is not None else Decimal(0)
        off = min(off, charge.amount - charge.reduction)
        charge.reduction += off
        alteration: Document = {
            "name": discount.get("name", "discount"),
            "priceType": "discount",
            "price": _price(-off, charge.currency, charge.tax_rate),
            "productOfferingPrice": _ref(discount),
        }
        if discount.get("percentage") is not None:
            alteration["price"]["percentage"] = discount["percentage"]
        if charge.recurring:
            alteration["recurringChargePeriod"] = charge.kind[1]
        charge.alterations.append(alteration)


def _item_price(charge: Charge) -> Document:
    entry: Document = {
        "name": charge.price.get("name", charge.price["priceType"]),
        "priceType": charge.price["priceType"],
        "price": _price(charge.amount, charge.currency, charge.tax_rate),
        "productOfferingPrice": _ref(charge.price),
    }
    if charge.recurring:
        entry["recurringChargePeriod"] = charge.kind[1]
    if charge.alterations:
        entry["priceAlteration"] = charge.alterations
    return entry


def _total(kind: Kind, amounts: tuple[Decimal, Decimal]) -> Document:
    price_type, period, currency = kind
    total: Document = {"priceType": price_type, "price": _amounts(*amounts, currency)}
    if period:
        total["recurringChargePeriod"] = period
    return total


def _price(amount: Decimal, currency: str, tax_rate: Decimal) -> Document:
    gross = amount * (1 + tax_rate / 100)
    return {**_amounts(amount, gross, currency), "taxRate": float(tax_rate)}


def _amounts(net: Decimal, gross: Decimal, currency: str) -> Document:
    return {
        "dutyFreeAmount": {"unit": currency, "value": _cents(net)},
        "taxIncludedAmount": {"unit": currency, "value": _cents(gross)},
    }


def _money(value: object) -> tuple[Decimal, str] | None:
    if not isinstance(value, dict) or not isinstance(value.get("value"), int | float):
        return None
    return Decimal(str(value["value"])), str(value.get("unit") or "")


def _tax_rate(price: Document) -> Decimal:
    rates = [t.get("taxRate") for t in price.get("tax") or [] if isinstance(t, dict)]
    return sum((Decimal(str(r)) for r in rates if isinstance(r, int | float)), Decimal(0))


def _quantity(item: Document) -> Decimal:
    quantity = item.get("quantity", 1)
    return Decimal(quantity if isinstance(quantity, int) and quantity > 0 else 1)


def _cents(amount: Decimal) -> float:
    return float(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _ref(entity: Document) -> Document:
    return {k: entity[k] for k in ("id", "name", "version") if k in entity}
