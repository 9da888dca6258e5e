"""TMF630 behaviour shared by every resource, checked over HTTP for each resource of each API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.builders import (
    BUILDERS,
    FREE_ATTRIBUTE,
    MANDATORY_ATTRIBUTE,
    REFERENCE_ARRAYS,
    attributes,
    every_resource,
    unique,
    url,
)
from tmf_apis.registry import Api, Resource

pytestmark = pytest.mark.parametrize(("api", "resource"), every_resource())


def create(client: httpx.Client, api: Api, resource: Resource, **overrides: Any) -> dict[str, Any]:
    response = client.post(url(api, resource), json=BUILDERS[resource.schema](**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def always_selected(api: Api, created: dict[str, Any]) -> dict[str, Any]:
    """What the edition returns with any `fields` selection besides id and href (v5: @type)."""
    return {name: created[name] for name in api.mapping.always_selected}


def untyped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without the `@type` a v5 edition shows on each (its typed characteristics)."""
    return [{k: v for k, v in item.items() if k != "@type"} for item in items]


def test_every_resource_has_a_builder(api: Api, resource: Resource) -> None:
    assert resource.schema in BUILDERS


def test_create_returns_201_with_location_equal_to_href(live_server, api, resource) -> None:
    response = live_server.client.post(url(api, resource), json=BUILDERS[resource.schema]())
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == body["href"]
    assert body["href"] == f"{live_server.url}{url(api, resource, body['id'])}"
    assert body["@type"] == resource.schema


def test_create_keeps_extension_attributes(live_server, api, resource) -> None:
    extension = {"loyaltyTier": "gold", "x-crm": {"segment": [1, 2, 3]}}
    created = create(live_server.client, api, resource, **extension)
    fetched = live_server.client.get(url(api, resource, created["id"])).json()
    assert fetched["loyaltyTier"] == "gold"
    assert fetched["x-crm"] == {"segment": [1, 2, 3]}


def test_create_overwrites_server_owned_attributes(live_server, api, resource) -> None:
    # On a versioned resource a client `id` asks for a new version (test_catalog_versions.py).
    chosen = {} if resource.versioned else {"id": "client-chosen"}
    created = create(live_server.client, api, resource, href="http://x/y", **chosen)
    assert created["id"] != "client-chosen"
    assert created["href"].endswith("/" + created["id"])


def test_create_keeps_a_subclass_type(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource, **{"@type": f"Vip{resource.schema}"})
    assert created["@type"] == f"Vip{resource.schema}"


def test_retrieve_returns_what_create_returned(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.get(url(api, resource, created["id"]))
    assert response.status_code == 200
    assert response.json() == created


def test_retrieve_unknown_id_is_404(live_server, api, resource) -> None:
    response = live_server.client.get(url(api, resource, "no-such-id"))
    assert response.status_code == 404
    assert response.json()["code"] == "404"


def test_retrieve_honours_fields(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.get(url(api, resource, created["id"]), params={"fields": "name"})
    assert response.json() == {
        "id": created["id"],
        "href": created["href"],
        "name": created["name"],
        **always_selected(api, created),
    }


def test_list_honours_fields_and_keeps_id_and_href(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.get(
        url(api, resource), params={"name": created["name"], "fields": "name,@type"}
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": created["id"],
            "href": created["href"],
            "name": created["name"],
            "@type": created["@type"],
        }
    ]


def test_list_fields_none_gives_id_and_href_only(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.get(
        url(api, resource), params={"id": created["id"], "fields": "none"}
    )
    assert response.json() == [
        {"id": created["id"], "href": created["href"], **always_selected(api, created)}
    ]


def test_list_filters_by_equality_and_comma_or(live_server, api, resource) -> None:
    first = create(live_server.client, api, resource)
    second = create(live_server.client, api, resource)
    create(live_server.client, api, resource)
    response = live_server.client.get(
        url(api, resource), params={"name": f"{first['name']},{second['name']}"}
    )
    assert sorted(item["id"] for item in response.json()) == sorted([first["id"], second["id"]])
    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["X-Result-Count"] == "2"


def test_list_filters_by_regex_and_ne(live_server, api, resource) -> None:
    marker = unique("tag")
    kept = create(live_server.client, api, resource, name=f"{marker} kept")
    dropped = create(live_server.client, api, resource, name=f"{marker} dropped")
    listed = live_server.client.get(url(api, resource), params={"name.regex": f"^{marker}"}).json()
    assert {item["id"] for item in listed} == {kept["id"], dropped["id"]}
    listed = live_server.client.get(
        url(api, resource), params={"name.regex": f"^{marker}", "name.ne": dropped["name"]}
    ).json()
    assert [item["id"] for item in listed] == [kept["id"]]


def test_list_filters_by_dotted_path_into_arrays(live_server, api, resource) -> None:
    if resource.schema not in REFERENCE_ARRAYS:
        pytest.skip("no array of references of one shape in every edition (TMF666 accounts)")
    attribute, shape = REFERENCE_ARRAYS[resource.schema]
    wanted = unique("ref").replace(" ", "-")
    items = [{"id": "other", **shape}, {"id": wanted, **shape}]
    created = create(live_server.client, api, resource, **{attribute: items})
    listed = live_server.client.get(url(api, resource), params={f"{attribute}.id": wanted}).json()
    assert [item["id"] for item in listed] == [created["id"]]


def test_list_filters_date_times_by_range_and_day(live_server, api, resource) -> None:
    if "validFor" not in attributes(api, resource):
        pytest.skip("no validFor of its own (TMF666 accounts, bill formats and media)")
    marker = unique("dated")
    early = create(
        live_server.client,
        api,
        resource,
        name=f"{marker} early",
        validFor={"startDateTime": "2031-03-01T23:30:00+02:00"},
    )
    late = create(
        live_server.client,
        api,
        resource,
        name=f"{marker} late",
        validFor={"startDateTime": "2031-03-02T08:00:00Z"},
    )
    assert early["validFor"]["startDateTime"] == "2031-03-01T21:30:00.000Z"

    def ids(**params: str) -> list[str]:
        params["name.regex"] = f"^{marker}"
        response = live_server.client.get(url(api, resource), params=params)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json())

    assert ids(**{"validFor.startDateTime.gt": "2031-03-02T00:00:00Z"}) == [late["id"]]
    assert ids(**{"validFor.startDateTime.lte": "2031-03-02T00:00:00+01:00"}) == [early["id"]]
    assert ids(**{"validFor.startDateTime": "2031-03-01"}) == [early["id"]]
    assert ids(**{"validFor.startDateTime": early["validFor"]["startDateTime"]}) == [early["id"]]


def test_list_sorts_ascending_and_descending(live_server, api, resource) -> None:
    marker = unique("sorted")
    for suffix in ("b", "c", "a"):
        create(live_server.client, api, resource, name=f"{marker} {suffix}")
    params = {"name.regex": f"^{marker}", "fields": "name"}
    ascending = live_server.client.get(url(api, resource), params={**params, "sort": "name"})
    descending = live_server.client.get(url(api, resource), params={**params, "sort": "-name"})
    assert [i["name"][-1] for i in ascending.json()] == ["a", "b", "c"]
    assert [i["name"][-1] for i in descending.json()] == ["c", "b", "a"]


def test_list_pages_with_206_and_counts(live_server, api, resource) -> None:
    marker = unique("paged")
    made = [create(live_server.client, api, resource, name=f"{marker} {i}") for i in range(5)]
    params = {"name.regex": f"^{marker}", "sort": "name", "limit": "2"}
    first = live_server.client.get(url(api, resource), params=params)
    last = live_server.client.get(url(api, resource), params={**params, "offset": "4"})
    beyond = live_server.client.get(url(api, resource), params={**params, "offset": "9"})
    whole = live_server.client.get(url(api, resource), params={"name.regex": f"^{marker}"})
    assert first.status_code == 206
    assert [i["id"] for i in first.json()] == [m["id"] for m in made[:2]]
    assert (first.headers["X-Total-Count"], first.headers["X-Result-Count"]) == ("5", "2")
    assert last.status_code == 206
    assert [i["id"] for i in last.json()] == [made[4]["id"]]
    assert beyond.json() == [] and beyond.headers["X-Total-Count"] == "5"
    assert whole.status_code == 200 and whole.headers["X-Total-Count"] == "5"


def test_list_with_limit_zero_counts_only(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.get(url(api, resource), params={"id": created["id"], "limit": 0})
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "1"


def test_list_without_limit_is_truncated_at_the_configured_maximum(
    live_server, settings, api, resource
) -> None:
    response = live_server.client.get(url(api, resource), params={"fields": "none"})
    total = int(response.headers["X-Total-Count"])
    expected = 206 if total > settings.max_page_size else 200
    assert response.status_code == expected
    assert int(response.headers["X-Result-Count"]) == min(total, settings.max_page_size)


def test_merge_patch_changes_removes_and_replaces(live_server, api, resource) -> None:
    free = FREE_ATTRIBUTE.get(resource.schema, "status")
    created = create(
        live_server.client,
        api,
        resource,
        **{free: "Approved"},
        characteristic=[{"name": "a", "value": 1}],
    )
    patch = {
        "name": unique("renamed"),
        free: None,
        "characteristic": [{"name": "b", "value": 2}],
    }
    response = live_server.client.patch(
        url(api, resource, created["id"]),
        content=_json(patch),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["name"] == patch["name"]
    assert free not in patched
    assert untyped(patched["characteristic"]) == [{"name": "b", "value": 2}]
    assert live_server.client.get(url(api, resource, created["id"])).json() == patched


def test_plain_json_patch_is_a_merge_patch(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.patch(url(api, resource, created["id"]), json={"name": "Sun FC"})
    assert response.status_code == 200
    assert response.json()["name"] == "Sun FC"
    assert response.json()["@type"] == created["@type"]


def test_json_patch_applies_operations_atomically(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource, characteristic=[{"name": "a", "value": 1}])
    operations = [
        {"op": "replace", "path": "/name", "value": "patched"},
        {"op": "add", "path": "/characteristic/-", "value": {"name": "b", "value": 2}},
    ]
    response = live_server.client.patch(
        url(api, resource, created["id"]),
        content=_json(operations),
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert untyped(response.json()["characteristic"])[-1] == {"name": "b", "value": 2}
    failing = [
        {"op": "replace", "path": "/name", "value": "never stored"},
        {"op": "test", "path": "/name", "value": "something else"},
    ]
    response = live_server.client.patch(
        url(api, resource, created["id"]),
        content=_json(failing),
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 409
    assert live_server.client.get(url(api, resource, created["id"])).json()["name"] == "patched"


def test_patch_refuses_server_owned_attributes(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    target = url(api, resource, created["id"])
    assert live_server.client.patch(target, json={"id": "other"}).status_code == 400
    assert live_server.client.patch(target, json={"href": "http://elsewhere/x"}).status_code == 400
    unchanged = live_server.client.patch(target, json={"id": created["id"], "name": "same id"})
    assert unchanged.status_code == 200
    assert live_server.client.get(target).json()["id"] == created["id"]


def test_names_reserved_to_the_server_are_refused(live_server, api, resource) -> None:
    # Top-level `_` names hold the server's bookkeeping: a client's `_pending` would be relayed
    # as events, `_gone` would hide the resource, `_id` would take its place in page order.
    marker = unique("reserved")
    forged = {"_pending": [{"eventId": marker, "eventType": "Forged"}], "_gone": True, "_id": 1}
    body = BUILDERS[resource.schema](**forged)
    response = live_server.client.post(url(api, resource), json=body)
    assert response.status_code == 400, response.text
    assert "_gone, _id, _pending" in response.json()["message"]
    created = create(live_server.client, api, resource)
    target = url(api, resource, created["id"])
    assert live_server.client.patch(target, json={"_gone": True}).status_code == 400
    ops = [{"op": "add", "path": "/_rev", "value": 99}]
    patched = live_server.client.patch(
        target, content=json.dumps(ops), headers={"Content-Type": "application/json-patch+json"}
    )
    assert patched.status_code == 400
    assert live_server.client.get(target).json() == created


def test_patch_validates_the_merged_result(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    target = url(api, resource, created["id"])
    mandatory = MANDATORY_ATTRIBUTE.get(resource.schema, "name")
    removing_mandatory = live_server.client.patch(target, json={mandatory: None})
    assert removing_mandatory.status_code == 400
    assert mandatory in removing_mandatory.json()["message"]
    assert live_server.client.get(target).json() == created


def test_patch_unknown_id_is_404(live_server, api, resource) -> None:
    response = live_server.client.patch(url(api, resource, "no-such-id"), json={"name": "x"})
    assert response.status_code == 404


def test_delete_is_204_then_404(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    target = url(api, resource, created["id"])
    assert live_server.client.delete(target).status_code == 204
    assert live_server.client.get(target).status_code == 404
    assert live_server.client.delete(target).status_code == 404


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_json_patch_that_would_break_the_schema_is_422(live_server, api, resource) -> None:
    created = create(live_server.client, api, resource)
    response = live_server.client.patch(
        url(api, resource, created["id"]),
        content=_json([{"op": "replace", "path": "/name", "value": 5}]),
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 422
    assert live_server.client.get(url(api, resource, created["id"])).json() == created


def test_unknown_sort_and_fields_attributes_are_400_like_filters(
    live_server, api, resource
) -> None:
    """Filters, `sort` and `fields` accept the same attributes: the schema's."""
    created = create(live_server.client, api, resource, loyaltyRank=1)
    for params in ({"loyaltyRank": "1"}, {"sort": "loyaltyRank"}, {"fields": "loyaltyRank"}):
        response = live_server.client.get(url(api, resource), params=params)
        assert response.status_code == 400, (params, response.text)
        assert "'loyaltyRank'" in response.json()["message"]
    fields = live_server.client.get(url(api, resource, created["id"]), params={"fields": "x.y"})
    assert fields.status_code == 400
    assert "'x.y'" in fields.json()["message"]
