"""Entity versions (TMF630 part 4): several instances share an `id` and differ by `version`.

The resource's own collection holds the latest version of each entity, so lists, filters, counts
and references by plain id see the catalog as it stands and keep their unique `id` index. The
earlier versions live in a second collection keyed by (`id`, `version`). "Latest" is the highest
`version` by dotted-number order ("1.10" after "1.9"; a missing version comes first).

Writes are ordered so that a crash between them leaves a duplicate, never a loss: a version
leaves the current collection only after its copy is in the archive.

Events: a new version is a Create event and the removal of one version a Delete event, recorded
with the write that stores or removes it (in the archive when that version is not the latest).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from persistence.errors import Conflict, NotFound
from persistence.outbox import GONE, PENDING, ensure_pending_index
from persistence.store import REVISION, WITHOUT_INTERNALS, ResourceStore, live

Document = dict[str, Any]
VersionKey = tuple[tuple[int, int | str], ...]


def version_key(version: object) -> VersionKey:
    """Orders versions numerically part by part; a text part sorts after any number."""
    if version is None:
        return ()
    parts = re.findall(r"\d+|[^\d.\-_]+", str(version))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


class VersionedStore:
    """The versions of one resource: `current` (a ResourceStore) plus its `archive`."""

    def __init__(self, current: ResourceStore, archive: Collection[Document]) -> None:
        self.current = current
        self.archive = archive

    def ensure_indexes(self) -> None:
        self.archive.create_index(
            [("id", ASCENDING), ("version", ASCENDING)], unique=True, name="id_version_unique"
        )
        ensure_pending_index(self.archive)

    def versions(self, resource_id: str) -> list[str | None]:
        """Every version of the entity, oldest first; empty when there is no such entity."""
        found: list[str | None] = [
            d.get("version")
            for d in self.archive.find(live({"id": resource_id}), {"_id": 0, "version": 1})
        ]
        current = self.current.collection.find_one(
            live({"id": resource_id}), {"_id": 0, "version": 1}
        )
        if current is not None:
            found.append(current.get("version"))
        return sorted(set(found), key=version_key)

    def get(
        self,
        resource_id: str,
        version: str | None = None,
        projection: Mapping[str, int] | None = None,
    ) -> Document:
        """The latest version of the entity, or the one named; raises NotFound."""
        shown = projection or WITHOUT_INTERNALS
        if version is None:
            return self.current.get(resource_id, shown)
        where = live({"id": resource_id, "version": version})
        found = self.current.collection.find_one(where, shown) or self.archive.find_one(
            where, shown
        )
        if found is None:
            raise NotFound(f"no version {version!r} of resource {resource_id!r}")
        return found

    def resolve(self, reference: Mapping[str, Any]) -> Document | None:
        """What a reference `{id, version?}` points at here: the named version, else the
        latest; None when this store does not hold it (the reference may point elsewhere)."""
        resource_id = reference.get("id")
        if not isinstance(resource_id, str):
            return None
        version = reference.get("version")
        try:
            return self.get(resource_id, version if isinstance(version, str) else None)
        except NotFound:
            return None

    def add(self, document: Document) -> bool:
        """Store a new version of an existing entity (already prepared); returns True when it
        became the latest. Raises NotFound for an unknown id, Conflict for a version already
        held or a concurrent change of the latest one."""
        resource_id, version = document["id"], document.get("version")
        latest, revision = self.current.get_for_update(resource_id)
        if version in self.versions(resource_id):
            raise Conflict(f"version {version!r} of resource {resource_id!r} already exists")
        created = self.current.journal.created(document)
        if version_key(version) < version_key(latest.get("version")):
            self._archive(document, created)
            return False
        self._archive(latest)
        self.current.replace(latest, revision, document, created)
        return True

    def delete(self, resource_id: str, version: str | None = None) -> None:
        """Delete the whole entity, or one version of it; when that was the latest, the next
        highest version becomes the latest. Raises NotFound."""
        if version is None:
            self.current.delete(resource_id)
            self.archive.delete_many({"id": resource_id})
            return
        latest, revision = self.current.get_for_update(resource_id)
        if latest.get("version") != version:
            self._delete_archived(resource_id, version)
            return
        previous = self._latest_archived(resource_id, version)
        if previous is None:
            self.current.delete(resource_id)
            self.archive.delete_many({"id": resource_id})
            return
        self.current.replace(latest, revision, previous, self.current.journal.deleted(latest))
        self.archive.delete_many(
            {"id": resource_id, "version": {"$in": [previous.get("version"), version]}}
        )

    def check_version_change(self, resource_id: str, old: object, new: object) -> None:
        """A PATCH may renumber the latest version, but not onto or below an archived one,
        which would make it no longer the latest."""
        if new == old:
            return
        archived = self._latest_archived(resource_id, old)
        if archived is not None and version_key(new) <= version_key(archived.get("version")):
            raise Conflict(
                f"version {new!r} is not above version {archived.get('version')!r} of "
                f"{resource_id!r}; create an earlier version with POST instead"
            )

    def _latest_archived(self, resource_id: str, current: object) -> Document | None:
        # A copy of the current version may be left in the archive by an interrupted `add`.
        where = live({"id": resource_id, "version": {"$ne": current}})
        archived = list(self.archive.find(where, WITHOUT_INTERNALS))
        return max(archived, key=lambda d: version_key(d.get("version")), default=None)

    def _archive(self, document: Document, events: list[Document] | None = None) -> None:
        stored = {k: v for k, v in document.items() if k not in ("_id", REVISION, PENDING)}
        if events:
            stored[PENDING] = events
        where = {"id": stored["id"], "version": stored.get("version")}
        self.archive.replace_one(where, stored, upsert=True)
        self.current.outbox.relay(self.archive, where, events or [])

    def _delete_archived(self, resource_id: str, version: str) -> None:
        where = live({"id": resource_id, "version": version})
        document = self.archive.find_one(where, WITHOUT_INTERNALS)
        if document is None:
            raise NotFound(f"no version {version!r} of resource {resource_id!r}")
        events = self.current.journal.deleted(document)
        marked = self.archive.update_one(
            where, {"$set": {GONE: True}, "$push": {PENDING: {"$each": events}}}
        )
        if marked.matched_count == 0:
            raise NotFound(f"no version {version!r} of resource {resource_id!r}")
        self.current.outbox.relay_tombstone(self.archive, {"id": resource_id, "version": version})
