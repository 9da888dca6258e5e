"""The repository for TMF resources: one MongoDB collection per resource, plain documents.

Documents are stored as the API shows them, minus `href` (built per request, so one stored
document serves every API version), plus internal fields: MongoDB's `_id`, whose order is the
insertion order used to keep pages stable; `_rev`, a revision number that makes a
read-modify-write fail instead of silently overwriting a concurrent change; for a moment after
each write, the write's events (`_pending`, and `_gone` on a deleted one; see outbox.py); and on a
document stored by `insert_held`, until its first change, its Create event's envelope (`_held`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from persistence.documents import check_storable, normalize_dates, public
from persistence.errors import Conflict, NotFound
from persistence.outbox import GONE, LIVE, PENDING, Outbox

REVISION = "_rev"
# The Create events of a document stored by `insert_held`, without the document they carry.
HELD = "_held"
DUPLICATE_KEY = 11000  # MongoDB's error code
HIDDEN = (REVISION, PENDING, GONE, HELD)
WITHOUT_INTERNALS = {"_id": 0, REVISION: 0, PENDING: 0, GONE: 0, HELD: 0}
# A document holding no events waiting for their copy.
_NOTHING_PENDING = {f"{PENDING}.0": {"$exists": False}}

Document = dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    """A bounded, index-friendly read: filter, order, projection and one page."""

    filter: Mapping[str, Any] = field(default_factory=dict)
    sort: Sequence[tuple[str, int]] = (("_id", ASCENDING),)
    projection: Mapping[str, int] = field(default_factory=lambda: dict(WITHOUT_INTERNALS))
    offset: int = 0
    limit: int = 1000


@dataclass(frozen=True)
class Page:
    items: list[Document]
    total: int
    # Each item's stored revision, when the projection kept it (else 0).
    revisions: list[int] = field(default_factory=list)


class Journal(Protocol):
    """The events a write produces (none, some, or one per kind of change)."""

    def created(self, document: Document) -> list[Document]: ...

    def changed(self, before: Document, after: Document) -> list[Document]: ...

    def deleted(self, document: Document) -> list[Document]: ...


class NoEvents:
    def created(self, document: Document) -> list[Document]:
        return []

    def changed(self, before: Document, after: Document) -> list[Document]:
        return []

    def deleted(self, document: Document) -> list[Document]:
        return []


def held_events(document: Mapping[str, Any]) -> list[Document]:
    """The Create events a document stored by `insert_held` holds (none once it changed): each
    envelope names the key its body goes under, and the body is the document itself."""
    envelopes = document.get(HELD) or []
    if not envelopes:
        return []  # every document but a few: spares the copy below on each write
    body = public(dict(document))
    return [{**held, "event": {held["event"]: body}} for held in envelopes]


def _envelope(event: Document) -> Document:
    """What `held_events` makes the event from again: all of it but its body."""
    (key,) = event["event"]
    return {**event, "event": key}


def live(where: Mapping[str, Any]) -> dict[str, Any]:
    """`where`, restricted to documents that are not tombstones."""
    return {**where, **LIVE}


class ResourceStore:
    """list, count, get, insert, replace, delete for one resource's collection.

    `date_paths` name the attributes holding date-times; they are stored normalised (see dates.py).
    Every write records the events `journal` gives for it, atomically with the change, and hands
    them to `outbox`.
    """

    def __init__(
        self,
        collection: Collection[Document],
        date_paths: Sequence[Sequence[str]] = (),
        journal: Journal | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.collection = collection
        self.date_paths = tuple(tuple(p) for p in date_paths)
        self.journal: Journal = journal or NoEvents()
        self.outbox = outbox or Outbox(collection.database)

    def prepare(self, document: Document) -> None:
        """Check and normalise a document in place before it is written; raises InvalidDocument."""
        check_storable(document)
        normalize_dates(document, self.date_paths)

    def find(self, query: ListQuery) -> Page:
        where = live(query.filter)
        # Sorting on an unindexed attribute may exceed MongoDB's in-memory sort limit otherwise.
        cursor = (
            self.collection.find(where, query.projection, allow_disk_use=True)
            .sort(list(query.sort))
            .skip(query.offset)
        )
        if query.limit == 0:
            return Page([], self.count(query.filter))
        found = list(cursor.limit(query.limit))
        items = [public(item) for item in found]
        revisions = [int(item.get(REVISION, 0)) for item in found]
        # A short page that is not past the end tells the total without a second query.
        if len(items) < query.limit and (items or query.offset == 0):
            return Page(items, query.offset + len(items), revisions)
        return Page(items, self.count(query.filter), revisions)

    def count(self, where: Mapping[str, Any]) -> int:
        return self.collection.count_documents(live(where))

    def get(
        self,
        resource_id: str,
        projection: Mapping[str, int] | None = None,
        within: Mapping[str, Any] | None = None,
    ) -> Document:
        """The resource; NotFound also when it does not match `within` (a caller's scope)."""
        return public(self._by_id(resource_id, projection or WITHOUT_INTERNALS, within))

    def get_with_revision(
        self,
        resource_id: str,
        projection: Mapping[str, int] | None = None,
        within: Mapping[str, Any] | None = None,
    ) -> tuple[Document, int]:
        """`get`, with the stored revision: the validator of conditional requests (ETag)."""
        shown = dict(projection or WITHOUT_INTERNALS)
        if any(value for name, value in shown.items() if name != "_id"):
            shown[REVISION] = 1  # an inclusion projection (`fields`)
        else:
            shown.pop(REVISION, None)
        found = self._by_id(resource_id, shown, within)
        return public(found), int(found.get(REVISION, 0))

    def find_one(self, where: Mapping[str, Any]) -> Document | None:
        found = self.collection.find_one(live(where), WITHOUT_INTERNALS)
        return public(found) if found is not None else None

    def get_for_update(self, resource_id: str) -> tuple[Document, int]:
        """The document and the revision a later `replace` must still find."""
        found = self._by_id(resource_id, {"_id": 0, PENDING: 0})
        return found, int(found.pop(REVISION, 0))

    def _by_id(
        self,
        resource_id: str,
        projection: Mapping[str, int],
        within: Mapping[str, Any] | None = None,
    ) -> Document:
        """The document with the id, in `within`; NotFound when there is none or it is a
        tombstone. Ids are unique, tombstones' too (the `id_unique` index), so whether the one
        found is a tombstone is told by reading its mark rather than by a condition on it in the
        query: SecantusDB takes half as long again for a find by id with `_gone` `$exists`."""
        shown = dict(projection)
        if any(value for name, value in shown.items() if name != "_id"):
            shown[GONE] = 1  # an inclusion projection
        else:
            shown.pop(GONE, None)
        found = self.collection.find_one({**(within or {}), "id": resource_id}, shown)
        if found is None or GONE in found:
            raise NotFound(f"no resource with id {resource_id!r}")
        return found

    def get_many_for_update(self, resource_ids: Sequence[str]) -> dict[str, tuple[Document, int]]:
        """`get_for_update` of each id found, in one round trip: id -> (document, revision)."""
        if not resource_ids:
            return {}
        found = self.collection.find(
            live({"id": {"$in": list(resource_ids)}}), {"_id": 0, PENDING: 0}
        )
        return {document["id"]: (document, int(document.pop(REVISION, 0))) for document in found}

    def insert(self, document: Document, then: Document | None = None) -> Document:
        """Store a new document (already prepared); raises Conflict if its id is taken. `then`:
        what it becomes at once, stored in its place at the second revision, with the events of
        the creation and of that change, in the same write."""
        stored = {**(then or document), REVISION: 2 if then else 1}
        events = self.journal.created(document)
        if then is not None:
            events += self.journal.changed(document, then)
        if events:
            stored[PENDING] = events
        try:
            self.collection.insert_one(stored)
        except DuplicateKeyError:
            raise Conflict(f"a resource with id {document.get('id')!r} already exists") from None
        self.outbox.relay(self.collection, {"_id": stored["_id"]}, events)
        return document

    def insert_many(self, documents: Sequence[Document]) -> list[Document]:
        """Store new documents (already prepared) in one write, each with its Create events;
        returns those stored (one whose id is taken is left out)."""
        staged = []
        for document in documents:
            stored = {**document, REVISION: 1}
            events = self.journal.created(document)
            if events:
                stored[PENDING] = events
            staged.append(stored)
        written = self._insert_staged(staged)
        self.outbox.relay_new(self.collection, written)
        inserted = {id(d) for d in written}
        return [doc for doc, st in zip(documents, staged, strict=True) if id(st) in inserted]

    def insert_held(self, documents: Sequence[Document]) -> tuple[list[Document], list[Document]]:
        """`insert_many` in one write per document: each holds its Create events' envelopes
        (`_held`, a few hundred bytes) rather than the events pending, so nothing is written
        back to drop them once copied. For a writer that records its inserts first elsewhere
        and, after a stop, calls `release_held` with their ids; returns the documents stored
        and their events, which the caller copies (`outbox.append`). Until a document's first
        change or deletion, which copies them first, it keeps the envelopes."""
        staged, events = [], []
        for document in documents:
            created = self.journal.created(document)
            stored = {**document, REVISION: 1}
            if created:
                stored[HELD] = [_envelope(event) for event in created]
            staged.append(stored)
            events.append(created)
        written = {id(document) for document in self._insert_staged(staged)}
        kept = [i for i, document in enumerate(staged) if id(document) in written]
        return [documents[i] for i in kept], [event for i in kept for event in events[i]]

    def release_held(self, resource_ids: Sequence[str]) -> int:
        """Copy the Create events still held by the stored documents of `resource_ids` (their
        writer stopped before it copied them, or did and is not sure); a copy made before is
        not made again (`eventId` is unique). Returns how many documents held some."""
        found = list(
            self.collection.find(
                {"id": {"$in": list(resource_ids)}, HELD: {"$exists": True}},
                {"_id": 0, PENDING: 0, REVISION: 0},
            )
        )
        self.outbox.append([event for document in found for event in held_events(document)])
        return len(found)

    def _insert_staged(self, staged: list[Document]) -> list[Document]:
        """Insert the documents in one write; those stored (one whose id is taken is not)."""
        if not staged:
            return []
        try:
            # pymongo gives each staged document its `_id` here, which relaying uses.
            self.collection.insert_many(staged, ordered=False)
            return staged
        except BulkWriteError as error:
            refused = {e["index"] for e in error.details.get("writeErrors", [])}
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise
            return [d for i, d in enumerate(staged) if i not in refused]

    def replace(
        self,
        before: Document,
        revision: int,
        document: Document,
        events: list[Document] | None = None,
    ) -> Document:
        """Write `document` over `before`, the stored revision `revision` of the same entity;
        raises Conflict if it changed meanwhile. The events are the journal's for the change
        unless given."""
        resource_id = before["id"]
        if events is None:
            events = self.journal.changed(before, document)
        # A Create event the document may still hold goes out first, and from now on with the
        # change's events: the change drops the envelope.
        events = [*held_events(before), *events]
        kept = {name: value for name, value in document.items() if name != HELD}
        update: dict[str, Any] = {"$set": {**kept, REVISION: revision + 1}}
        removed = [name for name in before if name not in kept]
        if removed:
            update["$unset"] = {name: "" for name in removed}
        if events:
            update["$push"] = {PENDING: {"$each": events}}
        # Marking a tombstone moves its revision on, so the revision read leaves tombstones out
        # without a condition on their mark (which SecantusDB is slow to check).
        where = {"id": resource_id, REVISION: revision} if revision else live({"id": resource_id})
        # update_one, not find_one_and_update: SecantusDB answers the latter with a scan.
        first = {**where, **_NOTHING_PENDING} if events else where
        earlier: list[Document] = []
        if self.collection.update_one(first, update).matched_count == 0:
            found = self.collection.find_one(where, {PENDING: 1}) if events else None
            if found is not None:
                # The events of an earlier change are still waiting in the document (its writer
                # is between its write and its copy): they go out first, so that one resource's
                # events keep their order. The revision still holds, so they are all there is.
                earlier = list(found.get(PENDING) or [])
            if found is None or self.collection.update_one(where, update).matched_count == 0:
                if not self.exists({"id": resource_id}):
                    raise NotFound(f"no resource with id {resource_id!r}")
                raise Conflict(f"resource {resource_id!r} was changed by another request; retry")
        # Copied events are dropped from the document whether or not it is a tombstone by then.
        self.outbox.relay(self.collection, {"id": resource_id}, [*earlier, *events])
        return document

    def modify(
        self, resource_id: str, change: Callable[[Document], None], attempts: int = 3
    ) -> Document:
        """Apply `change` to the stored document and write it back, retrying if another write
        got there first; raises NotFound, or Conflict after `attempts` collisions."""
        for attempt in range(1, attempts + 1):
            before, revision = self.get_for_update(resource_id)
            document = copy.deepcopy(before)
            change(document)
            try:
                return self.replace(before, revision, document)
            except Conflict:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def find_all(self, where: Mapping[str, Any]) -> Iterator[Document]:
        """Every matching document in insertion order, streamed (for exports, not for pages)."""
        found = self.collection.find(live(where), WITHOUT_INTERNALS).sort("_id", ASCENDING)
        return (public(document) for document in found)

    def find_all_kept(self, where: Mapping[str, Any]) -> Iterator[Document]:
        """Every matching document with the bookkeeping its API keeps on it (`_`-named
        attributes; not the store's own revision and pending events), in insertion order: one
        round trip where `get_for_update` per id would be many."""
        found = self.collection.find(live(where), {"_id": 0, PENDING: 0, REVISION: 0, HELD: 0})
        return iter(found.sort("_id", ASCENDING))

    def put(self, document: Document, attempts: int = 3) -> None:
        """Create the document, or replace the one with its id whatever it holds (for imports)."""
        for attempt in range(1, attempts + 1):
            try:
                before, revision = self.get_for_update(document["id"])
            except NotFound:
                try:
                    self.insert(document)
                    return
                except Conflict:
                    continue  # created meanwhile: replace it
            try:
                self.replace(before, revision, document)
                return
            except (Conflict, NotFound):
                if attempt == attempts:
                    raise

    def ids(self, where: Mapping[str, Any]) -> list[str]:
        return [d["id"] for d in self.collection.find(live(where), {"_id": 0, "id": 1})]

    def exists(self, where: Mapping[str, Any]) -> bool:
        return self.collection.count_documents(live(where), limit=1) > 0

    def delete(self, resource_id: str, attempts: int = 3) -> Document:
        """Delete the entity (its Delete event recorded with it); returns it as it was.
        Raises NotFound, or Conflict after `attempts` concurrent changes."""
        for _ in range(attempts):
            document, revision = self.get_for_update(resource_id)
            if self.tombstone(document, revision, self.journal.deleted(document)):
                self.outbox.relay_tombstone(self.collection, {"id": resource_id})
                return document
        raise Conflict(f"resource {resource_id!r} kept changing during its deletion; retry")

    def delete_revision(self, document: Document, revision: int) -> None:
        """Delete the entity as `get_for_update` read it, at that revision only: raises Conflict
        if it changed meanwhile (a conditional DELETE's check and write in one step)."""
        if not self.tombstone(document, revision, self.journal.deleted(document)):
            raise Conflict(f"resource {document['id']!r} was changed by another request")
        self.outbox.relay_tombstone(self.collection, {"id": document["id"]})

    def tombstone(self, document: Document, revision: int, events: list[Document]) -> bool:
        """Mark the stored revision deleted, holding `events`; False if it changed meanwhile."""
        where = {"id": document["id"], REVISION: revision} if revision else {"id": document["id"]}
        update: dict[str, Any] = {
            "$set": {GONE: True},
            "$inc": {REVISION: 1},
            # A Create event it may still hold goes out before its Delete event.
            "$push": {PENDING: {"$each": [*held_events(document), *events]}},
        }
        if HELD in document:
            update["$unset"] = {HELD: ""}
        return self.collection.update_one(live(where), update).matched_count > 0
