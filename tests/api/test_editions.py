"""Editions share one store: what one writes, another reads, filters, patches and hears about,
each in its own shape. Shown with a test edition of TMF629 whose mapping marks what it shows,
served beside v4 by the same server (tests/edition_server.py, tmf_apis/editions.py)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from settings import Settings
from tests.edition_server import MARK, V9
from tests.listener import Listener, running_listener
from tests.servers import server_process
from tmf_apis.tmf629.registry import API as CUSTOMER_V4

V4_ROOT, V9_ROOT = CUSTOMER_V4.base_path, V9.base_path


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    own = dataclasses.replace(
        settings,
        mongo_database=f"{settings.mongo_database}_editions",
        callback_allow_private=True,
    )
    with (
        server_process(own, "tests.edition_server") as (_, url),
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def customer(**body: Any) -> dict[str, Any]:
    return {
        "name": f"Edith {uuid.uuid4().hex[:8]}",
        "engagedParty": {"id": "i-1", "@referredType": "Individual"},
        **body,
    }


def test_what_one_edition_writes_the_other_reads(client: httpx.Client) -> None:
    by_v4 = client.post(f"{V4_ROOT}/customer", json=customer()).json()
    by_v9 = client.post(f"{V9_ROOT}/customer", json=customer(**{MARK: "v9"})).json()

    seen_by_v9 = client.get(f"{V9_ROOT}/customer/{by_v4['id']}").json()
    seen_by_v4 = client.get(f"{V4_ROOT}/customer/{by_v9['id']}").json()

    assert seen_by_v9[MARK] == "v9" and seen_by_v9["name"] == by_v4["name"]
    assert seen_by_v9["href"].endswith(f"{V9_ROOT}/customer/{by_v4['id']}")
    assert by_v9[MARK] == "v9"
    assert MARK not in seen_by_v4  # the mark is the edition's, never stored
    listed = client.get(f"{V9_ROOT}/customer", params={"name": by_v4["name"]}).json()
    assert [c["id"] for c in listed] == [by_v4["id"]] and listed[0][MARK] == "v9"


def test_patches_through_one_edition_are_read_through_the_other(client: httpx.Client) -> None:
    created = client.post(f"{V4_ROOT}/customer", json=customer()).json()
    target = f"/customer/{created['id']}"

    merged = client.patch(f"{V9_ROOT}{target}", json={"name": "Merged", MARK: "v9"})
    patched = client.patch(
        f"{V9_ROOT}{target}",
        headers={"Content-Type": "application/json-patch+json"},
        json=[
            {"op": "test", "path": f"/{MARK}", "value": "v9"},
            {"op": "add", "path": "/status", "value": "Approved"},
        ],
    )

    assert merged.status_code == 200, merged.text
    assert patched.status_code == 200, patched.text
    assert patched.json()[MARK] == "v9"
    read = client.get(f"{V4_ROOT}{target}").json()
    assert (read["name"], read["status"]) == ("Merged", "Approved")
    assert MARK not in read


def subscribe(client: httpx.Client, root: str, listener: Listener, name: str) -> None:
    body = {"callback": listener.url, "query": f"event.customer.name={name}"}
    response = client.post(f"{root}/hub", json=body)
    assert response.status_code == 201, response.text


def test_each_listener_hears_every_write_in_its_own_editions_shape(client: httpx.Client) -> None:
    body = customer()
    with running_listener() as v4, running_listener() as v9:
        subscribe(client, V4_ROOT, v4, body["name"])
        subscribe(client, V9_ROOT, v9, body["name"])
        created = client.post(f"{V9_ROOT}/customer", json=body).json()
        client.patch(f"{V4_ROOT}/customer/{created['id']}", json={"status": "Approved"})
        heard_v4 = v4.wait_count(2)
        heard_v9 = v9.wait_count(2)

    for heard, root, marked in ((heard_v4, V4_ROOT, False), (heard_v9, V9_ROOT, True)):
        resources = [event["event"]["customer"] for event in heard]
        assert all((MARK in r) == marked for r in resources), resources
        assert all(r["href"].endswith(f"{root}/customer/{created['id']}") for r in resources)
