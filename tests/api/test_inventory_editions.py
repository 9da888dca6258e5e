"""TMF637 v5 beside v4 on one store: products written through either edition are read,
filtered, patched and heard through the other, each in its own shape (tmf_apis/tmf637/v5.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from app import load_spec
from tests.builders import unique
from tests.listener import running_listener
from tmf_apis.tmf637.registry import API as INVENTORY_V4
from tmf_apis.tmf637.registry import API_V5

ROOT = Path(__file__).parents[2]
V4, V5 = INVENTORY_V4.base_path, API_V5.base_path
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
PATCH_QUERY = {"Content-Type": "application/json-patch-query+json"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def v4_product(**body: Any) -> dict[str, Any]:
    """A product as an operator's migration writes it through v4."""
    customer = unique("cust").replace(" ", "-")
    return {
        "name": unique("Unlimited 5G"),
        "status": "created",
        "isBundle": False,
        "productOffering": {"id": "po-5g", "name": "Unlimited 5G"},
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "productCharacteristic": [
            {"name": "colour", "valueType": "string", "value": "black"},
            {"name": "dataAllowanceGB", "valueType": "number", "value": 100},
        ],
        "productPrice": [
            {
                "name": "Monthly fee",
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "price": {"taxIncludedAmount": {"unit": "EUR", "value": 24}, "taxRate": 20},
            }
        ],
        "productOrderItem": [{"productOrderId": unique("o").replace(" ", "-"), "orderItemId": "1"}],
        "productRelationship": [{"relationshipType": "reliesOn", "product": {"id": "p-sim"}}],
        **body,
    }


def created(client: httpx.Client, root: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{root}/product", json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def read(client: httpx.Client, root: str, product_id: str) -> dict[str, Any]:
    response = client.get(f"{root}/product/{product_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_v4_product_reads_in_v5_shape(live_server) -> None:
    client = live_server.client
    product = created(client, V4, v4_product())

    shown = read(client, V5, product["id"])

    assert shown["@type"] == "Product"
    assert shown["href"].endswith(f"{V5}/product/{product['id']}")
    [party] = shown["relatedParty"]
    assert party["@type"] == "RelatedPartyOrPartyRole"
    assert party["partyOrPartyRole"]["id"] == product["relatedParty"][0]["id"]
    assert [c["@type"] for c in shown["productCharacteristic"]] == [
        "StringCharacteristic",
        "IntegerCharacteristic",
    ]
    assert shown["productOffering"]["@type"] == "ProductOfferingRef"
    assert shown["productPrice"][0]["price"]["@type"] == "Price"
    [item] = shown["productOrderItem"]
    assert item["orderId"] == product["productOrderItem"][0]["productOrderId"]
    assert shown["productRelationship"] == [
        {"relationshipType": "reliesOn", "id": "p-sim", "@type": "ProductRelationship"}
    ]


def test_v5_filters_sort_and_fields_name_v5_attributes(live_server) -> None:
    client = live_server.client
    first = created(client, V4, v4_product())
    owner = first["relatedParty"][0]["id"]
    second = created(client, V4, v4_product(relatedParty=first["relatedParty"], status="active"))

    by_party = client.get(
        f"{V5}/product",
        params={"relatedParty.partyOrPartyRole.id": owner, "sort": "-name", "fields": "status"},
    )
    by_order = client.get(
        f"{V5}/product",
        params={"productOrderItem.orderId": first["productOrderItem"][0]["productOrderId"]},
    )
    active = client.get(
        f"{V5}/product", params={"relatedParty.partyOrPartyRole.id": owner, "status": "active"}
    )

    assert by_party.status_code == 200, by_party.text
    expected = sorted([first, second], key=lambda p: p["name"], reverse=True)
    assert [p["id"] for p in by_party.json()] == [p["id"] for p in expected]
    assert all(set(p) == {"id", "href", "@type", "status"} for p in by_party.json())
    assert [p["id"] for p in by_order.json()] == [first["id"]]
    assert [p["id"] for p in active.json()] == [second["id"]]


def test_v5_patches_of_every_kind_reach_v4_readers(live_server) -> None:
    client = live_server.client
    product = created(client, V4, v4_product())
    url = f"{V5}/product/{product['id']}"

    activated = client.patch(url, headers=MERGE, json={"status": "active"})
    renamed = client.patch(
        url, headers=JSON_PATCH, json=[{"op": "replace", "path": "/name", "value": "Renamed"}]
    )
    recoloured = client.patch(
        url,
        headers=PATCH_QUERY,
        json=[
            {
                "op": "replace",
                "path": "/productCharacteristic/value?productCharacteristic.name=colour",
                "value": "white",
            }
        ],
    )

    assert activated.status_code == 200, activated.text
    assert activated.json()["startDate"]  # stamped on activation, whatever the edition
    assert renamed.status_code == 200, renamed.text
    assert recoloured.status_code == 200, recoloured.text
    assert recoloured.json()["productCharacteristic"][0]["@type"] == "StringCharacteristic"
    stored = read(client, V4, product["id"])
    assert (stored["status"], stored["name"]) == ("active", "Renamed")
    assert stored["productCharacteristic"] == [
        {"name": "colour", "valueType": "string", "value": "white"},
        {"name": "dataAllowanceGB", "valueType": "number", "value": 100},
    ]
    # What v5 filled in for show is not stored: v4 reads its product as it wrote it.
    assert stored["relatedParty"] == product["relatedParty"]
    assert stored["productRelationship"] == product["productRelationship"]
    assert stored["productPrice"] == product["productPrice"]


def test_a_v5_product_is_read_and_patched_through_v4(live_server) -> None:
    client = live_server.client
    owner = unique("cust").replace(" ", "-")
    product = created(
        client,
        V5,
        {
            "name": unique("Fibre 1G"),
            "status": "created",
            "relatedParty": [
                {
                    "role": "customer",
                    "partyOrPartyRole": {"id": owner, "@referredType": "Customer"},
                }
            ],
            "productCharacteristic": [
                {"@type": "StringCharacteristic", "name": "router", "value": "box-7"}
            ],
            "agreementItem": [{"agreementId": "ag-1", "agreementItemId": "2"}],
            "place": [
                {
                    "role": "installationAddress",
                    "place": {"id": "addr-9", "@referredType": "GeographicAddress"},
                }
            ],
        },
    )

    stored = read(client, V4, product["id"])
    listed = client.get(f"{V4}/product", params={"relatedParty.id": owner})
    moved = client.patch(f"{V4}/product/{product['id']}", json={"status": "active"})
    refused = client.patch(
        f"{V4}/product/{product['id']}",
        headers=JSON_PATCH,
        json=[{"op": "replace", "path": "/status", "value": "created"}],
    )

    assert product["agreementItem"][0]["agreementId"] == "ag-1"
    assert product["place"][0]["place"]["@type"] == "PlaceRef"
    assert stored["relatedParty"] == [
        {"id": owner, "@referredType": "Customer", "role": "customer"}
    ]
    assert stored["productCharacteristic"] == [{"name": "router", "value": "box-7"}]
    assert stored["agreement"][0]["id"] == "ag-1"
    assert stored["place"][0]["id"] == "addr-9"
    assert [p["id"] for p in listed.json()] == [product["id"]]
    assert moved.status_code == 200, moved.text
    assert refused.status_code == 409  # the lifecycle holds in every edition
    assert read(client, V5, product["id"])["status"] == "active"


def test_a_v5_listener_hears_a_v4_write_in_v5_shape(events_server) -> None:
    client = events_server.client
    body = v4_product()
    owner = body["relatedParty"][0]["id"]
    # Each hub query names the edition's own path to the owner.
    queries = {
        V5: f"event.product.relatedParty.partyOrPartyRole.id={owner}",
        V4: f"event.product.relatedParty.id={owner}",
    }
    with running_listener() as v5_hears, running_listener() as v4_hears:
        for root, listener in ((V5, v5_hears), (V4, v4_hears)):
            subscription = {"callback": listener.url, "query": queries[root]}
            hub = client.post(f"{root}/hub", json=subscription)
            assert hub.status_code == 201, hub.text
        product = created(client, V4, body)
        client.patch(f"{V4}/product/{product['id']}", json={"status": "active"})
        # The move to active is a StateChange, and its startDate an AttributeValueChange.
        heard_v5 = v5_hears.wait_count(3)
        heard_v4 = v4_hears.wait_count(3)

    assert [e["eventType"] for e in heard_v5][:1] == ["ProductCreateEvent"]
    assert {e["eventType"] for e in heard_v5} == {
        "ProductCreateEvent",
        "ProductStateChangeEvent",
        "ProductAttributeValueChangeEvent",
    }
    for event in heard_v5:
        assert event["@type"] == event["eventType"]
        assert event["id"] == event["eventId"] and event["timeOccurred"] == event["eventTime"]
        shown = event["event"]["product"]
        assert shown["@type"] == "Product"
        assert shown["href"].endswith(f"{V5}/product/{product['id']}")
        assert shown["relatedParty"][0]["partyOrPartyRole"]["id"] == body["relatedParty"][0]["id"]
    changed = next(e for e in heard_v5 if e["eventType"] == "ProductStateChangeEvent")
    assert changed["event"]["product"]["status"] == "active"
    for event in heard_v4:
        assert "@type" not in event
        assert event["event"]["product"]["relatedParty"] == body["relatedParty"]
        assert f"{V4}/product/" in event["event"]["product"]["href"]


def _operations(spec_file: str) -> list[tuple[str, str, str]]:
    spec = load_spec(ROOT / "specs" / spec_file)
    return [
        (op["operationId"], method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    ]


@pytest.mark.parametrize("api", [INVENTORY_V4, API_V5], ids=["v4", "v5"])
def test_every_operation_of_either_edition_has_its_handler(live_server, api) -> None:
    """Each operationId (v5's listener `productProductBatchEvent` included) reaches a handler:
    none answers 404 or 405 for want of a route, or 500."""
    client = live_server.client
    product = created(client, INVENTORY_V4.base_path, v4_product())
    hub = client.post(f"{api.base_path}/hub", json={"callback": "https://example.com/tmf"})
    assert hub.status_code == 201, hub.text
    ids = {"/product/{id}": product["id"], "/hub/{id}": hub.json()["id"]}
    product_ref = {"id": "p", "@type": "Product"}
    event = {"@type": "ProductCreateEvent", "eventId": "e-1", "event": {"product": product_ref}}
    answers = {}
    for operation_id, method, path in _operations(api.spec):
        target = next((path.replace("{id}", v) for p, v in ids.items() if path.startswith(p)), path)
        body: Any = None
        if path.startswith("/listener/"):
            # v5's batch event carries a list of products, v4's one product.
            batch = path.endswith("BatchEvent") and api is API_V5
            body = {**event, "event": {"product": [product_ref]}} if batch else event
        elif method == "post" and path == "/product":
            body = v4_product() if api is INVENTORY_V4 else {"name": "x"}
        elif method == "post" and path == "/hub":
            body = {"callback": "https://example.com/tmf"}
        elif method == "patch":
            body = {"description": "reached"}
        if method == "delete":
            continue  # checked last, below, so that the others find what they act on
        answers[operation_id] = client.request(
            method.upper(), f"{api.base_path}{target}", json=body
        )
    for path, value in ids.items():
        answers[f"delete {path}"] = client.delete(f"{api.base_path}{path.replace('{id}', value)}")

    failed = {o: (r.status_code, r.text) for o, r in answers.items() if r.status_code >= 300}
    assert failed == {}
