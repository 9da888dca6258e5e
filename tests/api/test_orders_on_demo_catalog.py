"""Orders against the demo catalog (tmf_apis/tmf620/demo.py) as a channel would place them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.api.test_orders import ORDERS, as_customer, item, move_items, new_customer, place, read
from tmf_apis.tmf620 import demo

CATALOG = "/tmf-api/productCatalogManagement/v4"


@pytest.fixture(scope="module")
def catalog(live_server) -> demo.DemoCatalog:
    return demo.load(live_server.url, offerings=20, seed=7)


def listed(live_server, path: str, **query: Any) -> list[dict[str, Any]]:
    response = live_server.client.get(f"{CATALOG}/{path}", params={"limit": 200, **query})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def discounted_offering(live_server, catalog: demo.DemoCatalog) -> tuple[dict[str, Any], Decimal]:
    """A launched offering of the demo catalog with a percentage discount on its monthly fee,
    and the discounted monthly amount the catalog implies."""
    for discount_id in catalog.discounts:
        discount = live_server.client.get(f"{CATALOG}/productOfferingPrice/{discount_id}").json()
        offers = listed(live_server, "productOffering", **{"productOfferingPrice.id": discount_id})
        launched = [o for o in offers if o["lifecycleStatus"] == "Launched" and not o["isBundle"]]
        if "percentage" in discount and launched:
            target = discount["popRelationship"][0]["id"]
            fee = live_server.client.get(f"{CATALOG}/productOfferingPrice/{target}").json()
            amount = Decimal(str(fee["price"]["value"]))
            net = amount * (100 - Decimal(str(discount["percentage"]))) / 100
            return launched[0], net.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    raise AssertionError("the demo catalog has no launched offering with a percentage discount")


def test_a_discounted_demo_offering_is_priced_and_fulfilled(live_server, catalog) -> None:
    client = live_server.client
    offering, monthly = discounted_offering(live_server, catalog)
    buyer = new_customer(client)

    placed = place(client, [item("1", offering, quantity=2)], relatedParty=as_customer(buyer))

    recurring = next(t for t in placed["orderTotalPrice"] if t["priceType"] == "recurring")
    assert recurring["price"]["dutyFreeAmount"]["value"] == float(monthly * 2)
    order = read(client, placed["id"])
    assert order["state"] == "inProgress"
    assert move_items(client, order, "completed").json()["state"] == "completed"


def test_a_retired_demo_offering_is_rejected(live_server, catalog) -> None:
    retired = listed(live_server, "productOffering", lifecycleStatus="Retired")
    assert retired, "the demo catalog of seed 7 retires some offerings"
    placed = place(live_server.client, [item("1", retired[0])])
    order = read(live_server.client, placed["id"])
    assert order["state"] == "rejected"
    assert "Retired" in order["note"][0]["text"]


def test_a_demo_bundle_is_ordered_with_its_members(live_server, catalog) -> None:
    launched = listed(live_server, "productOffering", isBundle="true", lifecycleStatus="Launched")
    bundle = next(b for b in launched if b["id"] in catalog.bundles)
    members = [
        item(f"1.{n}", member) for n, member in enumerate(bundle["bundledProductOffering"], start=1)
    ]

    placed = place(live_server.client, [item("1", bundle, productOrderItem=members)])

    order = read(live_server.client, placed["id"])
    assert order["state"] == "inProgress", order.get("note")
    priced = [m for m in placed["productOrderItem"][0]["productOrderItem"] if "itemPrice" in m]
    discounted = [p for m in priced for p in m["itemPrice"] if p.get("priceAlteration")]
    assert priced and discounted, "the bundle discount reduces its members' monthly fees"
    cancelled = live_server.client.post(
        f"{ORDERS}/cancelProductOrder", json={"productOrder": {"id": placed["id"]}}
    )
    assert cancelled.json()["state"] == "done"
