"""`python -m bench.editions`: what serving a v5 customer costs beside serving the same v4 one.

    python -m bench.editions [--customers 2000] [--requests 300] [--rounds 3] [--mongo-uri URI]

One server, one database: customers are seeded in the stored shape (with a contact medium, a
related party and a characteristic, so that the v5 mapping has work to do), then the same
requests go to `/tmf-api/customerManagement/v4` and `/v5` in alternating rounds, one at a time:
retrieve by id, a list of 20 by party, create. Reported: median latency and the server's CPU per
request of each edition (over all rounds), and v5's CPU relative to v4's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import uuid
from collections.abc import Callable
from typing import Any

from pymongo import MongoClient

from bench.database import target
from bench.params import Params
from bench.server import ServerProcess
from bench.worst import timed
from persistence.store import REVISION
from tmf_apis.tmf629.registry import API, API_V5, CUSTOMER

PAGE = 20
PARTIES = 100
OPERATIONS = ("retrieve", "list", "create")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.editions", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mongo-uri", default="")
    args = parser.parse_args(argv)
    rng = random.Random(5)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with target(Params(mongo_uri=args.mongo_uri)) as database, ServerProcess(database, 1) as server:
        client: MongoClient[dict[str, Any]] = MongoClient(database.uri)
        ids = _seed(client[database.name][CUSTOMER.collection], args.customers)
        connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
        for _ in range(args.rounds):
            for edition in (API, API_V5):
                for operation in OPERATIONS:
                    send = _request(connection, edition.base_path, operation, ids, rng)
                    results.setdefault((edition.version, operation), []).append(
                        timed(send, args.requests, server.cpu_seconds)
                    )
        client.close()
    _print(results, args)
    return 0


def _seed(collection: Any, count: int) -> list[str]:
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
    collection.insert_many(documents)
    return [str(d["id"]) for d in documents]


def _request(
    connection: http.client.HTTPConnection,
    root: str,
    operation: str,
    ids: list[str],
    rng: random.Random,
) -> Callable[[], object]:
    def send() -> object:
        if operation == "retrieve":
            method, path, body = "GET", f"{root}/customer/{rng.choice(ids)}", None
        elif operation == "list":
            party = f"party-{rng.randrange(PARTIES)}"
            method, path, body = (
                "GET",
                f"{root}/customer?engagedParty.id={party}&limit={PAGE}",
                None,
            )
        else:
            method, path = "POST", f"{root}/customer"
            body = json.dumps(
                {"name": "New", "engagedParty": {"id": "p-1", "@referredType": "Individual"}}
            ).encode()
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        data = response.read()
        if response.status not in (200, 201, 206):
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data

    return send


def _print(results: dict[tuple[str, str], list[tuple[float, float]]], args: Any) -> None:
    out = sys.stdout
    out.write(
        f"{args.customers} customers, {args.requests} requests per operation, edition and round, "
        f"{args.rounds} alternating rounds, one at a time.\n\n"
        "| operation | v4 p50 ms | v5 p50 ms | v4 CPU ms/req | v5 CPU ms/req | v5/v4 CPU |\n"
        "|---|--:|--:|--:|--:|--:|\n"
    )
    for operation in OPERATIONS:
        v4, v5 = results[("v4", operation)], results[("v5", operation)]
        v4_ms, v5_ms = _median([m for m, _ in v4]), _median([m for m, _ in v5])
        v4_cpu, v5_cpu = sum(c for _, c in v4) / len(v4), sum(c for _, c in v5) / len(v5)
        out.write(
            f"| {operation} | {v4_ms:.2f} | {v5_ms:.2f} | {v4_cpu:.3f} | {v5_cpu:.3f} | "
            f"{v5_cpu / v4_cpu:.2f} |\n"
        )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    sys.exit(main())
