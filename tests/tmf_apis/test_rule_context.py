"""RuleContext's reads for one write: what `prefetch` reads with one query, `resolve` answers
without another (an order's offerings and prices are read that way)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from persistence.store import ResourceStore
from tmf_apis.rules import RuleContext


class Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(event.command["filter"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def prices(mongo_uri: str) -> Iterator[tuple[ResourceStore, Finds]]:
    finds = Finds()
    name = f"context_{uuid.uuid4().hex[:8]}"
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri, event_listeners=[finds])
    collection = client[name]["product_offering_price"]
    collection.create_index("id", unique=True)
    store = ResourceStore(collection)
    for number in range(3):
        store.insert({"id": f"price-{number}", "name": f"Price {number}"})
    finds.filters.clear()
    yield store, finds
    client.drop_database(name)
    client.close()


def test_what_prefetch_read_resolve_answers_without_a_query(prices) -> None:
    store, finds = prices
    context = RuleContext(now="2026-12-07T00:00:00.000Z", stores={"ProductOfferingPrice": store})
    named = [{"id": "price-0"}, {"id": "price-2"}, {"id": "price-9"}, {"id": "price-0"}]

    context.prefetch("ProductOfferingPrice", named)
    assert len(finds.filters) == 1

    assert context.resolve("ProductOfferingPrice", {"id": "price-0"}) == {
        "id": "price-0",
        "name": "Price 0",
    }
    assert context.resolve("ProductOfferingPrice", {"id": "price-2"})["name"] == "Price 2"
    assert context.resolve("ProductOfferingPrice", {"id": "price-9"}) is None  # no such price
    assert len(finds.filters) == 1
    # Read already: a second prefetch reads nothing; one not named is read when resolved.
    context.prefetch("ProductOfferingPrice", named)
    assert context.resolve("ProductOfferingPrice", {"id": "price-1"})["name"] == "Price 1"
    assert len(finds.filters) == 2


def test_a_reference_naming_a_version_is_left_to_resolve(prices) -> None:
    store, finds = prices
    context = RuleContext(now="2026-12-07T00:00:00.000Z", stores={"ProductOfferingPrice": store})
    context.prefetch(
        "ProductOfferingPrice", [{"id": "price-0", "version": "2.0"}, {"id": "price-1"}]
    )
    # One entry left to read: resolve reads it as cheaply as a prefetch would.
    assert finds.filters == []
