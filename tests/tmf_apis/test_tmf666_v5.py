"""TMF666's v5 edition against the stored (v4) accounts: each difference both ways, nothing lost
but what tmf666/v5.py lists."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tmf_apis.tmf666.v5 import AccountV5

V5 = AccountV5()
# A billing account as v4 clients and the server store it.
STORED: dict[str, Any] = {
    "id": "ba-1",
    "@type": "BillingAccount",
    "name": "Home account",
    "state": "Active",
    "lastModified": "2024-05-01T10:00:00.000Z",
    "accountBalance": [
        {
            "balanceType": "receivable",
            "amount": {"unit": "EUR", "value": 12.5},
            "validFor": {"startDateTime": "2024-05-01T00:00:00.000Z"},
        }
    ],
    "relatedParty": [
        {"id": "c-1", "name": "Ada", "role": "customer", "@referredType": "Customer"},
        {"id": "north", "name": "north", "role": "channel", "@referredType": "Organization"},
    ],
    "accountRelationship": [
        {
            "relationshipType": "billedTo",
            "account": {"id": "ba-0", "name": "Company"},
            "validFor": {"startDateTime": "2024-01-01T00:00:00.000Z"},
        }
    ],
    "contact": [
        {
            "contactType": "billing",
            "contactName": "Bob",
            "validFor": {"startDateTime": "2024-01-01T00:00:00.000Z"},
            "relatedParty": {"id": "i-7", "name": "Bob", "@referredType": "Individual"},
            "contactMedium": [
                {"mediumType": "email", "characteristic": {"emailAddress": "bob@x.eu"}}
            ],
        }
    ],
    "billStructure": {
        "format": {"isRef": True, "id": "bf-1", "name": "Detailed"},
        "cycleSpecification": {"isRef": False, "name": "Monthly", "frequency": "monthly"},
        "presentationMedia": [{"isRef": True, "id": "bpm-1", "name": "E-mail"}],
    },
    "financialAccount": {"id": "fa-1", "name": "Group"},
    "defaultPaymentMethod": {"id": "pm-1"},
    "paymentPlan": [{"numberOfPayments": 3, "paymentMethod": {"id": "pm-1"}}],
    "taxExemption": [
        {"issuingJurisdiction": "FR", "validFor": {"startDateTime": "2024-01-01T00:00:00.000Z"}}
    ],
    "_rev": 3,
}


def shown() -> dict[str, Any]:
    return V5.to_wire("billingAccount", copy.deepcopy(STORED))


def test_an_account_takes_v5_names_and_envelopes() -> None:
    account = shown()

    assert account["lastUpdate"] == STORED["lastModified"] and "lastModified" not in account
    customer = account["relatedParty"][0]
    assert customer["@type"] == "RelatedPartyRefOrPartyRoleRef"
    assert customer["role"] == "customer"
    assert customer["partyOrPartyRole"] == {
        "id": "c-1",
        "name": "Ada",
        "@referredType": "Customer",
        "@type": "PartyRef",
    }
    [contact] = account["contact"]
    assert contact["relatedParty"]["partyOrPartyRole"]["id"] == "i-7"
    assert contact["contactMedium"] == [{"@type": "EmailContactMedium", "emailAddress": "bob@x.eu"}]
    assert account["_rev"] == 3


def test_a_bill_structure_tells_links_from_values_by_type() -> None:
    structure = shown()["billStructure"]

    assert structure["@type"] == "BillStructure"
    assert structure["format"] == {"@type": "BillFormatRef", "id": "bf-1", "name": "Detailed"}
    assert structure["cycleSpecification"] == {
        "@type": "BillingCycleSpecification",
        "name": "Monthly",
        "frequency": "monthly",
    }
    assert structure["presentationMedia"][0]["@type"] == "BillPresentationMediaRef"


def test_every_object_v5_types_is_typed() -> None:
    account = shown()

    assert account["accountBalance"][0]["@type"] == "AccountBalance"
    assert account["accountRelationship"][0]["@type"] == "AccountRelationship"
    assert account["accountRelationship"][0]["account"]["@type"] == "AccountRef"
    assert account["contact"][0]["@type"] == "Contact"
    assert account["financialAccount"]["@type"] == "FinancialAccountRef"
    assert account["defaultPaymentMethod"]["@type"] == "PaymentMethodRef"
    assert account["paymentPlan"][0]["@type"] == "PaymentPlan"
    assert account["paymentPlan"][0]["paymentMethod"]["@type"] == "PaymentMethodRef"
    assert account["taxExemption"][0]["@type"] == "TaxExemptionCertificate"


def test_a_v5_patch_that_changes_nothing_stores_the_account_as_it_was() -> None:
    assert V5.patched("billingAccount", shown(), copy.deepcopy(STORED)) == STORED


def test_a_v5_change_reaches_the_stored_shape() -> None:
    changed = shown()
    changed["contact"][0]["contactMedium"][0]["emailAddress"] = "new@x.eu"
    changed["billStructure"]["format"] = {"@type": "BillFormat", "name": "Summary"}
    changed["lastUpdate"] = "2030-01-01T00:00:00.000Z"

    stored = V5.patched("billingAccount", changed, copy.deepcopy(STORED))

    medium = stored["contact"][0]["contactMedium"][0]
    assert medium["characteristic"] == {"emailAddress": "new@x.eu"}
    assert stored["billStructure"]["format"] == {"isRef": False, "name": "Summary"}
    # Stored under v4's name, where the handler refuses a change to it (server-owned).
    assert stored["lastModified"] == "2030-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"@type": "BillFormatRef", "id": "bf-1"}, {"isRef": True, "id": "bf-1"}),
        ({"@type": "BillFormat", "name": "Summary"}, {"isRef": False, "name": "Summary"}),
        (
            {"id": "bf-1", "href": "https://x/bf-1"},
            {"isRef": True, "id": "bf-1", "href": "https://x/bf-1"},
        ),
        (
            {"id": "bf-1", "description": "Mine"},
            {"isRef": False, "id": "bf-1", "description": "Mine"},
        ),
        (
            {"@type": "VipFormat", "id": "bf-1"},
            {"isRef": False, "@type": "VipFormat", "id": "bf-1"},
        ),
    ],
)
def test_a_v5_bill_format_is_a_link_or_a_value(sent: dict[str, Any], stored: Any) -> None:
    body = {"name": "A", "billStructure": {"format": sent}}

    assert V5.from_wire("billingAccount", body)["billStructure"]["format"] == stored


def test_a_v5_account_is_stored_flat_under_v4_names() -> None:
    body = {
        "@type": "SettlementAccount",
        "name": "Partner north",
        "lastUpdate": "2024-05-01T10:00:00.000Z",
        "ratingType": "postpaid",
        "relatedParty": [
            {
                "@type": "RelatedPartyRefOrPartyRoleRef",
                "role": "partner",
                "partyOrPartyRole": {"@type": "PartyRef", "id": "north", "name": "North"},
            }
        ],
    }

    stored = V5.from_wire("settlementAccount", body)

    assert stored == {
        "@type": "SettlementAccount",
        "name": "Partner north",
        "lastModified": "2024-05-01T10:00:00.000Z",
        "ratingType": "postpaid",
        "relatedParty": [{"id": "north", "name": "North", "role": "partner"}],
    }


def test_what_v5_cannot_show_is_left_out_or_shown_as_a_value() -> None:
    stored = {
        "id": "fa-1",
        "name": "Group",
        "relatedParty": [{"name": "Nobody", "role": "owner", "@referredType": "Individual"}],
        "billStructure": {"format": {"isRef": True, "name": "Linked without an id"}},
    }

    account = V5.to_wire("partyAccount", stored)

    assert account["relatedParty"] == []
    assert account["billStructure"]["format"]["@type"] == "BillFormat"


def test_reference_data_is_typed_both_ways() -> None:
    stored = {"id": "bf-1", "name": "Detailed"}

    shown = V5.to_wire("billFormat", stored)

    assert shown == {**stored, "@type": "BillFormat"}
    assert V5.patched("billFormat", {**shown, "name": "Summary"}, stored) == {
        "id": "bf-1",
        "name": "Summary",
    }


@pytest.mark.parametrize(
    ("path", "stored"),
    [
        ("lastUpdate", "lastModified"),
        ("relatedParty.partyOrPartyRole.id", "relatedParty.id"),
        ("relatedParty.role", "relatedParty.role"),
        ("contact.relatedParty.partyOrPartyRole.name", "contact.relatedParty.name"),
        ("contact.contactMedium.emailAddress", "contact.contactMedium.characteristic.emailAddress"),
        ("contact.contactMedium.preferred", "contact.contactMedium.preferred"),
        ("accountRelationship.account.id", "accountRelationship.account.id"),
    ],
)
def test_v5_paths_name_the_stored_attributes(path: str, stored: str) -> None:
    assert V5.stored_path("billingAccount", path) == stored
    assert V5.stored_path("billFormat", path) == path
