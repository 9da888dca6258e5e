"""Idempotency keys: the first outcome of a request sent with an `Idempotency-Key`, kept to be
replayed to retries of the same request by the same client.

A key is reserved by inserting its record: the unique index on (client, key) lets exactly one of
several concurrent requests win. The winner holds a lease (`lease_until`, seconds since the
epoch) while it runs; a record still in progress after its lease (its process died, or the
request outran the lease) may be taken over by a retry, which then runs the request again. The
outcome is kept until `expires`, which a TTL index removes (and a reservation finding an expired
record replaces it, for databases whose TTL monitor has not run yet).

A resource created under a key carries the key's tag (`IDEMPOTENCY_TAG`, a hash of client and
key) in the same insert, so a retry that takes over a dead request's key finds what that request
wrote, if it got that far, and answers with it instead of writing again.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mongoengine import (
    BinaryField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    StringField,
)
from pymongo.errors import DuplicateKeyError

from persistence.subscriptions import MONGOENGINE_ALIAS

IN_PROGRESS = "inProgress"
# The internal attribute of a resource created under an idempotency key (indexed, sparse).
IDEMPOTENCY_TAG = "_idem"
DONE = "done"
# A reservation is tried again this many times when the record it met disappears meanwhile
# (expired, or released by a failing request).
_ATTEMPTS = 3


class IdempotencyRecord(Document):  # type: ignore[misc]  # mongoengine has no type information
    client = StringField(required=True)
    key = StringField(required=True)
    # Method, path with query and SHA-256 of the body: what the key names.
    fingerprint = StringField(required=True)
    state = StringField(required=True)
    # The reservation holding the record: only it may complete or release it.
    token = StringField(required=True)
    lease_until = FloatField(default=0)
    expires = DateTimeField(required=True)
    status = IntField()
    headers = DictField()
    body = BinaryField()

    meta = {
        "collection": "idempotency_keys",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": [
            {"fields": ["client", "key"], "unique": True},
            {"fields": ["expires"], "expireAfterSeconds": 0},
        ],
    }


def tag(client: str, key: str) -> str:
    """What a resource created under this client's key is tagged with."""
    return hashlib.sha256(f"{client}\x00{key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Reserved:
    """This request holds the key: run it, then `complete` or `release`. `resumed`: the key was
    taken over from a request whose lease ended (its process died, most likely), which may
    have written before it stopped."""

    token: str
    resumed: bool = False


@dataclass(frozen=True)
class Stored:
    """The kept outcome of the first request with the key."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class InProgress:
    """Another request with the key runs (its lease has not ended)."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for another request."""


Found = Reserved | Stored | InProgress | Mismatch


def reserve(
    client: str, key: str, fingerprint: str, lease_seconds: float, keep_seconds: float
) -> Found:
    collection = IdempotencyRecord._get_collection()
    for _ in range(_ATTEMPTS):
        token = uuid.uuid4().hex
        now = datetime.now(UTC)
        record = {
            "client": client,
            "key": key,
            "fingerprint": fingerprint,
            "state": IN_PROGRESS,
            "token": token,
            "lease_until": time.time() + lease_seconds,
            "expires": now + timedelta(seconds=keep_seconds),
        }
        try:
            collection.insert_one(record)
            return Reserved(token)
        except DuplicateKeyError:
            pass
        existing: dict[str, Any] | None = collection.find_one({"client": client, "key": key})
        if existing is None:
            continue  # released or removed meanwhile
        expired = collection.delete_one({"_id": existing["_id"], "expires": {"$lte": now}})
        if expired.deleted_count:
            continue
        if existing["fingerprint"] != fingerprint:
            return Mismatch()
        if existing["state"] == DONE:
            return Stored(existing["status"], dict(existing["headers"]), bytes(existing["body"]))
        taken = collection.update_one(
            {
                "_id": existing["_id"],
                "state": IN_PROGRESS,
                "token": existing["token"],
                "lease_until": {"$lte": time.time()},
            },
            {"$set": {"token": token, "lease_until": time.time() + lease_seconds}},
        )
        if taken.modified_count:
            return Reserved(token, resumed=True)
        return InProgress()
    return InProgress()


def complete(
    client: str, key: str, token: str, status: int, headers: dict[str, str], body: bytes
) -> bool:
    """Keep the outcome; False when the reservation was taken over meanwhile (nothing kept)."""
    done = IdempotencyRecord._get_collection().update_one(
        {"client": client, "key": key, "token": token, "state": IN_PROGRESS},
        {"$set": {"state": DONE, "status": status, "headers": headers, "body": body}},
    )
    return bool(done.modified_count)


def release(client: str, key: str, token: str) -> None:
    """Give the key up without an outcome: a retry runs the request again."""
    IdempotencyRecord._get_collection().delete_one(
        {"client": client, "key": key, "token": token, "state": IN_PROGRESS}
    )
