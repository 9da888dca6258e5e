"""Versions of catalog entities over HTTP (TMF630 part 4): POST with an existing id adds one."""

from __future__ import annotations

from tests.api.test_catalog import ROOT, get, post
from tests.builders import product_offering, product_offering_price


def test_posting_an_existing_id_with_a_new_version_adds_the_latest(live_server) -> None:
    client = live_server.client
    first = post(client, "productOffering", product_offering(version="1.0"))

    response = client.post(
        f"{ROOT}/productOffering",
        json=product_offering(id=first["id"], version="2.0", name="Unlimited 5G, version 2"),
    )

    assert response.status_code == 201, response.text
    second = response.json()
    assert second["id"] == first["id"]
    assert response.headers["Location"] == f"{second['href']}?version=2.0"
    assert get(client, "productOffering", first["id"])["version"] == "2.0"
    older = client.get(f"{ROOT}/productOffering/{first['id']}", params={"version": "1.0"})
    assert older.status_code == 200
    assert older.json()["name"] == first["name"]
    listed = client.get(f"{ROOT}/productOffering", params={"id": first["id"]})
    assert [o["version"] for o in listed.json()] == ["2.0"]  # lists show the latest


def test_a_version_that_exists_is_409_and_an_unknown_id_is_400(live_server) -> None:
    client = live_server.client
    price = post(client, "productOfferingPrice", product_offering_price(version="1.0"))

    again = client.post(
        f"{ROOT}/productOfferingPrice", json=product_offering_price(id=price["id"], version="1.0")
    )
    unknown = client.post(
        f"{ROOT}/productOfferingPrice", json=product_offering_price(id="nowhere", version="2.0")
    )
    no_version = client.post(f"{ROOT}/productOfferingPrice", json={**price, "version": None})

    assert again.status_code == 409
    assert unknown.status_code == 400
    assert "nowhere" in unknown.json()["message"]
    assert no_version.status_code == 400
    assert client.get(f"{ROOT}/productOfferingPrice/{price['id']}?version=2.0").status_code == 404


def test_deleting_one_version_keeps_the_others(live_server) -> None:
    client = live_server.client
    first = post(client, "productOffering", product_offering(version="1.0"))
    post(client, "productOffering", product_offering(id=first["id"], version="1.1"))

    gone = client.delete(f"{ROOT}/productOffering/{first['id']}", params={"version": "1.1"})

    assert gone.status_code == 204
    assert get(client, "productOffering", first["id"])["version"] == "1.0"
    assert client.delete(f"{ROOT}/productOffering/{first['id']}").status_code == 204
    assert client.get(f"{ROOT}/productOffering/{first['id']}?version=1.0").status_code == 404


def test_a_patch_may_not_renumber_the_latest_below_an_older_version(live_server) -> None:
    client = live_server.client
    first = post(client, "productOffering", product_offering(version="1.0"))
    post(client, "productOffering", product_offering(id=first["id"], version="2.0"))

    response = client.patch(f"{ROOT}/productOffering/{first['id']}", json={"version": "0.9"})

    assert response.status_code == 409
    assert get(client, "productOffering", first["id"])["version"] == "2.0"
