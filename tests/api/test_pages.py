"""The landing page, Swagger UI, the served specs, health and the listener endpoints."""

from __future__ import annotations

import subprocess
from importlib import metadata

import pytest

from tmf_apis import APIS


def test_landing_page_links_every_api(live_server) -> None:
    response = live_server.client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    for api in APIS:
        assert f'href="{api.base_path}/ui/"' in response.text
        assert api.tmf in response.text


@pytest.mark.parametrize("api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS])
def test_swagger_ui_and_spec_are_served(live_server, api) -> None:
    ui = live_server.client.get(f"{api.base_path}/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()
    spec = live_server.client.get(f"{api.base_path}/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["x-tmf-api"] == api.tmf


def test_health_reports_server_and_database(live_server) -> None:
    response = live_server.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    assert body["database"]["status"] == "up"
    assert {a["api"] for a in body["apis"]} == {a.tmf for a in APIS}
    # Which build answered: the installed package's version, and the commit of this checkout
    # when git can tell it.
    installed = metadata.version("tmf-bss-server")
    asked = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    head = asked.stdout.strip() if asked.returncode == 0 else None
    assert body["version"]["server"] == installed
    shown = body["version"]["commit"]
    assert (shown is None) if head is None else head.startswith(shown)
    comment = f" ({shown})" if shown else ""
    assert response.headers["server"] == f"tmf-bss-server/{installed}{comment}"
    # Every answer says it, an error too.
    missing = live_server.client.get("/tmf-api/customerManagement/v4/customer/none")
    assert missing.status_code == 404
    assert missing.headers["server"] == response.headers["server"]


def test_a_listener_endpoint_acknowledges_a_valid_event(live_server) -> None:
    event = {
        "eventId": "evt-1",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventType": "CustomerCreateEvent",
        "event": {"customer": {"id": "c-1", "href": "http://crm/customer/c-1", "name": "Moon FC"}},
    }
    response = live_server.client.post(
        "/tmf-api/customerManagement/v4/listener/customerCreateEvent", json=event
    )
    assert response.status_code == 201
    assert response.json()["id"] == "evt-1"


def test_a_listener_endpoint_refuses_a_malformed_event(live_server) -> None:
    response = live_server.client.post(
        "/tmf-api/customerManagement/v4/listener/customerCreateEvent",
        json={"eventTime": "not a time", "event": []},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("api", APIS, ids=lambda api: api.tmf)
def test_each_api_root_is_an_index_of_its_resources(live_server, api) -> None:
    for base_path in api.base_paths:
        response = live_server.client.get(f"{base_path}/")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["api"] == api.tmf
        assert body["href"] == f"{live_server.url}{base_path}/"
        names = [r["name"] for r in body["resources"]]
        assert names and all(
            r["href"] == f"{live_server.url}{base_path}/{r['name']}" for r in body["resources"]
        )
        # Each one it names answers a list.
        first = live_server.client.get(f"{base_path}/{names[0]}", params={"limit": 1})
        assert first.status_code in (200, 206), first.text
        assert live_server.client.get(body["openapi"]).status_code == 200
