"""TMF620 v5 beside v4 on one store: what one edition writes, the other reads, lists, patches and
hears about, each in its own shape (tmf_apis/tmf620/v5.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import (
    catalog,
    category,
    product_offering,
    product_offering_price,
    product_specification,
    unique,
)
from tests.listener import running_listener
from tmf_apis.tmf620.registry import API, API_V5

V4, V5 = API.base_path, API_V5.base_path
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
PATCH_QUERY = {"Content-Type": "application/json-patch-query+json"}


def post(client: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def get(client: httpx.Client, url: str, **params: str) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def v4_specification(client: httpx.Client) -> dict[str, Any]:
    return post(
        client,
        f"{V4}/productSpecification",
        product_specification(
            relatedParty=[{"id": "acme", "role": "owner", "@referredType": "Organization"}],
            productSpecCharacteristic=[
                {
                    "name": "colour",
                    "valueType": "string",
                    "productSpecCharacteristicValue": [
                        {"value": "red", "isDefault": True},
                        {"value": "blue"},
                    ],
                    "productSpecCharRelationship": [
                        {
                            "id": "size",
                            "href": "https://example.com/spec/s-1",
                            "relationshipType": "dependsOn",
                        }
                    ],
                },
                {
                    "name": "storageGB",
                    "valueType": "integer",
                    "productSpecCharacteristicValue": [{"value": 64}],
                },
            ],
        ),
    )


def test_a_v4_catalog_is_a_v5_product_catalog(live_server) -> None:
    client = live_server.client
    created = post(
        client,
        f"{V4}/catalog",
        catalog(relatedParty=[{"id": "acme", "role": "owner", "@referredType": "Organization"}]),
    )

    shown = get(client, f"{V5}/productCatalog/{created['id']}")

    assert shown["@type"] == "Catalog"  # as v4 wrote it, and as v5's own examples do
    assert shown["href"].endswith(f"{V5}/productCatalog/{created['id']}")
    assert shown["relatedParty"] == [
        {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "role": "owner",
            "partyOrPartyRole": {
                "id": "acme",
                "@referredType": "Organization",
                "@type": "PartyRef",
            },
        }
    ]
    listed = get(client, f"{V5}/productCatalog", **{"relatedParty.partyOrPartyRole.id": "acme"})
    assert created["id"] in [c["id"] for c in listed]


def test_a_v5_product_catalog_is_a_v4_catalog(live_server) -> None:
    client = live_server.client
    body = {
        "name": unique("Retail"),
        "@type": "ProductCatalog",
        "relatedParty": [
            {
                "@type": "RelatedPartyRefOrPartyRoleRef",
                "role": "owner",
                "partyOrPartyRole": {
                    "id": "acme",
                    "@referredType": "Organization",
                    "@type": "PartyRef",
                },
            }
        ],
    }
    created = post(client, f"{V5}/productCatalog", body)

    stored = get(client, f"{V4}/catalog/{created['id']}")

    assert stored["@type"] == "ProductCatalog"
    assert stored["relatedParty"] == [
        {"id": "acme", "role": "owner", "@referredType": "Organization"}
    ]
    assert stored["lifecycleStatus"] == "In study"  # the catalog rules ran


def test_the_category_tree_is_one_tree_in_both_editions(live_server) -> None:
    client = live_server.client
    root = post(client, f"{V4}/category", category())
    child = post(
        client,
        f"{V5}/category",
        category(parent={"id": root["id"], "name": root["name"], "@type": "CategoryRef"}),
    )

    assert child["parent"]["id"] == root["id"] and child["isRoot"] is False
    stored = get(client, f"{V4}/category/{child['id']}")
    assert stored["parentId"] == root["id"]
    parent = get(client, f"{V5}/category/{root['id']}")
    assert parent["subCategory"] == [
        {"id": child["id"], "name": child["name"], "@type": "CategoryRef"}
    ]
    by_parent = get(client, f"{V5}/category", **{"parent.id": root["id"], "fields": "parent"})
    assert by_parent == [
        {
            "id": child["id"],
            "href": child["href"],
            "@type": "Category",
            "parent": {"id": root["id"], "@type": "CategoryRef"},
        }
    ]


def test_moving_a_category_through_v5_moves_it_for_v4(live_server) -> None:
    client = live_server.client
    first, second = (post(client, f"{V4}/category", category()) for _ in range(2))
    child = post(client, f"{V4}/category", category(parentId=first["id"]))

    moved = client.patch(
        f"{V5}/category/{child['id']}", headers=MERGE, json={"parent": {"id": second["id"]}}
    )

    assert moved.status_code == 200, moved.text
    assert get(client, f"{V4}/category/{child['id']}")["parentId"] == second["id"]
    assert get(client, f"{V4}/category/{first['id']}").get("subCategory") == []
    rooted = client.patch(f"{V5}/category/{child['id']}", headers=MERGE, json={"parent": None})
    assert rooted.status_code == 200, rooted.text
    stored = get(client, f"{V4}/category/{child['id']}")
    assert "parentId" not in stored and stored["isRoot"] is True


def test_specification_characteristics_read_typed_in_v5(live_server) -> None:
    client = live_server.client
    created = v4_specification(client)

    shown = get(client, f"{V5}/productSpecification/{created['id']}")

    colour, storage = shown["productSpecCharacteristic"]
    assert [v["@type"] for v in colour["characteristicValueSpecification"]] == [
        "StringCharacteristicValueSpecification",
        "StringCharacteristicValueSpecification",
    ]
    # Its members differ from v5's charSpecRelationship: shown as the extension it is.
    assert colour["productSpecCharRelationship"][0]["id"] == "size"
    assert storage["characteristicValueSpecification"][0]["@type"] == (
        "IntegerCharacteristicValueSpecification"
    )
    assert shown["relatedParty"][0]["partyOrPartyRole"]["id"] == "acme"


def test_v5_specification_patches_reach_v4_readers(live_server) -> None:
    client = live_server.client
    created = v4_specification(client)
    target = f"{V5}/productSpecification/{created['id']}"

    merged = client.patch(target, headers=MERGE, json={"brand": "Acme Pro"})
    patched = client.patch(
        target,
        headers=JSON_PATCH,
        json=[
            {
                "op": "replace",
                "path": "/productSpecCharacteristic/0/characteristicValueSpecification/1/value",
                "value": "green",
            }
        ],
    )
    queried = client.patch(
        target,
        headers=PATCH_QUERY,
        json=[
            {
                "op": "replace",
                "path": "/productSpecCharacteristic/valueType"
                "?productSpecCharacteristic.name=storageGB",
                "value": "number",
            }
        ],
    )

    for response in (merged, patched, queried):
        assert response.status_code == 200, response.text
    stored = get(client, f"{V4}/productSpecification/{created['id']}")
    assert stored["brand"] == "Acme Pro"
    colour, storage = stored["productSpecCharacteristic"]
    # Untyped in v4 as before: the v5 defaults are not written back.
    assert colour["productSpecCharacteristicValue"] == [
        {"value": "red", "isDefault": True},
        {"value": "green"},
    ]
    assert colour["productSpecCharRelationship"][0]["id"] == "size"
    assert storage["valueType"] == "number"
    assert stored["relatedParty"] == created["relatedParty"]


def test_a_v5_specification_is_stored_in_v4_names(live_server) -> None:
    client = live_server.client
    body = product_specification(
        productSpecCharacteristic=[
            {
                "name": "speed",
                "valueType": "number",
                "@type": "CharacteristicSpecification",
                "characteristicValueSpecification": [
                    {"@type": "FloatCharacteristicValueSpecification", "value": 1.5},
                    {"@type": "NumberCharacteristicValueSpecification", "value": 2.5},
                ],
            }
        ]
    )
    created = post(client, f"{V5}/productSpecification", body)

    stored = get(client, f"{V4}/productSpecification/{created['id']}")

    [speed] = stored["productSpecCharacteristic"]
    # The kind v5 told from the value needs no @type; another kind is kept.
    assert speed["productSpecCharacteristicValue"] == [
        {"@type": "FloatCharacteristicValueSpecification", "value": 1.5},
        {"value": 2.5},
    ]
    again = get(client, f"{V5}/productSpecification/{created['id']}")
    assert again["productSpecCharacteristic"] == created["productSpecCharacteristic"]


def test_offerings_and_prices_list_sort_and_select_alike(live_server) -> None:
    client = live_server.client
    marker = unique("Tariff")
    price = post(client, f"{V4}/productOfferingPrice", product_offering_price(name=marker))
    offerings = [
        post(
            client,
            f"{V5}/productOffering",
            product_offering(
                name=f"{marker} {n}",
                productOfferingPrice=[{"id": price["id"], "name": price["name"]}],
                category=[{"id": "cat-x"}],
            ),
        )
        for n in ("b", "a")
    ]

    listed = get(
        client,
        f"{V5}/productOffering",
        **{"productOfferingPrice.id": price["id"], "sort": "name", "fields": "name,category"},
    )
    stored = get(client, f"{V4}/productOffering/{offerings[0]['id']}")
    shown_price = get(client, f"{V5}/productOfferingPrice/{price['id']}")

    assert [o["name"] for o in listed] == [f"{marker} a", f"{marker} b"]
    assert listed[0]["category"] == [{"id": "cat-x", "@type": "CategoryRef"}]
    assert offerings[0]["productOfferingPrice"][0]["@type"] == "ProductOfferingPriceRef"
    assert offerings[0]["productSpecification"]["@type"] == "ProductSpecificationRef"
    assert stored["productOfferingPrice"] == [{"id": price["id"], "name": price["name"]}]
    assert stored["category"] == [{"id": "cat-x"}]
    assert shown_price["@type"] == "ProductOfferingPrice" and shown_price["price"]["value"] == 19.99


def test_v5_offering_patches_reach_v4_readers(live_server) -> None:
    client = live_server.client
    created = post(client, f"{V4}/productOffering", product_offering(channel=[{"id": "web"}]))
    target = f"{V5}/productOffering/{created['id']}"

    merged = client.patch(target, headers=MERGE, json={"lifecycleStatus": "In design"})
    patched = client.patch(
        target,
        headers=JSON_PATCH,
        json=[{"op": "add", "path": "/channel/-", "value": {"id": "shop", "@type": "ChannelRef"}}],
    )

    assert merged.status_code == 200, merged.text
    assert patched.status_code == 200, patched.text
    stored = get(client, f"{V4}/productOffering/{created['id']}")
    assert stored["lifecycleStatus"] == "In design"
    assert stored["channel"] == [{"id": "web"}, {"id": "shop"}]
    assert stored["productSpecification"] == created["productSpecification"]


def test_an_export_job_of_product_catalogs_exports_the_catalogs(live_server) -> None:
    client = live_server.client
    job = post(client, f"{V5}/exportJob", {"url": "file:///ignored", "path": "/productCatalog"})

    assert job["path"] == "/productCatalog" and job["@type"] == "ExportJob"
    assert get(client, f"{V4}/exportJob/{job['id']}")["path"] == "/catalog"


def test_a_v5_listener_hears_v4_writes_in_v5_shape(events_server) -> None:
    client = events_server.client
    name = unique("Heard")
    with running_listener() as v5_listener, running_listener() as v4_listener:
        for root, listener in ((V5, v5_listener), (V4, v4_listener)):
            hub = client.post(
                f"{root}/hub",
                json={"callback": listener.url, "query": f"event.category.name={name}"},
            )
            assert hub.status_code == 201, hub.text
        parent = post(client, f"{V4}/category", category())
        created = post(client, f"{V4}/category", category(name=name, parentId=parent["id"]))
        [v5_event] = v5_listener.wait_count(1)
        [v4_event] = v4_listener.wait_count(1)

    shown = v5_event["event"]["category"]
    assert shown["href"].endswith(f"{V5}/category/{created['id']}")
    assert shown["@type"] == "Category"
    assert shown["parent"] == {"id": parent["id"], "@type": "CategoryRef"}
    assert "parentId" not in shown
    stored = v4_event["event"]["category"]
    assert stored["href"].endswith(f"{V4}/category/{created['id']}")
    assert stored["parentId"] == parent["id"] and "parent" not in stored


def test_catalog_events_are_product_catalog_events_to_v5_listeners(events_server) -> None:
    client = events_server.client
    name = unique("Heard catalog")
    with running_listener() as v5_listener, running_listener() as v4_listener:
        v5_hub = client.post(
            f"{V5}/hub",
            json={
                "callback": v5_listener.url,
                "query": f"eventType=ProductCatalogCreateEvent&event.productCatalog.name={name}",
            },
        )
        v4_hub = client.post(
            f"{V4}/hub",
            json={"callback": v4_listener.url, "query": f"event.catalog.name={name}"},
        )
        assert v5_hub.status_code == 201, v5_hub.text
        assert v4_hub.status_code == 201, v4_hub.text
        through_v4 = post(client, f"{V4}/catalog", catalog(name=name))
        through_v5 = post(client, f"{V5}/productCatalog", catalog(name=name))
        v5_events = v5_listener.wait_count(2)
        v4_events = v4_listener.wait_count(2)

    ids = {through_v4["id"], through_v5["id"]}
    assert {e["event"]["productCatalog"]["id"] for e in v5_events} == ids
    for event in v5_events:
        assert event["eventType"] == event["@type"] == "ProductCatalogCreateEvent"
        shown = event["event"]["productCatalog"]
        assert shown["href"].endswith(f"{V5}/productCatalog/{shown['id']}")
    assert {e["event"]["catalog"]["id"] for e in v4_events} == ids
    assert {e["eventType"] for e in v4_events} == {"CatalogCreateEvent"}
