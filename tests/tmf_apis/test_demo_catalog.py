"""The demo catalog, loaded through the API into the test server and read back with GET."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tmf_apis.tmf620 import demo

ROOT = "/tmf-api/productCatalogManagement/v4"
OFFERINGS = 30
SEED = 7


@pytest.fixture(scope="module")
def loaded(live_server) -> demo.DemoCatalog:
    return demo.load(live_server.url, OFFERINGS, SEED)


def get(client: httpx.Client, path: str) -> Any:
    response = client.get(f"{ROOT}/{path}")
    assert response.status_code in (200, 206), response.text
    return response.json()


def total(client: httpx.Client, query: str) -> int:
    response = client.get(f"{ROOT}/productOffering?{query}&limit=1")
    assert response.status_code in (200, 206), response.text
    return int(response.headers["X-Total-Count"])


def test_every_offering_is_listed_under_one_root_category(live_server, loaded) -> None:
    client = live_server.client
    assert loaded.count("productOffering") == OFFERINGS
    assert len(loaded.bundles) == OFFERINGS // demo.BUNDLE_EVERY
    roots = [loaded.categories[root] for root in demo.CATEGORY_TREE]
    assert sum(total(client, f"category.id={root}") for root in roots) == OFFERINGS
    assert total(client, f"category.id={loaded.categories['Bundles']}&isBundle=true") == len(
        loaded.bundles
    )


def test_the_category_tree_is_built_from_parent_ids(live_server, loaded) -> None:
    for root, children in demo.CATEGORY_TREE.items():
        category = get(live_server.client, f"category/{loaded.categories[root]}")
        assert category["isRoot"] is True
        assert [c["name"] for c in category.get("subCategory", [])] == list(children)
        for child in children:
            sub = get(live_server.client, f"category/{loaded.categories[f'{root}/{child}']}")
            assert sub["isRoot"] is False and sub["parentId"] == category["id"]
    catalog = get(live_server.client, f"catalog/{loaded.catalog_id}")
    assert [c["name"] for c in catalog["category"]] == list(demo.CATEGORY_TREE)


def test_bundles_take_in_launched_simple_offerings(live_server, loaded) -> None:
    for bundle_id in loaded.bundles:
        bundle = get(live_server.client, f"productOffering/{bundle_id}")
        assert bundle["isBundle"] is True and bundle["bundledProductOffering"]
        for member in bundle["bundledProductOffering"]:
            option = member["bundledProductOfferingOption"]
            assert (
                option["numberRelOfferLowerLimit"]
                <= option["numberRelOfferDefault"]
                <= option["numberRelOfferUpperLimit"]
            )
            offering = get(live_server.client, f"productOffering/{member['id']}")
            assert member["id"] != bundle_id and offering["isBundle"] is False
            assert offering["lifecycleStatus"] == member["lifecycleStatus"] == "Launched"
        [discount] = bundle["productOfferingPrice"]
        assert get(live_server.client, f"productOfferingPrice/{discount['id']}")["percentage"] > 0


def test_discounts_name_the_prices_they_reduce(live_server, loaded) -> None:
    assert len(loaded.discounts) > len(loaded.bundles)  # simple offerings have some too
    for discount_id in loaded.discounts:
        discount = get(live_server.client, f"productOfferingPrice/{discount_id}")
        assert discount["priceType"] == "discount"
        assert ("percentage" in discount) != ("price" in discount)
        for reduced in discount["popRelationship"]:
            assert reduced["relationshipType"] == "discounts"
            price = get(live_server.client, f"productOfferingPrice/{reduced['id']}")
            assert price["priceType"] == "recurring"
        assert total(live_server.client, f"productOfferingPrice.id={discount_id}") == 1


def test_prices_follow_the_pricing_convention(live_server, loaded) -> None:
    charged = set(loaded.ids["productOfferingPrice"]) - set(loaded.discounts)
    for price_id in charged:
        price = get(live_server.client, f"productOfferingPrice/{price_id}")
        assert price["priceType"] in ("oneTime", "recurring", "usage")
        assert price["price"]["unit"] == "EUR" and price["price"]["value"] >= 0
        assert price["tax"] == [{"taxCategory": "VAT", "taxRate": 20}]
        if price["priceType"] == "recurring":
            assert price["recurringChargePeriodType"] == "month"
            assert price["recurringChargePeriodLength"] == 1


def test_simple_offerings_reference_their_specification(live_server, loaded) -> None:
    simple = set(loaded.ids["productOffering"]) - set(loaded.bundles)
    for offering_id in sorted(simple)[:10]:
        offering = get(live_server.client, f"productOffering/{offering_id}")
        spec = get(
            live_server.client, f"productSpecification/{offering['productSpecification']['id']}"
        )
        assert spec["productNumber"] and spec["productSpecCharacteristic"]
        assert offering["productOfferingPrice"] and offering["version"] == "1.0"


def test_the_same_seed_loads_the_same_content(live_server, loaded) -> None:
    again = demo.load(live_server.url, OFFERINGS, SEED)

    def names(catalog: demo.DemoCatalog) -> list[str]:
        return [
            get(live_server.client, f"productOffering/{i}")["name"]
            for i in catalog.ids["productOffering"]
        ]

    assert names(again) == names(loaded)


def test_a_refused_post_stops_the_load_with_exit_code_2(live_server, capsys) -> None:
    status = demo.main(["--url", f"{live_server.url}/elsewhere", "--offerings", "11"])
    assert status == demo.EXIT_NOT_LOADED
    assert "answered 404" in capsys.readouterr().err
