"""Event partitions: each resource's events in order in one partition, the count kept by the
database, and a database from before partitions brought to them without losing a position."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.database import Database as MongoDatabase

from persistence import subscriptions
from persistence.database import Database
from persistence.outbox import PARTITION, Outbox
from tests.persistence.test_outbox import store_on


@pytest.fixture
def scratch(database: Database) -> Iterator[MongoDatabase[dict[str, Any]]]:
    name = f"partitions_{uuid.uuid4().hex[:8]}"
    yield database.client[name]
    database.client.drop_database(name)


def test_each_resources_events_keep_their_order_across_processes(
    scratch: MongoDatabase[dict[str, Any]],
) -> None:
    # Two outboxes, as two server processes have, changing the same few resources at once.
    first = Outbox(scratch, 4)
    first.ensure_indexes()
    stores = [store_on(first), store_on(Outbox(scratch, 4))]
    for n in range(6):
        stores[0].insert({"id": f"w{n}", "status": "new", "step": 0})

    def change(store: Any, widget: str) -> None:
        for _ in range(8):
            before, revision = store.get_for_update(widget)
            try:
                store.replace(before, revision, {**before, "step": before["step"] + 1})
            except Exception:  # the other writer changed it first: read again
                continue

    threads = [
        threading.Thread(target=change, args=(stores[k % 2], f"w{k % 6}")) for k in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    steps: dict[str, list[int]] = {}
    partitions: dict[str, set[int]] = {}
    for event in first.events.find().sort("_id", 1):
        widget = event["event"]["widget"]
        steps.setdefault(widget["id"], []).append(widget["step"])
        partitions.setdefault(widget["id"], set()).add(event[PARTITION])
    assert set(steps) == {f"w{n}" for n in range(6)}
    for widget, seen in steps.items():
        assert seen == list(range(len(seen))), widget  # 0 (created), 1, 2, ... in order
        assert len(partitions[widget]) == 1
    assert len({p for found in partitions.values() for p in found}) > 1


def test_the_database_keeps_its_partition_count(scratch: MongoDatabase[dict[str, Any]]) -> None:
    assert Outbox(scratch, 4).partitions == 4
    later = Outbox(scratch, 16)  # a server started with another setting
    assert later.partitions == 4
    assert later.tops() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="1 to 64"):
        Outbox(scratch, 0)


def _legacy_events(scratch: MongoDatabase[dict[str, Any]], count: int) -> None:
    """What a database from before partitions holds: events numbered 1.. in one sequence (no
    partition), and its one counter."""
    for number in range(1, count + 1):
        scratch["events"].insert_one(
            {
                "_id": number,
                "eventId": str(uuid.uuid4()),
                "eventType": "WidgetCreateEvent",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "event": {"widget": {"id": f"old{number}"}},
                "api": "testManagement",
                "path": "widget",
            }
        )
    scratch["event_sequence"].insert_one(
        {"_id": "events", "value": count, "apis": {"testManagement": count}}
    )


def test_events_from_before_partitions_are_partition_zeros_and_numbers_go_on(
    scratch: MongoDatabase[dict[str, Any]],
) -> None:
    _legacy_events(scratch, 5)
    outbox = Outbox(scratch, 4)
    outbox.ensure_indexes()
    assert outbox.partitions == 4
    assert outbox.tops() == [5, 5, 5, 5]
    assert outbox.heads()["testManagement"] == [5, 0, 0, 0]
    assert scratch["events"].count_documents({PARTITION: 0}) == 5
    store = store_on(outbox)
    for n in range(8):
        store.insert({"id": f"new{n}", "status": "new"})
    newer = [e["_id"] for e in scratch["events"].find({"_id": {"$gt": 5}})]
    assert len(newer) == 8
    # A reader that had read up to 3 reads the two old events it had not, then the new ones.
    unread = outbox.window("testManagement", [3] * 4, outbox.head("testManagement"))
    assert [e["_id"] for e in unread][:2] == [4, 5]
    assert len(unread) == 10
    # Repeating the migration (a process stopped part-way) changes nothing.
    again = Outbox(scratch, 4)
    assert again.tops() == outbox.tops()
    outbox.retire_legacy_counter()
    assert scratch["event_sequence"].find_one({"_id": "events"}) is None
    assert Outbox(scratch, 4).tops() == outbox.tops()


def test_subscriptions_from_before_partitions_take_their_position_in_each(
    database: Database,
) -> None:
    collection = subscriptions.Subscription._get_collection()
    api = f"legacyTest{uuid.uuid4().hex[:6]}"
    old = {
        "_id": str(uuid.uuid4()),
        "api": api,
        "callback": "http://listener.example/events",
        "selector": "{}",
        "position": 3,
        "next_attempt": 0,
        "lease_until": 0,
    }
    collection.insert_one(old)
    try:
        assert subscriptions.take_positions(4) >= 1
        found = subscriptions.find(old["_id"])
        assert found is not None
        assert subscriptions.positions_of(found, 4) == [3, 3, 3, 3]
        assert subscriptions.take_positions(4) == 0  # done once
        due = {d["_id"] for d in subscriptions.due({api: [5, 0, 0, 0]}, 1.0)}
        assert old["_id"] in due
        assert old["_id"] not in {d["_id"] for d in subscriptions.due({api: [3, 3, 3, 0]}, 1.0)}
        subscriptions.skip_to([old["_id"]], [5, 1, 9, 0])
        found = subscriptions.find(old["_id"])
        assert found is not None
        assert subscriptions.positions_of(found, 4) == [5, 3, 9, 3]  # never moved back
    finally:
        collection.delete_one({"_id": old["_id"]})


def test_a_readers_backlog_counts_every_partition_beyond_its_positions(
    scratch: MongoDatabase[dict[str, Any]],
) -> None:
    outbox = Outbox(scratch, 4)
    outbox.ensure_indexes()
    store = store_on(outbox)
    for n in range(10):
        store.insert({"id": f"w{n}", "status": "new", "step": 0})
    api = next(iter(outbox.heads()))
    head = outbox.head(api)
    assert outbox.backlog(api, head, head) == (0, None)
    count, oldest = outbox.backlog(api, [0] * 4, head)
    assert count == 10
    first = outbox.events.find_one(sort=[("_id", 1)])
    assert first is not None and oldest == first["eventTime"]
    # A reader past one busy partition still owes the others' events.
    busiest = max(range(4), key=lambda p: outbox.events.count_documents({PARTITION: p}))
    past = [head[p] if p == busiest else 0 for p in range(4)]
    owed = 10 - outbox.events.count_documents({PARTITION: busiest})
    assert outbox.backlog(api, past, head)[0] == owed
