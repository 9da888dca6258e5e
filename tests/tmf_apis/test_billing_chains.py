"""Billing follows products, on the real database: what a completed item's action does to the
product's charges, time-limited discounts, the last period's credit, and bill runs that read the
product's status (tmf_apis/tmf678/charging.py, chains.py, billing.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from persistence.database import Database
from persistence.store import ResourceStore
from tmf_apis.rules import RuleContext
from tmf_apis.tmf678 import chains, charging
from tmf_apis.tmf678.billing import Billing
from tmf_apis.tmf678.options import BillingOptions
from tmf_apis.tmf678.rates import NEXT, RATE_SCHEMA

# A 31-day period: 10 January to 10 February.
ADDED = "2026-01-10T09:00:00.000Z"
# 20 whole days and 18 hours before the period's end: 20 unused days.
ENDED = "2026-01-20T15:00:00.000Z"
FAR = "2026-07-01T00:00:00.000Z"
OPTIONS = BillingOptions.from_settings(None)


@pytest.fixture
def stores(database: Database) -> dict[str, ResourceStore]:
    suffix = uuid.uuid4().hex[:8]
    rates = database.store(f"rates_{suffix}")
    database.ensure_indexes(rates.collection.name, ("product.id", "_chain", "_next.due"))
    products = database.store(f"products_{suffix}")
    database.ensure_indexes(products.collection.name, ())
    bills = database.store(f"bills_{suffix}")
    database.ensure_indexes(bills.collection.name, ())
    return {RATE_SCHEMA: rates, "Product": products, "CustomerBill": bills}


def monthly(net: float, *discounts: dict[str, Any], name: str = "Monthly fee") -> dict[str, Any]:
    price: dict[str, Any] = {
        "name": name,
        "priceType": "recurring",
        "recurringChargePeriod": "month",
        "price": {"dutyFreeAmount": {"unit": "EUR", "value": net}, "taxRate": 20},
    }
    if discounts:
        price["priceAlteration"] = list(discounts)
    return price


def off(net: float, lasts: int | None = None) -> dict[str, Any]:
    alteration: dict[str, Any] = {
        "name": "Welcome discount",
        "priceType": "discount",
        "recurringChargePeriod": "month",
        "price": {"dutyFreeAmount": {"unit": "EUR", "value": -net}, "taxRate": 20},
    }
    if lasts is not None:
        alteration["applicationDuration"] = lasts
    return alteration


def one_time(net: float, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "priceType": "oneTime",
        "price": {"dutyFreeAmount": {"unit": "EUR", "value": net}, "taxRate": 20},
    }


def complete(
    stores: dict[str, ResourceStore],
    action: str,
    prices: list[dict[str, Any]],
    now: str = ADDED,
    offering: str = "plan-s",
    product: str = "prod-1",
    partner: bool = False,
    order_id: str = "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """React to one completed order item as TMF678 does; the order and its item."""
    line = {
        "id": "1",
        "action": action,
        "state": "completed",
        "productOffering": {"id": offering},
        "product": {"id": product},
        "billingAccount": {"id": "acct-1"},
        "itemPrice": prices,
    }
    parties = [{"id": "cust-1", "role": "Customer"}]
    if partner:
        parties.append({"id": "shop", "role": "Partner"})
    order = {"id": order_id or f"order-{uuid.uuid4().hex[:8]}", "relatedParty": parties}
    order["productOrderItem"] = [line]
    charging.on_item_completed(RuleContext(now=now, stores=stores), order=order, item=line)
    return order, line


def rates(stores: dict[str, ResourceStore], **where: Any) -> list[dict[str, Any]]:
    found = stores[RATE_SCHEMA].collection.find(where, {"_id": 0}).sort("date", 1)
    return list(found)


def net(rate: dict[str, Any]) -> float:
    value: float = rate["taxExcludedAmount"]["value"]
    return value


def starts(found: list[dict[str, Any]]) -> list[str]:
    return [r["periodCoverage"]["startDateTime"][:10] for r in found]


def engine(stores: dict[str, ResourceStore], products: bool = True) -> Billing:
    return Billing(
        stores[RATE_SCHEMA],
        stores["CustomerBill"],
        OPTIONS,
        products=stores["Product"] if products else None,
    )


def test_an_add_item_names_its_product_on_every_rate(stores) -> None:
    complete(stores, "add", [monthly(20, off(5)), one_time(50, "Connection")], partner=True)

    found = rates(stores)

    assert len(found) == 5  # fee, discount, connection, a share of each price
    assert {r["product"]["id"] for r in found} == {"prod-1"}
    assert {r["product"]["@referredType"] for r in found} == {"Product"}


def test_a_time_limited_discount_is_credited_for_its_periods_and_the_share_grows_after(
    stores,
) -> None:
    complete(stores, "add", [monthly(20, off(10, lasts=3))], partner=True)

    engine(stores, products=False).raise_recurring(FAR)

    fees = rates(stores, type="appliedBillingCharge")
    credits = rates(stores, type="appliedBillingCredit")
    shares = rates(stores, type="partnerRevenueShare")
    assert starts(fees) == ["2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10"] + [
        "2026-05-10",
        "2026-06-10",
    ]
    assert starts(credits) == starts(fees)[:3]
    assert {net(c) for c in credits} == {-10.0}
    # 10 % of what the customer pays net: 10.00 while discounted, 20.00 after.
    assert [net(s) for s in shares] == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_a_delete_item_ends_the_chain_and_credits_what_was_charged_beyond(stores) -> None:
    complete(stores, "add", [monthly(31)])
    engine(stores).raise_recurring("2026-03-01T00:00:00.000Z")  # 10 February, in advance
    delete = [monthly(31), one_time(25, "Termination fee")]

    complete(stores, "delete", delete, now=ENDED, order_id="order-end")
    # The reaction run again (a sweeper after a stop): nothing twice.
    complete(stores, "delete", delete, now=ENDED, order_id="order-end")

    credits = rates(stores, type="appliedBillingCredit")
    assert [(c["name"], net(c), c["date"]) for c in credits] == [
        ("Monthly fee: 20 unused days of 31", -20.0, ENDED),
        ("Monthly fee: period not used", -31.0, "2026-02-10T09:00:00.000Z"),
    ]
    assert credits[0]["taxIncludedAmount"]["value"] == -24.0
    assert credits[0]["periodCoverage"] == {
        "startDateTime": ENDED,
        "endDateTime": "2026-02-10T09:00:00.000Z",
    }
    charges = rates(stores, type="appliedBillingCharge")
    assert [(c["name"], net(c)) for c in charges] == [
        ("Monthly fee", 31.0),
        ("Termination fee", 25.0),
        ("Monthly fee", 31.0),
    ]
    assert engine(stores).raise_recurring(FAR) == 0
    assert rates(stores, **{NEXT: {"$exists": True}}) == []


def test_a_chain_ended_late_raises_the_periods_it_owes_first(stores) -> None:
    complete(stores, "add", [monthly(31, off(10, lasts=1))])

    # Terminated on 15 March; no bill run raised February or March.
    complete(stores, "delete", [], now="2026-03-15T09:00:00.000Z")

    fees = rates(stores, type="appliedBillingCharge", name="Monthly fee")
    assert starts(fees) == ["2026-01-10", "2026-02-10", "2026-03-10"]
    [unused] = rates(stores, type="appliedBillingCredit", name={"$regex": "unused"})
    assert unused["name"] == "Monthly fee: 26 unused days of 31"
    assert net(unused) == -26.0
    # The discount lasted one period: only January's credit, nothing of it to reverse.
    assert len(rates(stores, type="appliedBillingCredit", name="Welcome discount")) == 1


def test_a_modify_of_the_same_offering_charges_nothing_new(stores) -> None:
    complete(stores, "add", [monthly(20, off(5)), one_time(50, "Connection")])
    before = len(rates(stores))

    complete(stores, "modify", [monthly(20, off(5)), one_time(50, "Connection")], now=ENDED)

    assert len(rates(stores)) == before
    [head] = rates(stores, **{NEXT: {"$exists": True}})
    assert head["name"] == "Monthly fee"


def test_a_modify_to_another_offering_ends_the_old_chains_and_charges_the_new(stores) -> None:
    complete(stores, "add", [monthly(31, off(5)), one_time(50, "Connection")])

    for _ in range(2):  # the reaction run again changes nothing
        upgrade = [monthly(40, name="XL fee")]
        complete(stores, "modify", upgrade, now=ENDED, offering="plan-xl", order_id="order-xl")

    [head] = rates(stores, **{NEXT: {"$exists": True}})
    assert (head["name"], head["date"], head["product"]["id"]) == ("XL fee", ENDED, "prod-1")
    reversed_ = rates(stores, name={"$regex": "unused"})
    assert sorted((r["name"], r["type"], net(r)) for r in reversed_) == [
        ("Monthly fee: 20 unused days of 31", "appliedBillingCredit", -20.0),
        # 5.00 off of 31 days, 20 of them given back: the discount's reversal is a charge.
        ("Welcome discount: 20 unused days of 31", "appliedBillingCharge", 3.23),
    ]
    engine(stores).raise_recurring("2026-03-01T00:00:00.000Z")
    assert starts(rates(stores, name="XL fee")) == ["2026-01-20", "2026-02-20"]
    assert starts(rates(stores, name="Monthly fee")) == ["2026-01-10"]


def test_no_change_and_actions_without_a_product_charge_nothing(stores) -> None:
    complete(stores, "add", [monthly(20)])
    complete(stores, "noChange", [monthly(20)], now=ENDED)
    complete(stores, "delete", [monthly(20)], now=ENDED, product="prod-other")

    assert len(rates(stores)) == 1
    assert rates(stores, **{NEXT: {"$exists": True}})[0]["product"]["id"] == "prod-1"


@pytest.mark.parametrize(
    ("status", "fee_starts", "unused"),
    [
        ("active", ["2026-01-10", "2026-02-10"], []),
        ("pendingTerminate", ["2026-01-10", "2026-02-10"], []),
        ("suspended", ["2026-01-10"], []),
        ("terminated", ["2026-01-10"], ["Monthly fee: 20 unused days of 31"]),
        ("cancelled", ["2026-01-10"], []),
        (None, ["2026-01-10", "2026-02-10"], []),  # not found: raised as before inventory
    ],
)
def test_bill_runs_follow_the_status_of_the_product(stores, status, fee_starts, unused) -> None:
    complete(stores, "add", [monthly(31)])
    if status is not None:
        product = {"id": "prod-1", "status": status, "terminationDate": ENDED}
        stores["Product"].insert(product)

    engine(stores).raise_recurring("2026-03-01T00:00:00.000Z")

    assert starts(rates(stores, name="Monthly fee")) == fee_starts
    assert [r["name"] for r in rates(stores, name={"$regex": "unused"})] == unused
    open_chains = rates(stores, **{NEXT: {"$exists": True}})
    assert bool(open_chains) == (status not in ("terminated", "cancelled"))


def test_a_suspended_period_is_skipped_and_does_not_count_towards_a_discount(stores) -> None:
    complete(stores, "add", [monthly(20, off(10, lasts=2))])
    stores["Product"].insert({"id": "prod-1", "status": "suspended"})
    engine(stores).raise_recurring("2026-03-01T00:00:00.000Z")  # February skipped
    stores["Product"].collection.update_one({"id": "prod-1"}, {"$set": {"status": "active"}})

    engine(stores).raise_recurring("2026-05-01T00:00:00.000Z")

    assert starts(rates(stores, name="Monthly fee")) == ["2026-01-10", "2026-03-10", "2026-04-10"]
    assert starts(rates(stores, name="Welcome discount")) == ["2026-01-10", "2026-03-10"]


def test_rates_without_a_product_store_are_raised_as_before(stores) -> None:
    complete(stores, "add", [monthly(20)])
    stores["Product"].insert({"id": "prod-1", "status": "terminated", "terminationDate": ENDED})

    engine(stores, products=False).raise_recurring("2026-03-01T00:00:00.000Z")

    assert starts(rates(stores, name="Monthly fee")) == ["2026-01-10", "2026-02-10"]


def test_ending_a_chain_twice_credits_once(stores) -> None:
    complete(stores, "add", [monthly(31)])
    [head] = rates(stores, **{NEXT: {"$exists": True}})

    chains.end(stores[RATE_SCHEMA], head, ENDED)
    chains.end(stores[RATE_SCHEMA], head, "2026-01-25T09:00:00.000Z")  # a stale head, later

    [credit] = rates(stores, type="appliedBillingCredit")
    assert net(credit) == -20.0
