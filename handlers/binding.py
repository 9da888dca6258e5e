"""A registry entry bound to what serving it needs: its schema facts, its store, the settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import flask
import orjson

from handlers import access
from handlers.access import Principal
from handlers.auth import principal
from handlers.correlation import CORRELATION_HEADER
from handlers.responses import dumps, select, with_href
from handlers.wire_cache import WireCache
from notifications.events import Renamed, ResourceEvents, declared_kinds, state_attribute
from persistence import dates, query
from persistence.database import Database
from persistence.documents import public
from persistence.store import HIDDEN, ResourceStore
from persistence.versions import VersionedStore
from settings import Settings
from tmf_apis import editions
from tmf_apis.registry import Api, Resource
from tmf_apis.rules import Reaction, RuleContext
from tmf_apis.schema import ResourceSchema, describe

# What `rendered` writes first, from the request rather than the stored document.
_LEADING = frozenset({"id", "href"})


@dataclass(frozen=True)
class StoredShape:
    """The edition whose wire shape a store holds (an API's first): its resource schema, and
    what it cannot show (a v5 draft order), which it need not read."""

    schema: ResourceSchema
    mapping: editions.EditionMapping
    path: str

    def readable(self, document: dict[str, Any]) -> bool:
        """Whether the edition shows `document` at all."""
        hidden = self.mapping.hidden.get(self.path)
        return hidden is None or not hidden.covers(document)


@dataclass
class ServerStores:
    """The stores of every resource the server serves, by resource schema name (unique across
    the APIs), for rules that reach across resources and APIs (an order reads the catalog). The
    editions of one API share them: what one edition writes, the others read."""

    stores: dict[str, ResourceStore] = field(default_factory=dict)
    versions: dict[str, VersionedStore] = field(default_factory=dict)
    # Every served API's reactions to domain events, by event name (tmf_apis/domain.py).
    reactions: dict[str, list[Reaction]] = field(default_factory=dict)
    # The API (TMF number) each schema's store belongs to.
    owners: dict[str, str] = field(default_factory=dict)
    # The edition each store was made for (the first; v4), whose shape is the stored one.
    shapes: dict[str, StoredShape] = field(default_factory=dict)
    # The JSON each edition made of each document revision it showed.
    wire: WireCache = field(default_factory=lambda: WireCache(0))
    _reacting: set[str] = field(default_factory=set)

    def add(
        self,
        tmf: str,
        schema: str,
        store: ResourceStore,
        versions: VersionedStore | None,
        shape: StoredShape,
    ) -> None:
        if schema in self.stores:
            raise ValueError(f"two APIs serve a resource schema named {schema!r}")
        self.stores[schema] = store
        self.owners[schema] = tmf
        self.shapes[schema] = shape
        if versions is not None:
            self.versions[schema] = versions

    def react_for(self, api: Api) -> None:
        """Add the API's reactions to domain events, once whatever its editions."""
        if api.tmf in self._reacting:
            return
        self._reacting.add(api.tmf)
        for event, react in api.reactions.items():
            self.reactions.setdefault(event, []).append(react)

    def bound(self, tmf: str, schema: str) -> tuple[ResourceStore, VersionedStore | None] | None:
        """The store another edition of API `tmf` made for `schema`, or None."""
        if self.owners.get(schema) != tmf:
            return None
        return self.stores[schema], self.versions.get(schema)


@dataclass(frozen=True)
class Binding:
    api: Api
    resource: Resource
    schema: ResourceSchema
    store: ResourceStore
    settings: Settings
    # Attributes a PATCH may not change: server-owned ones and those the update schema leaves out.
    frozen: frozenset[str]
    server: ServerStores
    # Every version of each entity, for a versioned resource; None otherwise.
    versions: VersionedStore | None = None

    def rule_context(self) -> RuleContext:
        caller = principal() if flask.has_request_context() else None
        return RuleContext(
            now=dates.now(),
            stores=self.server.stores,
            versions=self.server.versions,
            settings=self.settings,
            roles=caller.roles if caller is not None else None,
            reactions=self.server.reactions,
            party=self._party(caller),
        )

    def _party(self, caller: Principal | None) -> tuple[str, str] | None:
        if caller is None or caller.party_id is None:
            return None
        decision = access.decide(caller, self.api.tmf, self.resource.path, access.READ)
        return (caller.party_id, decision.scope_role) if decision.scope_role else None

    def shown(self, document: dict[str, Any], collection_url: str) -> dict[str, Any]:
        """A stored document as this edition shows it, with its `href`."""
        wire = self.api.mapping.to_wire(self.resource.path, document)
        return with_href(wire, collection_url)

    def rendered(
        self, document: dict[str, Any], collection_url: str, revision: int | None
    ) -> orjson.Fragment | dict[str, Any]:
        """`shown` of a whole stored document at `revision`, as JSON, mapped and written once
        per revision while the server keeps it (handlers/wire_cache.py). A document stored
        without one (written by other means) is shown afresh every time."""
        if not revision:
            return self.shown(document, collection_url)
        resource_id = document["id"]
        key = (self.api.base_path, self.resource.path, str(resource_id), revision)

        def make() -> bytes:
            wire = public(self.api.mapping.to_wire(self.resource.path, document))
            return dumps({k: v for k, v in wire.items() if k not in _LEADING})

        rest = self.server.wire.body(key, make)
        href = dumps(f"{collection_url}/{resource_id}")
        head = b'{"id":' + dumps(resource_id) + b',"href":' + href
        return orjson.Fragment(head + (b"}" if rest == b"{}" else b"," + rest[1:]))

    def stored_shape(self) -> StoredShape | None:
        """The edition whose shape is stored, when it is not this one: what this edition
        writes must stay readable through that one."""
        first = self.server.shapes.get(self.resource.stored_as or self.resource.schema)
        return first if first is not None and first.schema is not self.schema else None

    def stored(self, body: dict[str, Any]) -> dict[str, Any]:
        """A client's body in this edition, in the stored shape."""
        return self.api.mapping.from_wire(self.resource.path, body)

    def projection(self, fields: str | None) -> dict[str, int]:
        """The stored projection for a `fields` selection (None: everything but the server's own
        names); with one, the edition's always-selected attributes come too (v5's `@type`)."""
        projection = query.build_projection(fields, HIDDEN, self.schema.attribute_paths)
        if fields is not None:
            projection.update((name, 1) for name in self.api.mapping.always_selected)
        return self.stored_filter(projection)

    def select(self, document: dict[str, Any], fields: str | None) -> dict[str, Any]:
        """`fields` applied to a document already in memory, as `projection` does."""
        if fields is None:
            return document
        return select(document, ",".join([fields, *self.api.mapping.always_selected]))

    def stored_filter(self, where: dict[str, Any]) -> dict[str, Any]:
        """A filter or projection on this edition's attribute paths, on the stored ones."""
        return editions.stored_filter(self.api.mapping, self.resource.path, where)

    def stored_sort(self, order: list[tuple[str, int]]) -> list[tuple[str, int]]:
        mapping, path = self.api.mapping, self.resource.path
        return [(p if p.startswith("_") else mapping.stored_path(path, p), d) for p, d in order]

    def collection_url(self, server_url: str) -> str:
        return f"{server_url}{self.api.base_path}/{self.resource.path}"


def bind(
    api: Api, spec: dict[str, Any], database: Database, settings: Settings, server: ServerStores
) -> list[Binding]:
    bindings = []
    server.react_for(api)
    schemas = spec["components"]["schemas"]
    for resource in api.resources:
        schema = describe(spec, resource.schema)
        frozen = set(resource.server_owned)
        if schema.patchable is not None:
            frozen |= schema.properties - schema.patchable
        shared = server.bound(api.tmf, resource.stored_as or resource.schema)
        kinds = declared_kinds(schemas, resource.schema) | set(resource.extra_events)
        if shared is not None:
            store, versions = shared  # another edition's: one store, one stream of events
            journal = store.journal
            if isinstance(journal, ResourceEvents) and not kinds <= journal.kinds:
                # Events one edition declares and another does not are recorded all the same;
                # each edition's listeners hear only the kinds it declares (events_heard).
                store.journal = dataclasses.replace(journal, kinds=journal.kinds | kinds)
        else:
            journal = ResourceEvents(
                api=api.name,
                schema=resource.schema,
                path=resource.path,
                kinds=kinds,
                state=state_attribute(schema.properties),
                request_facts=_request_facts,
            )
            store = database.store(resource.collection, schema.date_paths, journal)
            versions = database.versions(store) if resource.versioned else None
            shape = StoredShape(schema, api.mapping, resource.path)
            server.add(api.tmf, resource.schema, store, versions, shape)
        bindings.append(
            Binding(api, resource, schema, store, settings, frozenset(frozen), server, versions)
        )
    return bindings


def renamed_resources(api: Api, apis: Sequence[Api]) -> dict[str, Renamed]:
    """The resources this edition names otherwise than their events are recorded (by another
    edition of its API, `Resource.stored_as`), by recorded path."""
    recorded = {
        r.schema: r.path
        for other in apis
        if other.tmf == api.tmf
        for r in other.resources
        if r.stored_as is None
    }
    return {
        recorded[r.stored_as]: Renamed(r.schema, r.path, r.stored_as, recorded[r.stored_as])
        for r in api.resources
        if r.stored_as is not None and r.stored_as in recorded
    }


def events_heard(
    api: Api, spec: dict[str, Any], renamed: Mapping[str, Renamed] | None = None
) -> dict[str, Any]:
    """The recorded events the listeners of this edition hear, as a filter on them: the event
    types its document declares, about resources it can show (`renamed`: resources it names
    otherwise than their events are recorded)."""
    schemas = spec["components"]["schemas"]
    by_path = {name.path: name for name in (renamed or {}).values()}
    types = sorted(
        _recorded_type(by_path.get(resource.path), f"{resource.schema}{kind}Event")
        for resource in api.resources
        for kind in declared_kinds(schemas, resource.schema) | set(resource.extra_events)
    )
    conditions: list[dict[str, Any]] = [{"eventType": {"$in": types}}]
    for path, hidden in sorted(api.mapping.hidden.items()):
        stored = by_path[path].stored_path if path in by_path else path
        conditions.append({f"event.{stored}.{hidden.attribute}": {"$nin": sorted(hidden.values)}})
    return {"$and": conditions}


def _recorded_type(renamed: Renamed | None, event_type: str) -> str:
    return renamed.stored_event_type(event_type) if renamed else event_type


def _request_facts() -> Mapping[str, str]:
    """What an event records of the request that made the change (nothing outside one)."""
    if not flask.has_request_context():
        return {}
    return {
        "origin": flask.request.host_url.rstrip("/"),
        "correlationId": flask.request.headers.get(CORRELATION_HEADER, ""),
    }
