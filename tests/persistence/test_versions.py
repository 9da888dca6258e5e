"""Entity versions against the real database protocol: the latest in the resource's collection,
the others in its archive."""

from __future__ import annotations

import uuid

import pytest

from persistence.database import Database
from persistence.errors import Conflict, NotFound
from persistence.versions import VersionedStore, version_key


@pytest.fixture
def versions(database: Database) -> VersionedStore:
    name = f"versions_{uuid.uuid4().hex[:8]}"
    database.ensure_indexes(name, ["name"])
    store = database.versions(database.store(name))
    store.ensure_indexes()
    return store


def test_versions_order_by_number_not_by_text() -> None:
    ordered = ["1", "1.2", "1.10", "2.0", "2.0.1", "10"]
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert version_key(None) < version_key("0.1")
    assert version_key("2.0") < version_key("2.0-beta")  # a text part after the numbers


def test_a_higher_version_becomes_the_latest_and_keeps_the_older_one(
    versions: VersionedStore,
) -> None:
    versions.current.insert({"id": "o", "version": "1.0", "name": "first"})

    assert versions.add({"id": "o", "version": "2.0", "name": "second"}) is True

    assert versions.get("o")["name"] == "second"
    assert versions.get("o", "1.0")["name"] == "first"
    assert versions.versions("o") == ["1.0", "2.0"]
    assert versions.current.count({"id": "o"}) == 1  # lists see one entity


def test_an_older_version_added_late_goes_straight_to_the_archive(
    versions: VersionedStore,
) -> None:
    versions.current.insert({"id": "o", "version": "1.10", "name": "latest"})

    assert versions.add({"id": "o", "version": "1.9", "name": "late"}) is False

    assert versions.get("o")["name"] == "latest"
    assert versions.get("o", "1.9")["name"] == "late"


def test_a_version_held_already_or_an_unknown_entity_is_refused(
    versions: VersionedStore,
) -> None:
    versions.current.insert({"id": "o", "version": "1.0"})
    versions.add({"id": "o", "version": "2.0"})
    with pytest.raises(Conflict):
        versions.add({"id": "o", "version": "1.0"})
    with pytest.raises(NotFound):
        versions.add({"id": "nobody", "version": "1.0"})
    with pytest.raises(NotFound):
        versions.get("o", "3.0")


def test_references_resolve_to_the_named_version_or_the_latest(versions: VersionedStore) -> None:
    versions.current.insert({"id": "o", "version": "1.0", "price": 10})
    versions.add({"id": "o", "version": "1.1", "price": 12})

    assert versions.resolve({"id": "o"}) == {"id": "o", "version": "1.1", "price": 12}
    assert versions.resolve({"id": "o", "version": "1.0"})["price"] == 10
    assert versions.resolve({"id": "o", "version": "9"}) is None
    assert versions.resolve({"id": "held-elsewhere"}) is None


def test_deleting_the_latest_version_brings_back_the_next_one(versions: VersionedStore) -> None:
    versions.current.insert({"id": "o", "version": "1.0", "name": "one"})
    versions.add({"id": "o", "version": "2.0", "name": "two"})
    versions.add({"id": "o", "version": "3.0", "name": "three"})

    versions.delete("o", "3.0")
    assert versions.get("o")["name"] == "two"
    versions.delete("o", "1.0")
    assert versions.versions("o") == ["2.0"]
    versions.delete("o", "2.0")
    assert versions.versions("o") == []
    with pytest.raises(NotFound):
        versions.get("o")


def test_deleting_the_entity_removes_every_version(versions: VersionedStore) -> None:
    versions.current.insert({"id": "o", "version": "1.0"})
    versions.add({"id": "o", "version": "2.0"})

    versions.delete("o")

    assert versions.versions("o") == []
    assert versions.archive.count_documents({}) == 0


def test_an_interrupted_add_leaves_a_copy_not_a_loss(versions: VersionedStore) -> None:
    versions.current.insert({"id": "o", "version": "1.0", "name": "one"})
    versions.add({"id": "o", "version": "2.0", "name": "two"})
    # As if a later add had archived the latest and stopped before replacing it.
    versions.archive.insert_one({"id": "o", "version": "2.0", "name": "two"})

    versions.delete("o", "2.0")

    assert versions.get("o")["name"] == "one"
    assert versions.versions("o") == ["1.0"]


def test_renumbering_the_latest_may_not_go_below_an_archived_version(
    versions: VersionedStore,
) -> None:
    versions.current.insert({"id": "o", "version": "1.0"})
    versions.add({"id": "o", "version": "2.0"})
    versions.check_version_change("o", "2.0", "2.1")
    with pytest.raises(Conflict):
        versions.check_version_change("o", "2.0", "1.0")
