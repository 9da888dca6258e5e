"""TMF637's v5 edition against the stored (v4) product: both ways, nothing lost but what
tmf637/v5.py lists."""

from __future__ import annotations

import copy
from typing import Any

from tmf_apis.tmf637.v5 import ProductV5

V5 = ProductV5()
# A product as the server stores it when an order item completes, with what v4 clients add.
STORED: dict[str, Any] = {
    "id": "p-1",
    "@type": "Product",
    "name": "Unlimited 5G",
    "status": "active",
    "startDate": "2024-05-01T10:00:00.000Z",
    "isBundle": False,
    "productOffering": {"id": "po-1", "name": "Unlimited 5G", "href": "https://x/po-1"},
    "productSpecification": {"id": "ps-1", "name": "5G SIM", "version": "2"},
    "productCharacteristic": [
        {"name": "dataAllowanceGB", "valueType": "number", "value": 100},
        {"name": "colour", "value": "black"},
    ],
    "productPrice": [
        {
            "name": "Monthly fee",
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "price": {
                "dutyFreeAmount": {"unit": "EUR", "value": 20},
                "taxIncludedAmount": {"unit": "EUR", "value": 24},
                "taxRate": 20,
            },
            "productOfferingPrice": {"id": "pop-1", "name": "Monthly fee"},
            "priceAlteration": [
                {
                    "name": "First months half price",
                    "priceType": "recurring",
                    "applicationDuration": 3,
                    "price": {"percentage": 50},
                }
            ],
        }
    ],
    "billingAccount": {"id": "ba-1", "@referredType": "BillingAccount"},
    "relatedParty": [
        {"id": "c-1", "role": "customer", "@referredType": "Customer", "name": "Ada"},
        {"id": "north", "role": "channel", "@referredType": "Organization"},
    ],
    "productOrderItem": [
        {
            "productOrderId": "o-1",
            "orderItemId": "1",
            "orderItemAction": "add",
            "@referredType": "ProductOrder",
        }
    ],
    "productRelationship": [{"relationshipType": "bundledBy", "product": {"id": "p-0"}}],
    "place": [
        {"role": "installationAddress", "id": "addr-1", "@referredType": "GeographicAddress"}
    ],
    "_rev": 3,
}
# What a v4 client may also write: v4's names where v5 has others, a bundle's members.
WRITTEN_BY_V4: dict[str, Any] = {
    **STORED,
    "agreement": [{"id": "ag-1", "name": "Frame", "agreementItemId": "3"}],
    "productPrice": [
        {
            "priceType": "oneTime",
            "price": {"taxIncludedAmount": {"unit": "EUR", "value": 49}},
            "productPriceAlteration": [
                {
                    "priceType": "oneTime",
                    "price": {"taxIncludedAmount": {"unit": "EUR", "value": -9}},
                }
            ],
            "billingAccount": {"id": "ba-2"},
        }
    ],
    "productTerm": [{"name": "12 months", "duration": {"amount": 12, "units": "month"}}],
    "realizingResource": [{"id": "sim-1", "value": "+33 6 12 34 56 78"}],
    "isBundle": True,
    "product": [
        {"id": "p-2", "href": "https://x/p-2"},
        {
            "name": "TV option",
            "relatedParty": [{"id": "c-1", "role": "customer", "@referredType": "Customer"}],
            "productCharacteristic": [{"name": "hd", "value": True}],
        },
    ],
}


def test_a_stored_product_shows_in_v5_shape() -> None:
    shown = V5.to_wire("product", STORED)

    assert shown["@type"] == "Product"
    assert shown["relatedParty"][0] == {
        "@type": "RelatedPartyOrPartyRole",
        "role": "customer",
        "partyOrPartyRole": {
            "id": "c-1",
            "name": "Ada",
            "@referredType": "Customer",
            "@type": "PartyRef",
        },
    }
    assert [c["@type"] for c in shown["productCharacteristic"]] == [
        "IntegerCharacteristic",
        "StringCharacteristic",
    ]
    assert shown["productOffering"]["@type"] == "ProductOfferingRef"
    assert shown["productSpecification"]["@type"] == "ProductSpecificationRef"
    assert shown["billingAccount"]["@type"] == "BillingAccountRef"
    [price] = shown["productPrice"]
    assert (price["@type"], price["price"]["@type"]) == ("ProductPrice", "Price")
    assert price["productOfferingPrice"]["@type"] == "ProductOfferingPriceRef"
    assert price["priceAlteration"][0]["@type"] == "PriceAlteration"
    assert shown["productOrderItem"] == [
        {
            "orderId": "o-1",
            "orderItemId": "1",
            "orderItemAction": "add",
            "@referredType": "ProductOrder",
            "@type": "RelatedOrderItem",
        }
    ]
    assert shown["productRelationship"] == [
        {"relationshipType": "bundledBy", "id": "p-0", "@type": "ProductRelationship"}
    ]
    assert shown["place"] == [
        {
            "role": "installationAddress",
            "place": {"id": "addr-1", "@referredType": "GeographicAddress", "@type": "PlaceRef"},
            "@type": "RelatedPlaceRefOrValue",
        }
    ]
    assert shown["_rev"] == 3  # the server's own names pass through


def test_v4_names_show_as_v5_names() -> None:
    shown = V5.to_wire("product", WRITTEN_BY_V4)

    assert "agreement" not in shown
    assert shown["agreementItem"] == [
        {
            "agreementId": "ag-1",
            "agreementName": "Frame",
            "agreementItemId": "3",
            "@type": "AgreementItemRef",
        }
    ]
    [price] = shown["productPrice"]
    assert "productPriceAlteration" not in price
    assert price["priceAlteration"][0]["price"]["taxIncludedAmount"]["value"] == -9
    assert price["billingAccount"] == {"id": "ba-2"}  # a v4 extension to v5
    assert shown["productTerm"][0]["duration"] == {"amount": 12, "units": "month"}
    assert shown["realizingResource"][0]["@type"] == "ResourceRef"


def test_bundle_members_map_as_products_do() -> None:
    reference, member = V5.to_wire("product", WRITTEN_BY_V4)["product"]

    assert reference["@type"] == "ProductRef"
    # Without an id a member is a product given by value, never a reference it cannot be.
    assert member["@type"] == "Product"
    assert member["relatedParty"][0]["partyOrPartyRole"]["id"] == "c-1"
    assert member["productCharacteristic"][0]["@type"] == "BooleanCharacteristic"


def test_a_v5_patch_that_changes_nothing_stores_the_product_as_it_was() -> None:
    for stored in (STORED, WRITTEN_BY_V4):
        original = copy.deepcopy(stored)

        back = V5.patched("product", V5.to_wire("product", stored), stored)

        assert stored == original  # neither direction changes its argument
        assert back == stored


def test_v5_and_back_adds_only_types() -> None:
    back = V5.from_wire("product", V5.to_wire("product", WRITTEN_BY_V4))

    assert back["relatedParty"] == WRITTEN_BY_V4["relatedParty"]
    assert back["productCharacteristic"] == WRITTEN_BY_V4["productCharacteristic"]
    assert back["agreement"][0]["id"] == "ag-1"
    assert back["productRelationship"][0]["product"] == {"id": "p-0"}
    assert back["place"][0]["id"] == "addr-1"
    assert back["productOrderItem"][0]["productOrderId"] == "o-1"


def test_a_v5_body_is_stored_in_v4_shape() -> None:
    body = {
        "@type": "Product",
        "name": "Voice over IP",
        "status": "created",
        "creationDate": "2024-05-01T10:00:00.000Z",
        "relatedParty": [
            {
                "@type": "RelatedPartyOrPartyRole",
                "role": "owner",
                "partyOrPartyRole": {
                    "id": "i-1",
                    "@referredType": "Individual",
                    "@type": "PartyRef",
                },
            }
        ],
        "productCharacteristic": [
            {"@type": "BooleanCharacteristic", "name": "fixedIp", "value": False}
        ],
        "agreementItem": [
            {"agreementId": "ag-1", "agreementItemId": "2", "@type": "AgreementItemRef"}
        ],
        "productOrderItem": [{"orderId": "o-9", "orderItemId": "3", "orderItemAction": "modify"}],
        "place": [
            {
                "@type": "RelatedPlaceRefOrValue",
                "role": "installationAddress",
                "place": {"id": "9912", "@referredType": "GeographicAddress", "@type": "PlaceRef"},
            },
            {"role": "site", "place": {"@type": "GeographicAddress", "city": "Lyon"}},
        ],
        "productRelationship": [
            {"id": "p-7", "href": "https://x/p-7", "relationshipType": "reliesOn"}
        ],
        "productPrice": [
            {"priceType": "recurring", "priceAlteration": [{"priceType": "recurring"}]}
        ],
    }

    stored = V5.from_wire("product", body)

    assert stored["relatedParty"] == [{"id": "i-1", "@referredType": "Individual", "role": "owner"}]
    assert stored["productCharacteristic"] == [{"name": "fixedIp", "value": False}]
    assert stored["agreement"] == [
        {"id": "ag-1", "agreementItemId": "2", "@type": "AgreementItemRef"}
    ]
    assert stored["productOrderItem"] == [
        {"productOrderId": "o-9", "orderItemId": "3", "orderItemAction": "modify"}
    ]
    assert stored["place"] == [
        {
            "id": "9912",
            "@referredType": "GeographicAddress",
            "@type": "RelatedPlaceRefOrValue",
            "role": "installationAddress",
        },
        {"@type": "GeographicAddress", "city": "Lyon", "role": "site"},
    ]
    assert stored["productRelationship"] == [
        {"relationshipType": "reliesOn", "product": {"id": "p-7", "href": "https://x/p-7"}}
    ]
    # The server's own name for a price's alterations; v5-only attributes are extensions.
    assert "priceAlteration" in stored["productPrice"][0]
    assert stored["creationDate"] == body["creationDate"]
    assert V5.to_wire("product", stored)["place"] == [
        {**body["place"][0]},
        {
            "role": "site",
            "place": {"@type": "GeographicAddress", "city": "Lyon"},
            "@type": "RelatedPlaceRefOrValue",
        },
    ]


def test_what_v5_cannot_show_is_left_out() -> None:
    stored = {
        **STORED,
        "relatedParty": [{"role": "user", "@referredType": "Individual", "name": "no id"}],
        "place": [{"role": "site", "name": "no id"}],
        "productRelationship": [{"relationshipType": "reliesOn", "product": {"name": "no id"}}],
        "productOrderItem": [{"productOrderId": "o-1", "orderItemId": "1", "orderItemAction": "x"}],
        "productTerm": [{"name": "odd", "duration": {"amount": 1.5, "units": "month"}}],
        "productSpecification": {
            "id": "ps-1",
            "targetProductSchema": {"@type": "Sim", "@schemaLocation": "not a URI"},
        },
    }

    shown = V5.to_wire("product", stored)

    assert shown["relatedParty"] == []
    assert shown["place"] == []
    assert shown["productRelationship"] == []
    assert "orderItemAction" not in shown["productOrderItem"][0]
    assert shown["productTerm"] == [{"name": "odd", "@type": "ProductTerm"}]
    assert "targetProductSchema" not in shown["productSpecification"]


def test_a_whole_duration_stored_as_a_decimal_shows_as_an_integer() -> None:
    stored = {**STORED, "productTerm": [{"duration": {"amount": 24.0, "units": "month"}}]}

    assert V5.to_wire("product", stored)["productTerm"][0]["duration"]["amount"] == 24


def test_v5_attribute_paths_name_the_stored_ones() -> None:
    paths = {
        "relatedParty.partyOrPartyRole.id": "relatedParty.id",
        "relatedParty.role": "relatedParty.role",
        "agreementItem.agreementId": "agreement.id",
        "agreementItem.agreementItemId": "agreement.agreementItemId",
        "productOrderItem.orderId": "productOrderItem.productOrderId",
        "productOrderItem.orderHref": "productOrderItem.productOrderHref",
        "place.place.id": "place.id",
        "place.role": "place.role",
        "productRelationship.id": "productRelationship.product.id",
        "productRelationship.relationshipType": "productRelationship.relationshipType",
        "product.relatedParty.partyOrPartyRole.id": "product.relatedParty.id",
        "productOffering.id": "productOffering.id",
        "status": "status",
    }

    assert {v5: V5.stored_path("product", v5) for v5 in paths} == paths


def test_hub_answers_are_typed_and_other_resources_pass() -> None:
    assert V5.to_wire("hub", {"id": "h-1", "callback": "https://x"})["@type"] == "Hub"
    assert V5.from_wire("other", {"a": 1}) == {"a": 1}
    assert V5.stored_path("other", "relatedParty.partyOrPartyRole.id").endswith("Role.id")
