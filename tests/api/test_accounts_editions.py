"""TMF666 v5 beside v4 on one store: accounts written through either edition are read, filtered,
patched and heard through the other, each in its own shape (tmf_apis/tmf666/v5.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import bill_format, unique
from tests.listener import running_listener
from tmf_apis.tmf666.registry import API, API_V5

V4, V5 = f"{API.base_path}/billingAccount", f"{API_V5.base_path}/billingAccount"
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def v4_account(client: httpx.Client, **body: Any) -> dict[str, Any]:
    party = unique("cust").replace(" ", "-")
    made = client.post(f"{API.base_path}/billFormat", json=bill_format()).json()
    response = client.post(
        V4,
        json={
            "name": unique("Home account"),
            "relatedParty": [
                {"id": party, "name": "Ada", "role": "customer", "@referredType": "Customer"}
            ],
            "contact": [
                {
                    "contactType": "billing",
                    "validFor": {"startDateTime": "2024-01-01T00:00:00Z"},
                    "contactMedium": [
                        {"mediumType": "email", "characteristic": {"emailAddress": "a@x.eu"}}
                    ],
                }
            ],
            "billStructure": {
                "format": {"isRef": True, "id": made["id"], "name": made["name"]},
                "cycleSpecification": {"isRef": False, "name": "Monthly"},
            },
            **body,
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_v4_account_reads_in_v5_shape(live_server) -> None:
    created = v4_account(live_server.client)

    shown = live_server.client.get(f"{V5}/{created['id']}")

    assert shown.status_code == 200, shown.text
    account = shown.json()
    assert account["href"].endswith(f"{V5}/{created['id']}")
    assert account["lastUpdate"] == created["lastModified"] and "lastModified" not in account
    [party] = account["relatedParty"]
    assert party["partyOrPartyRole"]["id"] == created["relatedParty"][0]["id"]
    assert account["contact"][0]["contactMedium"][0] == {
        "@type": "EmailContactMedium",
        "emailAddress": "a@x.eu",
    }
    assert account["billStructure"]["format"]["@type"] == "BillFormatRef"
    assert "isRef" not in account["billStructure"]["format"]
    assert account["billStructure"]["cycleSpecification"]["@type"] == "BillingCycleSpecification"
    assert account["accountBalance"] == []


def test_v5_lists_filter_sort_and_select_on_v5_names(live_server) -> None:
    created = v4_account(live_server.client)
    party = created["relatedParty"][0]["id"]

    listed = live_server.client.get(
        V5,
        params={
            "relatedParty.partyOrPartyRole.id": party,
            "lastUpdate.gte": created["lastModified"],
            "sort": "-lastUpdate",
            "fields": "lastUpdate,state",
        },
    )

    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "id": created["id"],
            "href": listed.json()[0]["href"],
            "@type": "BillingAccount",
            "lastUpdate": created["lastModified"],
            "state": "Active",
        }
    ]


def test_v5_patches_reach_v4_readers_and_back(live_server) -> None:
    created = v4_account(live_server.client)

    merged = live_server.client.patch(
        f"{V5}/{created['id']}", json={"state": "Suspended", "ratingType": "postpaid"}
    )
    patched = live_server.client.patch(
        f"{V5}/{created['id']}",
        headers=JSON_PATCH,
        json=[
            {"op": "replace", "path": "/contact/0/contactMedium/0/emailAddress", "value": "b@x.eu"}
        ],
    )
    stored = live_server.client.get(f"{V4}/{created['id']}").json()
    back = live_server.client.patch(f"{V4}/{created['id']}", json={"state": "Active"})

    assert merged.status_code == 200, merged.text
    assert patched.status_code == 200, patched.text
    assert stored["state"] == "Suspended" and stored["ratingType"] == "postpaid"
    assert stored["contact"][0]["contactMedium"] == [
        {"mediumType": "email", "characteristic": {"emailAddress": "b@x.eu"}}
    ]
    assert stored["billStructure"] == created["billStructure"]
    assert stored["relatedParty"] == created["relatedParty"]
    assert stored["lastModified"] > created["lastModified"]
    assert back.status_code == 200
    assert live_server.client.get(f"{V5}/{created['id']}").json()["state"] == "Active"
    refused = live_server.client.patch(
        f"{V5}/{created['id']}", json={"lastUpdate": "2030-01-01T00:00:00Z"}
    )
    assert refused.status_code == 400


def test_a_v5_account_names_its_bill_format_by_link(live_server) -> None:
    made = live_server.client.post(f"{API_V5.base_path}/billFormat", json=bill_format()).json()
    assert made["@type"] == "BillFormat"

    created = live_server.client.post(
        V5,
        json={
            "name": unique("Linked"),
            "relatedParty": [
                {
                    "role": "customer",
                    "partyOrPartyRole": {"id": "c-9", "name": "Bea", "@referredType": "Customer"},
                }
            ],
            "billStructure": {"format": {"@type": "BillFormatRef", "id": made["id"]}},
        },
    )

    assert created.status_code == 201, created.text
    stored = live_server.client.get(f"{V4}/{created.json()['id']}").json()
    assert stored["billStructure"]["format"] == {
        "isRef": True,
        "id": made["id"],
        "name": made["name"],
    }
    assert stored["relatedParty"] == [
        {"id": "c-9", "name": "Bea", "role": "customer", "@referredType": "Customer"}
    ]


def test_listeners_hear_v4_writes_in_their_own_shape(events_server) -> None:
    client = events_server.client
    name = unique("Heard")
    with running_listener() as v5_listener, running_listener() as v4_listener:
        for root, listener in ((API_V5.base_path, v5_listener), (API.base_path, v4_listener)):
            hub = client.post(
                f"{root}/hub",
                json={"callback": listener.url, "query": f"event.billingAccount.name={name}"},
            )
            assert hub.status_code == 201, hub.text
        created = v4_account(client, name=name)
        moved = client.patch(f"{V4}/{created['id']}", json={"state": "Suspended"})
        assert moved.status_code == 200, moved.text
        heard = v5_listener.wait_count(2)
        v4_heard = v4_listener.wait_count(1)

    assert [e["eventType"] for e in heard] == [
        "BillingAccountCreateEvent",
        "BillingAccountStateChangeEvent",
    ]
    account = heard[1]["event"]["billingAccount"]
    assert heard[1]["@type"] == "BillingAccountStateChangeEvent"
    assert account["href"].endswith(f"{V5}/{created['id']}")
    assert account["state"] == "Suspended" and "lastUpdate" in account
    assert account["relatedParty"][0]["partyOrPartyRole"]["id"] == created["relatedParty"][0]["id"]
    # v4 declares no BillingAccountCreateEvent: its listeners hear the state change only.
    assert [e["eventType"] for e in v4_heard] == ["BillingAccountStateChangeEvent"]
    assert v4_heard[0]["event"]["billingAccount"]["lastModified"]
