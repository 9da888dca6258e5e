"""TMF637 through the order flow over HTTP: completed order items make, change and end the
products customers own; orders that name products are checked against the inventory."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.api.test_billing import account_holder
from tests.api.test_events import check_schema, subscribe
from tests.api.test_inventory_editions import read as read_product
from tests.api.test_orders import (
    as_customer,
    item,
    mobile_plan,
    move_items,
    offering,
    place,
    price,
    read,
)
from tests.listener import running_listener
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf637.registry import PRODUCT
from tmf_apis.tmf678.registry import APPLIED_CUSTOMER_BILLING_RATE

INVENTORY = "/tmf-api/productInventory/v4"
INVENTORY_V5 = "/tmf-api/productInventory/v5"


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    return mobile_plan(live_server.client)


def completed(client: httpx.Client, items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    """An order placed and fulfilled: every item completed."""
    order = read(client, place(client, items, **body)["id"])
    assert order["state"] == "inProgress", order.get("note")
    done = move_items(client, order, *["completed"] * len(order["productOrderItem"]))
    assert done.status_code == 200, done.text
    finished: dict[str, Any] = done.json()
    return finished


def product(client: httpx.Client, product_id: str) -> dict[str, Any]:
    return read_product(client, INVENTORY, product_id)


def owned(client: httpx.Client, customer: dict[str, Any]) -> dict[str, Any]:
    """A customer with an account, and the active product a completed order made for it."""
    order = completed(client, [item("1", mobile_plan(client))], relatedParty=as_customer(customer))
    made = order["productOrderItem"][0]["product"]["id"]
    return product(client, made)


def test_an_add_item_makes_an_active_product_with_its_prices_and_links(live_server, plan) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    order = completed(client, [item("1", plan)], relatedParty=as_customer(buyer))

    line = order["productOrderItem"][0]
    made = product(client, line["product"]["id"])

    assert made["status"] == "active"
    assert made["startDate"] == order["completionDate"]
    assert made["productOffering"]["id"] == plan["id"]
    assert made["billingAccount"]["id"] == account
    assert {"id": buyer["id"], "role": "Customer", "@referredType": "Customer"} in made[
        "relatedParty"
    ]
    assert made["productOrderItem"] == [
        {
            "productOrderId": order["id"],
            "orderItemId": "1",
            "orderItemAction": "add",
            "@referredType": "ProductOrderItem",
        }
    ]
    prices = {p["name"]: p for p in made["productPrice"]}
    assert prices.keys() == {"Monthly fee", "Connection"}
    assert prices["Monthly fee"]["priceAlteration"][0]["name"] == "Welcome discount"
    assert prices["Monthly fee"]["price"] == line["itemPrice"][0]["price"]
    listed = client.get(f"{INVENTORY}/product", params={"relatedParty.id": buyer["id"]}).json()
    assert [p["id"] for p in listed] == [made["id"]]
    assert client.get(f"{INVENTORY_V5}/product/{made['id']}").json()["status"] == "active"


def test_a_modify_item_changes_the_characteristics_of_the_product(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    mine = owned(client, buyer)
    change = {
        "id": "1",
        "action": "modify",
        "productOffering": {"id": plan["id"], "name": plan["name"]},
        "product": {
            "id": mine["id"],
            "productCharacteristic": [{"name": "colour", "valueType": "string", "value": "blue"}],
        },
    }

    order = completed(client, [change], relatedParty=as_customer(buyer))

    changed = product(client, mine["id"])
    assert order["state"] == "completed"
    assert {"name": "colour", "valueType": "string", "value": "blue"} in changed[
        "productCharacteristic"
    ]
    assert changed["productOrderItem"][-1]["orderItemAction"] == "modify"
    assert changed["status"] == "active"


def test_a_modify_item_of_another_offering_moves_the_product_to_it(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    mine = owned(client, buyer)
    bigger = offering(
        client, [price(client, name="Monthly XL", price={"unit": "EUR", "value": 35})]
    )
    upgrade = {
        "id": "1",
        "action": "modify",
        "productOffering": {"id": bigger["id"], "name": bigger["name"]},
        "product": {"id": mine["id"]},
    }

    completed(client, [upgrade], relatedParty=as_customer(buyer))

    changed = product(client, mine["id"])
    assert changed["productOffering"]["id"] == bigger["id"]
    assert [p["name"] for p in changed["productPrice"]] == ["Monthly XL"]
    # Named after its offering, it takes the new one's name (bills group its lines by it).
    assert mine["name"] == mine["productOffering"]["name"]
    assert changed["name"] == bigger["name"]


def test_a_delete_item_terminates_the_product(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    mine = owned(client, buyer)
    end = {"id": "1", "action": "delete", "product": {"id": mine["id"]}}

    order = completed(client, [end], relatedParty=as_customer(buyer))

    ended = product(client, mine["id"])
    assert ended["status"] == "terminated"
    assert ended["terminationDate"] == order["completionDate"]
    again = read(client, place(client, [end], relatedParty=as_customer(buyer))["id"])
    assert again["state"] == "rejected"
    assert "only an active or suspended product" in again["note"][-1]["text"]


def rejection(client: httpx.Client, items: list[dict[str, Any]], **body: Any) -> list[str]:
    order = read(client, place(client, items, **body)["id"])
    assert order["state"] == "rejected"
    return [note["text"] for note in order["note"]]


def test_orders_naming_products_they_may_not_change_are_rejected(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    other, _ = account_holder(client)
    mine = owned(client, buyer)
    offer = {"id": plan["id"], "name": plan["name"]}

    unknown = rejection(
        client,
        [{"id": "1", "action": "delete", "product": {"id": "no-such-product"}}],
        relatedParty=as_customer(buyer),
    )
    foreign = rejection(
        client,
        [{"id": "1", "action": "delete", "product": {"id": mine["id"]}}],
        relatedParty=as_customer(other),
    )
    adding = rejection(
        client,
        [{"id": "1", "action": "add", "productOffering": offer, "product": {"id": mine["id"]}}],
        relatedParty=as_customer(buyer),
    )

    assert unknown == ["item '1': product 'no-such-product' does not exist"]
    # Another customer's product reads exactly as one that does not exist.
    assert foreign == [f"item '1': product {mine['id']!r} does not exist"]
    assert "add creates a new product" in adding[0]


def test_two_orders_in_flight_cannot_change_one_product(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    mine = owned(client, buyer)
    end = [{"id": "1", "action": "delete", "product": {"id": mine["id"]}}]

    first = read(client, place(client, end, relatedParty=as_customer(buyer))["id"])
    second = read(client, place(client, end, relatedParty=as_customer(buyer))["id"])

    assert first["state"] == "inProgress"
    assert second["state"] == "rejected"
    assert f"being changed by order {first['id']!r}" in second["note"][-1]["text"]
    # Once the first order has ended, the product is free again (and terminated).
    move_items(client, first, "failed")
    third = read(client, place(client, end, relatedParty=as_customer(buyer))["id"])
    assert third["state"] == "inProgress"


def test_a_bundle_becomes_its_product_and_its_members(live_server) -> None:
    from tests.api.test_order_fulfilment import bundle_of_two

    client = live_server.client
    buyer, _ = account_holder(client)
    bundle = bundle_of_two(client)[0]
    order = completed(
        client,
        [{"id": "1", "action": "add", "productOffering": {"id": bundle["id"]}}],
        relatedParty=as_customer(buyer),
    )

    parent = order["productOrderItem"][0]
    members = [m["product"]["id"] for m in parent["productOrderItem"]]
    made = product(client, parent["product"]["id"])
    assert made["isBundle"] is True
    assert sorted(r["product"]["id"] for r in made["productRelationship"]) == sorted(members)
    for member in members:
        relation = product(client, member)["productRelationship"]
        assert relation == [
            {
                "relationshipType": "isBundledBy",
                "product": {"id": made["id"], "@referredType": "Product"},
            }
        ]


def test_direct_writes_follow_the_lifecycle(live_server) -> None:
    client = live_server.client
    made = client.post(
        f"{INVENTORY}/product", json={"name": "Migrated line", "status": "created"}
    ).json()
    target = f"{INVENTORY}/product/{made['id']}"

    assert made["status"] == "created"
    assert client.patch(target, json={"status": "active"}).json()["startDate"]
    assert client.patch(target, json={"status": "created"}).status_code == 409
    assert client.patch(target, json={"status": "terminated"}).status_code == 200
    assert client.patch(target, json={"status": "active"}).status_code == 409
    assert client.patch(target, json={"status": "retired"}).status_code == 400


def _settled(collection: Any, order_id: str) -> dict[str, Any]:
    """The stored order once no completion is left on it (a sweeper ran what was)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        stored = collection.find_one({"id": order_id})
        if "_completing" not in stored:
            return dict(stored)
        time.sleep(0.1)
    raise AssertionError("the sweeper did not run the completion left on the order")


def test_a_completion_a_stopped_process_left_is_carried_out_once(
    live_server, database, plan
) -> None:
    client = live_server.client
    buyer, account = account_holder(client)
    order = completed(client, [item("1", plan)], relatedParty=as_customer(buyer))
    made = order["productOrderItem"][0]["product"]["id"]
    db = database.db
    orders, products = db[PRODUCT_ORDER.collection], db[PRODUCT.collection]
    rates = db[APPLIED_CUSTOMER_BILLING_RATE.collection]
    charged = sorted(r["id"] for r in rates.find({"billingAccount.id": account}))
    # The state a process leaves when it dies right after the order's write: the items are
    # completed and recorded as such, and neither the product nor the charges exist.
    products.delete_one({"id": made})
    rates.delete_many({"billingAccount.id": account})
    left = [{"item": "1", "at": order["completionDate"]}]
    orders.update_one({"id": order["id"]}, {"$set": {"_completing": left}})

    _settled(orders, order["id"])
    # And once more, as a second sweeper or a retried request would: nothing is made twice.
    orders.update_one({"id": order["id"]}, {"$set": {"_completing": left}})
    _settled(orders, order["id"])

    assert products.count_documents({"id": made}) == 1
    assert product(client, made)["status"] == "active"
    assert sorted(r["id"] for r in rates.find({"billingAccount.id": account})) == charged


def test_modify_items_suspend_and_resume_a_product(live_server, plan) -> None:
    client = live_server.client
    buyer, _ = account_holder(client)
    mine = owned(client, buyer)

    def ask(status: str) -> None:
        change = {"id": "1", "action": "modify", "product": {"id": mine["id"], "status": status}}
        completed(client, [change], relatedParty=as_customer(buyer))

    ask("suspended")
    assert product(client, mine["id"])["status"] == "suspended"
    ask("active")
    resumed = product(client, mine["id"])
    assert resumed["status"] == "active"
    assert resumed["startDate"] == mine["startDate"]
    assert [i["orderItemAction"] for i in resumed["productOrderItem"]] == [
        "add",
        "modify",
        "modify",
    ]


def test_the_inventory_tells_its_subscribers_what_orders_did(events_server) -> None:
    client = events_server.client
    buyer, _ = account_holder(client)
    with running_listener() as listener:
        subscribe(client, INVENTORY, listener, f"event.product.relatedParty.id={buyer['id']}")
        mine = owned(client, buyer)
        end = {"id": "1", "action": "delete", "product": {"id": mine["id"]}}
        completed(client, [end], relatedParty=as_customer(buyer))
        events = listener.wait_count(3)
        time.sleep(0.5)  # nothing more comes: the delete order's claim is no change to tell
        assert len(listener.events()) == 3

    assert [e["eventType"] for e in events] == [
        "ProductCreateEvent",
        "ProductStateChangeEvent",
        "ProductAttributeValueChangeEvent",
    ]
    assert events[0]["event"]["product"]["id"] == mine["id"]
    assert events[1]["event"]["product"]["status"] == "terminated"
    assert events[2]["fieldPath"] == "productOrderItem,terminationDate"
    for event in events:
        check_schema("TMF637-ProductInventory-v4.yaml", event)
