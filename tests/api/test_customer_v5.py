"""TMF629 v5 beside v4 on one store: what one edition writes, the other reads, lists, patches and
hears about, each in its own shape (tmf_apis/tmf629/v5.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import unique
from tests.listener import running_listener
from tmf_apis.tmf629.registry import API, API_V5

V4, V5 = f"{API.base_path}/customer", f"{API_V5.base_path}/customer"


def v4_customer(client: httpx.Client) -> dict[str, Any]:
    body = {
        "name": unique("Ada"),
        "engagedParty": {"id": "i-1", "@referredType": "Individual"},
        "relatedParty": [{"id": "north", "role": "channel", "@referredType": "Organization"}],
        "contactMedium": [
            {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": "a@x.eu"}}
        ],
        "characteristic": [{"name": "segment", "value": "gold"}],
    }
    response = client.post(V4, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_v4_customer_reads_in_v5_shape(live_server) -> None:
    created = v4_customer(live_server.client)

    shown = live_server.client.get(f"{V5}/{created['id']}")

    assert shown.status_code == 200, shown.text
    customer = shown.json()
    assert customer["@type"] == "Customer"
    assert customer["href"].endswith(f"{V5}/{created['id']}")
    assert customer["engagedParty"]["@type"] == "PartyRef"
    [party] = customer["relatedParty"]
    assert party["partyOrPartyRole"]["id"] == "north" and party["role"] == "channel"
    [medium] = customer["contactMedium"]
    assert (medium["@type"], medium["emailAddress"]) == ("EmailContactMedium", "a@x.eu")
    assert customer["characteristic"][0]["@type"] == "StringCharacteristic"


def test_a_v5_customer_is_stored_and_read_in_v4_shape(live_server) -> None:
    body = {
        "name": unique("Bea"),
        "engagedParty": {"id": "o-1", "@referredType": "Organization"},
        "contactMedium": [
            {"@type": "PhoneContactMedium", "phoneNumber": "+331", "contactType": "work"}
        ],
        "relatedParty": [
            {
                "@type": "RelatedPartyOrPartyRole",
                "role": "contact",
                "partyOrPartyRole": {
                    "id": "i-9",
                    "@referredType": "Individual",
                    "@type": "PartyRef",
                },
            }
        ],
    }
    created = live_server.client.post(V5, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["@type"] == "Customer"

    stored = live_server.client.get(f"{V4}/{created.json()['id']}").json()

    assert stored["contactMedium"][0]["characteristic"] == {
        "phoneNumber": "+331",
        "contactType": "work",
    }
    assert stored["contactMedium"][0]["mediumType"] == "phone"
    assert stored["relatedParty"] == [
        {"id": "i-9", "@referredType": "Individual", "role": "contact"}
    ]


def test_v5_lists_filter_and_select_the_same_customers(live_server) -> None:
    created = v4_customer(live_server.client)

    listed = live_server.client.get(V5, params={"name": created["name"], "fields": "name"})

    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "id": created["id"],
            "href": listed.json()[0]["href"],
            "name": created["name"],
            "@type": "Customer",
        }
    ]


def test_v5_patches_reach_v4_readers(live_server) -> None:
    created = v4_customer(live_server.client)
    target = f"/customer/{created['id']}"

    merged = live_server.client.patch(
        f"{API_V5.base_path}{target}",
        headers={"Content-Type": "application/merge-patch+json"},
        json={
            "status": "Approved",
            "contactMedium": [{"@type": "EmailContactMedium", "emailAddress": "b@x.eu"}],
        },
    )
    patched = live_server.client.patch(
        f"{API_V5.base_path}{target}",
        headers={"Content-Type": "application/json-patch+json"},
        json=[{"op": "replace", "path": "/contactMedium/0/emailAddress", "value": "c@x.eu"}],
    )

    assert merged.status_code == 200, merged.text
    assert patched.status_code == 200, patched.text
    stored = live_server.client.get(f"{API.base_path}{target}").json()
    assert stored["status"] == "Approved"
    assert stored["contactMedium"][0]["characteristic"] == {"emailAddress": "c@x.eu"}


def test_a_v5_listener_hears_v4_writes_in_v5_shape(events_server) -> None:
    client = events_server.client
    name = unique("Heard")
    with running_listener() as listener:
        hub = client.post(
            f"{API_V5.base_path}/hub",
            json={"callback": listener.url, "query": f"event.customer.name={name}"},
        )
        assert hub.status_code == 201, hub.text
        created = client.post(
            V4,
            json={
                "name": name,
                "engagedParty": {"id": "i-3", "@referredType": "Individual"},
                "contactMedium": [
                    {"mediumType": "email", "characteristic": {"emailAddress": "h@x.eu"}}
                ],
            },
        )
        assert created.status_code == 201
        [event] = listener.wait_count(1)

    customer = event["event"]["customer"]
    assert customer["href"].endswith(f"{V5}/{created.json()['id']}")
    assert customer["contactMedium"][0]["@type"] == "EmailContactMedium"
    assert customer["contactMedium"][0]["emailAddress"] == "h@x.eu"


def test_the_root_the_official_v5_file_names_serves_the_same_customers(live_server) -> None:
    created = v4_customer(live_server.client)

    aliased = live_server.client.get(f"/tmf-api/customer/v5/customer/{created['id']}")

    assert aliased.status_code == 200, aliased.text
    assert aliased.json()["name"] == created["name"]
    assert aliased.json()["href"].endswith(f"{V5}/{created['id']}")


def test_a_json_patch_query_changes_the_media_it_selects(live_server) -> None:
    created = v4_customer(live_server.client)
    target = f"{API_V5.base_path}/customer/{created['id']}"

    patched = live_server.client.patch(
        target,
        headers={"Content-Type": "application/json-patch-query+json"},
        json=[
            {
                "op": "replace",
                "path": "/contactMedium/emailAddress?contactMedium.@type=EmailContactMedium",
                "value": "q@x.eu",
            }
        ],
    )
    nothing = live_server.client.patch(
        target,
        headers={"Content-Type": "application/json-patch-query+json"},
        json=[
            {
                "op": "replace",
                "path": "/contactMedium/phoneNumber?contactMedium.@type=Fax",
                "value": "1",
            }
        ],
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["contactMedium"][0]["emailAddress"] == "q@x.eu"
    stored = live_server.client.get(f"{V4}/{created['id']}").json()
    assert stored["contactMedium"][0]["characteristic"]["emailAddress"] == "q@x.eu"
    assert nothing.status_code == 409
    assert "selects no element" in nothing.json()["message"]
