"""The TMF events of one resource: which change makes which event, and what the event holds.

Events are recorded as the store writes (persistence/outbox.py) in a version-neutral form: the
envelope every TMF version shares (`eventId`, `eventTime`, `eventType`, `event: {<resource>:
...}`, `fieldPath` on attribute changes, `correlationId`), the resource as stored (without its
`href`, which depends on the API version and address a listener registered with), and three
fields of ours that `render` removes: `api`, `path` and `origin`.

- POST: a Create event with the whole resource.
- PATCH, and changes the server makes itself (an order moving on, a category gaining a child): a
  StateChange event when the state attribute (`state`, `status` or `lifecycleStatus`) changed, and
  an AttributeValueChange event naming the other changed attributes in `fieldPath` (comma-separated
  top-level names) when any did; both carry the whole resource as it now is. `lastUpdate` alone
  is bookkeeping, not a change.
- DELETE: a Delete event with the resource as it was.
An event type is recorded only when the API declares it (`<Resource><Kind>Event` in its spec).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from persistence import dates, query
from persistence.documents import INTERNAL_PREFIX, public
from tmf_apis.editions import IDENTITY, EditionMapping

Document = dict[str, Any]

KINDS = ("Create", "AttributeValueChange", "StateChange", "Delete")
STATE_ATTRIBUTES = ("state", "status", "lifecycleStatus")
# Changed by every write; never on its own a reason for an AttributeValueChange event (TMF666
# v4 names it lastModified).
BOOKKEEPING = frozenset({"lastUpdate", "lastModified"})
# Our fields of a stored event; listeners never see them.
INTERNAL = ("_id", "api", "path", "origin", "p")

# The envelope attributes a hub query may test, besides `event.<resource>.<attribute>`.
ENVELOPE_TYPES = {
    "eventId": query.STRING,
    "eventTime": query.DATE_TIME,
    "eventType": query.STRING,
    "fieldPath": query.STRING,
    "correlationId": query.STRING,
}

# What the write's request tells about it: `origin` (the server address the client used) and
# `correlationId`; empty outside a request.
RequestFacts = Callable[[], Mapping[str, str]]


def declared_kinds(schemas: Iterable[str], resource: str) -> frozenset[str]:
    """The kinds of event an API's spec declares for a resource (e.g. `CustomerCreateEvent`)."""
    names = set(schemas)
    return frozenset(kind for kind in KINDS if f"{resource}{kind}Event" in names)


def state_attribute(properties: Iterable[str]) -> str | None:
    present = set(properties)
    return next((name for name in STATE_ATTRIBUTES if name in present), None)


@dataclass(frozen=True)
class ResourceEvents:
    """The events of one resource of one API; the journal a ResourceStore records them with."""

    api: str  # e.g. "productOrderingManagement"
    schema: str  # e.g. "ProductOrder", which names the event types
    path: str  # e.g. "productOrder": the key in `event` and the path segment of hrefs
    kinds: frozenset[str]
    state: str | None = None
    request_facts: RequestFacts | None = None

    def created(self, document: Document) -> list[Document]:
        return self._events(("Create", document, None))

    def changed(self, before: Document, after: Document) -> list[Document]:
        names = sorted(
            name
            for name in before.keys() | after.keys()
            if before.get(name) != after.get(name) and not name.startswith(INTERNAL_PREFIX)
        )
        others = [n for n in names if n != self.state and n not in BOOKKEEPING]
        return self._events(
            ("StateChange", after, None) if self.state in names else None,
            ("AttributeValueChange", after, ",".join(others)) if others else None,
        )

    def deleted(self, document: Document) -> list[Document]:
        return self._events(("Delete", document, None))

    def _events(self, *wanted: tuple[str, Document, str | None] | None) -> list[Document]:
        facts = self.request_facts() if self.request_facts else {}
        events = []
        for entry in wanted:
            if entry is None or entry[0] not in self.kinds:
                continue
            kind, document, field_path = entry
            event: Document = {
                "eventId": str(uuid.uuid4()),
                "eventTime": dates.now(),
                "eventType": f"{self.schema}{kind}Event",
            }
            if facts.get("correlationId"):
                event["correlationId"] = facts["correlationId"]
            if field_path is not None:
                event["fieldPath"] = field_path
            event["event"] = {self.path: public(document)}
            event.update(api=self.api, path=self.path)
            if facts.get("origin"):
                event["origin"] = facts["origin"]
            events.append(event)
        return events


@dataclass(frozen=True)
class Renamed:
    """A resource an edition names otherwise than its events are recorded: TMF620 v5's
    `ProductCatalog` at `productCatalog`, whose events are v4's `Catalog...Event` about
    `catalog`."""

    schema: str
    path: str
    stored_schema: str
    stored_path: str

    def event_type(self, stored: str) -> str:
        """A recorded event type (`CatalogCreateEvent`) as the edition names it."""
        if stored.startswith(self.stored_schema):
            return self.schema + stored.removeprefix(self.stored_schema)
        return stored

    def stored_event_type(self, shown: str) -> str:
        if shown.startswith(self.schema):
            return self.stored_schema + shown.removeprefix(self.schema)
        return shown


def recorded_selector(selector: Any, renamed: Mapping[str, Renamed]) -> Any:
    """A hub selector written on an edition's resource names (`event.productCatalog.name`,
    `eventType=ProductCatalogCreateEvent`), on the names events are recorded with."""
    if not renamed:
        return selector
    if isinstance(selector, list):
        return [recorded_selector(part, renamed) for part in selector]
    if not isinstance(selector, dict):
        return selector
    out = {}
    for key, value in selector.items():
        if key == "eventType":
            out[key] = _stored_types(value, renamed)
            continue
        for name in renamed.values():
            prefix = f"event.{name.path}"
            if key == prefix or key.startswith(prefix + "."):
                key = f"event.{name.stored_path}" + key.removeprefix(prefix)
                break
        out[key] = recorded_selector(value, renamed)
    return out


def _stored_types(value: Any, renamed: Mapping[str, Renamed]) -> Any:
    if isinstance(value, str):
        for name in renamed.values():
            value = name.stored_event_type(value)
        return value
    if isinstance(value, list):
        return [_stored_types(v, renamed) for v in value]
    if isinstance(value, dict):
        return {k: _stored_types(v, renamed) for k, v in value.items()}
    return value


def render(
    event: Mapping[str, Any],
    base_url: str,
    base_path: str,
    edition: EditionMapping = IDENTITY,
    renamed: Mapping[str, Renamed] | None = None,
) -> Document:
    """The event as a listener receives it: our fields removed, the resource and the envelope
    in the shape of the edition the listener registered with (`edition`), the resource's
    `href` pointing at `base_url` + `base_path` (that edition's root); a resource the edition
    names otherwise (`renamed`, by recorded path) under the edition's names."""
    shown = {k: v for k, v in event.items() if k not in INTERNAL}
    stored_path = event["path"]
    named = (renamed or {}).get(stored_path)
    path = named.path if named else stored_path
    if named:
        shown["eventType"] = named.event_type(shown["eventType"])
    resource = edition.to_wire(path, event["event"][stored_path])
    href = f"{base_url}{base_path}/{path}/{resource['id']}"
    shown["event"] = {path: {"id": resource["id"], "href": href, **resource}}
    return edition.envelope(shown, event["api"])


def event_types(resources: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """What a hub query may filter on, given each resource's attribute types by its path."""
    types = dict(ENVELOPE_TYPES)
    for path, fields in resources.items():
        types.update((f"event.{path}.{name}", kind) for name, kind in fields.items())
    return types


def hub_selector(text: str, types: Mapping[str, str]) -> tuple[dict[str, Any], list[str] | None]:
    """A hub `query` as a filter on stored events, and the attributes its `fields` keeps (None:
    all). Raises persistence.errors.InvalidQuery naming what is wrong."""
    fields: list[str] | None = None
    conditions = []
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key == "fields":
            fields = [name for name in value.split(",") if name]
        else:
            conditions.append((key, value))
    return query.build_filter(conditions, types), fields
