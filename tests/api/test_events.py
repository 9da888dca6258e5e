"""Events reach a real HTTP listener for every API: what each change emits, with what payload,
selected by the hub query, signed, and counted in the hub's delivery state."""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import load_spec
from notifications import callbacks
from tests import builders
from tests.builders import customer
from tests.listener import Listener, running_listener
from tmf_apis.schema import validator

CUSTOMERS = "/tmf-api/customerManagement/v4"
CATALOG = "/tmf-api/productCatalogManagement/v4"
ORDERS = "/tmf-api/productOrderingManagement/v4"
BILLING = "/tmf-api/customerBillManagement/v4"
ACCOUNTS = "/tmf-api/accountManagement/v4"
SPECS = Path(__file__).parents[2] / "specs"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def listener() -> Iterator[Listener]:
    with running_listener() as running:
        yield running


def subscribe(
    client: httpx.Client, base: str, listener: Listener, query: str | None = None
) -> dict[str, Any]:
    body = {"callback": listener.url, **({"query": query} if query is not None else {})}
    response = client.post(f"{base}/hub", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def check_schema(spec_file: str, event: dict[str, Any]) -> None:
    spec = load_spec(SPECS / spec_file)
    errors = list(validator(spec, event["eventType"]).iter_errors(event))
    assert not errors, errors[0].message


def test_customer_create_change_state_and_delete(events_server, listener: Listener) -> None:
    client = events_server.client
    name = f"Events {uuid.uuid4().hex[:8]}"
    subscription = subscribe(client, CUSTOMERS, listener, f"event.customer.name={name}")
    created = client.post(
        f"{CUSTOMERS}/customer", json=customer(name=name, status="Initialized")
    ).json()
    url = f"{CUSTOMERS}/customer/{created['id']}"
    assert client.patch(url, json={"statusReason": "checked"}, headers=MERGE).status_code == 200
    assert client.patch(url, json={"status": "Approved"}, headers=MERGE).status_code == 200
    assert client.delete(url).status_code == 204

    events = listener.wait_count(4)
    assert [e["eventType"] for e in events] == [
        "CustomerCreateEvent",
        "CustomerAttributeValueChangeEvent",
        "CustomerStateChangeEvent",
        "CustomerDeleteEvent",
    ]
    assert events[1]["fieldPath"] == "statusReason"
    assert events[2]["event"]["customer"]["status"] == "Approved"
    for event in events:
        shown = event["event"]["customer"]
        assert shown["id"] == created["id"]
        assert shown["href"] == f"{events_server.url}{url}"
        assert event["eventTime"].endswith("Z")
        check_schema("TMF629-Customer-v4.yaml", event)
    assert len({e["eventId"] for e in events}) == 4

    # Every delivery is signed with the subscription's secret and names its event.
    for delivery in listener.received:
        expected = callbacks.signature(subscription["secret"], delivery.body)
        assert hmac.compare_digest(delivery.headers[callbacks.SIGNATURE_HEADER], expected)
        assert delivery.headers["X-TMF-Event-Id"] == delivery.event["eventId"]
    state = client.get(f"{CUSTOMERS}/hub/{subscription['id']}/delivery").json()
    assert (state["delivered"], state["pending"], state["deadLettered"]) == (4, 0, 0)


def test_the_query_selects_events_and_fields_trims_them(events_server) -> None:
    client = events_server.client
    name = f"Filtered {uuid.uuid4().hex[:8]}"
    with running_listener() as states, running_listener() as approved:
        query = f"eventType=CustomerStateChangeEvent&event.customer.name={name}"
        subscribe(client, CUSTOMERS, states, query)
        subscribe(
            client,
            CUSTOMERS,
            approved,
            f"event.customer.status=Approved&event.customer.name={name}&fields=status",
        )
        first, second = (
            client.post(
                f"{CUSTOMERS}/customer", json=customer(name=name, status="Initialized")
            ).json()
            for _ in "12"
        )
        for made, status in ((first, "Approved"), (second, "Rejected")):
            client.patch(
                f"{CUSTOMERS}/customer/{made['id']}", json={"status": status}, headers=MERGE
            )
        client.patch(
            f"{CUSTOMERS}/customer/{first['id']}", json={"statusReason": "vip"}, headers=MERGE
        )

        got = states.wait_count(2)
        assert [(e["eventType"], e["event"]["customer"]["id"]) for e in got] == [
            ("CustomerStateChangeEvent", first["id"]),
            ("CustomerStateChangeEvent", second["id"]),
        ]
        only_approved = approved.wait_count(2)
        assert [e["eventType"] for e in only_approved] == [
            "CustomerStateChangeEvent",
            "CustomerAttributeValueChangeEvent",
        ]
        assert set(only_approved[0]["event"]["customer"]) == {"id", "href", "@type", "status"}


def test_catalog_events_including_changes_the_server_makes(events_server, listener) -> None:
    client = events_server.client
    tag = uuid.uuid4().hex[:8]
    subscribe(client, CATALOG, listener)
    parent = client.post(f"{CATALOG}/category", json={"name": f"Parent {tag}"}).json()
    child = client.post(
        f"{CATALOG}/category", json={"name": f"Child {tag}", "parentId": parent["id"]}
    ).json()
    offering = client.post(f"{CATALOG}/productOffering", json={"name": f"Offer {tag}"}).json()
    url = f"{CATALOG}/productOffering/{offering['id']}"
    client.patch(url, json={"lifecycleStatus": "In design"}, headers=MERGE)
    client.patch(url, json={"description": "now described"}, headers=MERGE)
    assert client.delete(url).status_code == 204

    events = listener.wait_count(7)
    seen = [(e["eventType"], next(iter(e["event"].values()))["id"]) for e in events]
    assert seen == [
        ("CategoryCreateEvent", parent["id"]),
        ("CategoryCreateEvent", child["id"]),
        # The parent gains the child in its subCategory list: the server's own change.
        ("CategoryAttributeValueChangeEvent", parent["id"]),
        ("ProductOfferingCreateEvent", offering["id"]),
        ("ProductOfferingStateChangeEvent", offering["id"]),
        ("ProductOfferingAttributeValueChangeEvent", offering["id"]),
        ("ProductOfferingDeleteEvent", offering["id"]),
    ]
    assert events[2]["fieldPath"] == "subCategory"
    assert events[4]["event"]["productOffering"]["lifecycleStatus"] == "In design"
    assert events[5]["fieldPath"] == "description"
    for event in events:
        check_schema("TMF620-ProductCatalog-v4.yaml", event)


def test_order_lifecycle_and_cancellation_events(events_server, listener) -> None:
    client = events_server.client
    subscribe(client, ORDERS, listener)
    elsewhere = {"id": "x-1", "href": "https://partner.example/catalog/productOffering/x-1"}
    order = client.post(
        f"{ORDERS}/productOrder",
        json={"productOrderItem": [{"id": "1", "action": "add", "productOffering": elsewhere}]},
    ).json()
    task = client.post(
        f"{ORDERS}/cancelProductOrder",
        json={"productOrder": {"id": order["id"]}, "cancellationReason": "moved abroad"},
    ).json()
    assert client.delete(f"{ORDERS}/productOrder/{order['id']}").status_code == 204

    events = listener.wait_for(lambda got: "ProductOrderDeleteEvent" in str(got))
    orders = [
        (e["eventType"], e["event"]["productOrder"]["state"], e.get("fieldPath"))
        for e in events
        if "productOrder" in e["event"]
    ]
    # Item states are attributes of the order: their moves are attribute changes.
    assert orders == [
        ("ProductOrderCreateEvent", "acknowledged", None),
        ("ProductOrderStateChangeEvent", "inProgress", None),
        ("ProductOrderAttributeValueChangeEvent", "inProgress", "productOrderItem"),
        ("ProductOrderStateChangeEvent", "assessingCancellation", None),
        ("ProductOrderStateChangeEvent", "pendingCancellation", None),
        ("ProductOrderStateChangeEvent", "cancelled", None),
        (
            "ProductOrderAttributeValueChangeEvent",
            "cancelled",
            "cancellationDate,cancellationReason,productOrderItem",
        ),
        ("ProductOrderDeleteEvent", "cancelled", None),
    ]
    tasks = [
        (e["eventType"], e["event"]["cancelProductOrder"]["state"])
        for e in events
        if "cancelProductOrder" in e["event"]
    ]
    assert tasks == [
        ("CancelProductOrderCreateEvent", "acknowledged"),
        ("CancelProductOrderStateChangeEvent", "done"),
    ]
    assert all(
        e["event"]["cancelProductOrder"]["id"] == task["id"]
        for e in events
        if "cancelProductOrder" in e["event"]
    )
    for event in events:
        check_schema("TMF622-ProductOrdering-v4.yaml", event)


def test_bill_and_bill_on_demand_events(events_server, listener) -> None:
    client = events_server.client
    subscribe(client, BILLING, listener)
    # Orders name accounts TMF666 holds (docs/accounts.md).
    opened = client.post(f"{ACCOUNTS}/billingAccount", json=builders.account())
    assert opened.status_code == 201, opened.text
    account = opened.json()["id"]
    fee = {"priceType": "oneTime", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 9.5}}}
    line = {
        "id": "1",
        "action": "add",
        "itemPrice": [fee],
        "productOffering": {"id": "x-1", "href": "https://partner.example/po/x-1"},
    }
    order = client.post(
        f"{ORDERS}/productOrder",
        json={"productOrderItem": [line], "billingAccount": {"id": account}},
    ).json()
    done = [{**client.get(f"{ORDERS}/productOrder/{order['id']}").json()["productOrderItem"][0]}]
    done[0]["state"] = "completed"
    assert (
        client.patch(
            f"{ORDERS}/productOrder/{order['id']}", json={"productOrderItem": done}
        ).status_code
        == 200
    )
    request = client.post(
        f"{BILLING}/customerBillOnDemand", json={"billingAccount": {"id": account}}
    ).json()
    bill_id = client.get(f"{BILLING}/customerBillOnDemand/{request['id']}").json()["customerBill"]
    bill = f"{BILLING}/customerBill/{bill_id['id']}"
    assert client.patch(bill, json={"state": "validated"}).status_code == 200

    events = listener.wait_for(lambda got: "CustomerBillStateChangeEvent" in str(got))
    seen = [
        (e["eventType"], e["event"][key].get("state"))
        for e in events
        for key in ("customerBillOnDemand", "customerBill")
        if key in e["event"]
    ]
    assert seen == [
        ("CustomerBillOnDemandCreateEvent", "inProgress"),
        ("CustomerBillCreateEvent", "new"),
        ("CustomerBillOnDemandStateChangeEvent", "done"),
        ("CustomerBillStateChangeEvent", "validated"),
    ]
    created = next(e for e in events if e["eventType"] == "CustomerBillCreateEvent")
    assert created["event"]["customerBill"]["amountDue"] == {"unit": "EUR", "value": 11.4}
    assert created["event"]["customerBill"]["href"] == f"{events_server.url}{bill}"


def test_refused_listeners_are_dead_lettered_and_replayed(events_server, listener) -> None:
    client = events_server.client
    name = f"Dead {uuid.uuid4().hex[:8]}"
    subscription = subscribe(client, CUSTOMERS, listener, f"event.customer.name={name}")
    listener.answer = lambda _: 404  # a listener that will not take them: no use retrying
    made = [client.post(f"{CUSTOMERS}/customer", json=customer(name=name)).json() for _ in "ab"]
    state_url = f"{CUSTOMERS}/hub/{subscription['id']}/delivery"

    def state() -> dict[str, Any]:
        return dict(client.get(state_url).json())

    _eventually(lambda: state()["deadLettered"] == 2)
    dead = state()
    assert dead["pending"] == 0
    assert dead["failedAttempts"] == 2
    assert "404" in dead["lastError"]
    assert [d["eventType"] for d in dead["deadLetters"]] == ["CustomerCreateEvent"] * 2

    listener.answer = lambda _: 201
    replayed = client.post(f"{state_url}/replay")
    assert replayed.status_code == 200
    events = listener.wait_count(2)
    assert [e["event"]["customer"]["id"] for e in events] == [m["id"] for m in made]
    _eventually(lambda: state()["deadLettered"] == 0 and state()["delivered"] == 2)


def test_a_bad_query_or_callback_is_refused(events_server) -> None:
    client = events_server.client
    unknown = client.post(
        f"{CUSTOMERS}/hub", json={"callback": "http://127.0.0.1:9/x", "query": "event.nope=1"}
    )
    assert unknown.status_code == 400
    assert "event.nope" in unknown.json()["message"]
    assert client.get(f"{CUSTOMERS}/hub/nope/delivery").status_code == 404
    assert client.post(f"{CUSTOMERS}/hub/nope/delivery/replay").status_code == 404


def _eventually(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
