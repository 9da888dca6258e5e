"""Editions: one API served in several versions (v4, v5) from the same stored documents.

What is stored is one shape per resource: the v4 wire shape, which every existing database
holds. An edition is its spec document plus an `EditionMapping` between that stored document
and the edition's wire shape; v4's is the identity. The generic handlers call the mapping at
each border a document crosses:
- `to_wire`: a stored document on its way out (responses, event payloads);
- `from_wire`: a client's body on its way in (creates; a patch is applied to the wire view of
  the stored document and the result mapped back, so every patch format works on wire paths);
- `stored_path`: an attribute path the client names (filters, `sort`, `fields`) as stored.
The stores, their events and the hub's outbox are shared by every edition of an API: a write
through one edition is read, filtered and heard through the others. docs/editions.md holds the
design and what each edition's mapping loses.
"""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


class EditionMapping:
    """The identity: an edition whose wire shape is the stored shape (v4).

    A mapping of another edition overrides these; each returns a new document and passes the
    server's own top-level `_` names through untouched (revisions, pending events)."""

    # Attributes a `fields` selection always returns besides `id` and `href` (v5: `@type`).
    always_selected: tuple[str, ...] = ()
    # The status a listener endpoint answers an event with: v4 201 with an acknowledgement.
    listener_answer: int = 201

    def to_wire(self, resource: str, document: Document) -> Document:
        """The stored `document` of `resource` (its path, e.g. "customer") as this edition
        shows it."""
        return document

    def from_wire(self, resource: str, body: Document) -> Document:
        """A client's `body` for `resource` in this edition, as it is stored."""
        return body

    def stored_path(self, resource: str, path: str) -> str:
        """The stored attribute path a client's dotted `path` of this edition names."""
        return path


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


def stored_filter(
    mapping: EditionMapping, resource: str, where: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """A MongoDB filter written on an edition's attribute paths, on the stored ones instead.
    `prefix` is what the paths start with beyond the resource's own (`event.customer.` in a
    hub query); paths without it are left as they are."""
    if mapping is IDENTITY:
        return where
    return {
        _key(mapping, resource, k, prefix): _value(mapping, resource, v, prefix)
        for k, v in where.items()
    }


def _key(mapping: EditionMapping, resource: str, key: str, prefix: str) -> str:
    if key.startswith("$") or not key.startswith(prefix):
        return key
    return prefix + mapping.stored_path(resource, key[len(prefix) :])


def _value(mapping: EditionMapping, resource: str, value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return stored_filter(mapping, resource, value, prefix)
    if isinstance(value, list):
        return [_value(mapping, resource, v, prefix) for v in value]
    return value
