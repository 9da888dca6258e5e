"""The resource repository against the real database protocol."""

from __future__ import annotations

import uuid

import pytest

from persistence.database import Database
from persistence.errors import Conflict, NotFound
from persistence.store import ListQuery, ResourceStore


@pytest.fixture
def store(database: Database) -> ResourceStore:
    name = f"store_{uuid.uuid4().hex[:8]}"
    database.ensure_indexes(name, ["name"])
    return database.store(name, [("validFor", "startDateTime")])


def test_insert_then_get_hides_internal_fields(store: ResourceStore) -> None:
    store.insert({"id": "a", "name": "A"})
    assert store.get("a") == {"id": "a", "name": "A"}


def test_duplicate_id_is_a_conflict(store: ResourceStore) -> None:
    store.insert({"id": "a"})
    with pytest.raises(Conflict):
        store.insert({"id": "a"})


def test_replace_refuses_a_stale_revision(store: ResourceStore) -> None:
    store.insert({"id": "a", "name": "A"})
    document, revision = store.get_for_update("a")
    store.replace(document, revision, {**document, "name": "first writer"})
    with pytest.raises(Conflict):
        store.replace(document, revision, {**document, "name": "second writer"})
    assert store.get("a")["name"] == "first writer"


def test_missing_documents_are_not_found(store: ResourceStore) -> None:
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.get_for_update("nope")
    with pytest.raises(NotFound):
        store.replace({"id": "nope"}, 1, {"id": "nope"})
    with pytest.raises(NotFound):
        store.delete("nope")


def test_pages_are_stable_and_counted(store: ResourceStore) -> None:
    for index in range(7):
        store.insert({"id": f"d{index}", "name": "same"})
    pages = [store.find(ListQuery(filter={"name": "same"}, offset=o, limit=3)) for o in (0, 3, 6)]
    assert [[d["id"] for d in p.items] for p in pages] == [
        ["d0", "d1", "d2"],
        ["d3", "d4", "d5"],
        ["d6"],
    ]
    assert {p.total for p in pages} == {7}
    assert store.find(ListQuery(offset=20, limit=3)).total == 7
    assert store.find(ListQuery(limit=0)).total == 7


def test_prepare_normalizes_dates(store: ResourceStore) -> None:
    document = {"id": "a", "validFor": {"startDateTime": "2024-01-01T00:00:00+01:00"}}
    store.prepare(document)
    assert document["validFor"]["startDateTime"] == "2023-12-31T23:00:00.000Z"


def test_modify_applies_a_change_and_bumps_the_revision(store: ResourceStore) -> None:
    store.insert({"id": "a", "tags": []})
    store.modify("a", lambda d: d["tags"].append("x"))
    store.modify("a", lambda d: d["tags"].append("y"))
    assert store.get("a")["tags"] == ["x", "y"]
    assert store.get_for_update("a")[1] == 3


def test_exists_answers_for_a_filter(store: ResourceStore) -> None:
    store.insert({"id": "a", "parentId": "p"})
    assert store.exists({"parentId": "p"})
    assert not store.exists({"parentId": "q"})


def test_find_all_kept_reads_the_api_bookkeeping_in_one_pass(store: ResourceStore) -> None:
    store.insert({"id": "a", "account": "x", "_ops": [1]})
    store.insert({"id": "b", "account": "x", "_ops": [2]})
    store.insert({"id": "c", "account": "y", "_ops": [3]})
    store.delete("b")
    kept = list(store.find_all_kept({"account": "x"}))
    # The API's own `_` attributes stay; the store's revision does not; a deleted one is gone.
    assert kept == [{"id": "a", "account": "x", "_ops": [1]}]


def test_get_many_for_update_gives_each_found_document_with_its_revision(
    store: ResourceStore,
) -> None:
    store.insert({"id": "a", "name": "A"})
    store.insert({"id": "b", "name": "B"})
    store.insert({"id": "gone"})
    store.modify("b", lambda d: d.update(name="B2"))
    store.delete("gone")
    found = store.get_many_for_update(["a", "b", "gone", "nope"])
    assert found == {"a": ({"id": "a", "name": "A"}, 1), "b": ({"id": "b", "name": "B2"}, 2)}
    assert store.get_many_for_update([]) == {}
    document, revision = found["b"]
    store.replace(document, revision, {**document, "name": "B3"})
    with pytest.raises(Conflict):
        store.replace(document, revision, {**document, "name": "stale"})


def test_get_with_revision_gives_the_validator_of_what_it_read(store: ResourceStore) -> None:
    store.insert({"id": "a", "name": "A", "size": 1})
    store.modify("a", lambda d: d.update(name="A2"))
    assert store.get_with_revision("a") == ({"id": "a", "name": "A2", "size": 1}, 2)
    # A selection of attributes (`fields`) still brings the revision, and only it besides.
    assert store.get_with_revision("a", {"_id": 0, "name": 1}) == ({"name": "A2"}, 2)
    with pytest.raises(NotFound):
        store.get_with_revision("a", within={"name": "other"})


def test_delete_revision_deletes_only_the_revision_read(store: ResourceStore) -> None:
    store.insert({"id": "a", "name": "A"})
    document, revision = store.get_for_update("a")
    store.modify("a", lambda d: d.update(name="changed meanwhile"))
    with pytest.raises(Conflict):
        store.delete_revision(document, revision)
    assert store.get("a")["name"] == "changed meanwhile"
    document, revision = store.get_for_update("a")
    store.delete_revision(document, revision)
    with pytest.raises(NotFound):
        store.get("a")
