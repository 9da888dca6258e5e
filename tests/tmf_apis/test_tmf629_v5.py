"""TMF629's v5 edition against the stored (v4) customer: both ways, nothing lost."""

from __future__ import annotations

import copy

from tmf_apis.tmf629.v5 import CustomerV5

V5 = CustomerV5()
STORED = {
    "id": "c-1",
    "name": "Ada",
    "@type": "Customer",
    "engagedParty": {"id": "i-1", "@referredType": "Individual", "name": "Ada L."},
    "relatedParty": [
        {"id": "north", "role": "channel", "@referredType": "Organization"},
        {"id": "i-2", "role": "contact", "@referredType": "Individual", "@type": "RelatedParty"},
    ],
    "contactMedium": [
        {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": "a@x.eu"}},
        {
            "mediumType": "telephone",
            "characteristic": {"phoneNumber": "+3312", "contactType": "work"},
        },
        {"mediumType": "postalAddress", "characteristic": {"city": "Lyon", "street1": "1 rue"}},
    ],
    "characteristic": [
        {"name": "segment", "value": "gold"},
        {"name": "lines", "value": 3},
        {"name": "vip", "value": True},
        {"name": "tags", "value": ["a", "b"]},
    ],
    "account": [{"id": "acct-1", "name": "Main"}],
    "_rev": 4,
}


def test_a_stored_customer_shows_in_v5_shape() -> None:
    shown = V5.to_wire("customer", STORED)

    assert shown["engagedParty"]["@type"] == "PartyRef"
    assert shown["relatedParty"][0] == {
        "@type": "RelatedPartyOrPartyRole",
        "role": "channel",
        "partyOrPartyRole": {"id": "north", "@referredType": "Organization", "@type": "PartyRef"},
    }
    email, phone, address = shown["contactMedium"]
    assert (email["@type"], email["emailAddress"], email["preferred"]) == (
        "EmailContactMedium",
        "a@x.eu",
        True,
    )
    assert (phone["@type"], phone["phoneNumber"], phone["contactType"]) == (
        "PhoneContactMedium",
        "+3312",
        "work",
    )
    assert address["@type"] == "GeographicAddressContactMedium" and address["city"] == "Lyon"
    assert [c["@type"] for c in shown["characteristic"]] == [
        "StringCharacteristic",
        "IntegerCharacteristic",
        "BooleanCharacteristic",
        "StringArrayCharacteristic",
    ]
    assert shown["account"][0]["@type"] == "AccountRef"
    assert shown["_rev"] == 4  # the server's own names pass through


def test_v5_and_back_loses_nothing_of_a_stored_customer() -> None:
    original = copy.deepcopy(STORED)
    back = V5.from_wire("customer", V5.to_wire("customer", STORED))

    assert STORED == original  # neither direction changes its argument
    assert back["relatedParty"] == STORED["relatedParty"][:1] + [
        {"id": "i-2", "role": "contact", "@referredType": "Individual"}
    ]
    assert back["characteristic"] == STORED["characteristic"]
    for medium, stored in zip(back["contactMedium"], STORED["contactMedium"], strict=True):
        assert medium["characteristic"] == stored["characteristic"]
        assert medium["mediumType"] == stored["mediumType"]


def test_a_v5_body_is_stored_in_v4_shape() -> None:
    body = {
        "name": "Bea",
        "engagedParty": {"id": "o-1", "@referredType": "Organization", "@type": "PartyRef"},
        "relatedParty": [
            {
                "@type": "RelatedPartyOrPartyRole",
                "role": "customer",
                "partyOrPartyRole": {
                    "id": "o-1",
                    "@referredType": "Organization",
                    "@type": "PartyRef",
                },
            }
        ],
        "contactMedium": [{"@type": "EmailContactMedium", "emailAddress": "b@x.eu", "id": "m1"}],
        "characteristic": [{"@type": "StringCharacteristic", "name": "tier", "value": "s"}],
        "description": "kept as an extension",
    }

    stored = V5.from_wire("customer", body)

    assert stored["relatedParty"] == [
        {"id": "o-1", "@referredType": "Organization", "role": "customer"}
    ]
    assert stored["contactMedium"] == [
        {
            "@type": "EmailContactMedium",
            "id": "m1",
            "mediumType": "email",
            "characteristic": {"emailAddress": "b@x.eu"},
        }
    ]
    assert stored["characteristic"] == [{"name": "tier", "value": "s"}]
    assert stored["description"] == "kept as an extension"
    assert V5.to_wire("customer", stored)["contactMedium"][0]["emailAddress"] == "b@x.eu"
