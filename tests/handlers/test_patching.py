"""Merge Patch (RFC 7396) and JSON Patch (RFC 6902) semantics."""

from __future__ import annotations

import pytest

import errors
from handlers.patching import JSON_PATCH, JSON_PATCH_QUERY, MERGE_PATCH, PLAIN_JSON, apply, merge


def test_merge_replaces_removes_and_recurses() -> None:
    target = {"a": 1, "b": {"c": 2, "d": 3}, "list": [1, 2]}
    assert merge(target, {"a": None, "b": {"c": None, "e": 4}, "list": [3]}) == {
        "b": {"d": 3, "e": 4},
        "list": [3],
    }
    assert target == {"a": 1, "b": {"c": 2, "d": 3}, "list": [1, 2]}


def test_plain_json_is_read_as_merge_patch() -> None:
    assert apply({"a": 1}, {"a": 2}, PLAIN_JSON) == apply({"a": 1}, {"a": 2}, MERGE_PATCH)


def test_json_patch_operations() -> None:
    document = {"note": [{"text": "a"}], "name": "x"}
    patched = apply(
        document,
        [
            {"op": "add", "path": "/note/-", "value": {"text": "b"}},
            {"op": "remove", "path": "/name"},
        ],
        JSON_PATCH,
    )
    assert patched == {"note": [{"text": "a"}, {"text": "b"}]}
    assert document == {"note": [{"text": "a"}], "name": "x"}


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "", "value": [1]}],
        [{"op": "jump", "path": "/a"}],
        [{"path": "/a"}],
        {"op": "add"},
    ],
)
def test_bad_json_patches_are_bad_requests(operations) -> None:
    with pytest.raises(errors.BadRequest):
        apply({"a": 1}, operations, JSON_PATCH)


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/a/b", "value": 1}],
        [{"op": "move", "from": "/nothing", "path": "/a"}],
    ],
)
def test_patches_that_do_not_fit_the_resource_are_conflicts(operations) -> None:
    with pytest.raises(errors.Conflict):
        apply({"a": 1}, operations, JSON_PATCH)


def test_a_failed_test_operation_is_a_conflict() -> None:
    with pytest.raises(errors.Conflict):
        apply({"a": 1}, [{"op": "test", "path": "/a", "value": 2}], JSON_PATCH)


def test_a_merge_patch_must_be_an_object() -> None:
    with pytest.raises(errors.BadRequest):
        apply({"a": 1}, [1], MERGE_PATCH)


def test_other_media_types_are_unsupported() -> None:
    with pytest.raises(errors.UnsupportedMediaType):
        apply({"a": 1}, {}, "text/plain")


def test_a_json_patch_query_applies_to_the_elements_it_selects() -> None:
    document = {
        "item": [
            {"id": "1", "account": {"id": "a"}},
            {"id": "2", "account": {"id": "b"}},
            {"id": "3", "account": {"id": "c"}, "kind": "x"},
        ]
    }
    patched = apply(
        document,
        [
            {"op": "replace", "path": "/item/account/id?item.id=2", "value": "z"},
            {"op": "add", "path": "/item/note?item.kind=x", "value": "flagged"},
        ],
        JSON_PATCH_QUERY,
    )
    assert [i["account"]["id"] for i in patched["item"]] == ["a", "z", "c"]
    assert patched["item"][2]["note"] == "flagged" and "note" not in patched["item"][0]


@pytest.mark.parametrize(
    ("path", "failure"),
    [
        ("/item/account/id?item.id=9", errors.Conflict),  # selects nothing
        ("/item/account/id?other.id=1", errors.Conflict),  # no element has that attribute
        ("/account/id?x=1", errors.BadRequest),  # no array on the path
        ("/item/account/id?", errors.BadRequest),  # an empty query
    ],
)
def test_a_json_patch_query_that_selects_nothing_is_refused(path: str, failure: type) -> None:
    with pytest.raises(failure):
        apply(
            {"item": [{"id": "1", "account": {"id": "a"}}]},
            [{"op": "replace", "path": path, "value": 1}],
            JSON_PATCH_QUERY,
        )


def test_a_json_patch_query_may_name_the_elements_attributes_alone() -> None:
    document = {"medium": [{"city": "Lyon"}, {"city": "Paris", "preferred": False}]}
    patched = apply(
        document,
        [{"op": "replace", "path": "/medium/preferred?city=Paris", "value": True}],
        JSON_PATCH_QUERY,
    )
    assert patched["medium"][1]["preferred"] is True and "preferred" not in patched["medium"][0]
