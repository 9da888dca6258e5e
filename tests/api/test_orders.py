"""TMF622 orders over HTTP against a real catalog and real customers: validation, pricing,
fulfilment, PATCH limits and cancellation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from handlers import bodies
from persistence import dates
from tests.api.test_catalog import post
from tests.builders import customer, product_offering, product_offering_price

ORDERS = "/tmf-api/productOrderingManagement/v4"
CUSTOMERS = "/tmf-api/customerManagement/v4"
VAT = [{"taxCategory": "VAT", "taxRate": 20}]


def price(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """A price from the builder; attributes given as None are left out."""
    built = product_offering_price(**body)
    return post(client, "productOfferingPrice", {k: v for k, v in built.items() if v is not None})


def offering(client: httpx.Client, prices: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    refs = [{"id": p["id"], "name": p["name"]} for p in prices]
    return post(
        client,
        "productOffering",
        product_offering(**{"lifecycleStatus": "Launched", "productOfferingPrice": refs, **body}),
    )


def new_customer(client: httpx.Client) -> dict[str, Any]:
    response = client.post(f"{CUSTOMERS}/customer", json=customer())
    assert response.status_code == 201
    created: dict[str, Any] = response.json()
    return created


def place(client: httpx.Client, items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    response = client.post(f"{ORDERS}/productOrder", json={"productOrderItem": items, **body})
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def read(client: httpx.Client, order_id: str) -> dict[str, Any]:
    response = client.get(f"{ORDERS}/productOrder/{order_id}")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def item(item_id: str, offer: dict[str, Any] | None, **body: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"id": item_id, "action": "add", **body}
    if offer is not None:
        line["productOffering"] = {"id": offer["id"], "name": offer["name"]}
    return line


def as_customer(party: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": party["id"], "role": "Customer", "@referredType": "Customer"}]


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    return mobile_plan(live_server.client)


def mobile_plan(client: httpx.Client) -> dict[str, Any]:
    """A launched mobile plan: 20.00/month, 50.00 to connect, 25 % off the monthly fee."""
    monthly = price(client, name="Monthly fee", price={"unit": "EUR", "value": 20}, tax=VAT)
    connection = price(
        client,
        name="Connection",
        priceType="oneTime",
        price={"unit": "EUR", "value": 50},
        tax=VAT,
        recurringChargePeriodType=None,
        recurringChargePeriodLength=None,
    )
    discount = price(
        client,
        name="Welcome discount",
        priceType="discount",
        percentage=25,
        price=None,
        popRelationship=[{"id": monthly["id"], "relationshipType": "discounts"}],
    )
    return offering(client, [monthly, connection, discount], name="Mobile 50GB")


def test_an_order_is_acknowledged_priced_and_then_in_progress(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)

    placed = place(client, [item("1", plan, quantity=2)], relatedParty=as_customer(buyer))

    assert placed["state"] == "acknowledged"
    assert placed["orderDate"].endswith("Z")
    assert placed["productOrderItem"][0]["state"] == "acknowledged"
    monthly, connection = placed["productOrderItem"][0]["itemPrice"]
    assert monthly["price"]["dutyFreeAmount"] == {"unit": "EUR", "value": 20.0}
    assert monthly["price"]["taxIncludedAmount"] == {"unit": "EUR", "value": 24.0}
    assert monthly["priceAlteration"][0]["price"]["dutyFreeAmount"]["value"] == -5.0
    assert "priceAlteration" not in connection
    totals = {
        t["priceType"]: t["price"]["dutyFreeAmount"]["value"] for t in placed["orderTotalPrice"]
    }
    assert totals == {"recurring": 30.0, "oneTime": 100.0}  # (20 - 5) x 2 and 50 x 2
    with_tax = {
        t["priceType"]: t["price"]["taxIncludedAmount"]["value"] for t in placed["orderTotalPrice"]
    }
    assert with_tax == {"recurring": 36.0, "oneTime": 120.0}  # 20 % VAT
    stored = read(client, placed["id"])
    assert stored["state"] == "inProgress"
    assert stored["productOrderItem"][0]["state"] == "inProgress"


def test_client_prices_are_kept(live_server, plan) -> None:
    mine = [{"priceType": "oneTime", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 1}}}]
    placed = place(live_server.client, [item("1", plan, itemPrice=mine)])
    assert placed["productOrderItem"][0]["itemPrice"] == mine
    assert "orderTotalPrice" not in placed


def test_a_bundle_discount_reduces_its_members(live_server) -> None:
    client = live_server.client
    fibre_fee = price(client, name="Fibre monthly", price={"unit": "EUR", "value": 40})
    tv_fee = price(client, name="TV monthly", price={"unit": "EUR", "value": 10})
    fibre, tv = offering(client, [fibre_fee]), offering(client, [tv_fee])
    bundle_discount = price(
        client,
        name="Bundle 10 %",
        priceType="discount",
        percentage=10,
        price=None,
        popRelationship=[{"id": fibre_fee["id"]}, {"id": tv_fee["id"]}],
    )
    bundle = offering(
        client,
        [bundle_discount],
        isBundle=True,
        bundledProductOffering=[{"id": fibre["id"]}, {"id": tv["id"]}],
    )

    placed = place(
        client,
        [item("1", bundle, productOrderItem=[item("1.1", fibre), item("1.2", tv)])],
    )

    members = placed["productOrderItem"][0]["productOrderItem"]
    assert [m["itemTotalPrice"][0]["price"]["dutyFreeAmount"]["value"] for m in members] == [
        36.0,
        9.0,
    ]
    assert placed["orderTotalPrice"][0]["price"]["dutyFreeAmount"]["value"] == 45.0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown offering", "not in the catalog"),
        ("retired offering", "not orderable"),
        ("modify without product", "product.id"),
        ("add with product id", "no product id"),
        ("unknown customer", "customer"),
        ("nothing to add", "productOffering"),
    ],
)
def test_an_invalid_order_is_rejected_with_its_reasons(
    live_server, plan, case: str, reason: str
) -> None:
    client = live_server.client
    retired = offering(client, [], lifecycleStatus="Retired")
    line, parties = item("1", plan), []
    if case == "unknown offering":
        line["productOffering"] = {"id": "no-such-offering"}
    elif case == "retired offering":
        line = item("1", retired)
    elif case == "modify without product":
        line["action"] = "modify"
    elif case == "add with product id":
        line["product"] = {"id": "p-1"}
    elif case == "unknown customer":
        parties = [{"id": "nobody", "@referredType": "Customer"}]
    else:
        line = item("1", None)

    placed = place(client, [line], relatedParty=parties)

    stored = read(client, placed["id"])
    assert stored["state"] == "rejected"
    assert stored["productOrderItem"][0]["state"] == "rejected"
    assert any(reason in note["text"] for note in stored["note"]), stored["note"]


def test_references_held_elsewhere_are_accepted(live_server) -> None:
    elsewhere = {"id": "x-1", "href": "https://partner.example/catalog/productOffering/x-1"}
    placed = place(
        live_server.client,
        [{"id": "1", "action": "add", "productOffering": elsewhere}],
        relatedParty=[{"id": "ind-7", "@referredType": "Individual", "role": "Customer"}],
    )
    assert read(live_server.client, placed["id"])["state"] == "inProgress"


def move_items(client: httpx.Client, order: dict[str, Any], *states: str) -> httpx.Response:
    items = [
        {**line, "state": state}
        for line, state in zip(order["productOrderItem"], states, strict=True)
    ]
    return client.patch(f"{ORDERS}/productOrder/{order['id']}", json={"productOrderItem": items})


def test_fulfilment_completes_the_order_through_its_items(live_server, plan) -> None:
    client = live_server.client
    order = read(client, place(client, [item("1", plan), item("2", plan)])["id"])

    halfway = move_items(client, order, "completed", "inProgress")
    done = move_items(client, halfway.json(), "completed", "completed")

    assert halfway.json()["state"] == "inProgress"
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    assert done.json()["completionDate"].endswith("Z")


def test_a_mix_of_outcomes_makes_the_order_partial(live_server, plan) -> None:
    client = live_server.client
    order = read(client, place(client, [item("1", plan), item("2", plan)])["id"])
    assert move_items(client, order, "completed", "failed").json()["state"] == "partial"


def test_illegal_moves_are_409(live_server, plan) -> None:
    client = live_server.client
    order = read(client, place(client, [item("1", plan)])["id"])
    target = f"{ORDERS}/productOrder/{order['id']}"

    backwards = move_items(client, order, "acknowledged")
    cancelled_by_patch = client.patch(target, json={"state": "cancelled"})
    completed_alone = client.patch(target, json={"state": "completed"})
    held = client.patch(target, json={"state": "held"})

    assert backwards.status_code == 409
    assert cancelled_by_patch.status_code == 409
    assert "cancelProductOrder" in cancelled_by_patch.json()["message"]
    assert completed_alone.status_code == 409
    assert held.status_code == 200
    assert read(client, order["id"])["state"] == "held"


def test_an_in_flight_order_takes_notes_and_dates_only(live_server, plan) -> None:
    client = live_server.client
    order = place(client, [item("1", plan)])
    target = f"{ORDERS}/productOrder/{order['id']}"

    noted = client.patch(
        target,
        json={
            "note": [{"text": "call before delivery"}],
            "requestedCompletionDate": "2027-01-10T09:00:00Z",
        },
    )
    described = client.patch(target, json={"description": "something else"})
    new_item = client.patch(target, json={"productOrderItem": [item("9", plan)]})

    assert noted.status_code == 200, noted.text
    assert described.status_code == 409
    assert "description" in described.json()["message"]
    assert new_item.status_code == 409


def cancel(client: httpx.Client, order_id: str) -> httpx.Response:
    return client.post(
        f"{ORDERS}/cancelProductOrder",
        json={"productOrder": {"id": order_id}, "cancellationReason": "Customer moved abroad"},
    )


def test_cancelling_an_order_in_progress(live_server, plan) -> None:
    client = live_server.client
    order = place(client, [item("1", plan)])

    task = cancel(client, order["id"])

    assert task.status_code == 201, task.text
    assert task.json()["state"] == "done"
    assert task.json()["effectiveCancellationDate"].endswith("Z")
    cancelled = read(client, order["id"])
    assert cancelled["state"] == "cancelled"
    assert cancelled["cancellationReason"] == "Customer moved abroad"
    assert cancelled["productOrderItem"][0]["state"] == "cancelled"
    stored_task = client.get(f"{ORDERS}/cancelProductOrder/{task.json()['id']}").json()
    assert stored_task["state"] == "done"


def test_a_cancellation_for_a_later_date_is_carried_out_on_that_date(live_server, plan) -> None:
    client = live_server.client
    order = place(client, [item("1", plan)])
    when = datetime.now(UTC) + timedelta(seconds=1.5)
    task = client.post(
        f"{ORDERS}/cancelProductOrder",
        json={
            "productOrder": {"id": order["id"]},
            "cancellationReason": "End of contract",
            "requestedCancellationDate": when.isoformat(),
        },
    )

    assert task.status_code == 201, task.text
    assert task.json()["state"] == "acknowledged"
    assert read(client, order["id"])["state"] == "inProgress"  # goes on until the date
    second = cancel(client, order["id"])
    assert second.status_code == 409
    assert "scheduled" in second.json()["message"]

    task_url = f"{ORDERS}/cancelProductOrder/{task.json()['id']}"
    deadline = time.monotonic() + 20
    while client.get(task_url).json()["state"] != "done":
        assert time.monotonic() < deadline, client.get(task_url).json()
        time.sleep(0.1)
    done = client.get(task_url).json()
    assert dates.parse(done["effectiveCancellationDate"]) >= when.replace(microsecond=0)
    cancelled = read(client, order["id"])
    assert (cancelled["state"], cancelled["cancellationReason"]) == ("cancelled", "End of contract")


def test_an_order_that_cannot_be_cancelled_is_409(live_server, plan) -> None:
    client = live_server.client
    order = read(client, place(client, [item("1", plan)])["id"])
    move_items(client, order, "completed")

    completed = cancel(client, order["id"])
    unknown = cancel(client, "no-such-order")

    assert completed.status_code == 409
    assert "completed" in completed.json()["message"]
    assert unknown.status_code == 409
    assert read(client, order["id"])["state"] == "completed"


def test_order_bodies_are_checked_by_the_fast_validator(live_server, plan) -> None:
    # The in-process server's request body checkers: an order's schema is recursive (items hold
    # items), which connexion resolves into an object holding itself; jsonschema_rs takes the
    # schema as the document states it instead.
    client = live_server.client
    place(client, [item("1", plan)], relatedParty=as_customer(new_customer(client)))
    orders = [
        checker
        for schema, checker in bodies._checkers.values()
        if "productOrderItem" in schema.get("properties", {})
    ]
    assert orders
    assert all(checker.fast is not None for checker in orders)
