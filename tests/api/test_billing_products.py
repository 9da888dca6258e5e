"""Billing follows products, over HTTP: what a completed add, modify or delete item does to the
product's charges, bill runs that skip a suspended product's period and stop with a terminated
one, and a discount for the first months only, from a v4 or a v5 catalog price
(tmf_apis/tmf678/charging.py states the policy)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from persistence import dates
from tests.api.test_billing import account_holder, bill_run, bills, rates
from tests.api.test_inventory import INVENTORY, completed, product
from tests.api.test_orders import (
    VAT,
    as_customer,
    item,
    mobile_plan,
    offering,
    price,
)
from tests.builders import product_offering_price
from tmf_apis.tmf620.registry import API, API_V5
from tmf_apis.tmf678 import periods
from tmf_apis.tmf678.registry import API_V5 as BILLING_API_V5

CATALOG, CATALOG_V5 = API.base_path, API_V5.base_path
BILLING_V5 = BILLING_API_V5.base_path
MONTHLY, DISCOUNT = "Monthly fee", "Welcome discount"


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    """20.00 a month less 25 %, 50.00 to connect, VAT 20 % (tests/api/test_orders.py)."""
    return mobile_plan(live_server.client)


def owned(client: httpx.Client, offer: dict[str, Any], **body: Any) -> tuple[str, str, str]:
    """A customer's account, the product a completed order of `offer` made, and when."""
    buyer, account = account_holder(client)
    order = completed(client, [item("1", offer)], relatedParty=as_customer(buyer), **body)
    return account, order["productOrderItem"][0]["product"]["id"], buyer["id"]


def change(client: httpx.Client, customer: str, line: dict[str, Any]) -> dict[str, Any]:
    """Complete an order of one modify or delete item; the order."""
    party = [{"id": customer, "role": "Customer", "@referredType": "Customer"}]
    return completed(client, [{"id": "1", **line}], relatedParty=party)


def net(rate: dict[str, Any]) -> Decimal:
    return Decimal(str(rate["taxExcludedAmount"]["value"]))


def starts(found: list[dict[str, Any]]) -> list[str]:
    return sorted(r["periodCoverage"]["startDateTime"] for r in found)


def unused(period: dict[str, str], ended: str) -> tuple[int, int]:
    """The whole days of `period` after `ended`, and its days (the policy's proportion)."""
    start, end, moment = (
        dates.parse(t) for t in (period["startDateTime"], period["endDateTime"], ended)
    )
    return (end - moment) // timedelta(days=1), round((end - start) / timedelta(days=1))


def prorated(amount: Decimal, days: tuple[int, int]) -> Decimal:
    return (amount * days[0] / days[1]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_a_delete_item_terminates_the_product_and_its_charges(live_server, plan) -> None:
    client = live_server.client
    account, made, customer = owned(client, plan)
    # Billing in advance: the second month is raised and billed before it begins.
    first = bill_run(client, days_ahead=40, billingAccount={"id": account})
    assert first["ratesRaised"] == 2  # the fee and its discount
    fee = {"dutyFreeAmount": {"unit": "EUR", "value": 30}, "taxRate": 20}
    exit_prices = [
        {"name": "Termination fee", "priceType": "oneTime", "price": fee},
        {
            "name": "Monthly",
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "price": fee,
        },
    ]

    order = change(
        client, customer, {"action": "delete", "product": {"id": made}, "itemPrice": exit_prices}
    )
    later = bill_run(client, days_ahead=120, billingAccount={"id": account})

    ended = order["completionDate"]
    assert product(client, made)["status"] == "terminated"
    assert later["ratesRaised"] == 0
    charged = rates(client, account)
    assert [r["name"] for r in charged if r["name"] in ("Termination fee", "Monthly")] == [
        "Termination fee"
    ]
    first_fee = min(rates(client, account, name=MONTHLY), key=lambda r: r["date"])
    days = unused(first_fee["periodCoverage"], ended)
    credits = {r["name"]: r for r in charged if ":" in r["name"]}
    rest = f"{days[0]} unused days of {days[1]}"
    assert {name: net(r) for name, r in credits.items()} == {
        f"{MONTHLY}: {rest}": -prorated(Decimal(20), days),
        f"{DISCOUNT}: {rest}": prorated(Decimal(5), days),  # the discount given back
        f"{MONTHLY}: period not used": -20,
        f"{DISCOUNT}: period not used": 5,
    }
    assert credits[f"{MONTHLY}: {rest}"]["date"] == ended
    assert credits[f"{MONTHLY}: {rest}"]["type"] == "appliedBillingCredit"
    for credit in credits.values():  # each edition shows them in its shape
        assert client.get(f"{BILLING_V5}/appliedCustomerBillingRate/{credit['id']}").is_success
    # The last bill: the termination fee less what was charged beyond the end.
    last = bills(client, **{"billingAccount.id": account})[-1]
    assert Decimal(str(last["taxExcludedAmount"]["value"])) == 30 + sum(
        net(r) for r in credits.values()
    )


def test_a_modify_to_another_offering_ends_the_old_charges_and_starts_the_new(
    live_server, plan
) -> None:
    client = live_server.client
    account, made, customer = owned(client, plan)
    bigger = offering(
        client, [price(client, name="Monthly XL", price={"unit": "EUR", "value": 35}, tax=VAT)]
    )
    upgrade = {"id": bigger["id"], "name": bigger["name"]}

    order = change(
        client, customer, {"action": "modify", "productOffering": upgrade, "product": {"id": made}}
    )
    run = bill_run(client, days_ahead=40, billingAccount={"id": account})

    assert product(client, made)["productOffering"]["id"] == bigger["id"]
    assert run["ratesRaised"] == 1  # the second month of the new offering only
    xl = rates(client, account, name="Monthly XL")
    assert starts(xl)[0] == order["completionDate"] and len(xl) == 2
    assert len(rates(client, account, name=MONTHLY)) == 1
    days = unused(rates(client, account, name=MONTHLY)[0]["periodCoverage"], starts(xl)[0])
    [credit] = rates(client, account, name=f"{MONTHLY}: {days[0]} unused days of {days[1]}")
    assert net(credit) == -prorated(Decimal(20), days)
    assert {r["product"]["id"] for r in rates(client, account)} == {made}


def test_a_modify_of_characteristics_only_charges_nothing_new(live_server, plan) -> None:
    client = live_server.client
    account, made, customer = owned(client, plan)
    before = rates(client, account)
    same = {"id": plan["id"], "name": plan["name"]}
    colour = [{"name": "colour", "valueType": "string", "value": "blue"}]

    change(
        client,
        customer,
        {
            "action": "modify",
            "productOffering": same,
            "product": {"id": made, "productCharacteristic": colour},
        },
    )
    run = bill_run(client, days_ahead=40, billingAccount={"id": account})

    assert len(rates(client, account)) == len(before) + 2
    assert run["ratesRaised"] == 2  # the running fee and discount go on, once
    assert len(rates(client, account, name="Connection")) == 1


def test_a_bill_run_skips_the_period_of_a_suspended_product(live_server, plan) -> None:
    client = live_server.client
    account, made, _ = owned(client, plan)
    target = f"{INVENTORY}/product/{made}"
    assert client.patch(target, json={"status": "suspended"}).status_code == 200

    skipped = bill_run(client, days_ahead=40, billingAccount={"id": account})
    assert client.patch(target, json={"status": "active"}).status_code == 200
    resumed = bill_run(client, days_ahead=70, billingAccount={"id": account})

    assert skipped["ratesRaised"] == 0
    assert resumed["ratesRaised"] == 2
    first, third = (f["date"] for f in rates(client, account, name=MONTHLY, sort="date"))
    assert third == periods.period_end(first, "month", 2)  # the second month skipped


def half_price(client: httpx.Client, fee: dict[str, Any], base: str, **body: Any) -> dict[str, Any]:
    """A 50 % discount on `fee` for its first 3 months, made through the catalog at `base`."""
    built = product_offering_price(
        name="Half price",
        priceType="discount",
        percentage=50,
        popRelationship=[{"id": fee["id"], "name": fee["name"], "relationshipType": "discounts"}],
        productOfferingTerm=[
            {"name": "First 3 months", "duration": {"amount": 3, "units": "month"}}
        ],
        **body,
    )
    built.pop("price")
    built.pop("recurringChargePeriodType")
    built.pop("recurringChargePeriodLength")
    response = client.post(f"{base}/productOfferingPrice", json=built)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("edition", ["v4", "v5"])
def test_a_discount_for_three_months_is_credited_three_times(live_server, edition) -> None:
    client = live_server.client
    fee = price(client, name=MONTHLY, price={"unit": "EUR", "value": 20}, tax=VAT)
    if edition == "v4":
        discount = half_price(client, fee, CATALOG)
    else:
        discount = half_price(client, fee, CATALOG_V5, **{"@type": "ProductOfferingPrice"})
        assert discount["productOfferingTerm"][0]["@type"] == "ProductOfferingTerm"
        stored = client.get(f"{CATALOG}/productOfferingPrice/{discount['id']}").json()
        assert stored["productOfferingTerm"][0]["duration"] == {"amount": 3, "units": "month"}
    offer = offering(client, [fee, discount])
    buyer, account = account_holder(client)
    shop = f"shop-{uuid.uuid4().hex[:8]}"
    partner = {"id": shop, "role": "Partner", "@referredType": "Organization"}

    order = completed(client, [item("1", offer)], relatedParty=[*as_customer(buyer), partner])
    [alteration] = order["productOrderItem"][0]["itemPrice"][0]["priceAlteration"]
    assert (alteration["applicationDuration"], alteration["recurringChargePeriod"]) == (3, "month")
    # Five more months begin within 160 days.
    run = bill_run(client, days_ahead=160, billingAccount={"id": account})

    assert run["state"] == "done", run
    fees = rates(client, account, name=MONTHLY)
    credits = rates(client, account, name="Half price")
    assert len(fees) == 6
    assert starts(credits) == starts(fees)[:3]
    assert {net(c) for c in credits} == {Decimal(-10)}
    shares = rates(client, f"settlement-{shop}", sort="date")
    # 10 % of what the customer pays: 10.00 a month while discounted, then 20.00.
    assert [net(s) for s in shares] == [1, 1, 1, 2, 2, 2]


def test_a_discount_duration_the_catalog_cannot_read_is_refused(live_server) -> None:
    client = live_server.client
    fee = price(client, name=MONTHLY, price={"unit": "EUR", "value": 20})
    built = product_offering_price(
        name="Half price",
        priceType="discount",
        percentage=50,
        popRelationship=[{"id": fee["id"]}],
        productOfferingTerm=[{"duration": {"amount": 3, "units": "fortnights"}}],
    )

    response = client.post(f"{CATALOG}/productOfferingPrice", json=built)

    assert response.status_code == 422, response.text
    assert "productOfferingTerm[0].duration" in response.json()["message"]
