"""The event outbox: every TMF event, in one sequence, written only for changes that were stored.

A change and its events must commit together, on a standalone MongoDB too, where a transaction
across collections is not available. So the store writes a change's events *into the changed
document itself*, in its `_pending` list, in the same single-document write (MongoDB makes that
one atomic). Right after the write, the writer copies them here and pulls them from the document;
if it dies in between, `sweep` finds the document still holding them and finishes the copy. A
deletion first turns the document into a tombstone (`_gone`) holding its Delete event, which
every read skips, and the tombstone is removed once its events are here.

Events are kept in a fixed number of partitions (`TMF_EVENT_PARTITIONS` when a database is first
used; the database keeps its count), the events of one resource always in the same one (chosen by
a hash of its path and id), so they keep their order. An event's number is its `_id`, unique
across partitions: partition p numbers its events p, p + count, p + 2 * count, ... (modulo the
count), each the one after its predecessor, and inserts one only after its predecessor was: a
reader that has seen number N of a partition has seen every one of its events below N. Writers of
different resources seldom meet in a partition, so writers on several processes do not all wait
for one number. One small counter document per partition remembers its newest number, and each
API's newest there. Partitions advance at about the same pace, so the numbers of all of them
interleave roughly in time order, and one range query reads every partition's new events.

A copy that runs twice (the writer and a sweep) stores the event once: `eventId` is unique. The
writers of one process append one at a time, each taking in the events of those that queued
meanwhile (a group commit: under load, one insert and one counter write for several changes);
only writers of different processes can race for a number of the same partition, and the loser
takes the next.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database as MongoDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

log = logging.getLogger("tmf.outbox")

Document = dict[str, Any]
# One number per partition, by partition: how far a reader has read, or the newest events.
Positions = list[int]

PENDING = "_pending"
GONE = "_gone"
# Every read of a resource skips tombstones.
LIVE: Mapping[str, Any] = {GONE: {"$exists": False}}
EVENTS_COLLECTION = "events"
PARTITION = "p"  # an event's partition
DEFAULT_PARTITIONS = 1
MAX_PARTITIONS = 64
_COUNTER = "event_sequence"
_PARTITIONS_ID = "partitions"
# The one counter of a database from before partitions: its events became partition 0's.
_LEGACY_ID = "events"
# After another process took a number this one wanted, it reads the counters before each
# append for this long: other processes are writing, and its own last numbers are stale.
_CONTENDED_SECONDS = 10.0


def partition_of(event: Mapping[str, Any], count: int) -> int:
    """The partition of the resource the event is about."""
    path = str(event.get("path", ""))
    resource = (event.get("event") or {}).get(path) or {}
    key = f"{path}/{resource.get('id', event.get('eventId', ''))}"
    return zlib.crc32(key.encode()) % count


def following(number: int, partition: int, count: int) -> int:
    """The partition's number after `number`: the least greater one equal to it modulo `count`."""
    step = (partition - number) % count
    return number + (step or count)


def _counter_id(partition: int) -> str:
    return f"events.{partition}"


@dataclass
class _Queued:
    """One writer's events, waiting for an append to take them."""

    events: list[Document]
    done: bool = False
    error: Exception | None = None


class Outbox:
    """The `events` collection: append (idempotent by eventId), and read in number order."""

    def __init__(
        self, database: MongoDatabase[Document], partitions: int = DEFAULT_PARTITIONS
    ) -> None:
        if not 1 <= partitions <= MAX_PARTITIONS:
            raise ValueError(f"event partitions must be 1 to {MAX_PARTITIONS}, got {partitions}")
        self.events: Collection[Document] = database[EVENTS_COLLECTION]
        self.counter: Collection[Document] = database[_COUNTER]
        # Called after events are appended: the in-process delivery worker wakes up at once.
        self.listeners: list[Callable[[], None]] = []
        self._wanted = partitions
        self._count = 0  # the database's partition count, read on first use
        self._guess: Positions = []  # each partition's last number this process saw
        self._contended_until = 0.0
        self._lock = threading.Lock()
        # One append at a time (see `append`), and the events waiting for the next one.
        self._append_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Queued] = []

    def ensure_indexes(self) -> None:
        self.events.create_index([("eventId", ASCENDING)], unique=True, name="eventId_unique")
        self.events.create_index([("api", ASCENDING), ("_id", ASCENDING)], name="api_sequence")

    # ------------------------------------------------------------------ partitions

    @property
    def partitions(self) -> int:
        """How many partitions the database's events are kept in."""
        if not self._count:
            with self._lock:
                if not self._count:
                    self._count = self._load_partitions()
                    self._guess = [0] * self._count
        return self._count

    def _load_partitions(self) -> int:
        found = self.counter.find_one({"_id": _PARTITIONS_ID})
        if found is None:
            try:
                self.counter.insert_one({"_id": _PARTITIONS_ID, "value": self._wanted})
            except DuplicateKeyError:
                pass  # another process chose first
            found = self.counter.find_one({"_id": _PARTITIONS_ID}) or {}
        count = int(found.get("value") or self._wanted)
        if count != self._wanted:
            log.info(
                "the database keeps its number of event partitions",
                extra={"partitions": count, "asked": self._wanted},
            )
        self._make_counters(count)
        return count

    def _make_counters(self, count: int) -> None:
        """Create the partitions' counters that are missing. A database from before partitions
        has its events taken into partition 0 (their numbers stay); every partition numbers on
        from its newest event. Safe to repeat, and to stop anywhere: the one counter of before is
        removed only by `retire_legacy_counter`, once subscriptions took their positions."""
        ids = [_counter_id(p) for p in range(count)]
        made = {d["_id"] for d in self.counter.find({"_id": {"$in": ids}}, {"_id": 1})}
        legacy = self.counter.find_one({"_id": _LEGACY_ID}) or {}
        newest = int(legacy.get("value") or 0)
        for partition, counter_id in enumerate(ids):
            if counter_id in made:
                continue
            apis = legacy.get("apis", {}) if partition == 0 else {}
            try:
                self.counter.insert_one({"_id": counter_id, "value": newest, "apis": apis})
            except DuplicateKeyError:
                pass
        if legacy:
            self.events.update_many({PARTITION: {"$exists": False}}, {"$set": {PARTITION: 0}})

    def retire_legacy_counter(self) -> None:
        self.counter.delete_one({"_id": _LEGACY_ID})

    # ------------------------------------------------------------------ heads

    def _counters(self) -> list[Document]:
        """Each partition's counter, in partition order (an empty one where there is none)."""
        count = self.partitions
        ids = [_counter_id(p) for p in range(count)]
        found = {d["_id"]: d for d in self.counter.find({"_id": {"$in": ids}})}
        return [found.get(counter_id, {}) for counter_id in ids]

    def tops(self) -> Positions:
        """Each partition's newest number, of any API: where a new reader starts."""
        return [int(counter.get("value") or 0) for counter in self._counters()]

    def heads(self) -> dict[str, Positions]:
        """Each partition's newest number of each API's events, by API name (0 where the API has
        none in a partition)."""
        heads: dict[str, Positions] = {}
        counters = self._counters()
        for partition, counter in enumerate(counters):
            for api, number in (counter.get("apis") or {}).items():
                heads.setdefault(api, [0] * len(counters))[partition] = int(number)
        return heads

    def head(self, api: str) -> Positions:
        return self.heads().get(api) or [0] * self.partitions

    def backlog(self, api: str, after: Positions, head: Positions) -> tuple[int, str | None]:
        """How many of the API's events lie beyond a reader's positions (`after`), up to `head`,
        and the `eventTime` of the oldest of them: how far the reader lags."""
        ahead = [
            # Events from before partitions carry none: they are partition 0's.
            {PARTITION: partition or {"$in": [0, None]}, "_id": {"$gt": position, "$lte": top}}
            for partition, (position, top) in enumerate(zip(after, head, strict=True))
            if position < top
        ]
        if not ahead:
            return 0, None
        where = {"api": api, "$or": ahead}
        count = self.events.count_documents(where)
        oldest = self.events.find_one(where, {"eventTime": 1}, sort=[("_id", ASCENDING)])
        return count, None if oldest is None else oldest.get("eventTime")

    # ------------------------------------------------------------------ appending

    def append(self, events: Sequence[Document]) -> None:
        """Store the events in order, each under the next number of its partition; one already
        stored is skipped.

        One append at a time per process, and together (a group commit): the writers of one
        process never race each other for a number, and while one appends, the events of those
        that arrive meanwhile wait to go in its successor's single run. Raises what storing the
        run raised (events of a run that failed stay pending in their documents for a sweep)."""
        if not events:
            return
        mine = _Queued(list(events))
        with self._queue_lock:
            self._queue.append(mine)
        with self._append_lock:
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    self._append_in_order([e for queued in batch for e in queued.events])
                except Exception as error:  # each writer of the run hears of it
                    for queued in batch:
                        queued.error = error
                finally:
                    for queued in batch:
                        queued.done = True
        if mine.error is not None:
            raise mine.error
        self.notify()

    def notify(self) -> None:
        """Tell this process's listeners (the delivery worker) there is something to deliver."""
        for listener in self.listeners:
            listener()

    def _append_in_order(self, events: Sequence[Document]) -> None:
        count = self.partitions
        placed = [{**event, PARTITION: partition_of(event, count)} for event in events]
        stored = self._append_run(placed) if len(placed) > 1 else 0
        for event in placed[stored:]:
            self._append_one(event)

    def _append_run(self, events: Sequence[Document]) -> int:
        """Store the events under their partitions' next numbers in one ordered insert; returns
        how many it stored. The database inserts them one after the other, so each is still
        stored only after its predecessor; at the first number another writer took (or event
        stored already) it stops, and the rest go one by one."""
        count = self.partitions
        self._refresh_if_contended()
        with self._lock:
            last = list(self._guess)
        numbered = []
        for event in events:
            partition = event[PARTITION]
            last[partition] = following(last[partition], partition, count)
            numbered.append({**event, "_id": last[partition]})
        try:
            self.events.insert_many(numbered, ordered=True)
            stored = len(numbered)
        except BulkWriteError as error:
            stored = int(error.details.get("nInserted", 0))
        if stored:
            self._advance(numbered[:stored])
        return stored

    def _append_one(self, event: Document) -> None:
        count = self.partitions
        partition = event[PARTITION]
        self._refresh_if_contended()
        with self._lock:
            number = following(self._guess[partition], partition, count)
        while True:
            try:
                self.events.insert_one({**event, "_id": number})
            except DuplicateKeyError as error:
                if self._copied_already(error, event):
                    return  # by a sweep or by another writer
                # Number taken: make sure the counter is past it (its writer may have stopped
                # before moving it), then take the partition's next free one.
                self._contended_until = time.monotonic() + _CONTENDED_SECONDS
                self._advance([{PARTITION: partition, "_id": number}])
                newest = int(self._counters()[partition].get("value") or 0)
                number = following(max(newest, number), partition, count)
                continue
            self._advance([{**event, "_id": number}])
            return

    def _copied_already(self, error: DuplicateKeyError, event: Document) -> bool:
        """Whether the insert was refused for the event's id (stored already) rather than for its
        number (taken by another)."""
        pattern = (error.details or {}).get("keyPattern")
        if pattern:
            return "eventId" in pattern
        # find_one, not a count: the unique index answers it on every database.
        return self.events.find_one({"eventId": event["eventId"]}, {"_id": 1}) is not None

    def _refresh_if_contended(self) -> None:
        if time.monotonic() >= self._contended_until:
            return
        newest = self.tops()
        with self._lock:
            self._guess = [max(mine, seen) for mine, seen in zip(self._guess, newest, strict=True)]

    def _advance(self, stored: Sequence[Document]) -> None:
        """Move the counters of the partitions of the `stored` events past them, and each API's
        newest event there too (readers of one API's events look no further than that): one
        write for all."""
        highest: dict[int, dict[str, int]] = {}
        for event in stored:
            partition = highest.setdefault(event[PARTITION], {})
            partition["value"] = event["_id"]
            if "api" in event:
                partition[f"apis.{event['api']}"] = event["_id"]
        self.counter.bulk_write(
            [
                UpdateOne({"_id": _counter_id(p)}, {"$max": numbers}, upsert=True)
                for p, numbers in highest.items()
            ],
            ordered=False,
        )
        with self._lock:
            for p, numbers in highest.items():
                self._guess[p] = max(self._guess[p], numbers["value"])

    # ------------------------------------------------------------------ reading

    def window(self, api: str, after: Positions, through: Positions) -> list[Document]:
        """The events of `api` numbered after `after` up to `through` in their partitions, in
        number order.

        One bounded range on the (api, number) index, whatever the partitions: cheap on every
        database, however many events are stored."""
        return list(self.stream(api, after, through))

    def stream(self, api: str, after: Positions, through: Positions) -> Iterator[Document]:
        live = [p for p in range(len(after)) if after[p] < through[p]]
        if not live:
            return
        lowest = min(after[p] for p in live)
        highest = max(through[p] for p in live)
        where = {"api": api, "_id": {"$gt": lowest, "$lte": highest}}
        for event in self.events.find(where).sort("_id", ASCENDING):
            partition = int(event.get(PARTITION) or 0)
            if after[partition] < event["_id"] <= through[partition]:
                yield event

    def purge(self, through: int, older_than: str) -> int:
        """Remove events numbered up to `through` whose `eventTime` is before `older_than` (the
        stored date-time form); returns how many. The counters keep their values, so numbers
        are never reused."""
        result = self.events.delete_many(
            {"_id": {"$lte": through}, "eventTime": {"$lt": older_than}}
        )
        return int(result.deleted_count)

    # ------------------------------------------------------------------ from documents

    def relay(
        self,
        collection: Collection[Document],
        where: Mapping[str, Any],
        events: Sequence[Document],
        gone: bool = False,
    ) -> None:
        """Copy `events`, pending in the document `where` selects, then drop them from it; for
        a tombstone (`gone`, with every event it holds), remove it.

        A failure is logged, not raised: the change is stored, and `sweep` will copy its events.
        """
        if not events:
            return
        try:
            self.append(events)
            if gone:
                # A tombstone takes no more writes, so the events it holds are all there is.
                collection.delete_one({**where, GONE: True})
            else:
                event_ids = [event["eventId"] for event in events]
                collection.update_one(where, {"$pull": {PENDING: {"eventId": {"$in": event_ids}}}})
        except PyMongoError as error:
            log.warning(
                "events left in the document for the next sweep",
                extra={"collection": collection.name, "error": str(error)},
            )

    def relay_new(self, collection: Collection[Document], stored: Sequence[Document]) -> None:
        """`relay` for documents just inserted together: their events (all they hold) are
        copied in one run and dropped from them in one write."""
        events = [event for document in stored for event in document.get(PENDING) or []]
        if not events:
            return
        try:
            self.append(events)
            ids = [document["_id"] for document in stored]
            collection.update_many({"_id": {"$in": ids}}, {"$unset": {PENDING: ""}})
        except PyMongoError as error:
            log.warning(
                "events left in the documents for the next sweep",
                extra={"collection": collection.name, "error": str(error)},
            )

    def relay_tombstone(self, collection: Collection[Document], where: Mapping[str, Any]) -> None:
        """Copy every event a tombstone holds, then remove it."""
        found = collection.find_one({**where, GONE: True}, {PENDING: 1})
        if found is not None:
            self.relay(collection, {"_id": found["_id"]}, found.get(PENDING) or [], gone=True)

    def sweep(self, collections: Iterable[Collection[Document]]) -> int:
        """Copy the events a writer left behind (it stopped between its write and the copy);
        returns how many documents held some."""
        found = 0
        for collection in collections:
            for document in collection.find(
                {f"{PENDING}.eventId": {"$exists": True}}, {PENDING: 1, GONE: 1}
            ).sort("_id", ASCENDING):
                found += 1
                where = {"_id": document["_id"]}
                self.relay(collection, where, document[PENDING], bool(document.get(GONE)))
        return found


def ensure_pending_index(collection: Collection[Document]) -> None:
    """Lets `sweep` find the few documents with pending events without reading the others."""
    collection.create_index([(f"{PENDING}.eventId", ASCENDING)], sparse=True, name="pending_events")
