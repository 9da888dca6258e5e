"""TMF630 conditional requests over HTTP, for every resource of every API: `ETag` on what
retrieve, create and patch return, `If-None-Match` on retrieve (304), `If-Match` on patch and
delete (412, with nothing changed)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from tests.builders import BUILDERS, every_resource, operation_ids, unique, url
from tmf_apis import APIS
from tmf_apis.registry import Api, Resource

STALE = 'W/"stale-tag"'


def retrievable() -> list[Any]:
    """(api, resource) for every resource a client creates and retrieves by id."""
    return [
        pytest.param(api, resource, id=f"{api.tmf}-{api.version}-{resource.schema}")
        for api in APIS
        for resource in api.resources
        if resource.schema in BUILDERS
        and {f"create{resource.schema}", f"retrieve{resource.schema}"} <= operation_ids(api)
    ]


def deletable() -> list[Any]:
    return [
        p for p in every_resource() if f"delete{p.values[1].schema}" in operation_ids(p.values[0])
    ]


def create(client: httpx.Client, api: Api, resource: Resource, **overrides: Any) -> httpx.Response:
    response = client.post(url(api, resource), json=BUILDERS[resource.schema](**overrides))
    assert response.status_code == 201, response.text
    return response


def etag_of(client: httpx.Client, target: str) -> str:
    response = client.get(target)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


@pytest.mark.parametrize(("api", "resource"), retrievable())
def test_create_and_retrieve_give_the_same_weak_etag(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    tag = created.headers["ETag"]
    assert tag.startswith('W/"') and tag.endswith('"')
    assert etag_of(live_server.client, url(api, resource, created.json()["id"])) == tag


@pytest.mark.parametrize(("api", "resource"), retrievable())
def test_if_none_match_of_the_current_tag_is_304_without_a_body(live_server, api, resource):
    target = url(api, resource, create(live_server.client, api, resource).json()["id"])
    tag = etag_of(live_server.client, target)
    for header in (tag, f'W/"other", {tag}', tag.removeprefix("W/"), "*"):
        response = live_server.client.get(target, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == tag
    other = live_server.client.get(target, headers={"If-None-Match": STALE})
    assert other.status_code == 200
    assert other.headers["ETag"] == tag
    assert other.json()["id"] == target.rsplit("/", 1)[1]


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(live_server, api, resource):
    target = url(api, resource, create(live_server.client, api, resource).json()["id"])
    before = live_server.client.get(target)
    response = live_server.client.patch(
        target, json={"name": unique("lost")}, headers={"If-Match": STALE}
    )
    assert response.status_code == 412, response.text
    assert response.json()["code"] == "412"
    assert response.json()["@type"] == "Error"
    after = live_server.client.get(target)
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_patch_with_the_current_if_match_gives_a_new_etag(live_server, api, resource) -> None:
    target = url(api, resource, create(live_server.client, api, resource).json()["id"])
    tag = etag_of(live_server.client, target)
    name = unique("kept")
    response = live_server.client.patch(target, json={"name": name}, headers={"If-Match": tag})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name
    new_tag = response.headers["ETag"]
    assert new_tag != tag
    assert etag_of(live_server.client, target) == new_tag
    # The old tag no longer names the resource; `*` names any existing one.
    again = live_server.client.patch(target, json={"name": "x"}, headers={"If-Match": tag})
    assert again.status_code == 412
    anyone = live_server.client.patch(target, json={"name": name}, headers={"If-Match": "*"})
    assert anyone.status_code == 200


@pytest.mark.parametrize(("api", "resource"), deletable())
def test_delete_with_a_stale_if_match_is_412_and_keeps_the_resource(live_server, api, resource):
    target = url(api, resource, create(live_server.client, api, resource).json()["id"])
    tag = etag_of(live_server.client, target)
    refused = live_server.client.delete(target, headers={"If-Match": STALE})
    assert refused.status_code == 412, refused.text
    assert refused.json()["code"] == "412"
    assert live_server.client.get(target).status_code == 200
    assert live_server.client.delete(target, headers={"If-Match": tag}).status_code == 204
    assert live_server.client.get(target).status_code == 404


@pytest.mark.parametrize(("api", "resource"), every_resource())
def test_concurrent_patches_with_one_if_match_let_exactly_one_through(
    live_server, api, resource
) -> None:
    target = url(api, resource, create(live_server.client, api, resource).json()["id"])
    tag = etag_of(live_server.client, target)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def patch(name: str) -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            start.wait()
            response = client.patch(target, json={"name": name}, headers={"If-Match": tag})
            statuses.append(response.status_code)

    names = [unique("first"), unique("second")]
    threads = [threading.Thread(target=patch, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    assert live_server.client.get(target).json()["name"] in names


def versioned() -> list[Any]:
    return [p for p in retrievable() if p.values[1].versioned]


@pytest.mark.parametrize(("api", "resource"), versioned())
def test_each_version_of_an_entity_has_its_own_etag(live_server, api, resource) -> None:
    first = create(live_server.client, api, resource, version="1.0")
    resource_id = first.json()["id"]
    second = live_server.client.post(
        url(api, resource), json=BUILDERS[resource.schema](id=resource_id, version="2.0")
    )
    assert second.status_code == 201, second.text
    target = url(api, resource, resource_id)
    old = live_server.client.get(target, params={"version": "1.0"})
    latest = live_server.client.get(target, params={"version": "2.0"})
    tags = {first.headers["ETag"], old.headers["ETag"], latest.headers["ETag"]}
    assert len(tags) == 3  # the first version's tag changed as it was archived
    assert second.headers["ETag"] == latest.headers["ETag"] == etag_of(live_server.client, target)
    archived = live_server.client.get(
        target, params={"version": "1.0"}, headers={"If-None-Match": old.headers["ETag"]}
    )
    assert archived.status_code == 304
    # An archived version's tag does not name the latest one.
    refused = live_server.client.patch(
        target, json={"name": "x"}, headers={"If-Match": old.headers["ETag"]}
    )
    assert refused.status_code == 412
