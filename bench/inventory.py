"""`python -m bench.inventory`: what the product inventory (TMF637) costs and how its lists read.

    python -m bench.inventory [--products 2000] [--requests 200] [--rounds 3] [--mongo-uri URI]

Two servers run on one database: one serving every API, one serving all but TMF637
(`TMF_APIS`), which is the order flow without an inventory. Measured, one request at a time:
- `complete`: the PATCH that completes an order's two `add` items (a monthly and a one-time price
  each). With the inventory it also makes the two products; on both servers it records the
  completions with the order, charges the items and clears the record (tmf_apis/tmf622/
  completion.py). The orders are placed beforehand through the same server (not timed).
- `list by customer`: `GET /product?relatedParty.id=<customer>&limit=20` (v4, and v5 with
  `relatedParty.partyOrPartyRole.id`) against the raw driver's `find` of the same page on the same
  database (filter, order, projection and limit the server's store uses). `--products` products,
  copies of one the order flow made, belong to 100 customers.
Each round measures every row, the two sides of a comparison back to back, the first side
alternating by round. Reported: median latency, the server's CPU per request (its process tree,
never the database's), and the ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from pymongo import ASCENDING, MongoClient

from bench.database import target
from bench.params import Params
from bench.server import ServerProcess
from bench.worst import timed
from persistence.store import WITHOUT_INTERNALS
from tmf_apis.tmf637.registry import PRODUCT

CATALOG = "/tmf-api/productCatalogManagement/v4"
CUSTOMERS = "/tmf-api/customerManagement/v4"
ORDERS = "/tmf-api/productOrderingManagement/v4"
INVENTORY = "/tmf-api/productInventory"
WITHOUT_INVENTORY = "TMF620,TMF622,TMF629,TMF678"
PARTIES = 100
PAGE = 20
Row = tuple[float, float]  # median ms, server CPU ms per request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inventory", description=__doc__)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mongo-uri", default="")
    args = parser.parse_args(argv)
    rng = random.Random(637)
    results: dict[str, list[Row]] = {}
    with (
        target(Params(mongo_uri=args.mongo_uri)) as database,
        ServerProcess(database, 1) as full,
        ServerProcess(database, 1, {"TMF_APIS": WITHOUT_INVENTORY}) as before,
    ):
        client: MongoClient[dict[str, Any]] = MongoClient(database.uri)
        products = client[database.name][PRODUCT.collection]
        sides = {"with inventory": _connect(full), "without inventory": _connect(before)}
        plan, buyer = _plan(sides["with inventory"])
        _completions(sides["with inventory"], plan, buyer, 1)()  # the product the seed copies
        _seed_products(products, args.products)
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                connection = sides[side]
                server = full if side == "with inventory" else before
                completing = _completions(connection, plan, buyer, args.requests + 1)
                results.setdefault(f"complete {side}", []).append(
                    timed(completing, args.requests, server.cpu_seconds)
                )
            for version in ("v4", "v5") if round_ % 2 == 0 else ("v5", "v4"):
                send = _list(sides["with inventory"], version, rng)
                results.setdefault(f"list {version}", []).append(
                    timed(send, args.requests, full.cpu_seconds)
                )
            results.setdefault("list raw", []).append(
                timed(_raw_list(products, rng), args.requests, lambda: 0.0)
            )
        client.close()
    _print(results, args)
    return 0


def _connect(server: ServerProcess) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=60)


def call(connection: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> Any:
    """One JSON request on a keep-alive connection (bench.payments uses it too); raises on an
    answer other than 200, 201 or 206."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        connection.request(method, path, data, headers)
        response = connection.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        # The server closes a keep-alive connection left idle (while the other side was
        # measured): open it again.
        connection.close()
        connection.request(method, path, data, headers)
        response = connection.getresponse()
    text = response.read()
    if response.status not in (200, 201, 206):
        raise RuntimeError(f"{method} {path}: {response.status} {text[:300]!r}")
    return json.loads(text) if text else None


def launched_plan(connection: http.client.HTTPConnection) -> dict[str, Any]:
    """A launched offering through the API: 20.00 a month and 50.00 to connect, in EUR."""
    prices = [
        call(connection, "POST", f"{CATALOG}/productOfferingPrice", body)
        for body in (
            {
                "name": "Monthly",
                "priceType": "recurring",
                "recurringChargePeriodType": "month",
                "recurringChargePeriodLength": 1,
                "price": {"unit": "EUR", "value": 20},
            },
            {"name": "Connection", "priceType": "oneTime", "price": {"unit": "EUR", "value": 50}},
        )
    ]
    offering = call(
        connection,
        "POST",
        f"{CATALOG}/productOffering",
        {
            "name": "Bench plan",
            "lifecycleStatus": "Launched",
            "productOfferingPrice": [{"id": p["id"], "name": p["name"]} for p in prices],
        },
    )
    return offering


def _plan(connection: http.client.HTTPConnection) -> tuple[dict[str, Any], dict[str, Any]]:
    """A launched offering (20.00 a month, 50.00 to connect) and a customer with an account."""
    offering = launched_plan(connection)
    buyer = call(
        connection,
        "POST",
        f"{CUSTOMERS}/customer",
        {
            "name": "Bench buyer",
            "engagedParty": {"id": "b-1", "@referredType": "Individual"},
            "account": [{"id": "BA-bench", "name": "Bench account"}],
        },
    )
    return offering, buyer


def _completions(
    connection: http.client.HTTPConnection,
    plan: dict[str, Any],
    buyer: dict[str, Any],
    count: int,
) -> Callable[[], object]:
    """Places `count` orders (not timed); each call then completes the next one."""
    party = [{"id": buyer["id"], "role": "Customer", "@referredType": "Customer"}]
    line = {"action": "add", "productOffering": {"id": plan["id"], "name": plan["name"]}}
    placed = []
    for _ in range(count):
        body = {
            "relatedParty": party,
            "productOrderItem": [{**line, "id": "1"}, {**line, "id": "2"}],
        }
        order = call(connection, "POST", f"{ORDERS}/productOrder", body)
        placed.append(call(connection, "GET", f"{ORDERS}/productOrder/{order['id']}"))
    pending = iter(placed)

    def complete() -> object:
        order = next(pending)
        items = [{**i, "state": "completed"} for i in order["productOrderItem"]]
        done = call(
            connection, "PATCH", f"{ORDERS}/productOrder/{order['id']}", {"productOrderItem": items}
        )
        if done.get("state") != "completed":
            raise RuntimeError(f"order {order['id']} is {done.get('state')}")
        return done

    return complete


def _seed_products(products: Any, count: int) -> None:
    template = products.find_one({}, {"_id": 0})
    if template is None:
        raise RuntimeError("the order flow made no product to copy")
    party = next(p for p in template["relatedParty"] if p.get("role") == "Customer")
    copies = []
    for n in range(count):
        copy = {**template, "id": str(uuid.uuid4())}
        copy["relatedParty"] = [{**party, "id": f"party-{n % PARTIES}"}]
        copies.append(copy)
    products.insert_many(copies)


def _list(
    connection: http.client.HTTPConnection, version: str, rng: random.Random
) -> Callable[[], object]:
    key = "relatedParty.partyOrPartyRole.id" if version == "v5" else "relatedParty.id"

    def send() -> object:
        party = f"party-{rng.randrange(PARTIES)}"
        found = call(connection, "GET", f"{INVENTORY}/{version}/product?{key}={party}&limit={PAGE}")
        if not found:
            raise RuntimeError(f"no product listed for {party}")
        return found

    return send


def _raw_list(products: Any, rng: random.Random) -> Callable[[], object]:
    def send() -> object:
        party = f"party-{rng.randrange(PARTIES)}"
        cursor = products.find({"relatedParty.id": party}, WITHOUT_INTERNALS)
        return list(cursor.sort("_id", ASCENDING).limit(PAGE))

    return send


def _print(results: dict[str, list[Row]], args: Any) -> None:
    def median(name: str) -> float:
        return statistics.median(ms for ms, _ in results[name])

    def cpu(name: str) -> float:
        return statistics.median(c for _, c in results[name])

    out = sys.stdout
    out.write(
        f"{args.products} products of {PARTIES} customers, {args.requests} requests per row and "
        f"round, {args.rounds} rounds, one at a time (medians over rounds).\n\n"
        "| request | p50 ms | server CPU ms/req | against | its p50 ms | its CPU ms/req | ratio |\n"
        "|---|--:|--:|---|--:|--:|--:|\n"
    )
    with_, without = "complete with inventory", "complete without inventory"
    out.write(
        f"| complete an order (2 items) | {median(with_):.2f} | {cpu(with_):.2f} | "
        f"the same without TMF637 | {median(without):.2f} | {cpu(without):.2f} | "
        f"CPU x{cpu(with_) / cpu(without):.2f} |\n"
    )
    for version in ("v4", "v5"):
        name = f"list {version}"
        out.write(
            f"| products by customer ({version}) | {median(name):.2f} | {cpu(name):.2f} | raw "
            f"`find` | {median('list raw'):.2f} | - | {median('list raw') / median(name):.2f} "
            "of the raw driver |\n"
        )


if __name__ == "__main__":
    # Give the servers' output room: a failed step names its request.
    started = time.perf_counter()
    code = main()
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
