"""Orders a telecom checks first: the quote is the bill to the cent, a bundle ordered as one item
is priced and charged, and fulfilment says how items move when it refuses a change."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_billing import account_holder, bill_run, bills, rates
from tests.api.test_orders import (
    ORDERS,
    VAT,
    as_customer,
    item,
    move_items,
    offering,
    place,
    price,
    read,
)

JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def monthly(client: httpx.Client, amount: float, **body: Any) -> dict[str, Any]:
    return price(client, name=f"Fee {amount}", price={"unit": "EUR", "value": amount}, **body)


def percent_off(client: httpx.Client, percentage: float, *prices: dict[str, Any]) -> dict[str, Any]:
    return price(
        client,
        name=f"{percentage} % off",
        priceType="discount",
        percentage=percentage,
        price=None,
        popRelationship=[{"id": p["id"], "relationshipType": "discounts"} for p in prices],
    )


def test_the_quote_is_what_the_customer_is_billed_to_the_cent(live_server) -> None:
    client = live_server.client
    fee = monthly(client, 24.29, tax=VAT)
    plan = offering(client, [fee, percent_off(client, 10, fee)], name="Plan 24.29")
    buyer, account = account_holder(client)

    placed = place(client, [item("1", plan)], relatedParty=as_customer(buyer))
    [total] = placed["orderTotalPrice"]
    order = read(client, placed["id"])
    assert move_items(client, order, "completed").status_code == 200
    assert bill_run(client, days_ahead=1)["state"] == "done"
    [bill] = bills(client, **{"billingAccount.id": account})

    assert total["price"]["dutyFreeAmount"]["value"] == 21.86  # 24.29 - 2.43
    assert total["price"]["taxIncludedAmount"]["value"] == 26.23  # + 4.37 VAT
    assert bill["taxExcludedAmount"]["value"] == 21.86
    assert bill["taxIncludedAmount"]["value"] == 26.23
    assert bill["taxItem"][0]["taxAmount"]["value"] == 4.37


def test_a_tax_included_catalog_price_is_billed_as_shown(live_server) -> None:
    client = live_server.client
    fee = monthly(client, 29.99, tax=VAT, isTaxIncluded=True)
    plan = offering(client, [fee], name="Plan 29.99 with VAT")
    buyer, account = account_holder(client)

    placed = place(client, [item("1", plan, quantity=3)], relatedParty=as_customer(buyer))
    assert move_items(client, read(client, placed["id"]), "completed").status_code == 200
    [rate] = rates(client, account)

    assert placed["orderTotalPrice"][0]["price"]["taxIncludedAmount"]["value"] == 89.97
    assert placed["orderTotalPrice"][0]["price"]["dutyFreeAmount"]["value"] == 74.97
    assert (rate["taxExcludedAmount"]["value"], rate["taxIncludedAmount"]["value"]) == (
        74.97,
        89.97,
    )


def bundle_of_two(client: httpx.Client, **option: int) -> tuple[dict[str, Any], ...]:
    """Fibre 40.00 and TV 10.00 a month, bundled with 10 % off both; `option` limits the TV."""
    fibre_fee, tv_fee = monthly(client, 40, tax=VAT), monthly(client, 10, tax=VAT)
    fibre = offering(client, [fibre_fee], name="Fibre")
    tv = offering(client, [tv_fee], name="TV")
    tv_entry: dict[str, Any] = {"id": tv["id"], "name": "TV"}
    if option:
        tv_entry["bundledProductOfferingOption"] = option
    bundle = offering(
        client,
        [percent_off(client, 10, fibre_fee, tv_fee)],
        name="Fibre + TV",
        isBundle=True,
        bundledProductOffering=[{"id": fibre["id"], "name": "Fibre"}, tv_entry],
    )
    return bundle, fibre, tv


def test_a_bundle_ordered_as_one_item_is_priced_fulfilled_and_charged(live_server) -> None:
    client = live_server.client
    bundle, fibre, tv = bundle_of_two(client)
    buyer, account = account_holder(client)

    placed = place(client, [item("1", bundle, quantity=2)], relatedParty=as_customer(buyer))
    members = placed["productOrderItem"][0]["productOrderItem"]
    order = read(client, placed["id"])
    done = move_items(client, order, "completed")
    charged = rates(client, account)

    assert [(m["id"], m["productOffering"]["id"], m["quantity"]) for m in members] == [
        ("1.1", fibre["id"], 2),
        ("1.2", tv["id"], 2),
    ]
    assert order["state"] == "inProgress", order.get("note")
    # (40 + 10) less 10 %, two of each: 90.00 without tax, 108.00 with.
    assert placed["orderTotalPrice"][0]["price"]["dutyFreeAmount"]["value"] == 90.0
    assert placed["orderTotalPrice"][0]["price"]["taxIncludedAmount"]["value"] == 108.0
    assert done.status_code == 200, done.text
    assert {m["state"] for m in done.json()["productOrderItem"][0]["productOrderItem"]} == {
        "completed"
    }
    assert sum(r["taxExcludedAmount"]["value"] for r in charged) == 90.0
    assert sum(r["taxIncludedAmount"]["value"] for r in charged) == 108.0


def test_a_bundle_needing_a_choice_is_rejected_with_a_note_naming_it(live_server) -> None:
    client = live_server.client
    bundle, _, _ = bundle_of_two(client, numberRelOfferLowerLimit=0, numberRelOfferUpperLimit=3)

    order = read(client, place(client, [item("1", bundle)])["id"])

    assert order["state"] == "rejected"
    [note] = order["note"]
    assert "'TV'" in note["text"] and "0 to 3" in note["text"], note
    assert "productOrderItem" in note["text"]


def test_a_bundle_with_a_default_member_count_gets_that_many(live_server) -> None:
    client = live_server.client
    bundle, _, tv = bundle_of_two(
        client, numberRelOfferLowerLimit=1, numberRelOfferUpperLimit=5, numberRelOfferDefault=3
    )

    placed = place(client, [item("1", bundle)])

    tv_item = placed["productOrderItem"][0]["productOrderItem"][1]
    assert (tv_item["productOffering"]["id"], tv_item["quantity"]) == (tv["id"], 3)


def test_items_move_by_json_patch(live_server) -> None:
    client = live_server.client
    plan = offering(client, [monthly(client, 5, tax=VAT)], name="Plan 5")
    order = read(client, place(client, [item("1", plan), item("2", plan)])["id"])

    response = client.patch(
        f"{ORDERS}/productOrder/{order['id']}",
        headers=JSON_PATCH,
        json=[
            {"op": "replace", "path": "/productOrderItem/0/state", "value": "completed"},
            {"op": "replace", "path": "/productOrderItem/1/state", "value": "failed"},
        ],
    )

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "partial"


def test_items_move_by_a_merge_patch_of_the_whole_items(live_server) -> None:
    client = live_server.client
    plan = offering(client, [monthly(client, 5, tax=VAT)], name="Plan 5")
    order = read(client, place(client, [item("1", plan)])["id"])

    response = move_items(client, order, "completed")

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "completed"


def test_a_merge_patch_of_bare_item_states_names_what_is_missing(live_server) -> None:
    client = live_server.client
    plan = offering(client, [monthly(client, 5, tax=VAT)], name="Plan 5")
    order = read(client, place(client, [item("1", plan)])["id"])
    url = f"{ORDERS}/productOrder/{order['id']}"

    bare = client.patch(url, json={"productOrderItem": [{"id": "1", "state": "completed"}]})
    partial = client.patch(
        url, json={"productOrderItem": [{"id": "1", "action": "add", "state": "completed"}]}
    )

    assert bare.status_code == 400
    assert "productOrderItem[0]" in bare.json()["message"]
    assert "action" in bare.json()["message"]
    assert partial.status_code == 409
    message = partial.json()["message"]
    assert "item '1': itemPrice, itemTotalPrice, productOffering would be removed" in message
    assert "JSON Patch" in message and "/productOrderItem/0/state" in message
    assert "merge patch" in message
    assert read(client, order["id"])["productOrderItem"][0]["state"] == "inProgress"
