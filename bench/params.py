"""The parameters of one benchmark run, as the command line sets them."""

from __future__ import annotations

from dataclasses import dataclass

from bench.operation import CATALOG, CUSTOMERS, ORDERS
from bench.operations import PAIRED

# The order they run in: creates last, so every other operation sees exactly the seeded
# collections (the order list its seeded orders, the customer reads their seeded customers);
# auth after the other reads, as it seeds a channel's customers of its own; the bills listed
# after the bill run that made them; events, creates with hub listeners, after all others, so
# none of them runs with a listener.
OPERATIONS = (
    "retrieve",
    "list",
    "offerings",
    "orders",
    "patch",
    "auth",
    "create",
    "order_create",
    "bill_run",
    "bill_list",
    "events",
)
# Customers created with hub listeners registered: end-to-end event delivery.
EVENTS_OPERATION = "events"
# TMF678: one bill run over seeded rates, timed whole; the bills it made, listed.
BILL_RUN_OPERATION = "bill_run"
BILL_LIST_OPERATION = "bill_list"
BILLING_OPERATIONS = frozenset({BILL_RUN_OPERATION, BILL_LIST_OPERATION})
# What authentication costs a customer retrieve: an open and a secured server of its own, with
# no credential, an API key, a JWT and a channel's party-scoped key (bench/auth.py).
AUTH_OPERATION = "auth"
# What a run measures unless told: all but events, which would take the default run past six
# minutes (deliveries fall behind the creates, so each window waits for a backlog) and would
# measure the outbox the other operations filled as much as the delivery (see README.md); nor
# billing, whose seeding and bill runs take minutes of their own at the default size; nor auth,
# which starts two more servers and times four of them and the raw driver in turn.
DEFAULT_OPERATIONS = tuple(
    name
    for name in OPERATIONS
    if name not in {EVENTS_OPERATION, AUTH_OPERATION} and name not in BILLING_OPERATIONS
)
# Those on TMF629 customers (events creates customers).
CUSTOMER_OPERATIONS = frozenset(
    {name for name, op in PAIRED.items() if op.api == "TMF629 Customer"} | {EVENTS_OPERATION}
)
# Those that need orders placed first (they order from the demo catalog for seeded customers).
ORDER_OPERATIONS = frozenset(name for name, op in PAIRED.items() if ORDERS in op.needs)
# Customers are seeded only when one of these runs.
SEEDED_CUSTOMER_OPERATIONS = frozenset(
    {name for name, op in PAIRED.items() if CUSTOMERS in op.needs}
    | {EVENTS_OPERATION, AUTH_OPERATION}
)
# The TMF620 offering list; with the order operations, what loads the demo catalog.
OFFERINGS_OPERATION = "offerings"
CATALOG_OPERATIONS = frozenset(name for name, op in PAIRED.items() if CATALOG in op.needs)


@dataclass(frozen=True)
class Params:
    customers: int = 10_000
    # Offerings of the demo catalog (tmf_apis/tmf620/demo.py), bundles included.
    offerings: int = 300
    # Customers with orders placed through the API before the order operations: half of them
    # place enough for full pages of the order list, half a few.
    order_customers: int = 16
    # Billing accounts whose rates (three each) the bill runs bill, and whose bills are listed.
    bill_accounts: int = 10_000
    # uvicorn worker processes of the server (TMF_WORKERS).
    workers: int = 1
    # Partitions the server numbers its events in (TMF_EVENT_PARTITIONS).
    event_partitions: int = 1
    # Client threads, each with its own keep-alive connection, for the server and the raw driver.
    concurrency: int = 4
    duration_s: float = 4.0
    warmup_s: float = 1.0
    repeat: int = 3
    # A MongoDB to measure; empty: an embedded SecantusDB that bench starts in a temporary dir.
    mongo_uri: str = ""
    # Database name; empty: the server's default ("tmf") when embedded, else "tmf_bench".
    database: str = ""
    operations: tuple[str, ...] = DEFAULT_OPERATIONS
    # Seeds every random choice (names, ids drawn, bodies), so two runs send the same requests.
    seed: int = 1
    # Where py-spy's recordings of each operation's first windows go (bench/profiles.py); empty:
    # none are made.
    profile_dir: str = ""
