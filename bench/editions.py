"""`python -m bench.editions`: what serving v5 costs beside serving the same v4 resources.

    python -m bench.editions [--documents 2000] [--requests 300] [--rounds 3] [--mongo-uri URI]
                             [--wire-cache N]

One server, one database. Each subject is seeded in the stored shape, with what gives its v5
mapping work to do, then the same requests go to its v4 and v5 roots, one at a time, each
operation in both editions before the next (which edition goes first alternates by round):

- customers (TMF629): retrieve by id, a list of 20 by party, create;
- product orders (TMF622): retrieve by id, a list of 20 by party, order creation (validated
  against the catalog and the customer, priced, as any order). The seeded orders are copies of
  one placed through the API: two items with their prices, a related party, an external id;
- product offerings (TMF620, versioned, so created through the API: `--documents` / 10 of
  them): retrieve, a list of 20 by lifecycle status, create;
- customer bills (TMF678, as billing writes them): retrieve, a list of 20 by billing account
  (bills are made by bill runs, not created by clients).

Reported: median latency and the server's CPU per request of each edition (the median of the
rounds' CPU per request), and v5's CPU relative to v4's. Reads are served from the server's
per-revision cache of shown documents (handlers/wire_cache.py) unless `--wire-cache 0`, which
measures what mapping and writing each document costs on every read (a first read).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient

from bench.database import target
from bench.params import Params
from bench.server import ServerProcess
from bench.worst import timed
from persistence.store import REVISION
from tmf_apis.registry import Api
from tmf_apis.tmf620.registry import API as CATALOG
from tmf_apis.tmf620.registry import API_V5 as CATALOG_V5
from tmf_apis.tmf622.registry import API as ORDERING
from tmf_apis.tmf622.registry import API_V5 as ORDERING_V5
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf629.registry import API, API_V5, CUSTOMER
from tmf_apis.tmf678.registry import API as BILLING
from tmf_apis.tmf678.registry import API_V5 as BILLING_V5
from tmf_apis.tmf678.registry import CUSTOMER_BILL

PAGE = 20
PARTIES = 100
OPERATIONS = ("retrieve", "list", "create")
Request = tuple[str, str, bytes | None]
ACCOUNTS = 100


@dataclass
class Subject:
    """One resource of one API, served by both editions."""

    name: str
    v4: Api
    v5: Api
    # The request of an operation, given the edition's root.
    request: Callable[[str, str], Request]
    operations: tuple[str, ...] = OPERATIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.editions", description=__doc__)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mongo-uri", default="")
    parser.add_argument(
        "--wire-cache",
        type=int,
        default=None,
        help="the server's TMF_WIRE_CACHE (0: every read maps and writes its documents afresh)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(5)
    results: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    settings = {} if args.wire_cache is None else {"TMF_WIRE_CACHE": str(args.wire_cache)}
    with (
        target(Params(mongo_uri=args.mongo_uri)) as database,
        ServerProcess(database, 1, settings) as server,
    ):
        client: MongoClient[dict[str, Any]] = MongoClient(database.uri)
        db = client[database.name]
        connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
        subjects = [
            _customers(db, args.documents, rng),
            _orders(db, connection, args.documents, rng),
            _offerings(connection, max(args.documents // 10, 20), rng),
            _bills(db, args.documents, rng),
        ]
        for round_ in range(args.rounds):
            for subject in subjects:
                # Each operation in both editions before the next: a list in v5 sees the same
                # documents as in v4 (not those v4's creates added); who goes first alternates.
                editions = (subject.v4, subject.v5) if round_ % 2 == 0 else (subject.v5, subject.v4)
                for operation in subject.operations:
                    for edition in editions:
                        request = subject.request(edition.base_path, operation)
                        send = _sender(connection, request)
                        key = (subject.name, edition.version, operation)
                        results.setdefault(key, []).append(
                            timed(send, args.requests, server.cpu_seconds)
                        )
        client.close()
    _print(results, subjects, args)
    return 0


# ---------------------------------------------------------------------- customers


def _customers(db: Any, count: int, rng: random.Random) -> Subject:
    documents = [
        {
            "id": str(uuid.uuid4()),
            "name": f"Customer {n}",
            "status": "Approved",
            "@type": CUSTOMER.schema,
            "engagedParty": {"id": f"party-{n % PARTIES}", "@referredType": "Individual"},
            "relatedParty": [{"id": "north", "role": "channel", "@referredType": "Organization"}],
            "contactMedium": [
                {"mediumType": "email", "characteristic": {"emailAddress": f"c{n}@x.eu"}}
            ],
            "characteristic": [{"name": "segment", "value": "gold"}],
            REVISION: 1,
        }
        for n in range(count)
    ]
    db[CUSTOMER.collection].insert_many(documents)
    ids = [str(d["id"]) for d in documents]

    def request(root: str, operation: str) -> Request:
        if operation == "retrieve":
            return "GET", f"{root}/customer/{rng.choice(ids)}", None
        if operation == "list":
            party = f"party-{rng.randrange(PARTIES)}"
            return "GET", f"{root}/customer?engagedParty.id={party}&limit={PAGE}", None
        body = {"name": "New", "engagedParty": {"id": "p-1", "@referredType": "Individual"}}
        return "POST", f"{root}/customer", json.dumps(body).encode()

    return Subject("customer", API, API_V5, request)


# ---------------------------------------------------------------------- orders


def _orders(
    db: Any, connection: http.client.HTTPConnection, count: int, rng: random.Random
) -> Subject:
    """Orders placed against a launched offering with a monthly and a one-time price."""
    catalog = CATALOG.base_path
    prices = [
        _post(connection, f"{catalog}/productOfferingPrice", price)
        for price in (
            {
                "name": "Monthly",
                "priceType": "recurring",
                "recurringChargePeriodType": "month",
                "recurringChargePeriodLength": 1,
                "price": {"unit": "EUR", "value": 20},
                "tax": [{"taxCategory": "VAT", "taxRate": 20}],
            },
            {
                "name": "Connection",
                "priceType": "oneTime",
                "price": {"unit": "EUR", "value": 50},
                "tax": [{"taxCategory": "VAT", "taxRate": 20}],
            },
        )
    ]
    offering = _post(
        connection,
        f"{catalog}/productOffering",
        {
            "name": "Bench plan",
            "lifecycleStatus": "Launched",
            "isSellable": True,
            "productOfferingPrice": [{"id": p["id"], "name": p["name"]} for p in prices],
        },
    )
    buyer = _post(
        connection,
        f"{API.base_path}/customer",
        {"name": "Buyer", "engagedParty": {"id": "b-1", "@referredType": "Individual"}},
    )

    def order_body(root: str) -> dict[str, Any]:
        party = {"id": buyer["id"], "@referredType": "Customer"}
        related: dict[str, Any] = {**party, "role": "Customer"}
        if root == ORDERING_V5.base_path:
            related = {"role": "Customer", "partyOrPartyRole": party}
        items = [
            {
                "id": str(n),
                "action": "add",
                "quantity": 1,
                "productOffering": {"id": offering["id"], "name": offering["name"]},
            }
            for n in (1, 2)
        ]
        return {"relatedParty": [related], "productOrderItem": items}

    placed = _post(connection, f"{ORDERING.base_path}/productOrder", order_body(ORDERING.base_path))
    template = db[PRODUCT_ORDER.collection].find_one({"id": placed["id"]}, {"_id": 0})
    documents = [
        {
            **template,
            "id": str(uuid.uuid4()),
            "externalId": f"PO-{n}",
            "relatedParty": [
                {"id": f"party-{n % PARTIES}", "role": "Customer", "@referredType": "Customer"}
            ],
        }
        for n in range(count)
    ]
    db[PRODUCT_ORDER.collection].insert_many(documents)
    ids = [str(d["id"]) for d in documents]

    def request(root: str, operation: str) -> Request:
        if operation == "retrieve":
            return "GET", f"{root}/productOrder/{rng.choice(ids)}", None
        if operation == "list":
            party = f"party-{rng.randrange(PARTIES)}"
            key = "relatedParty.partyOrPartyRole.id" if root.endswith("v5") else "relatedParty.id"
            return "GET", f"{root}/productOrder?{key}={party}&limit={PAGE}", None
        return "POST", f"{root}/productOrder", json.dumps(order_body(root)).encode()

    return Subject("productOrder", ORDERING, ORDERING_V5, request)


# ---------------------------------------------------------------------- offerings


def _offerings(connection: http.client.HTTPConnection, count: int, rng: random.Random) -> Subject:
    root = CATALOG.base_path
    price = _post(
        connection,
        f"{root}/productOfferingPrice",
        {"name": "Fee", "priceType": "oneTime", "price": {"unit": "EUR", "value": 9}},
    )

    def body(n: int) -> dict[str, Any]:
        return {
            "name": f"Offer {n}",
            # v5's create form requires lastUpdate (the server sets its own).
            "lastUpdate": "2026-12-01T00:00:00.000Z",
            "lifecycleStatus": "Launched" if n % 2 else "In design",
            "isSellable": True,
            "productOfferingPrice": [{"id": price["id"], "name": price["name"]}],
            "channel": [{"id": "web", "name": "web shop"}],
            "category": [{"id": "c-1", "name": "Mobile"}],
        }

    ids = [_post(connection, f"{root}/productOffering", body(n))["id"] for n in range(count)]

    def request(root: str, operation: str) -> Request:
        if operation == "retrieve":
            return "GET", f"{root}/productOffering/{rng.choice(ids)}", None
        if operation == "list":
            return "GET", f"{root}/productOffering?lifecycleStatus=Launched&limit={PAGE}", None
        return "POST", f"{root}/productOffering", json.dumps(body(rng.randrange(9))).encode()

    return Subject("productOffering", CATALOG, CATALOG_V5, request)


# ---------------------------------------------------------------------- bills


def _bills(db: Any, count: int, rng: random.Random) -> Subject:
    def bill(n: int) -> dict[str, Any]:
        money = {"unit": "EUR", "value": 120.0}
        return {
            "id": str(uuid.uuid4()),
            "@type": CUSTOMER_BILL.schema,
            "billNo": f"B-{n}",
            "billDate": "2026-11-30T00:00:00.000Z",
            "category": "normal",
            "runType": "onCycle",
            "state": "new",
            "billingAccount": {"id": f"account-{n % ACCOUNTS}", "@referredType": "BillingAccount"},
            "billingPeriod": {
                "startDateTime": "2026-11-01T00:00:00.000Z",
                "endDateTime": "2026-11-30T23:59:59.999Z",
            },
            "taxExcludedAmount": {"unit": "EUR", "value": 100.0},
            "taxIncludedAmount": money,
            "amountDue": money,
            "remainingAmount": money,
            "taxItem": [
                {"taxCategory": "VAT", "taxRate": 20.0, "taxAmount": {"unit": "EUR", "value": 20}}
            ],
            "relatedParty": [
                {"id": f"c-{n}", "role": "payer", "@referredType": "Customer"},
            ],
            "billDocument": [
                {
                    "id": f"d-{n}",
                    "name": f"bill-{n}.html",
                    "mimeType": "text/html",
                    "url": f"https://bss.example/bills/{n}",
                    "@type": "AttachmentRefOrValue",
                }
            ],
            REVISION: 1,
        }

    documents = [bill(n) for n in range(count)]
    db[CUSTOMER_BILL.collection].insert_many(documents)
    ids = [str(d["id"]) for d in documents]

    def request(root: str, operation: str) -> Request:
        if operation == "retrieve":
            return "GET", f"{root}/customerBill/{rng.choice(ids)}", None
        account = f"account-{rng.randrange(ACCOUNTS)}"
        return "GET", f"{root}/customerBill?billingAccount.id={account}&limit={PAGE}", None

    # Bills are made by bill runs, not created by clients.
    return Subject("customerBill", BILLING, BILLING_V5, request, ("retrieve", "list"))


# ---------------------------------------------------------------------- HTTP


def _post(connection: http.client.HTTPConnection, path: str, body: Any) -> dict[str, Any]:
    sent = _sender(connection, ("POST", path, json.dumps(body).encode()))()
    created: dict[str, Any] = json.loads(sent)
    return created


def _sender(connection: http.client.HTTPConnection, request: Request) -> Callable[[], bytes]:
    method, path, body = request

    def send() -> bytes:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        data = response.read()
        if response.status not in (200, 201, 206):
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data

    return send


def _print(
    results: dict[tuple[str, str, str], list[tuple[float, float]]],
    subjects: list[Subject],
    args: Any,
) -> None:
    out = sys.stdout
    out.write(
        f"{args.documents} documents per resource, {args.requests} requests per operation, "
        f"edition and round, {args.rounds} alternating rounds, one at a time; wire cache "
        f"{'as configured' if args.wire_cache is None else args.wire_cache}.\n\n"
        "| resource | operation | v4 p50 ms | v5 p50 ms | v4 CPU ms/req | v5 CPU ms/req "
        "| v5/v4 CPU |\n"
        "|---|---|--:|--:|--:|--:|--:|\n"
    )
    for subject in subjects:
        for operation in subject.operations:
            v4 = results[(subject.name, "v4", operation)]
            v5 = results[(subject.name, "v5", operation)]
            v4_ms, v5_ms = _median([m for m, _ in v4]), _median([m for m, _ in v5])
            # Medians of the rounds: a round that met the server's background work (sweeps,
            # pollers) or a busy machine moves a mean by more than the editions differ.
            v4_cpu, v5_cpu = (
                statistics.median(c for _, c in v4),
                statistics.median(c for _, c in v5),
            )
            out.write(
                f"| {subject.name} | {operation} | {v4_ms:.2f} | {v5_ms:.2f} | {v4_cpu:.3f} | "
                f"{v5_cpu:.3f} | {_ratio(v5_cpu, v4_cpu)} |\n"
            )


def _ratio(v5: float, v4: float) -> str:
    # Too few requests to count a CPU tick: nothing to compare.
    return f"{v5 / v4:.2f}" if v4 else "n/a"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    sys.exit(main())
