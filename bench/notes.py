"""The notes under the tables: what each operation measures and what to keep in mind."""

from __future__ import annotations

from bench.catalog import LoadedCatalog
from bench.database import Target
from bench.orders import FEW_ORDERS, FULL_ORDERS, HELD_EVERY, PlacedOrders, in_progress
from bench.params import CUSTOMER_OPERATIONS, EVENTS_OPERATION, OFFERINGS_OPERATION
from bench.workload import CUSTOMERS_PER_PARTY, ORDER_ITEMS, ORDER_QUANTITY, PAGE_SIZE


def notes(
    database: Target,
    operations: tuple[str, ...],
    demo_catalog: LoadedCatalog | None,
    placed: PlacedOrders | None,
    outbox_events: int = 0,
) -> list[str]:
    lines = [
        "CPU per request: the server's process (and its workers), the database's process, and the "
        "bench process (the HTTP client threads; in raw runs the pymongo driver and its caller), "
        "each divided by the requests served in the timed window. Client, server and database "
        "share the machine's cores.",
    ]
    if (CUSTOMER_OPERATIONS - {EVENTS_OPERATION}) & set(operations):
        lines[:0] = [
            f"list: `GET /customer?engagedParty.id=<party>&limit={PAGE_SIZE}`; each party has "
            f"{CUSTOMERS_PER_PARTY} customers, so every page is full and persistence/store.py also "
            "runs `count_documents` for X-Total-Count (it counts only when a page is full). "
            "The raw driver does the same find + count.",
        ]
        lines.append(
            "raw create builds the stored document (the server's own prepare code) inside the "
            "timed call; raw patch is find_one + replace_one guarded by `_rev`, as the store does."
        )
    if demo_catalog is not None and OFFERINGS_OPERATION in operations:
        lines.append(
            f"offerings: `GET /productOffering?lifecycleStatus=Launched&category.id=<category>"
            f"&limit={PAGE_SIZE}` on the demo catalog (tmf_apis/tmf620/demo.py, "
            f"{demo_catalog.offerings} offerings loaded through the API), the category drawn from "
            f"its {len(demo_catalog.categories)} categories, roots and subcategories; "
            f"{demo_catalog.full_pages} of them have a full page of launched offerings, and only "
            "for those does persistence/store.py also count. The raw driver runs the filter the "
            "server builds (`$and` of both conditions), the same find, and the count when the "
            "page is full."
        )
    if placed is not None:
        lines += _order_notes(operations, placed)
    if EVENTS_OPERATION in operations:
        lines += _event_notes(database.secantus, outbox_events)
    if database.secantus:
        lines.append(
            "SecantusDB is a Python development database, not MongoDB: its list and count numbers "
            "say nothing about MongoDB's. It answers an equality filter on one indexed field and "
            "that filter's count from the index, but scans the whole collection to count anything "
            "else (an unfiltered list, or two filters AND-ed: about 0.3 s each at 10,000 "
            "customers)."
        )
    if database.secantus and demo_catalog is not None and OFFERINGS_OPERATION in operations:
        lines.append(
            "The offerings filter is two conditions AND-ed: SecantusDB counts it by scanning the "
            f"offerings collection ({demo_catalog.offerings} documents here)."
        )
    if database.secantus and placed is not None and "orders" in operations:
        lines.append(
            "The orders filter is two conditions AND-ed too: SecantusDB scans the orders "
            f"collection ({placed.orders} orders when `orders` runs) for the page as well as for "
            "the count, so this list costs in proportion to all the orders, not to the customer's "
            "(measured: about 9 ms for the find and 7 ms for the count at 300 small orders, 42 "
            "and 36 ms at 1,200)."
        )
    return lines


def _order_notes(operations: tuple[str, ...], placed: PlacedOrders) -> list[str]:
    lines = [
        f"Orders come from the {len(placed.offerings)} orderable offerings of the demo catalog "
        f"(Launched, not a bundle, sellable, valid now), {_span(ORDER_ITEMS)} items with "
        f"`action: add` and `quantity` {_span(ORDER_QUANTITY)}, for a seeded customer "
        "(`relatedParty` with `@referredType: Customer`); "
        "the server prices them from the catalog. Before the timed windows, "
        f"{placed.orders} orders were placed through the API for {len(placed.customers)} "
        "customers, and the pre-flight checked that the server's order ends inProgress with an "
        "orderTotalPrice and that the raw side's order of the same body, read back through the "
        "API, is the same order, prices included."
    ]
    if "orders" in operations:
        lines.append(
            f"orders: `GET /productOrder?state=inProgress&relatedParty.id=<customer>"
            f"&limit={PAGE_SIZE}`, the customer drawn from the {len(placed.customers)} with "
            f"orders; {placed.full_pages} of them have a full page in progress ("
            f"{in_progress(FULL_ORDERS)} of {FULL_ORDERS} orders, the others "
            f"{in_progress(FEW_ORDERS)} of {FEW_ORDERS}; one in {HELD_EVERY} is held), and only "
            "for those does "
            "persistence/store.py also count. The raw driver runs the filter the server builds "
            "(`$and` of both conditions, checked against persistence/query.py), the same find "
            "sorted on `_id` without `_id` and `_rev`, and the count when the page is full."
        )
    if "order_create" in operations:
        lines.append(
            "order_create: the server reads the customer and its billing accounts, the "
            "offerings (one `find` with `$in`) and their prices (another), prices and validates "
            "the order from those reads and stores it inProgress in one insert with its two "
            "events, which the outbox then copies (events insert, sequence update, `$pull`): 8 "
            "round trips. The raw driver does what a "
            "minimal hand-written service would (bench/order_shape.py): one `find` of the "
            "offerings with `$in`, one of their prices with `$in`, the orderable check and the "
            "pricing in Python on what it read, `insert_one` of the same document, then "
            "`update_one` of the order's and its items' state to inProgress: 4 round trips. It "
            "does not check that the customer exists."
        )
    return lines


def _event_notes(secantus: bool, outbox_events: int) -> list[str]:
    lines = [
        "events: customers are created as by `create`, with one hub listener registered on the "
        "customer API (two for events_fanout), query `eventType=CustomerCreateEvent`; the "
        "listener is a threaded HTTP server on 127.0.0.1 in the bench process that answers 201. "
        "Latency runs from the moment the client had the 201 (the change is committed by then: "
        "the document and its events are one single-document write made before the answer) to "
        "the moment the listener had read the event; it is negative when the delivery beats the "
        "response. The raw side is a hand-written service: `insert_one`, then the same event "
        "body POSTed to each listener in turn from the inserting thread, a connection per POST "
        "as the server's delivery makes, so its latency is one loopback POST; it keeps no "
        "outbox (an event is lost if it stops between the two, or a listener is down) and "
        "delivers in no order across threads.",
        "Deliveries/s counts the events received before the window ended. When it is below "
        "changes/s × listeners the server's worker falls behind: the backlog grows through the "
        "window and latency is mostly waiting in the outbox (it grows with `--duration`). "
        "After each window bench waits for every delivery (until none arrived for a few "
        "seconds), then checks each change reached each listener exactly once, signed, and, "
        "for the server, in outbox order; eventTime → received uses the event's own eventTime, "
        "stamped before the write and to the millisecond.",
    ]
    if secantus:
        lines.append(
            "The worker reads a subscription's events a window of numbers at a time (`api` and "
            "an `_id` range, one index range on every database) and applies the listener's query "
            "in memory, so a read costs the same however many events the outbox holds "
            f"({outbox_events:,} when events began)."
        )
    return lines


def _span(bounds: tuple[int, int]) -> str:
    return f"{bounds[0]}-{bounds[1]}"
