"""TMF620's own rules over HTTP: lifecycle, lastUpdate, the category tree, deletes, bundles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import (
    category,
    product_offering,
    product_offering_price,
    product_specification,
    unique,
)

ROOT = "/tmf-api/productCatalogManagement/v4"


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{ROOT}/{path}", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def get(client: httpx.Client, path: str, resource_id: str) -> dict[str, Any]:
    response = client.get(f"{ROOT}/{path}/{resource_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def move(client: httpx.Client, offering_id: str, status: str) -> httpx.Response:
    return client.patch(f"{ROOT}/productOffering/{offering_id}", json={"lifecycleStatus": status})


def test_new_entities_start_in_study_with_last_update(live_server) -> None:
    created = post(live_server.client, "productOffering", product_offering())
    assert created["lifecycleStatus"] == "In study"
    assert created["lastUpdate"].endswith("Z")


def test_the_lifecycle_moves_forward_through_its_graph(live_server) -> None:
    offering = post(live_server.client, "productOffering", product_offering())
    stamps = [offering["lastUpdate"]]
    for status in ("In design", "In test", "Launched", "Retired", "Obsolete"):
        response = move(live_server.client, offering["id"], status)
        assert response.status_code == 200, response.text
        assert response.json()["lifecycleStatus"] == status
        stamps.append(response.json()["lastUpdate"])
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    ("start", "target"),
    [("In study", "Launched"), ("In study", "Retired"), ("Launched", "In design")],
)
def test_illegal_lifecycle_moves_are_409(live_server, start: str, target: str) -> None:
    offering = post(live_server.client, "productOffering", product_offering(lifecycleStatus=start))
    response = move(live_server.client, offering["id"], target)
    assert response.status_code == 409
    assert target in response.json()["message"]
    assert get(live_server.client, "productOffering", offering["id"])["lifecycleStatus"] == start


def test_obsolete_is_final(live_server) -> None:
    price = post(
        live_server.client,
        "productOfferingPrice",
        product_offering_price(lifecycleStatus="Retired"),
    )
    moved = live_server.client.patch(
        f"{ROOT}/productOfferingPrice/{price['id']}", json={"lifecycleStatus": "Obsolete"}
    )
    assert moved.status_code == 200
    again = live_server.client.patch(
        f"{ROOT}/productOfferingPrice/{price['id']}", json={"lifecycleStatus": "Launched"}
    )
    assert again.status_code == 409


def test_unknown_lifecycle_statuses_are_400(live_server) -> None:
    response = live_server.client.post(
        f"{ROOT}/productSpecification", json=product_specification(lifecycleStatus="Sort of live")
    )
    assert response.status_code == 400


def test_last_update_cannot_be_patched(live_server) -> None:
    offering = post(live_server.client, "productOffering", product_offering())
    response = live_server.client.patch(
        f"{ROOT}/productOffering/{offering['id']}", json={"lastUpdate": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 400


def test_a_subcategory_is_listed_by_its_parent(live_server) -> None:
    parent = post(live_server.client, "category", category())
    child = post(live_server.client, "category", category(parentId=parent["id"]))
    assert parent["isRoot"] is True and child["isRoot"] is False
    refreshed = get(live_server.client, "category", parent["id"])
    assert refreshed["subCategory"] == [{"id": child["id"], "name": child["name"]}]


def test_moving_a_category_updates_both_parents(live_server) -> None:
    first = post(live_server.client, "category", category())
    second = post(live_server.client, "category", category())
    child = post(live_server.client, "category", category(parentId=first["id"]))
    moved = live_server.client.patch(
        f"{ROOT}/category/{child['id']}", json={"parentId": second["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert get(live_server.client, "category", first["id"]).get("subCategory") == []
    assert [c["id"] for c in get(live_server.client, "category", second["id"])["subCategory"]] == [
        child["id"]
    ]
    made_root = live_server.client.patch(f"{ROOT}/category/{child['id']}", json={"parentId": None})
    assert made_root.json()["isRoot"] is True
    assert get(live_server.client, "category", second["id"]).get("subCategory") == []


def test_a_category_cannot_move_under_itself_or_a_descendant(live_server) -> None:
    top = post(live_server.client, "category", category())
    middle = post(live_server.client, "category", category(parentId=top["id"]))
    bottom = post(live_server.client, "category", category(parentId=middle["id"]))
    for target in (top["id"], bottom["id"]):
        response = live_server.client.patch(
            f"{ROOT}/category/{top['id']}", json={"parentId": target}
        )
        assert response.status_code == 409


def test_an_unknown_parent_category_is_refused(live_server) -> None:
    response = live_server.client.post(f"{ROOT}/category", json=category(parentId="nope"))
    assert response.status_code == 409


def test_clients_cannot_write_the_tree_attributes(live_server) -> None:
    created = post(
        live_server.client, "category", category(isRoot=False, subCategory=[{"id": "x"}])
    )
    assert created["isRoot"] is True and "subCategory" not in created
    response = live_server.client.patch(
        f"{ROOT}/category/{created['id']}", json={"subCategory": [{"id": "x"}]}
    )
    assert response.status_code == 400


def test_deleting_a_category_with_children_is_409_then_allowed(live_server) -> None:
    parent = post(live_server.client, "category", category())
    child = post(live_server.client, "category", category(parentId=parent["id"]))
    assert live_server.client.delete(f"{ROOT}/category/{parent['id']}").status_code == 409
    assert live_server.client.delete(f"{ROOT}/category/{child['id']}").status_code == 204
    assert get(live_server.client, "category", parent["id"]).get("subCategory") == []
    assert live_server.client.delete(f"{ROOT}/category/{parent['id']}").status_code == 204


def test_deleting_what_an_offering_uses_is_409(live_server) -> None:
    spec = post(live_server.client, "productSpecification", product_specification())
    price = post(live_server.client, "productOfferingPrice", product_offering_price())
    offering = post(
        live_server.client,
        "productOffering",
        product_offering(
            productSpecification={"id": spec["id"], "name": spec["name"]},
            productOfferingPrice=[{"id": price["id"], "name": price["name"]}],
        ),
    )
    assert live_server.client.delete(f"{ROOT}/productSpecification/{spec['id']}").status_code == 409
    assert (
        live_server.client.delete(f"{ROOT}/productOfferingPrice/{price['id']}").status_code == 409
    )
    assert live_server.client.delete(f"{ROOT}/productOffering/{offering['id']}").status_code == 204
    assert live_server.client.delete(f"{ROOT}/productSpecification/{spec['id']}").status_code == 204
    assert (
        live_server.client.delete(f"{ROOT}/productOfferingPrice/{price['id']}").status_code == 204
    )


def test_a_bundled_offering_cannot_be_deleted_while_bundled(live_server) -> None:
    member = post(live_server.client, "productOffering", product_offering())
    bundle = post(
        live_server.client,
        "productOffering",
        product_offering(
            isBundle=True,
            bundledProductOffering=[{"id": member["id"], "name": member["name"]}],
        ),
    )
    assert bundle["bundledProductOffering"][0]["id"] == member["id"]
    assert live_server.client.delete(f"{ROOT}/productOffering/{member['id']}").status_code == 409


def test_a_discounted_price_keeps_its_alterations(live_server) -> None:
    discount = post(
        live_server.client,
        "productOfferingPrice",
        product_offering_price(
            name=unique("Loyalty discount"),
            priceType="discount",
            percentage=10,
            price={"unit": "EUR", "value": 0},
        ),
    )
    fee = post(
        live_server.client,
        "productOfferingPrice",
        product_offering_price(
            popRelationship=[{"id": discount["id"], "name": discount["name"]}],
        ),
    )
    stored = get(live_server.client, "productOfferingPrice", fee["id"])
    assert stored["popRelationship"] == [{"id": discount["id"], "name": discount["name"]}]
    assert get(live_server.client, "productOfferingPrice", discount["id"])["percentage"] == 10
