"""What Swagger UI shows of each spec beyond the official facts: the filters each list declares,
each taken by the server in the edition that declares it and narrowing the list, and the example
bodies of creates, each one the server takes as it is."""

from __future__ import annotations

import pytest

from tests.builders import customer
from tmf_apis import APIS
from tmf_apis.registry import Api

VALUES = {"string": "no-such-value", "boolean": "true"}


def declared(live_server, api: Api) -> list[tuple[str, str, str]]:
    """(list path, filter, type) of every filter the served spec declares."""
    spec = live_server.client.get(f"{api.base_path}/openapi.json").json()
    found = []
    for path, item in spec["paths"].items():
        listing = item.get("get", {})
        for parameter in listing.get("parameters", []):
            if parameter.get("in") == "query" and "." not in path and "{" not in path:
                found.append((path, parameter["name"], parameter["schema"]["type"]))
    return found


@pytest.mark.parametrize("api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS])
def test_every_declared_filter_is_taken(live_server, api: Api) -> None:
    filters = declared(live_server, api)
    assert filters  # every API lists something a client filters by
    for path, name, kind in filters:
        response = live_server.client.get(
            f"{api.base_path}{path}", params={name: VALUES[kind], "limit": 5}
        )
        assert response.status_code in (200, 206), (path, name, response.text)
        if kind == "string":
            assert response.json() == [], (path, name)


@pytest.mark.parametrize("edition", ["v4", "v5"])
def test_a_declared_filter_narrows_the_list(live_server, edition: str) -> None:
    root = f"/tmf-api/customerManagement/{edition}"
    made = live_server.client.post(
        "/tmf-api/customerManagement/v4/customer", json=customer(name=f"Filtered {edition}")
    ).json()
    found = live_server.client.get(f"{root}/customer", params={"name": f"Filtered {edition}"})
    assert [c["id"] for c in found.json()] == [made["id"]]


@pytest.mark.parametrize("api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS])
def test_the_example_bodies_are_ones_the_server_takes(live_server, api: Api) -> None:
    """Swagger UI offers each example to send as it is: the server takes its shape (a body
    naming a customer or account this server does not hold may be refused for that: 422)."""
    spec = live_server.client.get(f"{api.base_path}/openapi.json").json()
    sent = 0
    for path, item in spec["paths"].items():
        media = item.get("post", {}).get("requestBody", {}).get("content", {})
        example = media.get("application/json", {}).get("example")
        if example is None:
            continue
        response = live_server.client.post(f"{api.base_path}{path}", json=example)
        sent += 1
        assert response.status_code in (201, 422), (path, response.text)
        if response.status_code == 422:
            assert path == "/payment", (path, response.text)  # its account must exist
    assert sent, "every API shows at least one example body"
