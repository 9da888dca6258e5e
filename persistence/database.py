"""The MongoDB connection: pymongo for TMF resources, mongoengine for fixed-shape records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import mongoengine
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database as MongoDatabase
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

from persistence.clients import ApiClient
from persistence.idempotency import IDEMPOTENCY_TAG, IdempotencyRecord
from persistence.outbox import DEFAULT_PARTITIONS, Outbox, ensure_pending_index
from persistence.store import Journal, ResourceStore
from persistence.subscriptions import MONGOENGINE_ALIAS, DeadLetter, Subscription, take_positions
from persistence.versions import VersionedStore

log = logging.getLogger(__name__)

# mongoengine keeps its connections in process-wide state, keyed by alias. Several Database
# objects may live in one process (a server run inside the tests beside the tests' own), and
# the delivery worker's thread reads subscriptions while another Database opens: tearing the
# alias down and up again under it would lose or leak clients. So one connection is shared by
# every Database on the same URI and database name, and closed by the last one to close.
_mongoengine_lock = threading.Lock()
_mongoengine_target: tuple[str, str] | None = None
_mongoengine_users = 0


def _attach_mongoengine(uri: str, name: str, timeout_ms: int) -> None:
    global _mongoengine_target, _mongoengine_users
    with _mongoengine_lock:
        if _mongoengine_target == (uri, name):
            _mongoengine_users += 1
            return
        # A different target: the newest Database wins, as mongoengine allows one per alias.
        mongoengine.disconnect(alias=MONGOENGINE_ALIAS)
        mongoengine.connect(
            db=name,
            host=uri,
            alias=MONGOENGINE_ALIAS,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=timeout_ms,
        )
        _mongoengine_target, _mongoengine_users = (uri, name), 1


def _detach_mongoengine(uri: str, name: str) -> None:
    global _mongoengine_target, _mongoengine_users
    with _mongoengine_lock:
        if _mongoengine_target != (uri, name):
            return  # a newer Database on another target took the alias over
        _mongoengine_users -= 1
        if _mongoengine_users == 0:
            mongoengine.disconnect(alias=MONGOENGINE_ALIAS)
            _mongoengine_target = None


class Database:
    """Owns the connection; hands out a ResourceStore per collection and creates indexes."""

    def __init__(
        self,
        uri: str,
        default_name: str,
        timeout_ms: int = 5000,
        event_partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.uri = uri
        self.name = parse_uri(uri).get("database") or default_name
        self.client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True
        )
        self.db: MongoDatabase[dict[str, Any]] = self.client[self.name]
        self.outbox = Outbox(self.db, event_partitions)
        # Fixed-shape server records (hub subscriptions and dead letters) use mongoengine.
        _attach_mongoengine(uri, self.name, timeout_ms)
        self._closed = False

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

    def ensure_indexes(
        self, collection: str, fields: Iterable[str], retired: Iterable[str] = ()
    ) -> None:
        """A unique index on `id`, and one ascending index per field the API filters or sorts on;
        the indexes of `retired` fields dropped."""
        target = self.db[collection]
        held = set(target.index_information()) if retired else set()
        for name in retired:
            if f"{name}_1" in held:
                target.drop_index(f"{name}_1")
        target.create_index([("id", ASCENDING)], unique=True, name="id_unique")
        # Only resources created under an Idempotency-Key carry it, and only a retry after a
        # crash looks for it (handlers/idempotency.py).
        target.create_index([(IDEMPOTENCY_TAG, ASCENDING)], name="idempotency_tag", sparse=True)
        for name in fields:
            target.create_index([(name, ASCENDING)], name=f"{name}_1")
        ensure_pending_index(target)

    def ensure_server_indexes(self) -> None:
        Subscription.ensure_indexes()
        ApiClient.ensure_indexes()
        DeadLetter.ensure_indexes()
        IdempotencyRecord.ensure_indexes()
        self.outbox.ensure_indexes()

    def prepare_events(self) -> int:
        """Bring a database from before event partitions to them (resumable: each step is safe
        to repeat): the outbox's counters and events, then the subscriptions' positions, and
        only then the one counter of before is removed. Returns how many subscriptions it gave
        positions."""
        moved = take_positions(self.outbox.partitions)
        self.outbox.retire_legacy_counter()
        return moved

    def ping(self) -> bool:
        try:
            self.client.admin.command("ping")
        except PyMongoError as error:
            log.warning("database ping failed: %s", error)
            return False
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        _detach_mongoengine(self.uri, self.name)
