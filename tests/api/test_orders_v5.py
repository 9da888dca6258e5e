"""TMF622 v5 beside v4 on one store: orders placed, read, filtered, patched and heard through
either edition, drafts (v5 only) and cancellation (tmf_apis/tmf622/v5.py)."""

from __future__ import annotations

from typing import Any

import httpx
from pymongo import MongoClient

from tests.api.test_orders import (
    ORDERS,
    as_customer,
    item,
    mobile_plan,
    new_customer,
    place,
    read,
)
from tests.builders import unique
from tests.listener import running_listener
from tmf_apis.tmf622.registry import API_V5

V5 = API_V5.base_path
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
PATCH_QUERY = {"Content-Type": "application/json-patch-query+json"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def v5_read(client: httpx.Client, order_id: str) -> dict[str, Any]:
    response = client.get(f"{V5}/productOrder/{order_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def v5_order(client: httpx.Client, plan: dict[str, Any], **body: Any) -> httpx.Response:
    buyer = new_customer(client)
    return client.post(
        f"{V5}/productOrder",
        json={
            "externalId": [{"id": unique("PO"), "owner": "shop", "externalIdentifierType": "PO"}],
            "relatedParty": [
                {
                    "role": "Customer",
                    "partyOrPartyRole": {"id": buyer["id"], "@referredType": "Customer"},
                }
            ],
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "quantity": 1,
                    "productOffering": {"id": plan["id"], "name": plan["name"]},
                }
            ],
            **body,
        },
    )


def test_a_v4_order_reads_in_v5_shape(live_server) -> None:
    client = live_server.client
    plan = mobile_plan(client)
    buyer = new_customer(client)
    placed = place(client, [item("1", plan)], relatedParty=as_customer(buyer), externalId="X-1")

    order = v5_read(client, placed["id"])

    assert order["@type"] == "ProductOrder"
    assert order["state"] == "inProgress"
    assert order["creationDate"] == placed["orderDate"] and "orderDate" not in order
    assert order["externalId"] == [{"id": "X-1", "@type": "ExternalIdentifier"}]
    [party] = order["relatedParty"]
    assert party["@type"] == "RelatedPartyRefOrPartyRoleRef"
    assert party["partyOrPartyRole"]["id"] == buyer["id"]
    [line] = order["productOrderItem"]
    assert line["@type"] == "ProductOrderItem"
    assert line["productOffering"]["@type"] == "ProductOfferingRef"
    assert {p["@type"] for p in line["itemPrice"]} == {"OrderPrice"}
    assert {p["price"]["@type"] for p in line["itemPrice"]} == {"Price"}


def test_a_v5_order_is_placed_and_read_in_v4_shape(live_server) -> None:
    client = live_server.client
    plan = mobile_plan(client)

    created = v5_order(client, plan)

    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"{V5}/productOrder/{created.json()['id']}")
    stored = read(client, created.json()["id"])
    assert stored["state"] == "inProgress"  # validated and priced as any order
    assert stored["externalId"].startswith("PO")
    assert (
        stored["relatedParty"][0]["id"]
        == created.json()["relatedParty"][0]["partyOrPartyRole"]["id"]
    )
    assert stored["productOrderItem"][0]["itemPrice"]
    # What v4 has no place for comes back whole through v5.
    again = v5_read(client, created.json()["id"])
    assert again["externalId"][0]["owner"] == "shop"


def test_v5_filters_sort_and_fields_name_v5_attributes(live_server) -> None:
    client = live_server.client
    plan = mobile_plan(client)
    created = v5_order(client, plan).json()
    buyer = created["relatedParty"][0]["partyOrPartyRole"]["id"]

    by_party = client.get(
        f"{V5}/productOrder",
        params={"relatedParty.partyOrPartyRole.id": buyer, "fields": "creationDate,state"},
    )
    accepted = client.get(
        f"{V5}/productOrder",
        params={"state": "inProgress.accepted", "relatedParty.partyOrPartyRole.id": buyer},
    )
    by_external = client.get(
        f"{V5}/productOrder",
        params={"externalId.id": created["externalId"][0]["id"], "sort": "-creationDate"},
    )

    assert by_party.status_code == 200, by_party.text
    [found] = by_party.json()
    assert set(found) == {"id", "href", "@type", "creationDate", "state"}
    assert [o["id"] for o in accepted.json()] == [created["id"]]
    assert [o["id"] for o in by_external.json()] == [created["id"]]


def test_v5_patches_of_every_kind_reach_v4_readers(live_server) -> None:
    client = live_server.client
    plan = mobile_plan(client)
    placed = place(client, [item("1", plan), item("2", plan)])
    url = f"{V5}/productOrder/{placed['id']}"

    noted = client.patch(url, headers=MERGE, json={"note": [{"text": "call first"}]})
    first = client.patch(
        url,
        headers=JSON_PATCH,
        json=[{"op": "replace", "path": "/productOrderItem/0/state", "value": "completed"}],
    )
    second = client.patch(
        url,
        headers=PATCH_QUERY,
        json=[
            {
                "op": "replace",
                "path": "/productOrderItem/state?productOrderItem.id=2",
                "value": "completed",
            }
        ],
    )

    assert noted.status_code == 200, noted.text
    assert noted.json()["note"][0]["@type"] == "Note"
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    stored = read(client, placed["id"])
    assert stored["state"] == "completed"
    assert stored["note"][-1]["text"] == "call first"


def test_a_v4_patch_reaches_v5_readers(live_server) -> None:
    client = live_server.client
    placed = place(client, [item("1", mobile_plan(client))])

    moved = client.patch(
        f"{ORDERS}/productOrder/{placed['id']}",
        headers=JSON_PATCH,
        json=[{"op": "replace", "path": "/productOrderItem/0/state", "value": "failed"}],
    )

    assert moved.status_code == 200, moved.text
    assert v5_read(client, placed["id"])["state"] == "failed"


def test_a_draft_is_changed_then_placed_and_v4_sees_it_only_then(live_server) -> None:
    client = live_server.client
    plan = mobile_plan(client)
    draft = v5_order(client, plan, requestedInitialState="draft").json()
    url = f"{V5}/productOrder/{draft['id']}"

    assert draft["state"] == "draft"
    assert "state" not in draft["productOrderItem"][0]  # nothing placed, priced or checked
    hidden = client.get(f"{ORDERS}/productOrder/{draft['id']}")
    listed = client.get(f"{ORDERS}/productOrder", params={"state": "draft"})
    v4_patch = client.patch(f"{ORDERS}/productOrder/{draft['id']}", json={"priority": "1"})
    changed = client.patch(url, headers=MERGE, json={"priority": "2", "description": "basket"})
    refused = client.patch(url, headers=MERGE, json={"state": "inProgress"})
    placed = client.patch(url, headers=MERGE, json={"state": "acknowledged"})

    assert hidden.status_code == 404
    assert listed.json() == []
    assert v4_patch.status_code == 404
    assert changed.status_code == 200, changed.text
    assert refused.status_code == 409
    assert "placed by moving it to acknowledged" in refused.json()["message"]
    assert placed.status_code == 200, placed.text
    assert placed.json()["productOrderItem"][0]["state"] == "acknowledged"
    assert placed.json()["productOrderItem"][0]["itemPrice"]
    now = read(client, draft["id"])  # visible to v4 once placed; validated as a new order
    assert (now["state"], now["priority"], now["description"]) == ("inProgress", "2", "basket")


def test_a_draft_is_deleted_not_cancelled(live_server) -> None:
    client = live_server.client
    draft = v5_order(client, mobile_plan(client), requestedInitialState="draft").json()

    cancelled = client.post(f"{V5}/cancelProductOrder", json={"productOrder": {"id": draft["id"]}})
    deleted = client.delete(f"{V5}/productOrder/{draft['id']}")

    assert cancelled.status_code == 409
    assert deleted.status_code == 204
    assert client.get(f"{V5}/productOrder/{draft['id']}").status_code == 404


def test_a_cancellation_through_v5_is_read_through_v4(live_server) -> None:
    client = live_server.client
    placed = place(client, [item("1", mobile_plan(client))])

    task = client.post(
        f"{V5}/cancelProductOrder",
        json={"productOrder": {"id": placed["id"]}, "cancellationReason": "moved abroad"},
    )

    assert task.status_code == 201, task.text
    assert task.json()["@type"] == "CancelProductOrder"
    assert task.json()["productOrder"]["@type"] == "ProductOrderRef"
    assert task.json()["state"] == "done"
    assert read(client, placed["id"])["state"] == "cancelled"
    listed = client.get(f"{ORDERS}/cancelProductOrder", params={"productOrder.id": placed["id"]})
    assert [t["id"] for t in listed.json()] == [task.json()["id"]]


def test_each_edition_hears_orders_in_its_own_shape(events_server, mongo_uri, settings) -> None:
    client = events_server.client
    plan = mobile_plan(client)
    marker = unique("heard")
    query = f"eventType=ProductOrderCreateEvent&event.productOrder.description={marker}"
    with running_listener() as v5_hears, running_listener() as v4_hears, running_listener() as old:
        for base, listener in ((V5, v5_hears), (ORDERS, v4_hears), (ORDERS, old)):
            hub = client.post(f"{base}/hub", json={"callback": listener.url, "query": query})
            assert hub.status_code == 201, hub.text
        # A subscription made before subscriptions kept their edition hears as v4's do.
        with MongoClient(mongo_uri) as mongo:
            mongo[f"{settings.mongo_database}_events"]["hub_subscriptions"].update_one(
                {"callback": old.url}, {"$unset": {"base_path": ""}}
            )
        draft = v5_order(client, plan, requestedInitialState="draft", description=marker).json()
        through_v5 = v5_order(client, plan, description=marker).json()
        through_v4 = place(client, [item("1", plan)], description=marker)
        v5_events = v5_hears.wait_count(3)
        v4_events = v4_hears.wait_count(2)
        old_events = old.wait_count(2)

    placed = {through_v5["id"], through_v4["id"]}
    assert {e["event"]["productOrder"]["id"] for e in v5_events} == {draft["id"], *placed}
    event = next(e for e in v5_events if e["event"]["productOrder"]["id"] == through_v4["id"])
    assert event["@type"] == "ProductOrderCreateEvent"
    assert event["id"] == event["eventId"] and event["timeOccurred"] == event["eventTime"]
    order = event["event"]["productOrder"]
    assert order["@type"] == "ProductOrder" and "creationDate" in order
    assert order["href"].endswith(f"{V5}/productOrder/{through_v4['id']}")
    # v4 hears neither the draft nor v5's envelope and shape, whoever wrote the order.
    for heard in (v4_events, old_events):
        assert {e["event"]["productOrder"]["id"] for e in heard} == placed
        for event in heard:
            assert "@type" not in event and "orderDate" in event["event"]["productOrder"]
            assert f"{ORDERS}/productOrder/" in event["event"]["productOrder"]["href"]
