"""Idempotency records on the real database: one reservation per client and key, the kept
outcome, leases a retry takes over, and expired records replaced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from persistence import idempotency
from persistence.database import Database
from persistence.idempotency import IdempotencyRecord, InProgress, Mismatch, Reserved, Stored

LEASE = 60.0
KEEP = 3600.0
REQUEST = "POST /tmf-api/x/v4/widget 0123"


@pytest.fixture
def client(database: Database) -> str:
    database.ensure_server_indexes()
    return f"client-{uuid.uuid4().hex}"


def test_one_reservation_per_client_and_key(client: str) -> None:
    first = idempotency.reserve(client, "k", REQUEST, LEASE, KEEP)
    assert isinstance(first, Reserved)
    assert idempotency.reserve(client, "k", REQUEST, LEASE, KEEP) == InProgress()
    assert idempotency.reserve(client, "k", "POST /other", LEASE, KEEP) == Mismatch()
    assert isinstance(idempotency.reserve(f"{client}-other", "k", REQUEST, LEASE, KEEP), Reserved)


def test_a_completed_reservation_is_replayed(client: str) -> None:
    reserved = idempotency.reserve(client, "k", REQUEST, LEASE, KEEP)
    assert isinstance(reserved, Reserved)
    headers = {"Location": "/widget/1", "Content-Type": "application/json"}
    assert idempotency.complete(client, "k", reserved.token, 201, headers, b'{"id":"1"}')
    assert idempotency.reserve(client, "k", REQUEST, LEASE, KEEP) == Stored(
        201, headers, b'{"id":"1"}'
    )


def test_a_released_key_is_reserved_again(client: str) -> None:
    reserved = idempotency.reserve(client, "k", REQUEST, LEASE, KEEP)
    assert isinstance(reserved, Reserved)
    idempotency.release(client, "k", reserved.token)
    assert isinstance(idempotency.reserve(client, "k", REQUEST, LEASE, KEEP), Reserved)


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_keeps_nothing(client: str) -> None:
    dead = idempotency.reserve(client, "k", REQUEST, 0.0, KEEP)
    assert isinstance(dead, Reserved)
    retry = idempotency.reserve(client, "k", REQUEST, LEASE, KEEP)
    assert isinstance(retry, Reserved) and retry.token != dead.token
    assert not idempotency.complete(client, "k", dead.token, 201, {}, b"late")
    idempotency.release(client, "k", dead.token)  # no effect: not its reservation any more
    assert idempotency.complete(client, "k", retry.token, 201, {}, b"kept")
    assert idempotency.reserve(client, "k", REQUEST, LEASE, KEEP) == Stored(201, {}, b"kept")


def test_an_expired_record_is_replaced(client: str) -> None:
    reserved = idempotency.reserve(client, "k", REQUEST, LEASE, KEEP)
    assert isinstance(reserved, Reserved)
    assert idempotency.complete(client, "k", reserved.token, 201, {}, b"old")
    IdempotencyRecord._get_collection().update_one(
        {"client": client, "key": "k"},
        {"$set": {"expires": datetime.now(UTC) - timedelta(seconds=1)}},
    )
    assert isinstance(idempotency.reserve(client, "k", "POST /other", LEASE, KEEP), Reserved)


def test_records_expire_by_a_ttl_index(database: Database) -> None:
    database.ensure_server_indexes()
    indexes = IdempotencyRecord._get_collection().index_information()
    assert any(index.get("expireAfterSeconds") == 0 for index in indexes.values())
    assert any(index.get("unique") for index in indexes.values())
