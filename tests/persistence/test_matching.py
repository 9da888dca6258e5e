"""The in-memory matcher selects exactly what the database selects for the same filter."""

from __future__ import annotations

import uuid

import pytest

from persistence import query
from persistence.database import Database
from persistence.matching import matches

TYPES = {
    "name": query.STRING,
    "status": query.STRING,
    "rank": query.INTEGER,
    "score": query.NUMBER,
    "vip": query.BOOLEAN,
    "created": query.DATE_TIME,
    "party.id": query.STRING,
    "party.role": query.STRING,
    "value": query.ANY,
}
DOCUMENTS = [
    {
        "id": "a",
        "name": "Alice",
        "status": "Approved",
        "rank": 1,
        "score": 1.5,
        "vip": True,
        "created": "2026-01-01T10:00:00.000Z",
        "party": [{"id": "p1", "role": "Customer"}],
        "value": 5,
    },
    {
        "id": "b",
        "name": "Bob",
        "status": "Rejected",
        "rank": 2,
        "score": 2.0,
        "vip": False,
        "created": "2026-01-02T10:00:00.000Z",
        "party": [{"id": "p2", "role": "Customer"}, {"id": "p1", "role": "Partner"}],
        "value": "5",
    },
    {
        "id": "c",
        "name": "Carol",
        "rank": 3,
        "created": "2026-01-03T00:00:00.000Z",
        "party": {"id": "p3", "role": "Customer"},
        "value": True,
    },
    {"id": "d", "status": "Approved", "score": -1},
]
FILTERS = [
    [("status", "Approved")],
    [("status", "Approved,Rejected")],
    [("status.ne", "Approved")],
    [("status.nin", "Approved,Rejected")],
    [("rank.gt", "1")],
    [("rank>", "2"), ("rank.lt", "3")],
    [("score.lte", "1.5")],
    [("vip", "false")],
    [("name.regex", "^[AB]")],
    [("created", "2026-01-02")],
    [("created.gte", "2026-01-02T00:00:00Z")],
    [("party.id", "p1")],
    [("party.id", "p1"), ("party.role", "Customer")],
    [("party.role", "Partner,Customer"), ("status.ne", "Rejected")],
    [("value", "5")],
    [("value", "true")],
    [("name", "Alice"), ("name", "Carol")],
]


@pytest.mark.parametrize("params", FILTERS, ids=[str(f) for f in FILTERS])
def test_matcher_agrees_with_the_database(database: Database, params) -> None:
    collection = database.db[f"matching_{uuid.uuid4().hex[:8]}"]
    collection.insert_many([dict(d) for d in DOCUMENTS])
    where = query.build_filter(params, TYPES)
    in_database = sorted(d["id"] for d in collection.find(where))
    in_memory = sorted(d["id"] for d in DOCUMENTS if matches(d, where))
    assert in_memory == in_database
    collection.drop()
