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

Amounts follow the one rule of tmf_apis/money.py: a rate is its price's unit amounts (as the
order's pricing wrote them) times the quantity, so the charges add up to the order's quote; tax is
the price's own rate when it names one, else the rate configured for the kind of charge
(options.py). A rate's billing account is the item's, else the
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
from decimal import Decimal
from typing import Any

from persistence.errors import Conflict
from persistence.store import ResourceStore
from tmf_apis import money, parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf678 import periods
from tmf_apis.tmf678.options import CHARGE, CREDIT, REVENUE_SHARE, BillingOptions

log = logging.getLogger("tmf.billing")

RATE_SCHEMA = "AppliedCustomerBillingRate"
NAMESPACE = uuid.UUID("5b7e4f9e-2c1a-4d43-9a57-0f3f3c2d8e61")
CUSTOMER_ROLE = parties.CUSTOMER_ROLE
NEXT = "_next"
PARTY = "_party"
CHAIN = "_chain"
# What a partner's share has in common with the charge it is a share of.
SHARED = ("@type", "date", "isBilled", "characteristic")


def on_item_completed(context: RuleContext, order: Document, item: Document) -> None:
    """The reaction to TMF622's ORDER_ITEM_COMPLETED (tmf_apis/domain.py): charge the item."""
    charge_item(order, item, context, BillingOptions.from_settings(context.settings))


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
    return store_rates(
        context.store(RATE_SCHEMA), item_rates(order, item, account, context.now, options)
    )


def item_rates(
    order: Document, item: Document, account: Document, now: str, options: BillingOptions
) -> list[Document]:
    """The rates a completed order item raises at `now` on `account` (nothing stored)."""
    customer = parties.customer(order) or {}
    partner = next(iter(parties.partners(order)), None)
    offering_id = (item.get("productOffering") or {}).get("id")
    quantity = money.quantity(item.get("quantity", 1))
    rates = []
    for index, price in enumerate(item.get("itemPrice") or []):
        if not isinstance(price, dict):
            continue
        key = f"{order.get('id')}/{item.get('id')}/{index}"
        group = list(
            _price_rates(key, price, quantity, item, order, account, customer, now, options)
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
        rates += group
    return rates


def billing_account(order: Document, item: Document, context: RuleContext) -> Document | None:
    for holder in (item, order):
        account = holder.get("billingAccount")
        if isinstance(account, dict) and account.get("id"):
            return _account_ref(account)
    customer_ref = parties.customer(order)
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
    quantity: int,
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
    charged = unit_amounts(price.get("price"), options.tax_rate(CHARGE))
    if charged is None:
        return
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
    yield _rate(f"{key}/charge", common, name, CHARGE, charged[0].times(quantity), charged[1])
    for index, alteration in enumerate(price.get("priceAlteration") or []):
        credit = unit_amounts((alteration or {}).get("price"), options.tax_rate(CREDIT))
        if credit is None or credit[0].net == 0 == credit[0].gross:
            continue
        # A discount reduces: its amounts count as negative whichever sign the client gave.
        off = money.Amounts(-abs(credit[0].net), -abs(credit[0].gross), credit[0].currency)
        label = str(alteration.get("name") or "discount")
        yield _rate(f"{key}/credit/{index}", common, label, CREDIT, off.times(quantity), credit[1])


def unit_amounts(price: Any, default_rate: Decimal) -> tuple[money.Amounts, Decimal] | None:
    """An order price's unit amounts and tax rate (tmf_apis/money.py).

    The server's pricing writes both amounts and the rate, and they are taken as they are (the
    quote is what is charged); a client's price may give one amount, the other is then derived
    at the price's `taxRate`, else at `default_rate`."""
    if not isinstance(price, dict):
        return None
    rate = money.percent(price.get("taxRate"))
    rate = default_rate if rate is None else rate
    net, net_unit = _amount(price.get("dutyFreeAmount"))
    gross, gross_unit = _amount(price.get("taxIncludedAmount"))
    currency = net_unit or gross_unit
    if net is not None and gross is not None:
        amounts = money.Amounts(
            money.rounded(net, currency), money.rounded(gross, currency), currency
        )
    elif net is not None:
        amounts = money.unit(net, currency, rate, tax_included=False)
    elif gross is not None:
        amounts = money.unit(gross, currency, rate, tax_included=True)
    else:
        return None
    return amounts, rate


def _revenue_share(
    key: str, group: list[Document], partner: Document, share: Decimal, options: BillingOptions
) -> Document:
    currency = group[0]["taxExcludedAmount"]["unit"]
    sold = sum((_stored(r["taxExcludedAmount"]) for r in group), money.ZERO)
    partner_id = str(partner.get("id"))
    common: Document = {
        **{k: group[0][k] for k in SHARED if k in group[0]},
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
    rate = options.tax_rate(REVENUE_SHARE)
    owed = money.unit(sold * share / money.HUNDRED, currency, rate, tax_included=False)
    return _rate(f"{key}/share", common, name, REVENUE_SHARE, owed, rate)


def _rate(
    chain: str,
    common: Document,
    name: str,
    rate_type: str,
    amounts: money.Amounts,
    tax_rate: Decimal,
) -> Document:
    start = (common.get("periodCoverage") or {}).get("startDateTime", "")
    currency = amounts.currency
    rate = {
        **common,
        "id": rate_id(chain, start),
        "name": name,
        "type": rate_type,
        "taxExcludedAmount": money.money(amounts.net, currency),
        "taxIncludedAmount": money.money(amounts.gross, currency),
        "appliedTax": [
            {
                "taxCategory": "VAT",
                "taxRate": money.number(tax_rate),
                "taxAmount": money.money(amounts.tax, currency),
            }
        ],
        CHAIN: chain,
    }
    if rate.get(PARTY) is None:
        rate.pop(PARTY, None)
    return rate


def _amount(value: Any) -> tuple[Decimal | None, str]:
    """A Money's amount (None when it has none) and its currency."""
    if not isinstance(value, dict):
        return None, ""
    return money.decimal(value.get("value")), str(value.get("unit") or "")


def _stored(value: Document) -> Decimal:
    return money.decimal(value.get("value")) or money.ZERO


def _characteristics(order: Document, item: Document) -> list[Document]:
    facts = [
        ("productOrder", order.get("id")),
        ("productOrderItem", item.get("id")),
        ("productOffering", (item.get("productOffering") or {}).get("id")),
    ]
    return [{"name": name, "value": value} for name, value in facts if isinstance(value, str)]


def _account_ref(account: Document) -> Document:
    ref = {k: account[k] for k in ("id", "name") if isinstance(account.get(k), str)}
    return {**ref, "@referredType": "BillingAccount"}
