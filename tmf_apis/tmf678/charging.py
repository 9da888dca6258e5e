"""Charging: a completed order item's prices become applied customer billing rates, unbilled.

For each price of the item (its `itemPrice`, which the order's pricing filled in from the catalog
or the client sent), times the item's quantity:
- a one-time price gives one `appliedBillingCharge` dated when the item completed;
- a recurring price gives one per period, the first covering the period that starts when the
  item completed (the service start), each later one raised by the bill run whose billing
  period that later period starts in (billing in advance);
- each discount on a price (`priceAlteration`) gives an `appliedBillingCredit`, negative, for
  the same period;
- when a channel partner sold the order (a `relatedParty` whose role names a partner, reseller,
  dealer or agent), a `partnerRevenueShare` rate for the partner's share of the price net of its
  discounts, on the partner's settlement account `settlement-<party id>`.

Amounts are rounded to the cent; tax is the price's own rate when it names one, else the rate
configured for the kind of charge (options.py). A rate's billing account is the item's, else the
order's, else the first account of the customer the order names (TMF629); a charge with none
cannot be billed and is not raised (logged).

Rates have ids derived from what they charge (order, item, price, period), so charging the same
item twice, or raising the same period twice, stores each rate once. Each rate keeps `_party`,
the party it concerns (the customer, or the partner on a settlement rate), for bills and for
scoping a partner's reads. The newest rate of a recurring chain keeps `_next`: when the next
period is due and which rates (the charge, its credits, the partner's share) it repeats.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from persistence.errors import Conflict
from persistence.store import ResourceStore
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf678 import periods
from tmf_apis.tmf678.options import CHARGE, CREDIT, REVENUE_SHARE, BillingOptions

log = logging.getLogger("tmf.billing")

RATE_SCHEMA = "AppliedCustomerBillingRate"
NAMESPACE = uuid.UUID("5b7e4f9e-2c1a-4d43-9a57-0f3f3c2d8e61")
PARTNER_ROLES = ("partner", "reseller", "dealer", "agent")
CUSTOMER_ROLE = "customer"
CENT = Decimal("0.01")
NEXT = "_next"
PARTY = "_party"
CHAIN = "_chain"
# What a partner's share has in common with the charge it is a share of.
SHARED = ("@type", "date", "isBilled", "characteristic")


def charge_item(
    order: Document, item: Document, context: RuleContext, options: BillingOptions
) -> list[Document]:
    """Store the rates of a completed order item (idempotent); returns those it stored."""
    account = billing_account(order, item, context)
    if account is None:
        log.warning(
            "completed order item has no billing account: not charged",
            extra={"order": order.get("id"), "item": item.get("id")},
        )
        return []
    customer = _party(order, CUSTOMER_ROLE) or {}
    partner = next((p for p in _parties(order) if _is_partner(p)), None)
    offering_id = (item.get("productOffering") or {}).get("id")
    quantity = _quantity(item)
    stored = []
    for index, price in enumerate(item.get("itemPrice") or []):
        if not isinstance(price, dict):
            continue
        key = f"{order.get('id')}/{item.get('id')}/{index}"
        group = list(
            _price_rates(key, price, quantity, item, order, account, customer, context.now, options)
        )
        if not group:
            continue
        if partner is not None:
            share = options.share(str(partner.get("id")), offering_id)
            group.append(_revenue_share(key, group, partner, share, options))
        period = group[0].get("periodCoverage")
        if period is not None:
            # The chain's head repeats the whole group for each next period.
            group[0][NEXT] = {
                "due": period["endDateTime"],
                "periodType": price.get("recurringChargePeriod"),
                "length": 1,
                "group": [rate[CHAIN] for rate in group],
            }
        stored += store_rates(context.store(RATE_SCHEMA), group)
    return stored


def billing_account(order: Document, item: Document, context: RuleContext) -> Document | None:
    for holder in (item, order):
        account = holder.get("billingAccount")
        if isinstance(account, dict) and account.get("id"):
            return _account_ref(account)
    customer_ref = _party(order, CUSTOMER_ROLE)
    if customer_ref and "Customer" in context.stores:
        customer = context.resolve("Customer", customer_ref)
        for account in (customer or {}).get("account") or []:
            if isinstance(account, dict) and account.get("id"):
                return _account_ref(account)
    return None


def store_rates(rates: ResourceStore, documents: Iterable[Document]) -> list[Document]:
    stored = []
    for document in documents:
        try:
            rates.insert(document)
            stored.append(document)
        except Conflict:
            continue  # charged before: ids are derived from what they charge
    return stored


def next_period(head: Document, group: list[Document]) -> list[Document]:
    """The rates of the period after the one `head` (the chain's newest charge) covers, copied
    from its group with the period, date and ids moved on; the new head carries the chain."""
    chain = head[NEXT]
    start = chain["due"]
    end = periods.period_end(start, chain["periodType"], chain.get("length", 1))
    copies = []
    for rate in group:
        copy = {k: v for k, v in rate.items() if k not in (NEXT, "bill", "href")}
        copy.update(
            id=rate_id(rate[CHAIN], start),
            date=start,
            isBilled=False,
            periodCoverage={"startDateTime": start, "endDateTime": end},
        )
        copies.append(copy)
    copies[0][NEXT] = {**chain, "due": end}
    return copies


def rate_id(chain: str, start: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{chain}@{start}"))


def _price_rates(
    key: str,
    price: Document,
    quantity: Decimal,
    item: Document,
    order: Document,
    account: Document,
    customer: Document,
    now: str,
    options: BillingOptions,
) -> Iterator[Document]:
    kind = price.get("priceType")
    period_type = price.get("recurringChargePeriod")
    if kind == "recurring" and periods.is_known(period_type):
        coverage: Document | None = {
            "startDateTime": now,
            "endDateTime": periods.period_end(now, str(period_type)),
        }
    elif kind == "oneTime":
        coverage = None
    else:
        return  # usage is charged from usage records; an unknown period cannot be billed
    amount = _money(price.get("price"))
    if amount is None:
        return
    net, currency = amount[0] * quantity, amount[1]
    common: Document = {
        "@type": RATE_SCHEMA,
        "date": now,
        "isBilled": False,
        "billingAccount": account,
        "characteristic": _characteristics(order, item),
        PARTY: {"id": customer.get("id"), "role": CUSTOMER_ROLE} if customer else None,
    }
    if coverage is not None:
        common["periodCoverage"] = coverage
    if (item.get("product") or {}).get("id"):
        common["product"] = {"id": item["product"]["id"], "@referredType": "Product"}
    name = str(price.get("name") or kind)
    tax = _tax(price.get("price"), CHARGE, options)
    yield _rate(f"{key}/charge", common, name, CHARGE, net, currency, tax)
    for index, alteration in enumerate(price.get("priceAlteration") or []):
        off = _money((alteration or {}).get("price"))
        if off is None or off[0] == 0:
            continue
        label = str(alteration.get("name") or "discount")
        credit_tax = _tax(alteration.get("price"), CREDIT, options)
        reduction = -abs(off[0]) * quantity
        yield _rate(f"{key}/credit/{index}", common, label, CREDIT, reduction, currency, credit_tax)


def _revenue_share(
    key: str, group: list[Document], partner: Document, share: Decimal, options: BillingOptions
) -> Document:
    sold = sum((Decimal(str(r["taxExcludedAmount"]["value"])) for r in group), Decimal(0))
    currency = group[0]["taxExcludedAmount"]["unit"]
    partner_id = str(partner.get("id"))
    common: Document = {
        **{
            k: group[0][k] for k in ("@type", "date", "isBilled", "characteristic") if k in group[0]
        },
        "billingAccount": {
            "id": f"settlement-{partner_id}",
            "name": f"Settlement of {partner.get('name') or partner_id}",
            "@referredType": "BillingAccount",
        },
        PARTY: {"id": partner_id, "role": "partner"},
    }
    if "periodCoverage" in group[0]:
        common["periodCoverage"] = group[0]["periodCoverage"]
    name = f"Revenue share {share}% of {group[0]['name']}"
    tax = options.tax_rate(REVENUE_SHARE)
    return _rate(f"{key}/share", common, name, REVENUE_SHARE, sold * share / 100, currency, tax)


def _rate(
    chain: str,
    common: Document,
    name: str,
    rate_type: str,
    net: Decimal,
    currency: str,
    tax_rate: Decimal,
) -> Document:
    start = (common.get("periodCoverage") or {}).get("startDateTime", "")
    net = net.quantize(CENT, rounding=ROUND_HALF_UP)
    tax = (net * tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    rate = {
        **common,
        "id": rate_id(chain, start),
        "name": name,
        "type": rate_type,
        "taxExcludedAmount": {"unit": currency, "value": float(net)},
        "taxIncludedAmount": {"unit": currency, "value": float(net + tax)},
        "appliedTax": [
            {
                "taxCategory": "VAT",
                "taxRate": float(tax_rate),
                "taxAmount": {"unit": currency, "value": float(tax)},
            }
        ],
        CHAIN: chain,
    }
    if rate.get(PARTY) is None:
        rate.pop(PARTY, None)
    return rate


def _tax(price: Any, rate_type: str, options: BillingOptions) -> Decimal:
    named = price.get("taxRate") if isinstance(price, dict) else None
    if isinstance(named, int | float) and not isinstance(named, bool) and 0 <= named <= 100:
        return Decimal(str(named))
    return options.tax_rate(rate_type)


def _money(price: Any) -> tuple[Decimal, str] | None:
    """The tax-excluded amount of an order price (`dutyFreeAmount`) and its currency."""
    amount = price.get("dutyFreeAmount") if isinstance(price, dict) else None
    if not isinstance(amount, dict):
        return None
    value = amount.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return Decimal(str(value)), str(amount.get("unit") or "")


def _quantity(item: Document) -> Decimal:
    quantity = item.get("quantity", 1)
    return Decimal(quantity if isinstance(quantity, int) and quantity > 0 else 1)


def _characteristics(order: Document, item: Document) -> list[Document]:
    facts = [
        ("productOrder", order.get("id")),
        ("productOrderItem", item.get("id")),
        ("productOffering", (item.get("productOffering") or {}).get("id")),
    ]
    return [{"name": name, "value": value} for name, value in facts if isinstance(value, str)]


def _parties(order: Document) -> list[Document]:
    return [p for p in order.get("relatedParty") or [] if isinstance(p, dict) and p.get("id")]


def _party(order: Document, role: str) -> Document | None:
    parties = _parties(order)
    by_role = [p for p in parties if str(p.get("role") or "").lower() == role]
    by_type = [p for p in parties if p.get("@referredType") == "Customer"]
    found = by_role or by_type
    return found[0] if found else None


def _is_partner(party: Document) -> bool:
    role = str(party.get("role") or "").lower()
    return any(word in role for word in PARTNER_ROLES)


def _account_ref(account: Document) -> Document:
    ref = {k: account[k] for k in ("id", "name") if isinstance(account.get(k), str)}
    return {**ref, "@referredType": "BillingAccount"}
