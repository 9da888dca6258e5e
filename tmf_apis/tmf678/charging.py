"""Charging: what a completed order item does to what the customer pays.

Billing follows the product. TMF637 has already made, changed or ended the item's product when
billing reacts to the same ORDER_ITEM_COMPLETED (tmf_apis/domain.py); by the item's `action`:
- `add`: the item's prices are charged (below), every rate naming the product the item made
  (`product: {id, @referredType: Product}`, from the item's `product.id`).
- `modify`: when the item names another offering than the one the product is charged for (that of
  its open recurring chains, else of the rate last made for it), an upgrade or a downgrade: its
  chains of another offering end at the completion (the last period, below) and the item's prices
  are charged as an `add`'s are. The same offering (a change of characteristics, a suspension or
  a resumption) or none charges nothing new.
- `delete`: the product's recurring chains end at the completion; of the item's prices only the
  one-time ones (a termination fee) are charged, never a recurring one.
- `noChange`: nothing.
Rates made before the inventory existed name no product; no order item ends them.

The last period. Billing is in advance: the period in which a product ends, or moves to another
offering, was charged when it began, and a bill run may have raised later periods already. The
product ends at the completion (TMF637 terminates it then; on a change of offering the new
offering is charged from then), so:
- the rest of the period it ends in is credited, pro rata by whole days (the day it ends counts as
  used): a dated credit (`appliedBillingCredit`, named `<charge>: <n> unused days of <days>`,
  dated when the product ended) reverses that share of the charge, and the same share of the
  period's discount credits and of the partner's revenue share is reversed too (a new line on
  the tax-excluded basis: net = round(the line's net x unused days / days), tax from it);
- a period raised in advance that had not begun is reversed in full (`<charge>: period not
  used`, dated as that period, so that both go on one bill when neither is billed yet);
- no later period is raised.
Why the credit rather than letting the charged period run to its end: the service stops at once,
and on an upgrade the new offering's first period starts the same day, so without it every change
of plan would charge the customer for two offerings over the rest of the period. An operator that
wants a price for leaving early puts a one-time price (a termination fee) on the delete item.
How bill runs treat a product that is not in service (suspended: the period is skipped;
terminated, cancelled, aborted: the chain ends): billing.py.

For each price of a charged item (its `itemPrice`, which the order's pricing filled in from the
catalog or the client sent), times the item's quantity:
- a one-time price gives one `appliedBillingCharge` dated when the item completed;
- a recurring price gives one per period, the first covering the period that starts when the
  item completed (the service start), each later one raised by the bill run whose billing
  period that later period starts in (billing in advance);
- each discount on a price (`priceAlteration`) gives an `appliedBillingCredit`, negative, for
  the same period. A time-limited discount ("50 % off the first 3 months") has
  `applicationDuration` (TMF622): the number of periods of the price it reduces
  (`recurringChargePeriod`) it lasts. Its credit is raised for that many charged periods, the
  first counting as one, while the charge goes on; a period skipped for a suspension does not
  count. In the catalog (TMF620 v4 and v5 alike) the discount price says it with a
  `productOfferingTerm` whose `duration` is `{amount, units}`; the order's pricing turns that
  into `applicationDuration` (tmf_apis/tmf622/pricing.py);
- when a channel partner sold the order (a `relatedParty` whose role names a partner, reseller,
  dealer or agent), a `partnerRevenueShare` rate for the partner's share of the price net of its
  discounts (worked out again for the periods after a time-limited discount ended), on the
  partner's Active settlement account held here (TMF666; `@referredType: SettlementAccount`),
  else on `settlement-<party id>` (the fallback of servers without one). The share is the
  settlement account's `revenueShare` entry for the item's offering, else its entry naming no
  offering, else the `TMF_SETTLEMENT_SHARES` setting (options.py); a share, once raised, stays
  the chain's for its later periods (rates.py SHARE).

Amounts follow the one rule of tmf_apis/money.py: a rate is its price's unit amounts (as the
order's pricing wrote them) times the quantity, so the charges add up to the order's quote; tax is
the price's own rate when it names one, else the rate configured for the kind of charge
(options.py). A rate's billing account is the item's, else the order's (an order placed with
TMF666 served records its customer's default there: tmf_apis/tmf622/accounts.py), else, for an
order placed before, the customer's default account by the same rule (tmf_apis/accounts.py); a
charge with none cannot be billed and is not raised (logged).

Everything here may run twice for one item (completions are swept after a stop,
tmf_apis/tmf622/completion.py): rate ids derive from what they charge (order, item, price,
period) and credits from the period they reverse, so each is stored once; ending an ended chain
does nothing. The bookkeeping rates carry: rates.py; how chains move on: chains.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from persistence.store import ResourceStore
from tmf_apis import accounts, money, parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf678 import chains, periods
from tmf_apis.tmf678.options import CHARGE, CREDIT, REVENUE_SHARE, BillingOptions
from tmf_apis.tmf678.rates import (
    CHAIN,
    NEXT,
    PARTY,
    PERIODS,
    RATE_SCHEMA,
    SHARE,
    build,
    share_amounts,
    store_rates,
)

log = logging.getLogger("tmf.billing")

CUSTOMER_ROLE = parties.CUSTOMER_ROLE
ADD, MODIFY, DELETE = "add", "modify", "delete"
ONE_TIME = frozenset({"oneTime"})
# What a partner's share has in common with the charge it is a share of.
SHARED = ("@type", "date", "isBilled", "characteristic", "product")
OFFERING = "productOffering"
# A settlement account's shares (our TMF666 extension: tmf_apis/tmf666/revenue_shares.py).
SHARES = "revenueShare"
# The account a partner's share goes on when no settlement account of its is held here.
SETTLEMENT_FALLBACK = "settlement-"


def on_item_completed(context: RuleContext, order: Document, item: Document, **_: Any) -> None:
    """The reaction to TMF622's ORDER_ITEM_COMPLETED (tmf_apis/domain.py): charge the item as
    its action says."""
    options = BillingOptions.from_settings(context.settings)
    action = item.get("action", ADD)
    if action == ADD:
        charge_item(order, item, context, options)
        return
    if action not in (MODIFY, DELETE):
        return  # noChange, or an action of another kind: nothing to charge
    product_id = (item.get("product") or {}).get("id")
    if not isinstance(product_id, str):
        log.warning(
            "a completed modify or delete item names no product: no charge ended",
            extra={"order": order.get("id"), "item": item.get("id")},
        )
        return
    rates = context.store(RATE_SCHEMA)
    own = _item_key(order, item)
    if action == DELETE:
        for head in open_heads(rates, product_id, own):
            chains.end(rates, head, context.now)
        charge_item(order, item, context, options, only=ONE_TIME)
        return
    offering = (item.get(OFFERING) or {}).get("id")
    if not isinstance(offering, str) or offering in charged_offerings(rates, product_id, own):
        return  # the same offering: a change of characteristics or status costs nothing here
    for head in open_heads(rates, product_id, own):
        if _offering(head) != offering:
            chains.end(rates, head, context.now)
    charge_item(order, item, context, options)


def charge_item(
    order: Document,
    item: Document,
    context: RuleContext,
    options: BillingOptions,
    only: frozenset[str] | None = None,
) -> list[Document]:
    """Store the rates of a completed order item (idempotent), of the prices whose `priceType`
    is in `only` (all when None); returns those it stored."""
    account = billing_account(order, item, context)
    if account is None:
        log.warning(
            "completed order item has no billing account: not charged",
            extra={"order": order.get("id"), "item": item.get("id")},
        )
        return []
    rates = item_rates(order, item, account, context.now, options, only, context.stores)
    return store_rates(context.store(RATE_SCHEMA), rates)


def open_heads(rates: ResourceStore, product_id: str, own: str = "") -> list[Document]:
    """The heads of the product's open recurring chains, but those the order item `own`
    (`<order>/<item>/`) raised."""
    found = rates.collection.find({"product.id": product_id, NEXT: {"$exists": True}}, {"_id": 0})
    return [head for head in found if not (own and str(head.get(CHAIN, "")).startswith(own))]


def charged_offerings(rates: ResourceStore, product_id: str, own: str = "") -> set[str]:
    """The offerings the product is charged for: its open chains', else that of the rate last
    made for it (by insertion: a period raised in advance is dated later than it was made),
    credits for unused periods and what the order item `own` raised left out; empty when none."""
    heads = open_heads(rates, product_id, own)
    if heads:
        return {o for o in map(_offering, heads) if o is not None}
    made = rates.collection.find({"product.id": product_id}, {CHAIN: 1, "characteristic": 1})
    for rate in made.sort("_id", -1):
        chain = str(rate.get(CHAIN, ""))
        if not (own and chain.startswith(own)) and not chain.endswith(f"/{chains.UNUSED}"):
            offering = _offering(rate)
            return {offering} if offering is not None else set()
    return set()


def item_rates(
    order: Document,
    item: Document,
    account: Document,
    now: str,
    options: BillingOptions,
    only: frozenset[str] | None = None,
    stores: Mapping[str, ResourceStore] | None = None,
) -> list[Document]:
    """The rates a completed order item raises at `now` on `account` (nothing stored), of the
    prices whose `priceType` is in `only` (all when None); `stores` hold the partners'
    settlement accounts (none: the fallback account and the configured shares)."""
    customer = parties.customer(order) or {}
    partner = next(iter(parties.partners(order)), None)
    settlement = None
    if partner is not None:
        settlement = accounts.settlement_account(str(partner.get("id")), stores or {})
    offering_id = (item.get(OFFERING) or {}).get("id")
    quantity = money.quantity(item.get("quantity", 1))
    rates = []
    for index, price in enumerate(item.get("itemPrice") or []):
        if not isinstance(price, dict) or (only is not None and price.get("priceType") not in only):
            continue
        key = f"{_item_key(order, item)}{index}"
        group = list(
            _price_rates(key, price, quantity, item, order, account, customer, now, options)
        )
        if not group:
            continue
        if partner is not None:
            share = revenue_share(settlement, offering_id)
            if share is None:
                share = options.share(str(partner.get("id")), offering_id)
            group.append(_revenue_share(key, group, partner, settlement, share, options))
        period = group[0].get("periodCoverage")
        if period is not None:
            # The chain's head repeats the whole group for each next period.
            group[0][NEXT] = {
                "due": period["endDateTime"],
                "periodType": price.get("recurringChargePeriod"),
                "length": 1,
                "group": [rate[CHAIN] for rate in group],
                "number": 1,
            }
        rates += group
    return rates


def billing_account(order: Document, item: Document, context: RuleContext) -> Document | None:
    """The account the item is charged on: the item's, else the order's, else the customer's
    default (tmf_apis/accounts.py); None when there is none or no single default."""
    for holder in (item, order):
        account = holder.get("billingAccount")
        if isinstance(account, dict) and account.get("id"):
            return accounts.reference(account)
    customer_ref = parties.customer(order)
    if not customer_ref or "Customer" not in context.stores:
        return None
    customer = context.resolve("Customer", customer_ref)
    if not accounts.served(context.stores):
        listed = [a for a in (customer or {}).get("account") or [] if isinstance(a, dict)]
        first = next((a for a in listed if a.get("id")), None)
        return accounts.reference(first) if first else None
    try:
        return accounts.default_account(
            str(customer_ref["id"]), customer, context.stores, context.now
        )
    except (accounts.Ambiguous, accounts.NoneActive) as exc:
        log.warning("%s", exc, extra={"order": order.get("id"), "item": item.get("id")})
        return None


def revenue_share(settlement: Document | None, offering_id: str | None) -> Decimal | None:
    """The share in percent a settlement account's `revenueShare` gives for the offering: its
    entry for the offering, else its entry naming none; None without either."""
    entries = [e for e in (settlement or {}).get(SHARES) or [] if isinstance(e, dict)]
    for wanted in (offering_id, None):
        for entry in entries:
            named = (entry.get(OFFERING) or {}).get("id")
            if named == wanted and (wanted is not None or OFFERING not in entry):
                percent = money.decimal(entry.get("sharePercent"))
                if percent is not None:
                    return percent
    return None


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
    yield build(f"{key}/charge", common, name, CHARGE, charged[0].times(quantity), charged[1])
    for index, alteration in enumerate(price.get("priceAlteration") or []):
        credit = unit_amounts((alteration or {}).get("price"), options.tax_rate(CREDIT))
        if credit is None or credit[0].net == 0 == credit[0].gross:
            continue
        # A discount reduces: its amounts count as negative whichever sign the client gave.
        off = money.Amounts(-abs(credit[0].net), -abs(credit[0].gross), credit[0].currency)
        label = str(alteration.get("name") or "discount")
        rate = build(f"{key}/credit/{index}", common, label, CREDIT, off.times(quantity), credit[1])
        lasts = alteration.get("applicationDuration")
        if coverage is not None and _whole(lasts):
            rate[PERIODS] = lasts
        yield rate


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
    key: str,
    group: list[Document],
    partner: Document,
    settlement: Document | None,
    share: Decimal,
    options: BillingOptions,
) -> Document:
    partner_id = str(partner.get("id"))
    if settlement is not None:
        account = accounts.reference(settlement, accounts.SETTLEMENT_ACCOUNT)
    else:
        account = {
            "id": f"{SETTLEMENT_FALLBACK}{partner_id}",
            "name": f"Settlement of {partner.get('name') or partner_id}",
            "@referredType": accounts.BILLING_ACCOUNT,
        }
    common: Document = {
        **{k: group[0][k] for k in SHARED if k in group[0]},
        "billingAccount": account,
        PARTY: {"id": partner_id, "role": "partner"},
        # Kept to work the share out again when a discount of the charge ends (chains.py).
        SHARE: money.number(share),
    }
    if "periodCoverage" in group[0]:
        common["periodCoverage"] = group[0]["periodCoverage"]
    name = f"Revenue share {share}% of {group[0]['name']}"
    rate = options.tax_rate(REVENUE_SHARE)
    owed = share_amounts(group, share, rate)
    assert owed is not None  # the group holds the charge
    return build(f"{key}/share", common, name, REVENUE_SHARE, owed, rate)


def _item_key(order: Document, item: Document) -> str:
    """What every chain of an order item's rates starts with."""
    return f"{order.get('id')}/{item.get('id')}/"


def _offering(rate: Document) -> str | None:
    for characteristic in rate.get("characteristic") or []:
        if isinstance(characteristic, dict) and characteristic.get("name") == OFFERING:
            value = characteristic.get("value")
            return value if isinstance(value, str) else None
    return None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _amount(value: Any) -> tuple[Decimal | None, str]:
    """A Money's amount (None when it has none) and its currency."""
    if not isinstance(value, dict):
        return None, ""
    return money.decimal(value.get("value")), str(value.get("unit") or "")


def _characteristics(order: Document, item: Document) -> list[Document]:
    facts = [
        ("productOrder", order.get("id")),
        ("productOrderItem", item.get("id")),
        (OFFERING, (item.get(OFFERING) or {}).get("id")),
    ]
    return [{"name": name, "value": value} for name, value in facts if isinstance(value, str)]
