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
