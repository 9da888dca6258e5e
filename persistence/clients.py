"""API clients: the keys third parties authenticate with, their roles and party.

A key is shown once, when it is created; the database keeps its SHA-256 only (and its first
characters, to tell keys apart in listings). A revoked client stays listed with its revocation
date and no longer authenticates.

An operator makes, lists and revokes them with `python -m admin clients ...` (admin/clients.py).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from mongoengine import DateTimeField, Document, ListField, StringField

from persistence.subscriptions import MONGOENGINE_ALIAS

KEY_PREFIX = "tmf_"
# How many first characters of a key are kept in the clear, to tell keys apart.
KEY_START_LENGTH = 10


class ApiClient(Document):  # type: ignore[misc]  # mongoengine has no type information
    meta = {
        "collection": "api_clients",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": [{"fields": ["key_hash"], "unique": True}, "client_id"],
    }
    client_id = StringField(required=True)
    name = StringField(required=True)
    key_hash = StringField(required=True)
    key_start = StringField(required=True)
    roles = ListField(StringField(), required=True)
    party_id = StringField()
    created = DateTimeField(required=True)
    revoked = DateTimeField()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(name: str, roles: Iterable[str], party_id: str | None) -> tuple[ApiClient, str]:
    """A new client and its key (the only time the key is available)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=str(uuid.uuid4()),
        name=name,
        key_hash=key_hash(key),
        key_start=key[:KEY_START_LENGTH],
        roles=sorted(set(roles)),
        party_id=party_id or None,
        created=datetime.now(UTC),
    )
    client.save()
    return client, key


def find_by_key(key: str) -> ApiClient | None:
    """The live client holding this key, or None."""
    found = ApiClient.objects(key_hash=key_hash(key), revoked=None).first()
    return found if isinstance(found, ApiClient) else None


def live_key_starts() -> list[str]:
    """The kept first characters of every live client's key."""
    return [str(c.key_start) for c in ApiClient.objects(revoked=None).only("key_start")]


def holds_role(party_id: str, role: str) -> bool:
    """Whether a live client acts for `party_id` with `role`."""
    found = ApiClient.objects(party_id=party_id, roles=role, revoked=None).first()
    return found is not None


def everyone() -> list[ApiClient]:
    return list(ApiClient.objects.order_by("created"))


def revoke(client_id: str) -> bool:
    updated = ApiClient.objects(client_id=client_id, revoked=None).update(
        set__revoked=datetime.now(UTC)
    )
    return bool(updated)
