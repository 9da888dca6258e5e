"""Editions: one API served in several versions (v4, v5) from the same stored documents.

What is stored is one shape per resource: the v4 wire shape, which every existing database
holds. An edition is its spec document plus an `EditionMapping` between that stored document
and the edition's wire shape; v4's is the identity. The generic handlers call the mapping at
each border a document crosses:
- `to_wire`: a stored document on its way out (responses, event payloads);
- `from_wire`: a client's body on its way in (creates; a patch is applied to the wire view of
  the stored document and the result mapped back, so every patch format works on wire paths);
- `stored_path`: an attribute path the client names (filters, `sort`, `fields`) as stored;
- `stored_value`: a value the client names in a filter, as stored (an edition's state name);
- `hidden`: stored documents the edition has no way to show (TMF622 v5 drafts in v4), which
  its reads, writes and events treat as absent;
- `envelope`: an event's envelope as the edition's listeners receive it.
The stores, their events and the hub's outbox are shared by every edition of an API: a write
through one edition is read, filtered and heard through the others. docs/editions.md holds the
design and what each edition's mapping loses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]


@dataclass(frozen=True)
class Hidden:
    """Stored documents of a resource that an edition cannot show: those whose top-level
    `attribute` holds one of `values`."""

    attribute: str
    values: frozenset[str]

    def covers(self, document: Mapping[str, Any]) -> bool:
        return document.get(self.attribute) in self.values

    def excluded(self) -> dict[str, Any]:
        """A filter that leaves them out."""
        return {self.attribute: {"$nin": sorted(self.values)}}


class EditionMapping:
    """The identity: an edition whose wire shape is the stored shape (v4).

    A mapping of another edition overrides these; each returns a new document and passes the
    server's own top-level `_` names through untouched (revisions, pending events)."""

    # Attributes a `fields` selection always returns besides `id` and `href` (v5: `@type`).
    always_selected: tuple[str, ...] = ()
    # The status a listener endpoint answers an event with: v4 201 with an acknowledgement.
    listener_answer: int = 201
    # What this edition cannot show, by resource path (absent to its clients and listeners).
    hidden: Mapping[str, Hidden] = {}

    def to_wire(self, resource: str, document: Document) -> Document:
        """The stored `document` of `resource` (its path, e.g. "customer") as this edition
        shows it."""
        return document

    def from_wire(self, resource: str, body: Document) -> Document:
        """A client's `body` for `resource` in this edition, as it is stored."""
        return body

    def patched(self, resource: str, body: Document, before: Document) -> Document:
        """A patch's result `body` (applied to `to_wire(before)`), as it is stored: what
        `to_wire` only added for show must not read as the client's change."""
        return self.from_wire(resource, body)

    def stored_path(self, resource: str, path: str) -> str:
        """The stored attribute path a client's dotted `path` of this edition names."""
        return path

    def stored_value(self, resource: str, path: str, value: Any) -> Any:
        """The stored value a filter on the stored attribute `path` names as `value`."""
        return value

    def envelope(self, event: Document, api_name: str) -> Document:
        """An event's envelope (its resource already shown) as this edition's listeners get
        it; `api_name` is the API's name (its TMF domain)."""
        return event


IDENTITY = EditionMapping()
# What the hub's answers are, as `to_wire` is told (the hub is no stored resource).
HUB = "hub"


class V5Mapping(EditionMapping):
    """What every v5 edition has in common: `@type` on everything it shows (a `fields`
    selection included) and on the hub's answers. An API's v5 mapping extends it."""

    always_selected = ("@type",)
    listener_answer = 204  # no body

    def to_wire(self, resource: str, document: Document) -> Document:
        if resource == HUB:
            return {**document, "@type": document.get("@type") or "Hub"}
        return document

    def envelope(self, event: Document, api_name: str) -> Document:
        """v5's Event: typed by its event type, its own `id` and `timeOccurred` beside v4's
        `eventId` and `eventTime`, and the API it comes from as its `domain`."""
        return {
            "@type": event["eventType"],
            "@baseType": "Event",
            "id": event["eventId"],
            "timeOccurred": event["eventTime"],
            "domain": api_name,
            **event,
        }


def stored_filter(
    mapping: EditionMapping, resource: str, where: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """A MongoDB filter written on an edition's attribute paths and values, on the stored ones
    instead. `prefix` is what the paths start with beyond the resource's own (`event.customer.`
    in a hub query); paths without it are left as they are."""
    if mapping is IDENTITY:
        return where
    return _filter(mapping, resource, where, prefix, None)


def _filter(
    mapping: EditionMapping, resource: str, where: dict[str, Any], prefix: str, path: str | None
) -> dict[str, Any]:
    out = {}
    for key, value in where.items():
        if key.startswith("$"):
            # An operator ($in, $ne, ...) tests the attribute it stands under; $and, $or list
            # whole filters.
            out[key] = _value(mapping, resource, value, prefix, path)
        elif key.startswith(prefix):
            stored = mapping.stored_path(resource, key[len(prefix) :])
            out[prefix + stored] = _value(mapping, resource, value, prefix, stored)
        else:
            out[key] = value
    return out


def _value(
    mapping: EditionMapping, resource: str, value: Any, prefix: str, path: str | None
) -> Any:
    if isinstance(value, dict):
        return _filter(mapping, resource, value, prefix, path)
    if isinstance(value, list):
        return [_value(mapping, resource, v, prefix, path) for v in value]
    if path is None:
        return value
    return mapping.stored_value(resource, path, value)
