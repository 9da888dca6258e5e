"""The event outbox: every TMF event, in one sequence, written only for changes that were stored.

A change and its events must commit together, on a standalone MongoDB too, where a transaction
across collections is not available. So the store writes a change's events *into the changed
document itself*, in its `_pending` list, in the same single-document write (MongoDB makes that
one atomic). Right after the write, the writer copies them here and pulls them from the document;
if it dies in between, `sweep` finds the document still holding them and finishes the copy. A
deletion first turns the document into a tombstone (`_gone`) holding its Delete event, which
every read skips, and the tombstone is removed once its events are here.

Events are numbered from 1 with no gaps, in the order they became visible here: event N is
inserted only after event N-1 was, so a reader that has seen N has seen everything below it. The
number is the event's `_id`; a small counter document remembers the highest one. A copy that runs
twice (the writer and a sweep) stores the event once: `eventId` is unique. The writers of one
process append one at a time, each taking in the events of those that queued meanwhile (a group
commit: under load, one insert and one counter update for several changes); only writers of
different processes can race for a number, and the loser takes the next.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.database import Database as MongoDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

log = logging.getLogger("tmf.outbox")

Document = dict[str, Any]

PENDING = "_pending"
GONE = "_gone"
# Every read of a resource skips tombstones.
LIVE: Mapping[str, Any] = {GONE: {"$exists": False}}
EVENTS_COLLECTION = "events"
_COUNTER = "event_sequence"
_COUNTER_ID = "events"


@dataclass
class _Queued:
    """One writer's events, waiting for an append to take them."""

    events: list[Document]
    done: bool = False
    error: Exception | None = None


class Outbox:
    """The `events` collection: append (idempotent by eventId), and read in sequence order."""

    def __init__(self, database: MongoDatabase[Document]) -> None:
        self.events: Collection[Document] = database[EVENTS_COLLECTION]
        self.counter: Collection[Document] = database[_COUNTER]
        # Called after events are appended: the in-process delivery worker wakes up at once.
        self.listeners: list[Callable[[], None]] = []
        self._guess = 0  # the last number this process saw; saves reading the counter
        self._lock = threading.Lock()
        # One append at a time (see `append`), and the events waiting for the next one.
        self._append_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Queued] = []

    def ensure_indexes(self) -> None:
        self.events.create_index([("eventId", ASCENDING)], unique=True, name="eventId_unique")
        self.events.create_index([("api", ASCENDING), ("_id", ASCENDING)], name="api_sequence")

    def head(self, api: str | None = None) -> int:
        """The number of the newest event, or of the newest of one API (0 when there is none)."""
        if api is None:
            found = self.counter.find_one({"_id": _COUNTER_ID}, {"value": 1})
            return int(found["value"]) if found else 0
        return self.heads().get(api, 0)

    def heads(self) -> dict[str, int]:
        """The number of each API's newest event, by API name."""
        found = self.counter.find_one({"_id": _COUNTER_ID}, {"apis": 1})
        return {api: int(number) for api, number in (found or {}).get("apis", {}).items()}

    def append(self, events: Sequence[Document]) -> None:
        """Store the events in order, each under the next number; one already stored is skipped.

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

    def _append_in_order(self, events: Sequence[Document]) -> None:
        rest = self._append_run(events) if len(events) > 1 else 0
        for event in events[rest:]:
            self._append_one(event)

    def _append_run(self, events: Sequence[Document]) -> int:
        """Store the events under the next numbers in one ordered insert; returns how many it
        stored. The database inserts them one after the other, so each is still stored only after
        the one below it; at the first number another writer took (or event stored already) it
        stops, and the rest go one by one."""
        with self._lock:
            first = self._guess + 1
        numbered = [{**event, "_id": first + n} for n, event in enumerate(events)]
        try:
            self.events.insert_many(numbered, ordered=True)
            stored = len(numbered)
        except BulkWriteError as error:
            stored = int(error.details.get("nInserted", 0))
        if stored:
            newest: dict[str, int] = {}
            for event in numbered[:stored]:
                newest[event["api"]] = event["_id"]
            self._advance_all(first + stored - 1, newest)
        return stored

    def notify(self) -> None:
        """Tell this process's listeners (the delivery worker) there is something to deliver."""
        for listener in self.listeners:
            listener()

    def _append_one(self, event: Document) -> None:
        with self._lock:
            number = self._guess + 1
        while True:
            try:
                self.events.insert_one({**event, "_id": number})
            except DuplicateKeyError:
                # find_one, not a count: the unique index answers it on every database.
                if self.events.find_one({"eventId": event["eventId"]}, {"_id": 1}) is not None:
                    return  # copied already, by a sweep or by another writer
                # Number taken: make sure the counter is past it, then take the next free one.
                self._advance(number)
                number = max(self.head(), number) + 1
                continue
            self._advance(number, event["api"])
            return

    def _advance(self, number: int, api: str | None = None) -> None:
        """Move the counter to `number`, and the API's newest event too when the event is its
        (readers of one API's events look no further than that)."""
        highest = {"value": number}
        if api is not None:
            highest[f"apis.{api}"] = number
        self.counter.update_one({"_id": _COUNTER_ID}, {"$max": highest}, upsert=True)
        with self._lock:
            self._guess = max(self._guess, number)

    def _advance_all(self, number: int, newest: Mapping[str, int]) -> None:
        highest: dict[str, int] = {"value": number}
        highest.update({f"apis.{api}": n for api, n in newest.items()})
        self.counter.update_one({"_id": _COUNTER_ID}, {"$max": highest}, upsert=True)
        with self._lock:
            self._guess = max(self._guess, number)

    def window(self, api: str, after: int, through: int) -> list[Document]:
        """The events of `api` numbered after `after` up to `through`, oldest first.

        A bounded range on the (api, number) index: cheap on every database, however many
        events are stored."""
        return list(self.stream(api, after, through))

    def stream(self, api: str, after: int, through: int) -> Iterator[Document]:
        where = {"api": api, "_id": {"$gt": after, "$lte": through}}
        return self.events.find(where).sort("_id", ASCENDING)

    def purge(self, through: int, older_than: str) -> int:
        """Remove events numbered up to `through` whose `eventTime` is before `older_than` (the
        stored date-time form); returns how many. The counter keeps its value, so numbers are
        never reused."""
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
