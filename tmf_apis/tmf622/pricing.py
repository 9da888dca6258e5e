"""Prices an order from the catalog when the client sends none.

The catalog's pricing convention (tmf_apis/tmf620/demo.py states it): an offering lists its
prices in `productOfferingPrice`; a price has a `priceType` (`oneTime`, `recurring`, `usage`,
`discount`), a `price` (Money, tax-excluded unless the price says `isTaxIncluded: true`),
recurring ones a `recurringChargePeriodType`, and optionally `tax: [{"taxRate": <percent>}]`
(else the rate configured for charges, `TMF_BILLING_TAX_RATES`). A discount is a price of its
own with `percentage` or a fixed `price` off (on the basis of the price it reduces), naming the
prices it reduces in `popRelationship`; one that names none reduces every recurring charge of
its item (a bundle item includes its nested items). A discount that lasts a while ("50 % off the
first 3 months") has a `productOfferingTerm` with a `duration` `{amount, units}`
(tmf_apis/durations.py); on a recurring charge it becomes the alteration's `applicationDuration`,
in periods of the charge (its `recurringChargePeriod`), rounded up; without one a discount lasts
as long as the charge.

What the order gets:
- `itemPrice` on each item: one entry per one-time or recurring charge of its offering, at the
  unit price, with the discounts that reduce it as `priceAlteration`s (usage is charged later,
  from usage, and is not priced here);
- `itemTotalPrice` on each item: per kind of charge (type, period, currency), the discounted
  unit amounts times the item's `quantity`, without and with tax;
- `orderTotalPrice`: the same sums over every item of the order.
Every amount follows the one rule of tmf_apis/money.py, the rule charging and billing follow,
so the quote is what the charges and the bill come to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tmf_apis import durations, money
from tmf_apis.money import Amounts
from tmf_apis.tmf622.states import all_items

Document = dict[str, Any]
# How pricing finds a catalog entity: (schema name, reference) -> the entity or None.
Resolve = Callable[[str, Mapping[str, Any]], Document | None]
CHARGED = ("oneTime", "recurring")
# A kind of charge (priceType, period, currency).
Kind = tuple[str, str | None, str]
Sums = dict[Kind, Amounts]


@dataclass
class Charge:
    catalog: Document  # the catalog's ProductOfferingPrice
    price: money.Price  # its unit price, with what discounts took off so far
    # (the discount's catalog price, its percentage or None, its unit amounts: negative)
    alterations: list[tuple[Document, Decimal | None, Amounts]] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        period = self.catalog.get("recurringChargePeriodType") if self.recurring else None
        return (self.catalog["priceType"], period, self.price.currency)

    @property
    def recurring(self) -> bool:
        return bool(self.catalog["priceType"] == "recurring")


def needs_pricing(order: Document) -> bool:
    """The server prices an order only when the client priced none of it."""
    items = list(all_items(order.get("productOrderItem") or []))
    return not order.get("orderTotalPrice") and not any(
        item.get("itemPrice") or item.get("itemTotalPrice") for item in items
    )


def price_order(order: Document, resolve: Resolve, default_tax_rate: Decimal) -> None:
    """Fill in the prices of `order` in place from the catalog `resolve` reads."""
    priced: list[tuple[Document, list[Charge]]] = []
    for item in order.get("productOrderItem") or []:
        _collect(item, resolve, default_tax_rate, priced)
    # Written once every discount, a bundle's included, has reduced the charges it names.
    totals: Sums = {}
    for item, charges in priced:
        for kind, amounts in _write_item_prices(item, charges).items():
            _add(totals, kind, amounts)
    if totals:
        order["orderTotalPrice"] = [_total(kind, amounts) for kind, amounts in totals.items()]


def _collect(
    item: Document,
    resolve: Resolve,
    default_tax_rate: Decimal,
    priced: list[tuple[Document, list[Charge]]],
) -> list[Charge]:
    """The charges of `item` and its nested items, with `item`'s discounts applied to them."""
    own, discounts = _catalog_charges(item, resolve, default_tax_rate)
    if own:
        priced.append((item, own))
    subtree = list(own)
    for child in item.get("productOrderItem") or []:
        if isinstance(child, dict):
            subtree += _collect(child, resolve, default_tax_rate, priced)
    for discount in discounts:
        _apply(discount, subtree)
    return subtree


def _write_item_prices(item: Document, charges: list[Charge]) -> Sums:
    quantity = money.quantity(item.get("quantity", 1))
    item["itemPrice"] = [_item_price(charge) for charge in charges]
    sums: Sums = {}
    for charge in charges:
        _add(sums, charge.kind, charge.price.discounted.times(quantity))
    item["itemTotalPrice"] = [_total(kind, amounts) for kind, amounts in sums.items()]
    return sums


def _add(sums: Sums, kind: Kind, amounts: Amounts) -> None:
    sums[kind] = sums.get(kind, Amounts.zero(amounts.currency)) + amounts


def _catalog_charges(
    item: Document, resolve: Resolve, default_tax_rate: Decimal
) -> tuple[list[Charge], list[Document]]:
    reference = item.get("productOffering")
    offering = resolve("ProductOffering", reference) if isinstance(reference, dict) else None
    if offering is None or item.get("action", "add") not in ("add", "modify"):
        return [], []
    charges, discounts = [], []
    for price_ref in offering.get("productOfferingPrice") or []:
        price = resolve("ProductOfferingPrice", price_ref) if isinstance(price_ref, dict) else None
        if price is None:
            continue  # a price held elsewhere cannot be priced here
        if price.get("priceType") == "discount":
            discounts.append(price)
        elif price.get("priceType") in CHARGED and (found := _money(price.get("price"))):
            amount, currency = found
            rate = tax_rate(price, default_tax_rate)
            included = price.get("isTaxIncluded") is True
            unit = money.Price(money.rounded(amount, currency), currency, rate, included)
            charges.append(Charge(price, unit))
    return charges, discounts


def _apply(discount: Document, charges: Iterable[Charge]) -> None:
    named = {r.get("id") for r in discount.get("popRelationship") or [] if isinstance(r, dict)}
    targets = [c for c in charges if c.catalog.get("id") in named] if named else []
    if not named:
        targets = [c for c in charges if c.recurring]
    percentage = money.percent(discount.get("percentage"))
    fixed = _money(discount.get("price"))
    for charge in targets:
        if percentage is not None:
            off = charge.price.percentage_off(percentage)
        else:
            off = charge.price.fixed_off(fixed[0] if fixed is not None else money.ZERO)
        charge.price, amounts = money.discount(charge.price, off)
        charge.alterations.append((discount, percentage, amounts))


def _item_price(charge: Charge) -> Document:
    catalog = charge.catalog
    entry: Document = {
        "name": catalog.get("name", catalog["priceType"]),
        "priceType": catalog["priceType"],
        "price": _price(charge.price.full, charge.price.tax_rate),
        "productOfferingPrice": _ref(catalog),
    }
    if charge.recurring:
        entry["recurringChargePeriod"] = charge.kind[1]
    alterations = []
    for discount, percentage, amounts in charge.alterations:
        alteration: Document = {
            "name": discount.get("name", "discount"),
            "priceType": "discount",
            "price": _price(amounts, charge.price.tax_rate),
            "productOfferingPrice": _ref(discount),
        }
        if percentage is not None:
            alteration["price"]["percentage"] = money.number(percentage)
        if charge.recurring:
            alteration["recurringChargePeriod"] = charge.kind[1]
            lasts = durations.periods(durations.term_duration(discount), charge.kind[1])
            if lasts is not None:
                alteration["applicationDuration"] = lasts
        alterations.append(alteration)
    if alterations:
        entry["priceAlteration"] = alterations
    return entry


def _total(kind: Kind, amounts: Amounts) -> Document:
    price_type, period, _ = kind
    total: Document = {"priceType": price_type, "price": _amounts(amounts)}
    if period:
        total["recurringChargePeriod"] = period
    return total


def _price(amounts: Amounts, rate: Decimal) -> Document:
    return {**_amounts(amounts), "taxRate": money.number(rate)}


def _amounts(amounts: Amounts) -> Document:
    return {
        "dutyFreeAmount": money.money(amounts.net, amounts.currency),
        "taxIncludedAmount": money.money(amounts.gross, amounts.currency),
    }


def _money(value: object) -> tuple[Decimal, str] | None:
    if not isinstance(value, dict) or (amount := money.decimal(value.get("value"))) is None:
        return None
    return amount, str(value.get("unit") or "")


def tax_rate(price: Document, default: Decimal) -> Decimal:
    """The catalog price's own tax rate (the sum of its tax items'), else `default`."""
    rates = [money.percent(t.get("taxRate")) for t in price.get("tax") or [] if isinstance(t, dict)]
    named = [r for r in rates if r is not None]
    return sum(named, money.ZERO) if named else default


def _ref(entity: Document) -> Document:
    return {k: entity[k] for k in ("id", "name", "version") if k in entity}
