"""A registry entry bound to what serving it needs: its schema facts, its store, the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from persistence import dates
from persistence.database import Database
from persistence.store import ResourceStore
from persistence.versions import VersionedStore
from settings import Settings
from tmf_apis.registry import Api, Resource
from tmf_apis.rules import RuleContext
from tmf_apis.schema import ResourceSchema, describe


@dataclass(frozen=True)
class Binding:
    api: Api
    resource: Resource
    schema: ResourceSchema
    store: ResourceStore
    settings: Settings
    # Attributes a PATCH may not change: server-owned ones and those the update schema leaves out.
    frozen: frozenset[str]
    # The stores of every resource of the API, for rules that reach across resources.
    siblings: Mapping[str, ResourceStore]
    # Every version of each entity, for a versioned resource; None otherwise.
    versions: VersionedStore | None = None

    def rule_context(self) -> RuleContext:
        return RuleContext(now=dates.now(), stores=self.siblings)

    def collection_url(self, server_url: str) -> str:
        return f"{server_url}{self.api.base_path}/{self.resource.path}"


def bind(api: Api, spec: dict[str, Any], database: Database, settings: Settings) -> list[Binding]:
    bindings = []
    siblings: dict[str, ResourceStore] = {}
    for resource in api.resources:
        schema = describe(spec, resource.schema)
        properties = set(spec["components"]["schemas"][resource.schema].get("properties", {}))
        frozen = set(resource.server_owned)
        if schema.patchable is not None:
            frozen |= properties - schema.patchable
        store = database.store(resource.collection, schema.date_paths)
        siblings[resource.schema] = store
        versions = database.versions(store) if resource.versioned else None
        bindings.append(
            Binding(api, resource, schema, store, settings, frozenset(frozen), siblings, versions)
        )
    return bindings
