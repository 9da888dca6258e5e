"""The repository for TMF resources: one MongoDB collection per resource, plain documents.

Documents are stored as the API shows them, minus `href` (built per request, so one stored
document serves every API version), plus two internal fields: MongoDB's `_id`, whose order is the
insertion order used to keep pages stable, and `_rev`, a revision number that makes a
read-modify-write fail instead of silently overwriting a concurrent change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from persistence.documents import check_storable, normalize_dates
from persistence.errors import Conflict, NotFound

REVISION = "_rev"
HIDDEN = (REVISION,)
WITHOUT_INTERNALS = {"_id": 0, REVISION: 0}

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


class ResourceStore:
    """list, count, get, insert, replace, delete for one resource's collection.

    `date_paths` name the attributes holding date-times; they are stored normalised (see dates.py).
    """

    def __init__(
        self, collection: Collection[Document], date_paths: Sequence[Sequence[str]] = ()
    ) -> None:
        self.collection = collection
        self.date_paths = tuple(tuple(p) for p in date_paths)

    def prepare(self, document: Document) -> None:
        """Check and normalise a document in place before it is written; raises InvalidDocument."""
        check_storable(document)
        normalize_dates(document, self.date_paths)

    def find(self, query: ListQuery) -> Page:
        # Sorting on an unindexed attribute may exceed MongoDB's in-memory sort limit otherwise.
        cursor = (
            self.collection.find(query.filter, query.projection, allow_disk_use=True)
            .sort(list(query.sort))
            .skip(query.offset)
        )
        if query.limit == 0:
            return Page([], self.count(query.filter))
        items = list(cursor.limit(query.limit))
        # A short page that is not past the end tells the total without a second query.
        if len(items) < query.limit and (items or query.offset == 0):
            return Page(items, query.offset + len(items))
        return Page(items, self.count(query.filter))

    def count(self, where: Mapping[str, Any]) -> int:
        return self.collection.count_documents(where)

    def get(self, resource_id: str, projection: Mapping[str, int] | None = None) -> Document:
        found = self.collection.find_one({"id": resource_id}, projection or WITHOUT_INTERNALS)
        if found is None:
            raise NotFound(f"no resource with id {resource_id!r}")
        return found

    def find_one(self, where: Mapping[str, Any]) -> Document | None:
        return self.collection.find_one(where, WITHOUT_INTERNALS)

    def get_for_update(self, resource_id: str) -> tuple[Document, int]:
        """The document and the revision a later `replace` must still find."""
        found = self.collection.find_one({"id": resource_id}, {"_id": 0})
        if found is None:
            raise NotFound(f"no resource with id {resource_id!r}")
        return found, int(found.pop(REVISION, 0))

    def insert(self, document: Document) -> Document:
        """Store a new document (already prepared); raises Conflict if its id is taken."""
        stored = {**document, REVISION: 1}
        try:
            self.collection.insert_one(stored)
        except DuplicateKeyError:
            raise Conflict(f"a resource with id {document.get('id')!r} already exists") from None
        return document

    def replace(self, resource_id: str, revision: int, document: Document) -> Document:
        """Write `document` over revision `revision`; raises Conflict if it changed meanwhile."""
        result = self.collection.replace_one(
            {"id": resource_id, REVISION: revision} if revision else {"id": resource_id},
            {**document, REVISION: revision + 1},
        )
        if result.matched_count == 0:
            if self.collection.count_documents({"id": resource_id}, limit=1) == 0:
                raise NotFound(f"no resource with id {resource_id!r}")
            raise Conflict(f"resource {resource_id!r} was changed by another request; retry")
        return document

    def modify(
        self, resource_id: str, change: Callable[[Document], None], attempts: int = 3
    ) -> Document:
        """Apply `change` to the stored document and write it back, retrying if another write
        got there first; raises NotFound, or Conflict after `attempts` collisions."""
        for attempt in range(1, attempts + 1):
            document, revision = self.get_for_update(resource_id)
            change(document)
            try:
                return self.replace(resource_id, revision, document)
            except Conflict:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def find_all(self, where: Mapping[str, Any]) -> Iterator[Document]:
        """Every matching document in insertion order, streamed (for exports, not for pages)."""
        return self.collection.find(where, WITHOUT_INTERNALS).sort("_id", ASCENDING)

    def put(self, document: Document) -> None:
        """Create or replace the document with this id, whatever its revision (for imports)."""
        self.collection.replace_one({"id": document["id"]}, {**document, REVISION: 1}, upsert=True)

    def ids(self, where: Mapping[str, Any]) -> list[str]:
        return [d["id"] for d in self.collection.find(where, {"_id": 0, "id": 1})]

    def exists(self, where: Mapping[str, Any]) -> bool:
        return self.collection.count_documents(where, limit=1) > 0

    def delete(self, resource_id: str) -> None:
        if self.collection.delete_one({"id": resource_id}).deleted_count == 0:
            raise NotFound(f"no resource with id {resource_id!r}")
