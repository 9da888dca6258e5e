"""TMF678 billing end to end: orders complete, their charges become rates, bill runs and bills on
demand turn rates into bills; amounts are checked to the cent."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.test_orders import (
    CUSTOMERS,
    ORDERS,
    VAT,
    as_customer,
    item,
    mobile_plan,
    move_items,
    offering,
    place,
    price,
    read,
)
from tests.builders import customer

BILLING = "/tmf-api/customerBillManagement/v4"


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    """20.00 a month less 25 %, 50.00 to connect, VAT 20 % (tests/api/test_orders.py)."""
    return mobile_plan(live_server.client)


def account_holder(client: httpx.Client) -> tuple[dict[str, Any], str]:
    """A customer of ours with a billing account of its own, and that account's id."""
    account = f"acct-{uuid.uuid4().hex[:10]}"
    body = customer(account=[{"id": account, "name": "Main account"}])
    response = client.post(f"{CUSTOMERS}/customer", json=body)
    assert response.status_code == 201, response.text
    return response.json(), account


def completed_order(client: httpx.Client, offer: dict[str, Any], **body: Any) -> dict[str, Any]:
    order = read(client, place(client, [item("1", offer, quantity=2)], **body)["id"])
    assert order["state"] == "inProgress", order.get("note")
    moved = move_items(client, order, "completed")
    assert moved.status_code == 200, moved.text
    return moved.json()


def rates(client: httpx.Client, account: str, **query: Any) -> list[dict[str, Any]]:
    response = client.get(
        f"{BILLING}/appliedCustomerBillingRate", params={"billingAccount.id": account, **query}
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def bills(client: httpx.Client, **query: Any) -> list[dict[str, Any]]:
    response = client.get(f"{BILLING}/customerBill", params={"sort": "billDate", **query})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def bill_run(client: httpx.Client, days_ahead: int, **body: Any) -> dict[str, Any]:
    """Run a bill cycle over the past day to `days_ahead` days from now; its final state."""
    now = datetime.now(UTC)
    period = {
        "startDateTime": (now - timedelta(days=1)).isoformat(),
        "endDateTime": (now + timedelta(days=days_ahead)).isoformat(),
    }
    response = client.post(f"{BILLING}/billRun", json={"billingPeriod": period, **body})
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "acknowledged"
    return finished(client, f"{BILLING}/billRun/{response.json()['id']}")


def finished(client: httpx.Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found: dict[str, Any] = client.get(url).json()
        if found["state"] not in ("acknowledged", "inProgress"):
            return found
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish")


def amounts(rate: dict[str, Any]) -> tuple[float, float]:
    return rate["taxExcludedAmount"]["value"], rate["taxIncludedAmount"]["value"]


def test_a_completed_order_is_charged_and_billed_to_the_cent(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    order = completed_order(client, plan, relatedParty=as_customer(buyer))

    charged = {r["name"]: r for r in rates(client, account)}
    # 2 lines of: 20.00 a month less 25 %, 50.00 to connect; VAT 20 %.
    assert amounts(charged["Monthly fee"]) == (40.0, 48.0)
    assert amounts(charged["Welcome discount"]) == (-10.0, -12.0)
    assert amounts(charged["Connection"]) == (100.0, 120.0)
    assert charged["Welcome discount"]["type"] == "appliedBillingCredit"
    monthly = charged["Monthly fee"]
    assert monthly["periodCoverage"]["startDateTime"] == monthly["date"]
    assert monthly["periodCoverage"]["endDateTime"][:10] > monthly["date"][:10]
    assert "periodCoverage" not in charged["Connection"]
    assert all(r["isBilled"] is False for r in charged.values())
    assert {"name": "productOrder", "value": order["id"]} in monthly["characteristic"]

    run = bill_run(client, days_ahead=1)

    assert run["state"] == "done", run
    [bill] = bills(client, **{"billingAccount.id": account})
    assert bill["taxExcludedAmount"] == {"unit": "EUR", "value": 130.0}
    assert bill["taxIncludedAmount"] == {"unit": "EUR", "value": 156.0}
    assert bill["amountDue"] == {"unit": "EUR", "value": 156.0}
    assert bill["taxItem"] == [
        {"taxCategory": "VAT", "taxRate": 20.0, "taxAmount": {"unit": "EUR", "value": 26.0}}
    ]
    assert bill["state"] == "new" and bill["runType"] == "onCycle"
    assert bill["relatedParty"][0]["id"] == buyer["id"]
    assert bill["paymentDueDate"] > bill["billDate"]
    billed = rates(client, account)
    assert all(r["isBilled"] is True and r["bill"]["id"] == bill["id"] for r in billed)

    document = client.get(bill["billDocument"][0]["url"])
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("text/html")
    assert bill["billNo"] in document.text and "Welcome discount" in document.text
    # Its lines are grouped under the product they charge for, by the product's name.
    product_id = next(r["product"]["id"] for r in billed if r.get("product"))
    product = client.get(f"/tmf-api/productInventory/v4/product/{product_id}").json()
    assert f"Product {product['name']}" in document.text


def test_a_second_run_over_the_same_period_bills_nothing_twice(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))

    bill_run(client, days_ahead=1, billingAccount={"id": account})
    again = bill_run(client, days_ahead=1, billingAccount={"id": account})

    assert again["state"] == "done" and again["billCount"] == 0
    assert len(bills(client, **{"billingAccount.id": account})) == 1


def test_recurring_charges_are_billed_each_period(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))
    bill_run(client, days_ahead=1, billingAccount={"id": account})

    # Two more monthly periods begin within the next 62 days.
    later = bill_run(client, days_ahead=62, billingAccount={"id": account})

    assert later["ratesRaised"] == 4  # the fee and its discount, twice
    second = bills(client, **{"billingAccount.id": account})[-1]
    assert second["taxExcludedAmount"]["value"] == 60.0  # (40.00 - 10.00) x 2 months
    assert second["taxIncludedAmount"]["value"] == 72.0
    fees = rates(client, account, name="Monthly fee", sort="date")
    # The chain, claim and party bookkeeping on rates and runs stays inside the server.
    for shown in [*rates(client, account), later, client.get(f"{BILLING}/billRun").json()[0]]:
        assert not [name for name in shown if name.startswith("_")], shown
    starts = [f["periodCoverage"]["startDateTime"] for f in fees]
    ends = [f["periodCoverage"]["endDateTime"] for f in fees]
    assert len(fees) == 3 and starts[1:] == ends[:-1]


def test_a_channel_partner_gets_its_settlement_bill(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    partner = f"partner-{uuid.uuid4().hex[:8]}"
    seller = {"id": partner, "role": "Partner", "name": "Shop", "@referredType": "Organization"}
    parties = [*as_customer(buyer), seller]
    completed_order(client, plan, relatedParty=parties)

    bill_run(client, days_ahead=1)

    # 10 % (the default share) of each price the partner sold, net of its discounts.
    shares = {r["name"]: r for r in rates(client, f"settlement-{partner}")}
    assert {r["type"] for r in shares.values()} == {"partnerRevenueShare"}
    assert amounts(shares["Revenue share 10% of Monthly fee"]) == (3.0, 3.0)  # of 40.00 - 10.00
    assert amounts(shares["Revenue share 10% of Connection"]) == (10.0, 10.0)  # of 100.00
    [statement] = bills(client, **{"relatedParty.id": partner})
    assert statement["category"] == "settlement"
    assert statement["relatedParty"] == [
        {"id": partner, "role": "partner", "@referredType": "Organization"}
    ]
    assert statement["amountDue"]["value"] == 13.0
    customer_bill = bills(client, **{"billingAccount.id": account})[0]
    assert customer_bill["amountDue"]["value"] == 156.0


def test_a_bill_on_demand_bills_one_account_now(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))

    asked = client.post(f"{BILLING}/customerBillOnDemand", json={"billingAccount": {"id": account}})

    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "inProgress"
    request = client.get(f"{BILLING}/customerBillOnDemand/{asked.json()['id']}").json()
    assert request["state"] == "done"
    bill = client.get(f"{BILLING}/customerBill/{request['customerBill']['id']}").json()
    assert bill["runType"] == "offCycle" and bill["amountDue"]["value"] == 156.0
    # Its period covers what it charges: the monthly fee's whole first month, not the moments
    # between the charge and the request.
    [fee] = rates(client, account, name="Monthly fee")
    covered = fee["periodCoverage"]
    assert bill["billingPeriod"]["startDateTime"] <= covered["startDateTime"]
    assert bill["billingPeriod"]["endDateTime"] == covered["endDateTime"]

    again = client.post(f"{BILLING}/customerBillOnDemand", json={"billingAccount": {"id": account}})
    repeated = client.get(f"{BILLING}/customerBillOnDemand/{again.json()['id']}").json()
    assert repeated["state"] == "terminatedWithError"
    assert "nothing to bill" in repeated["description"]


def test_a_bill_on_demand_for_a_party_bills_its_accounts(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))

    body = {"relatedParty": {"id": buyer["id"]}}
    asked = client.post(f"{BILLING}/customerBillOnDemand", json=body)

    request = client.get(f"{BILLING}/customerBillOnDemand/{asked.json()['id']}").json()
    assert request["state"] == "done"
    assert bills(client, **{"billingAccount.id": account})[0]["id"] == request["customerBill"]["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"billingAccount": {"id": "acct-nobody-knows"}}, 201),
        ({"name": "no account, no party"}, 400),
    ],
)
def test_a_bill_on_demand_that_cannot_bill(live_server, body, status) -> None:
    client = live_server.client
    asked = client.post(f"{BILLING}/customerBillOnDemand", json=body)
    assert asked.status_code == status, asked.text
    if status == 201:
        request = client.get(f"{BILLING}/customerBillOnDemand/{asked.json()['id']}").json()
        assert request["state"] == "terminatedWithError"
        assert "no charges are known" in request["description"]


def test_bill_states_move_along_the_graph_only(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))
    bill_run(client, days_ahead=1, billingAccount={"id": account})
    [bill] = bills(client, **{"billingAccount.id": account})
    target = f"{BILLING}/customerBill/{bill['id']}"

    assert client.patch(target, json={"state": "sent"}).status_code == 409
    assert client.patch(target, json={"state": "paid"}).status_code == 400
    assert client.patch(target, json={"state": None}).status_code == 400
    assert client.patch(target, json={"amountDue": {"unit": "EUR", "value": 1}}).status_code == 400
    for state in ("onHold", "validated", "sent"):
        moved = client.patch(target, json={"state": state})
        assert moved.status_code == 200, moved.text
        assert moved.json()["state"] == state
    assert client.patch(target, json={"state": "new"}).status_code == 409
    # Payments (TMF676) move bills into the paid states; no client does.
    for state in ("partiallyPaid", "settled"):
        refused = client.patch(target, json={"state": state})
        assert refused.status_code == 409, refused.text
        assert "TMF676" in refused.json()["message"]
    assert client.get(target).json()["amountDue"] == bill["amountDue"]


def test_unknown_bills_rates_and_documents_are_404(live_server) -> None:
    client = live_server.client
    for path in ("customerBill/x", "customerBill/x/document", "appliedCustomerBillingRate/x"):
        assert client.get(f"{BILLING}/{path}").status_code == 404


def test_a_bill_run_needs_a_period_that_starts_before_it_ends(live_server) -> None:
    client = live_server.client
    far = (datetime.now(UTC) + timedelta(days=500)).isoformat()
    for period in (
        {},
        {"startDateTime": "2026-02-01T00:00:00Z", "endDateTime": "2026-01-01"},
        {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": far},
    ):
        response = client.post(f"{BILLING}/billRun", json={"billingPeriod": period})
        assert response.status_code == 400, response.text


def test_an_item_without_a_billing_account_is_not_billed(live_server) -> None:
    client = live_server.client
    fee = price(client, name="Lonely fee", price={"unit": "EUR", "value": 5}, tax=VAT)
    offer = offering(client, [fee])
    order = completed_order(client, offer)
    assert order["state"] == "completed"
    found = client.get(
        f"{BILLING}/appliedCustomerBillingRate",
        params={"characteristic.value": order["id"]},
    ).json()
    assert found == []
    assert client.get(f"{ORDERS}/productOrder/{order['id']}").status_code == 200
