"""The rates the bill runs bill: three per billing account, made by the server's own charging code
and bulk-inserted in the shape the server stores.

Each account's customer bought one offering of PLANS, and its order item completed: for that item
`tmf_apis/tmf678/charging.py` (`charge_item`, as TMF622 calls it) gives a one-time connection
`appliedBillingCharge`, a monthly `appliedBillingCharge` (the head of its recurring chain, with
`_next`) and the monthly discount as an `appliedBillingCredit`, with `_chain` and `_party`. Its
store is swapped for one that collects the documents, which are then written with `insert_many`
and `_rev: 1`, as `ResourceStore.insert` would store them (completing 10,000 orders through
TMF622 would take far longer than the bill run it prepares).

Customers are businesses with ACCOUNTS_PER_PARTY billing accounts each, so that a customer's bills
fill several pages of the paged bill list.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pymongo.collection import Collection

from persistence import dates
from persistence.store import REVISION, ResourceStore
from settings import Settings
from tmf_apis.rules import RuleContext
from tmf_apis.tmf678 import charging
from tmf_apis.tmf678.options import BillingOptions

Document = dict[str, Any]

ACCOUNTS_PER_PARTY = 100
# Rates of one account: the connection charge, the monthly fee and its discount.
RATES_PER_ACCOUNT = 3
BATCH = 1000
CURRENCY = "EUR"
VAT = 20.0
# The bill runs' period: the day before the charges to the day after. The monthly fees' next
# periods are due a month after the charges, beyond its end: a run raises no recurring rate.
PERIOD_MARGIN = timedelta(days=1)
# Offering, connection fee, monthly fee, monthly discount (EUR without tax).
PLANS = (
    ("Mobile S", 19.99, 9.99, 2.0),
    ("Mobile L", 19.99, 24.99, 5.0),
    ("Fibre 500", 49.0, 34.99, 10.0),
    ("Fibre 1000", 49.0, 44.99, 10.0),
    ("TV Basic", 29.0, 14.5, 2.5),
)


class _Collected(ResourceStore):
    """A rate store that keeps what charging stores, as the server would store it."""

    def __init__(self, collection: Collection[Document]) -> None:
        super().__init__(collection)
        self.documents: list[Document] = []

    def insert(self, document: Document, then: Document | None = None) -> Document:
        self.documents.append({**(then or document), REVISION: 2 if then else 1})
        return document


def account_id(number: int) -> str:
    return f"ba-{number:07d}"


def party_id(number: int) -> str:
    return f"bill-customer-{number:05d}"


def parties(accounts: int) -> int:
    return max(1, -(-accounts // ACCOUNTS_PER_PARTY))


def period(charged: str) -> tuple[str, str]:
    """The billing period that holds the charges made at `charged`."""
    moment = dates.parse(charged)
    return (
        dates.format_datetime(moment - PERIOD_MARGIN),
        dates.format_datetime(moment + PERIOD_MARGIN),
    )


def seed(
    collections: Sequence[Collection[Document]], accounts: int, seed: int, charged: str
) -> int:
    """Insert the rates of `accounts` accounts, charged at `charged`, into each collection (the
    same documents); returns how many rates each holds. The same seed gives the same rates."""
    if not collections:
        return 0
    rng = random.Random(f"{seed}-rates")
    options = BillingOptions.from_settings(Settings())
    collector = _Collected(collections[0])
    context = RuleContext(now=charged, stores={charging.RATE_SCHEMA: collector})
    inserted = 0
    for number in range(accounts):
        order = _completed_order(rng, number)
        charging.charge_item(order, order["productOrderItem"][0], context, options)
        if len(collector.documents) >= BATCH or number == accounts - 1:
            for collection in collections:
                # insert_many adds `_id` to what it is given: each collection gets its own copies.
                collection.insert_many([dict(d) for d in collector.documents], ordered=False)
            inserted += len(collector.documents)
            collector.documents.clear()
    return inserted


def _completed_order(rng: random.Random, number: int) -> Document:
    """A TMF622 order of one offering of PLANS, priced as the server prices it, item completed."""
    offering, connection, monthly, discount = rng.choice(PLANS)
    party = number // ACCOUNTS_PER_PARTY
    item: Document = {
        "id": "1",
        "action": "add",
        "quantity": 1,
        "state": "completed",
        "productOffering": {"id": f"offering-{offering.lower().replace(' ', '-')}"},
        "product": {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4))},
        "itemPrice": [
            {"name": "Connection", "priceType": "oneTime", "price": _price(connection)},
            {
                "name": f"{offering} monthly fee",
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "price": _price(monthly),
                "priceAlteration": [
                    {
                        "name": "Loyalty discount",
                        "priceType": "discount",
                        "recurringChargePeriod": "month",
                        "price": _price(-discount),
                    }
                ],
            },
        ],
    }
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "state": "completed",
        "billingAccount": {"id": account_id(number), "name": f"Site {number % 1000:03d}"},
        "relatedParty": [
            {"id": party_id(party), "role": "customer", "@referredType": "Customer"},
        ],
        "productOrderItem": [item],
    }


def _price(net: float) -> Document:
    """An order price as TMF622's pricing writes it (tmf_apis/tmf622/pricing.py)."""
    return {
        "dutyFreeAmount": {"unit": CURRENCY, "value": net},
        "taxIncludedAmount": {"unit": CURRENCY, "value": round(net * (1 + VAT / 100), 2)},
        "taxRate": VAT,
    }
