"""The orders of the order operations: placed through the API before the timed windows, checked.

Before anything is timed this makes sure that
- the demo catalog has orderable offerings (Launched, not a bundle, sellable, valid now);
- an order the server takes is priced (`orderTotalPrice`) and ends `inProgress`, items too;
- the raw side (bench/order_shape.py) stores, for the same body, the very order the server
  stores, prices included, and the server reads it back;
- the orders list filter is what persistence/query.py builds, and the server's pages and
  `X-Total-Count` equal what the raw query finds.
Any failure stops the run (SeedError).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from app import load_spec
from bench.api import ORDERS, HttpClient, order_list_path
from bench.order_shape import OrderShape, orderable
from bench.raw import order_filter
from bench.seed import SeedError
from bench.workload import LISTED_ORDER_STATE, PAGE_SIZE, Workload, order_body
from persistence import dates, query
from persistence.store import REVISION
from settings import Settings
from tmf_apis.schema import describe
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf622.registry import API, PRODUCT_ORDER

Document = dict[str, Any]

# Orders of a customer whose list fills a page, and of one whose list does not. Every
# HELD_EVERY-th order is then put on hold, so 24 and 5 are in progress: the full pages are
# counted (X-Total-Count), the short ones are not.
FULL_ORDERS = 30
FEW_ORDERS = 6
HELD_EVERY = 5
HELD = "held"
# The filtered attributes; without their indexes the lists would measure collection scans.
FILTERED = ("state", "relatedParty.id")
API_CHECKS = 3
# What differs between any two orders of the same body.
_OWN = ("id", "href", "orderDate")


@dataclass(frozen=True)
class PlacedOrders:
    """The orders placed through the API for the order operations."""

    orders: int
    # Customers with orders, which the orders list draws from.
    customers: list[str]
    # How many of them have a full page of orders in progress (the store then also counts).
    full_pages: int
    # `{id, name}` of the orderable offerings orders take up.
    offerings: list[dict[str, str]]
    place_s: float


def place(
    database: Database[Document], client: HttpClient, workload: Workload, customers: int, seed: int
) -> PlacedOrders:
    """Place FULL_ORDERS or FEW_ORDERS orders through the API for `customers` seeded customers,
    after checking the first one the server took and the raw side's order of the same body."""
    orders = database[PRODUCT_ORDER.collection]
    check_indexes(orders)
    rng = random.Random(f"{seed}-orders")
    offerings = orderable_offerings(database[PRODUCT_OFFERING.collection])
    if not offerings:
        raise SeedError("the demo catalog has no orderable offering (Launched, simple, valid now)")
    chosen = rng.sample(workload.ids, min(customers, len(workload.ids)))
    # The first half of the customers fill pages, the others do not.
    half = (len(chosen) + 1) // 2
    planned = {c: FULL_ORDERS if n < half else FEW_ORDERS for n, c in enumerate(chosen)}
    begun = time.perf_counter()
    for customer, count in planned.items():
        for number in range(count):
            body = order_body(rng, offerings, customer)
            created = json.loads(client.send("POST", ORDERS, body, expected=201))
            if customer == chosen[0] and number == 0:
                check_server_order(client, created["id"])
                check_raw_order(database, client, body, created["id"])
            if number % HELD_EVERY == HELD_EVERY - 1:
                client.send(
                    "PATCH",
                    f"{ORDERS}/{created['id']}",
                    {"state": HELD},
                    content_type="application/merge-patch+json",
                )
    place_s = time.perf_counter() - begun
    check_filter(chosen[0])
    for customer, count in planned.items():
        if orders.count_documents(order_filter(customer)) != in_progress(count):
            raise SeedError(f"customer {customer} has not {in_progress(count)} orders in progress")
    check_through_api(client, orders, chosen, rng)
    full_pages = sum(in_progress(count) >= PAGE_SIZE for count in planned.values())
    return PlacedOrders(sum(planned.values()), chosen, full_pages, offerings, place_s)


def orderable_offerings(collection: Collection[Document]) -> list[dict[str, str]]:
    """Launched simple offerings on sale now, as `{id, name}` references, in insertion order."""
    now = dates.now()
    found = collection.find({"lifecycleStatus": "Launched", "isBundle": False}, {"_id": 0})
    return [
        {"id": o["id"], "name": o["name"]}
        for o in found.sort([("_id", ASCENDING)])
        if orderable(o, now)
    ]


def check_indexes(collection: Collection[Document]) -> None:
    missing = {f"{name}_1" for name in FILTERED} - set(collection.index_information())
    if missing:
        raise SeedError(f"indexes missing on {collection.name}: {', '.join(sorted(missing))}")


def check_server_order(client: HttpClient, order_id: str) -> None:
    """The server validated the order it took, moved it to inProgress and priced it."""
    order = json.loads(client.send("GET", f"{ORDERS}/{order_id}"))
    states = {order.get("state")} | {i.get("state") for i in order.get("productOrderItem") or []}
    if states != {LISTED_ORDER_STATE} or not order.get("orderTotalPrice"):
        reasons = "; ".join(n.get("text", "") for n in order.get("note") or [])
        raise SeedError(
            f"order {order_id} is {order.get('state')} (items: {sorted(map(str, states))}), "
            f"orderTotalPrice {order.get('orderTotalPrice')!r}, not inProgress and priced"
            + (f": {reasons}" if reasons else "")
        )


def check_raw_order(
    database: Database[Document], client: HttpClient, body: Document, server_order_id: str
) -> None:
    """The raw side's order of the same body, read through the API, equals the server's; it is
    removed again, so the list sees only the orders the server took."""
    raw = OrderShape(database).place(body)
    try:
        server = json.loads(client.send("GET", f"{ORDERS}/{server_order_id}"))
        shown = json.loads(client.send("GET", f"{ORDERS}/{raw['id']}"))
    finally:
        database[PRODUCT_ORDER.collection].delete_one({"id": raw["id"]})
    differing = sorted(
        key
        for key in set(server) | set(shown)
        if key not in _OWN and server.get(key) != shown.get(key)
    )
    if differing:
        raise SeedError(
            "the raw side's order differs from the server's for the same body in: "
            + ", ".join(differing)
        )


def check_filter(customer_id: str) -> None:
    """persistence/query.py builds the filter bench/raw.py runs for the orders request."""
    spec = load_spec(Settings().specs_dir / API.spec)
    types = describe(spec, PRODUCT_ORDER.schema).field_types
    params = [("state", LISTED_ORDER_STATE), ("relatedParty.id", customer_id)]
    if query.build_filter(params, types) != order_filter(customer_id):
        raise SeedError("the server builds another filter for the orders list than bench/raw.py")


def check_through_api(
    client: HttpClient, collection: Collection[Document], customers: list[str], rng: random.Random
) -> None:
    """The server's page and X-Total-Count equal what the raw query finds, for a few customers
    (the first has a full page)."""
    checked = [customers[0], *rng.sample(customers[1:], min(API_CHECKS, len(customers)) - 1)]
    for customer in checked:
        headers: dict[str, str] = {}
        body = client.send(
            "GET", order_list_path(customer), expected=(200, 206), headers_out=headers
        )
        where = order_filter(customer)
        raw_page = collection.find(where, {"_id": 0, REVISION: 0}).sort([("_id", ASCENDING)])
        if [o["id"] for o in json.loads(body)] != [o["id"] for o in raw_page.limit(PAGE_SIZE)]:
            raise SeedError(f"the orders of customer {customer} differ from the raw query")
        expected_total = collection.count_documents(where)
        if int(headers.get("x-total-count", "-1")) != expected_total:
            raise SeedError(f"X-Total-Count for customer {customer} is not {expected_total}")


def in_progress(orders: int) -> int:
    return orders - orders // HELD_EVERY
