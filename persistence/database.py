"""The MongoDB connection: pymongo for TMF resources, mongoengine for fixed-shape records."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import mongoengine
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database as MongoDatabase
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

from persistence.outbox import Outbox, ensure_pending_index
from persistence.store import Journal, ResourceStore
from persistence.subscriptions import MONGOENGINE_ALIAS, DeadLetter, Subscription
from persistence.versions import VersionedStore

log = logging.getLogger(__name__)


class Database:
    """Owns the connection; hands out a ResourceStore per collection and creates indexes."""

    def __init__(self, uri: str, default_name: str, timeout_ms: int = 5000) -> None:
        self.uri = uri
        self.name = parse_uri(uri).get("database") or default_name
        self.client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True
        )
        self.db: MongoDatabase[dict[str, Any]] = self.client[self.name]
        self.outbox = Outbox(self.db)
        # Fixed-shape server records (hub subscriptions, later jobs and the outbox) use mongoengine.
        mongoengine.disconnect(alias=MONGOENGINE_ALIAS)
        mongoengine.connect(
            db=self.name,
            host=uri,
            alias=MONGOENGINE_ALIAS,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=timeout_ms,
        )

    def store(
        self,
        collection: str,
        date_paths: Iterable[Iterable[str]] = (),
        journal: Journal | None = None,
    ) -> ResourceStore:
        return ResourceStore(
            self.db[collection], [tuple(p) for p in date_paths], journal, self.outbox
        )

    def versions(self, store: ResourceStore) -> VersionedStore:
        """The versions of a resource whose latest versions `store` holds."""
        return VersionedStore(store, self.db[f"{store.collection.name}_version"])

    def ensure_indexes(self, collection: str, fields: Iterable[str]) -> None:
        """A unique index on `id`, and one ascending index per field the API filters or sorts on."""
        target = self.db[collection]
        target.create_index([("id", ASCENDING)], unique=True, name="id_unique")
        for name in fields:
            target.create_index([(name, ASCENDING)], name=f"{name}_1")
        ensure_pending_index(target)

    def ensure_server_indexes(self) -> None:
        Subscription.ensure_indexes()
        DeadLetter.ensure_indexes()
        self.outbox.ensure_indexes()

    def ping(self) -> bool:
        try:
            self.client.admin.command("ping")
        except PyMongoError as error:
            log.warning("database ping failed: %s", error)
            return False
        return True

    def close(self) -> None:
        self.client.close()
        mongoengine.disconnect(alias=MONGOENGINE_ALIAS)
