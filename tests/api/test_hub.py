"""Listener registration through `/hub`, for every API."""

from __future__ import annotations

import pytest

from persistence.subscriptions import Subscription
from tmf_apis import APIS
from tmf_apis.registry import Api

pytestmark = pytest.mark.parametrize(
    "api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS]
)


def test_register_returns_201_with_location_and_stores_it(live_server, api: Api) -> None:
    body = {
        "callback": "https://crm.example.com/listener",
        "query": "eventType=CustomerCreateEvent",
    }
    response = live_server.client.post(f"{api.base_path}/hub", json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["callback"] == body["callback"]
    assert created["query"] == body["query"]
    assert response.headers["Location"] == f"{live_server.url}{api.base_path}/hub/{created['id']}"
    stored = Subscription.objects.get(subscription_id=created["id"])
    assert (stored.api, stored.callback) == (api.name, body["callback"])


def test_unregister_is_204_then_404(live_server, api: Api) -> None:
    created = live_server.client.post(
        f"{api.base_path}/hub", json={"callback": "http://listener.example.com/events"}
    ).json()
    assert live_server.client.delete(f"{api.base_path}/hub/{created['id']}").status_code == 204
    assert live_server.client.delete(f"{api.base_path}/hub/{created['id']}").status_code == 404


@pytest.mark.parametrize("callback", ["ftp://host/x", "not a url", "/relative/path", "http://"])
def test_register_refuses_callbacks_that_are_not_http_urls(live_server, api, callback) -> None:
    response = live_server.client.post(f"{api.base_path}/hub", json={"callback": callback})
    assert response.status_code == 400
    assert response.json()["@type"] == "Error"


def test_register_without_callback_is_400(live_server, api: Api) -> None:
    assert live_server.client.post(f"{api.base_path}/hub", json={}).status_code == 400


def test_a_subscription_reads_back_and_is_listed(live_server, api: Api) -> None:
    hub = f"{api.base_path}/hub"
    body = {"callback": "https://crm.example.com/read-back", "query": "eventType=X"}
    created = live_server.client.post(hub, json=body).json()
    read = live_server.client.get(f"{hub}/{created['id']}")
    assert read.status_code == 200
    shown = read.json()
    assert (shown["id"], shown["callback"], shown["query"]) == (
        created["id"],
        body["callback"],
        body["query"],
    )
    assert "secret" not in shown
    listed = live_server.client.get(hub, params={"limit": 200})
    assert listed.status_code == 200
    assert listed.headers["X-Result-Count"] == str(len(listed.json()))
    assert created["id"] in {s["id"] for s in listed.json()}
    assert all("secret" not in s for s in listed.json())
    live_server.client.delete(f"{hub}/{created['id']}")
    assert live_server.client.get(f"{hub}/{created['id']}").status_code == 404


def test_subscriptions_are_listed_in_pages(live_server, api: Api) -> None:
    hub = f"{api.base_path}/hub"
    for n in range(3):
        live_server.client.post(hub, json={"callback": f"https://crm.example.com/page/{n}"})
    total = int(live_server.client.get(hub).headers["X-Total-Count"])
    assert total >= 3
    first = live_server.client.get(hub, params={"offset": 0, "limit": 2})
    assert first.status_code == 206
    assert (first.headers["X-Total-Count"], first.headers["X-Result-Count"]) == (str(total), "2")
    rest = live_server.client.get(hub, params={"offset": 2, "limit": 200}).json()
    seen = [s["id"] for s in first.json()] + [s["id"] for s in rest]
    assert len(seen) == len(set(seen)) == total
