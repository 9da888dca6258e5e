"""TMF620's v5 edition against the stored (v4) catalog entities: each difference, both ways.
(Every official v5 example and every v4 kit body round-trips in test_edition_round_trip.py.)"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import errors
from tmf_apis.tmf620.v5 import CatalogV5, value_kind

V5 = CatalogV5()
SPECIFICATION: dict[str, Any] = {
    "id": "s-1",
    "name": "Fibre",
    "@type": "ProductSpecification",
    "relatedParty": [
        {"id": "acme", "role": "owner", "@referredType": "Organization"},
        {"role": "unnamed", "@referredType": "Individual"},
    ],
    "productSpecCharacteristic": [
        {
            "name": "speed",
            "valueType": "integer",
            "productSpecCharacteristicValue": [
                {"value": 100, "unitOfMeasure": "Mbps"},
                {"valueFrom": 1, "valueTo": 10, "valueType": "integer"},
            ],
            "productSpecCharRelationship": [{"id": "x", "relationshipType": "dependsOn"}],
        }
    ],
    "resourceSpecification": [{"id": "rs-1"}],
    "_rev": 3,
}


def test_a_stored_specification_shows_in_v5_shape() -> None:
    shown = V5.to_wire("productSpecification", SPECIFICATION)

    assert shown["relatedParty"] == [  # the one without an id cannot be shown
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
    [speed] = shown["productSpecCharacteristic"]
    assert speed["@type"] == "CharacteristicSpecification"
    assert [v["@type"] for v in speed["characteristicValueSpecification"]] == [
        "IntegerCharacteristicValueSpecification",
        "IntegerCharacteristicValueSpecification",
    ]
    assert "productSpecCharacteristicValue" not in speed
    assert speed["productSpecCharRelationship"] == [{"id": "x", "relationshipType": "dependsOn"}]
    assert shown["resourceSpecification"] == [{"id": "rs-1", "@type": "ResourceSpecificationRef"}]
    assert shown["_rev"] == 3


def test_v5_and_back_loses_only_the_unnamed_party() -> None:
    original = copy.deepcopy(SPECIFICATION)

    back = V5.from_wire("productSpecification", V5.to_wire("productSpecification", SPECIFICATION))

    assert SPECIFICATION == original  # neither direction changes its argument
    assert back == {**SPECIFICATION, "relatedParty": SPECIFICATION["relatedParty"][:1]}


def test_a_catalog_keeps_the_type_it_was_written_with() -> None:
    assert V5.to_wire("productCatalog", {"id": "c", "name": "n"})["@type"] == "ProductCatalog"
    assert V5.to_wire("productCatalog", {"id": "c", "@type": "Catalog"})["@type"] == "Catalog"
    # Events name the stored path.
    assert V5.to_wire("catalog", {"id": "c"})["@type"] == "ProductCatalog"
    body = {"name": "n", "@type": "ProductCatalog"}
    assert V5.from_wire("productCatalog", body) == body


def test_a_category_parent_is_v4_parent_id() -> None:
    body = {"name": "5G", "parent": {"id": "p-1", "name": "Mobile", "@type": "CategoryRef"}}

    stored = V5.from_wire("category", body)

    assert stored == {"name": "5G", "parentId": "p-1", "parent": {"id": "p-1", "name": "Mobile"}}
    assert V5.to_wire("category", stored)["parent"] == body["parent"]
    # Once v4 moves the category, the kept reference no longer names its parent.
    moved = V5.to_wire("category", {**stored, "parentId": "p-2"})
    assert moved["parent"] == {"id": "p-2", "@type": "CategoryRef"}
    assert "parentId" not in moved
    assert V5.from_wire("category", {"name": "5G", "parent": {"id": "p-3"}}) == {
        "name": "5G",
        "parentId": "p-3",
    }


def test_prices_by_reference_and_by_value_are_typed_apart() -> None:
    offering = {
        "id": "o-1",
        "productOfferingPrice": [
            {"id": "pop-1", "name": "Monthly"},
            {"name": "Setup", "priceType": "oneTime", "price": {"unit": "EUR", "value": 9}},
        ],
        "category": [{"id": "c-1"}],
        "bundledProductOffering": [{"id": "o-2", "lifecycleStatus": "Active"}],
    }

    shown = V5.to_wire("productOffering", offering)

    assert [p["@type"] for p in shown["productOfferingPrice"]] == [
        "ProductOfferingPriceRef",
        "ProductOfferingPrice",
    ]
    assert shown["category"][0]["@type"] == "CategoryRef"
    assert shown["bundledProductOffering"][0]["@type"] == "BundledProductOffering"
    # The resource keeps the @type it was shown with (the one the server stores by default).
    assert V5.from_wire("productOffering", shown) == {**offering, "@type": "ProductOffering"}


def test_a_type_v5_would_not_default_is_stored() -> None:
    body = {
        "name": "Router",
        "productSpecCharacteristic": [
            {
                "name": "weight",
                "characteristicValueSpecification": [
                    {"@type": "FloatCharacteristicValueSpecification", "value": 1.5},
                    {"@type": "NumberCharacteristicValueSpecification", "value": 2.5},
                ],
            }
        ],
        "relatedParty": [
            {
                "role": "maker",
                "partyOrPartyRole": {
                    "id": "r-1",
                    "@referredType": "Organization",
                    "@type": "PartyRoleRef",
                },
            }
        ],
    }

    stored = V5.from_wire("productSpecification", body)

    assert stored["productSpecCharacteristic"][0]["productSpecCharacteristicValue"] == [
        {"@type": "FloatCharacteristicValueSpecification", "value": 1.5},
        {"value": 2.5},
    ]
    assert stored["relatedParty"] == [
        {"id": "r-1", "@referredType": "Organization", "@type": "PartyRoleRef", "role": "maker"}
    ]


def test_a_related_party_v4_could_not_show_is_refused() -> None:
    body = {"name": "n", "relatedParty": [{"partyOrPartyRole": {"id": "p"}, "role": "owner"}]}

    with pytest.raises(errors.UnprocessableEntity, match=r"relatedParty\[0\]"):
        V5.from_wire("productCatalog", body)


@pytest.mark.parametrize(
    ("value_spec", "kind"),
    [
        ({"value": "red"}, "String"),
        ({"value": 3}, "Integer"),
        ({"value": 2.5}, "Number"),
        ({"value": True}, "Boolean"),
        ({"value": {"a": 1}}, "Object"),
        ({"value": [1, 2]}, "IntegerArray"),
        ({"value": [1, 2.5]}, "NumberArray"),
        ({"valueType": "boolean"}, "Boolean"),
        ({"valueFrom": 1}, ""),
    ],
)
def test_a_value_specification_kind_follows_its_value(value_spec: dict, kind: str) -> None:
    assert value_kind(value_spec) == f"{kind}CharacteristicValueSpecification"


def test_job_paths_and_attribute_paths_name_the_stored_ones() -> None:
    job = {"url": "file:///x", "path": "/productCatalog"}
    assert V5.from_wire("exportJob", job)["path"] == "/catalog"
    assert V5.to_wire("exportJob", {"id": "j", "path": "/catalog"})["path"] == "/productCatalog"
    assert V5.stored_path("productCatalog", "relatedParty.partyOrPartyRole.id") == (
        "relatedParty.id"
    )
    assert V5.stored_path("category", "parent.id") == "parentId"
    assert V5.stored_path("productSpecification", "productSpecCharacteristic.name") == (
        "productSpecCharacteristic.name"
    )
    assert V5.stored_path(
        "productSpecification", "productSpecCharacteristic.characteristicValueSpecification.value"
    ) == ("productSpecCharacteristic.productSpecCharacteristicValue.value")
