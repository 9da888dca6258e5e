"""Bundles of offerings, specifications and prices over HTTP (tmf_apis/tmf620/rules.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_catalog import ROOT, post
from tests.builders import product_offering


def bundle_of(*members: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    parts = [{"id": m["id"], "name": m["name"]} for m in members]
    return product_offering(**{"isBundle": True, "bundledProductOffering": parts, **overrides})


def test_a_bundle_lists_its_components(live_server) -> None:
    fibre = post(live_server.client, "productOffering", product_offering(name="Fibre 1G"))
    tv = post(live_server.client, "productOffering", product_offering(name="TV Max"))
    bundle = post(live_server.client, "productOffering", bundle_of(fibre, tv))
    assert [p["id"] for p in bundle["bundledProductOffering"]] == [fibre["id"], tv["id"]]


def test_components_without_is_bundle_make_a_bundle(live_server) -> None:
    member = post(live_server.client, "productOffering", product_offering())
    body = bundle_of(member)
    del body["isBundle"]
    assert post(live_server.client, "productOffering", body)["isBundle"] is True


def test_components_on_a_non_bundle_are_refused(live_server) -> None:
    member = post(live_server.client, "productOffering", product_offering())
    response = live_server.client.post(
        f"{ROOT}/productOffering", json=bundle_of(member, isBundle=False)
    )
    assert response.status_code == 400
    assert "isBundle" in response.json()["message"]


def test_an_empty_bundle_may_be_designed_but_not_launched(live_server) -> None:
    empty = post(live_server.client, "productOffering", product_offering(isBundle=True))
    launched = live_server.client.post(
        f"{ROOT}/productOffering", json=product_offering(isBundle=True, lifecycleStatus="Launched")
    )
    moved = live_server.client.patch(
        f"{ROOT}/productOffering/{empty['id']}", json={"lifecycleStatus": "In design"}
    )
    assert launched.status_code == 400
    assert moved.status_code == 200


def test_a_bundle_cannot_contain_itself_through_another(live_server) -> None:
    member = post(live_server.client, "productOffering", product_offering())
    inner = post(live_server.client, "productOffering", bundle_of(member))
    outer = post(live_server.client, "productOffering", bundle_of(inner))

    cycle = live_server.client.patch(
        f"{ROOT}/productOffering/{inner['id']}",
        json={"bundledProductOffering": [{"id": member["id"]}, {"id": outer["id"]}]},
    )

    assert cycle.status_code == 409
    assert "itself" in cycle.json()["message"]


@pytest.mark.parametrize(
    "option",
    [
        {"numberRelOfferLowerLimit": 2, "numberRelOfferUpperLimit": 1},
        {"numberRelOfferLowerLimit": 1, "numberRelOfferDefault": 3, "numberRelOfferUpperLimit": 2},
        {"numberRelOfferLowerLimit": -1},
    ],
)
def test_bundle_option_limits_must_be_ordered(live_server, option: dict[str, int]) -> None:
    member = post(live_server.client, "productOffering", product_offering())
    body = bundle_of(member)
    body["bundledProductOffering"][0]["bundledProductOfferingOption"] = option
    response = live_server.client.post(f"{ROOT}/productOffering", json=body)
    assert response.status_code == 400


def test_price_and_specification_bundles_follow_the_same_rules(live_server) -> None:
    monthly = post(live_server.client, "productOfferingPrice", {"name": "Monthly"})
    price_bundle = post(
        live_server.client,
        "productOfferingPrice",
        {"name": "Bundle price", "bundledPopRelationship": [{"id": monthly["id"]}]},
    )
    spec = post(live_server.client, "productSpecification", {"name": "Fibre line"})
    refused = live_server.client.post(
        f"{ROOT}/productSpecification",
        json={"name": "Not a bundle", "isBundle": False, "bundledProductSpecification": [spec]},
    )
    assert price_bundle["isBundle"] is True
    assert refused.status_code == 400
