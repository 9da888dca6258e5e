"""The outbox: events recorded with the write that caused them, copied once, numbered in order in
their resource's partition."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.collection import Collection

from notifications.events import ResourceEvents
from persistence.database import Database
from persistence.errors import Conflict, NotFound
from persistence.outbox import PARTITION, Outbox, following
from persistence.store import ResourceStore

JOURNAL = ResourceEvents(
    api="testManagement",
    schema="Widget",
    path="widget",
    kinds=frozenset({"Create", "AttributeValueChange", "StateChange", "Delete"}),
    state="status",
)


class StoppedWriter(Outbox):
    """A writer that stops right after its write: the copy to the outbox never happens."""

    def relay(self, collection: Collection[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def outbox(database: Database) -> Iterator[Outbox]:
    # Each test reads its own events collection: the shared database holds other tests' events.
    name = f"outbox_{uuid.uuid4().hex[:8]}"
    box = Outbox(database.client[name])
    box.ensure_indexes()
    yield box
    database.client.drop_database(name)


def store_on(outbox: Outbox, kind: type[Outbox] = Outbox) -> ResourceStore:
    writer = outbox if kind is Outbox else kind(outbox.events.database)
    collection = outbox.events.database["widget"]
    collection.create_index("id", unique=True)
    return ResourceStore(collection, (), JOURNAL, writer)


def event_types(outbox: Outbox) -> list[str]:
    return [e["eventType"] for e in outbox.events.find().sort("_id", 1)]


def by_resource(outbox: Outbox) -> dict[str, list[str]]:
    """Each widget's event types, in number order."""
    found: dict[str, list[str]] = {}
    for event in outbox.events.find().sort("_id", 1):
        found.setdefault(event["event"]["widget"]["id"], []).append(event["eventType"])
    return found


def assert_numbered_without_gaps(outbox: Outbox, total: int) -> None:
    """Each partition's events hold its numbers from its first on, none left out, and its counter
    (of all events, and of the API's) names its newest."""
    count = outbox.partitions
    numbers: dict[int, list[int]] = {}
    for event in outbox.events.find({}, {PARTITION: 1}):
        numbers.setdefault(event[PARTITION], []).append(event["_id"])
    assert sum(len(n) for n in numbers.values()) == total
    heads = outbox.heads().get("testManagement", [0] * count)
    for partition in range(count):
        held = sorted(numbers.get(partition, []))
        expected, last = [], 0
        for _ in held:
            last = following(last, partition, count)
            expected.append(last)
        assert held == expected, partition
        assert outbox.tops()[partition] == heads[partition] == (held[-1] if held else 0)


def test_each_write_records_its_events_in_order(outbox: Outbox) -> None:
    store = store_on(outbox)
    store.insert({"id": "w1", "name": "first", "status": "new"})
    before, revision = store.get_for_update("w1")
    store.replace(before, revision, {**before, "status": "active", "name": "renamed"})
    before, revision = store.get_for_update("w1")
    store.replace(before, revision, {**before, "lastUpdate": "2026-01-01T00:00:00.000Z"})
    store.delete("w1")
    assert event_types(outbox) == [
        "WidgetCreateEvent",
        "WidgetStateChangeEvent",
        "WidgetAttributeValueChangeEvent",
        "WidgetDeleteEvent",
    ]
    assert_numbered_without_gaps(outbox, 4)
    change = outbox.events.find_one({"eventType": "WidgetAttributeValueChangeEvent"})
    assert change is not None
    assert change["fieldPath"] == "name"
    assert change["event"]["widget"]["name"] == "renamed"
    # Nothing is left behind in the collection: no pending list, no tombstone.
    assert store.collection.count_documents({}) == 0


def test_a_document_settled_at_its_creation_is_one_write_with_both_events(
    outbox: Outbox,
) -> None:
    """An insert given what the document becomes at once (an order its validation moves on)
    stores that, at the second revision, with the creation's and the change's events in the
    same write: a writer stopped right after it left both to be swept."""
    stopped = store_on(outbox, StoppedWriter)
    created = {"id": "w1", "name": "first", "status": "new"}
    stopped.insert(created, then={**created, "status": "active"})
    assert stopped.get_with_revision("w1") == ({"id": "w1", "name": "first", "status": "active"}, 2)

    assert outbox.sweep([stopped.collection]) == 1
    assert event_types(outbox) == ["WidgetCreateEvent", "WidgetStateChangeEvent"]
    shown = [e["event"]["widget"]["status"] for e in outbox.events.find().sort("_id", 1)]
    assert shown == ["new", "active"]
    assert_numbered_without_gaps(outbox, 2)


def test_a_failed_write_records_no_event(outbox: Outbox) -> None:
    store = store_on(outbox)
    store.insert({"id": "w1", "status": "new"})
    before, revision = store.get_for_update("w1")
    store.replace(before, revision, {**before, "status": "active"})
    with pytest.raises(Conflict):
        store.replace(before, revision, {**before, "status": "retired"})  # stale revision
    with pytest.raises(Conflict):
        store.insert({"id": "w1"})
    assert event_types(outbox) == ["WidgetCreateEvent", "WidgetStateChangeEvent"]


def test_events_of_a_writer_that_stopped_are_swept_and_its_deletions_stay_hidden(
    outbox: Outbox,
) -> None:
    stopped = store_on(outbox, StoppedWriter)
    stopped.insert({"id": "w1", "status": "new"})
    stopped.insert({"id": "w2", "status": "new"})
    before, revision = stopped.get_for_update("w1")
    stopped.replace(before, revision, {**before, "status": "active"})
    stopped.delete("w2")
    assert event_types(outbox) == []
    # The deleted one is a tombstone that no read sees, and its id cannot be changed any more.
    assert [d["id"] for d in stopped.find_all({})] == ["w1"]
    assert not stopped.exists({"id": "w2"})
    for read in (stopped.get, stopped.get_with_revision, stopped.get_for_update):
        with pytest.raises(NotFound):
            read("w2")
    assert stopped.get("w1") == {"id": "w1", "status": "active"}

    assert outbox.sweep([stopped.collection]) == 2
    assert by_resource(outbox) == {
        "w1": ["WidgetCreateEvent", "WidgetStateChangeEvent"],
        "w2": ["WidgetCreateEvent", "WidgetDeleteEvent"],
    }
    assert_numbered_without_gaps(outbox, 4)
    assert stopped.collection.count_documents({}) == 1
    assert outbox.sweep([stopped.collection]) == 0  # copied once: a second sweep finds nothing


def test_a_copy_made_twice_stores_each_event_once(outbox: Outbox) -> None:
    stopped = store_on(outbox, StoppedWriter)
    stopped.insert({"id": "w1", "status": "new"})
    written = stopped.collection.find_one({"id": "w1"})
    assert written is not None
    for _ in range(2):  # the writer and a sweep racing it
        outbox.relay(stopped.collection, {"_id": written["_id"]}, written["_pending"])
    assert event_types(outbox) == ["WidgetCreateEvent"]


def test_concurrent_writers_number_events_without_gaps(outbox: Outbox) -> None:
    # Two stores, as two server processes would have, each with its own outbox instance.
    stores = [store_on(outbox), store_on(Outbox(outbox.events.database))]

    def write(store: ResourceStore, prefix: str) -> None:
        for n in range(15):
            store.insert({"id": f"{prefix}{n}", "status": "new"})

    threads = [threading.Thread(target=write, args=(stores[i % 2], f"t{i}-")) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_numbered_without_gaps(outbox, 60)


def test_purge_removes_old_events_below_a_number_and_numbers_go_on(outbox: Outbox) -> None:
    store = store_on(outbox)
    store.insert({"id": "w", "status": "new"})
    for status in ("active", "retired"):
        before, revision = store.get_for_update("w")
        store.replace(before, revision, {**before, "status": status})
    first, second, third = [e["_id"] for e in outbox.events.find().sort("_id", 1)]
    outbox.events.update_many(
        {"_id": {"$lte": second}}, {"$set": {"eventTime": "2020-01-01T00:00:00.000Z"}}
    )
    assert outbox.purge(through=first, older_than="2021-01-01T00:00:00.000Z") == 1
    # The third is recent.
    assert outbox.purge(through=third, older_than="2021-01-01T00:00:00.000Z") == 1
    store.delete("w")
    assert [e["_id"] for e in outbox.events.find().sort("_id", 1)] == [
        third,
        following(third, third % outbox.partitions, outbox.partitions),
    ]


def test_batches_and_single_writes_interleave_without_gaps(outbox: Outbox) -> None:
    # Two outbox instances (two processes): batches of five and single inserts race.
    stores = [store_on(outbox), store_on(Outbox(outbox.events.database))]

    def write(store: ResourceStore, prefix: str, batched: bool) -> None:
        for n in range(6):
            if batched:
                batch = [{"id": f"{prefix}{n}-{k}", "status": "new"} for k in range(5)]
                assert len(store.insert_many(batch)) == 5
            else:
                store.insert({"id": f"{prefix}{n}", "status": "new"})

    plans = [(stores[0], "a-", True), (stores[1], "b-", True), (stores[1], "c-", False)]
    threads = [threading.Thread(target=write, args=plan) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_numbered_without_gaps(outbox, 66)
    assert stores[0].collection.count_documents({"_pending.0": {"$exists": True}}) == 0


def test_a_batch_leaves_out_taken_ids_and_records_events_for_the_rest(outbox: Outbox) -> None:
    store = store_on(outbox)
    store.insert({"id": "w1", "status": "new"})
    stored = store.insert_many(
        [{"id": "w0", "status": "new"}, {"id": "w1", "status": "old"}, {"id": "w2"}]
    )
    assert [d["id"] for d in stored] == ["w0", "w2"]
    assert store.get("w1")["status"] == "new"
    assert event_types(outbox) == ["WidgetCreateEvent"] * 3


class EventInserts(monitoring.CommandListener):
    """The inserts into `events` a client sent, and how many of them a taken number refused."""

    def __init__(self) -> None:
        self.sent = 0
        self.refused = 0
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert" and event.command.get("insert") == "events":
            with self._lock:
                self.sent += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "insert" and event.reply.get("writeErrors"):
            with self._lock:
                self.refused += 1

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


def test_the_writers_of_one_process_append_together_and_never_race(mongo_uri: str) -> None:
    inserts = EventInserts()
    name = f"outbox_{uuid.uuid4().hex[:8]}"
    with MongoClient(mongo_uri, event_listeners=[inserts]) as client:
        box = Outbox(client[name])
        box.ensure_indexes()
        store = store_on(box)

        def write(prefix: str) -> None:
            for n in range(10):
                store.insert({"id": f"{prefix}{n}", "status": "new"})

        threads = [threading.Thread(target=write, args=(f"t{i}-",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert_numbered_without_gaps(box, 60)
        # One process takes its numbers one append at a time: none is refused as taken, and
        # writers that arrive during an append go in together with the next.
        assert inserts.refused == 0
        assert inserts.sent <= 60
        client.drop_database(name)


def test_a_change_copies_the_events_an_earlier_writer_left_waiting_first(outbox: Outbox) -> None:
    # The first writer stops between its write and its copy; the next change of the same
    # widget copies the waiting event before its own, so the widget's events stay in order.
    stopped = store_on(outbox, StoppedWriter)
    stopped.insert({"id": "w1", "status": "new"})
    before, revision = stopped.get_for_update("w1")
    stopped.replace(before, revision, {**before, "status": "active"})
    store = store_on(outbox)
    before, revision = store.get_for_update("w1")
    store.replace(before, revision, {**before, "status": "retired"})
    events = outbox.events.find().sort("_id", 1)
    assert [(e["eventType"], e["event"]["widget"]["status"]) for e in events] == [
        ("WidgetCreateEvent", "new"),
        ("WidgetStateChangeEvent", "active"),
        ("WidgetStateChangeEvent", "retired"),
    ]
    assert outbox.sweep([store.collection]) == 0  # nothing left waiting
    with pytest.raises(Conflict):  # the revision is still checked on the slower way
        stopped.replace(before, revision, {**before, "status": "gone"})


def test_documents_stored_holding_their_create_events_are_written_once(outbox: Outbox) -> None:
    store = store_on(outbox)
    store.insert({"id": "w1", "status": "new"})
    stored, events = store.insert_held(
        [{"id": "w0", "status": "new"}, {"id": "w1", "status": "old"}, {"id": "w2"}]
    )
    assert [d["id"] for d in stored] == ["w0", "w2"]  # w1's id was taken
    assert [(e["eventType"], e["event"]["widget"]["id"]) for e in events] == [
        ("WidgetCreateEvent", "w0"),
        ("WidgetCreateEvent", "w2"),
    ]
    written = store.collection.find_one({"id": "w0"})
    assert written is not None and "_pending" not in written
    assert [h["eventId"] for h in written["_held"]] == [events[0]["eventId"]]
    assert store.get("w0") == {"id": "w0", "status": "new"}  # the envelope is never shown
    assert [d["id"] for d in store.find_all_kept({})] == ["w1", "w0", "w2"]
    assert all("_held" not in d for d in store.find_all_kept({}))
    # Until the writer copies them, no event of theirs is out; they are not swept either.
    assert by_resource(outbox) == {"w1": ["WidgetCreateEvent"]}
    assert outbox.sweep([store.collection]) == 0

    outbox.append(events)
    # A writer that is not sure it copied them copies again: nothing doubles.
    assert store.release_held(["w0", "w1", "w2"]) == 2
    assert by_resource(outbox) == {
        "w1": ["WidgetCreateEvent"],
        "w0": ["WidgetCreateEvent"],
        "w2": ["WidgetCreateEvent"],
    }
    assert_numbered_without_gaps(outbox, 3)


def test_a_held_create_event_goes_out_before_the_first_change_and_deletion(
    outbox: Outbox,
) -> None:
    # The writer stored them and stopped before copying their events.
    store = store_on(outbox)
    stored, _ = store.insert_held([{"id": "w1", "status": "new"}, {"id": "w2", "status": "new"}])
    assert len(stored) == 2
    before, revision = store.get_for_update("w1")
    store.replace(before, revision, {**before, "status": "active"})
    store.delete("w2")
    assert by_resource(outbox) == {
        "w1": ["WidgetCreateEvent", "WidgetStateChangeEvent"],
        "w2": ["WidgetCreateEvent", "WidgetDeleteEvent"],
    }
    created = outbox.events.find_one({"eventType": "WidgetCreateEvent"})
    assert created is not None and created["event"]["widget"] == {"id": "w1", "status": "new"}
    changed = store.collection.find_one({"id": "w1"})
    assert changed is not None and "_held" not in changed and not changed["_pending"]
    # The writer, completing after the change, finds nothing left to copy.
    assert store.release_held(["w1", "w2"]) == 0
    assert_numbered_without_gaps(outbox, 4)


def test_a_change_that_stops_before_its_copy_leaves_the_held_create_event_to_the_sweep(
    outbox: Outbox,
) -> None:
    store = store_on(outbox)
    store.insert_held([{"id": "w1", "status": "new"}])
    stopped = store_on(outbox, StoppedWriter)
    before, revision = stopped.get_for_update("w1")
    stopped.replace(before, revision, {**before, "status": "active"})
    assert store.release_held(["w1"]) == 0  # the change took the envelope with it

    assert outbox.sweep([store.collection]) == 1
    assert by_resource(outbox) == {"w1": ["WidgetCreateEvent", "WidgetStateChangeEvent"]}
