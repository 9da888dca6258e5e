"""`python -m bench.worst`: what the worst list requests an attacker can send cost the server.

    python -m bench.worst [--customers 2000] [--requests 20] [--mongo-uri URI]

Customers are seeded with 75-character names of one letter (`aaa...a`), the input that made
`name.regex=a*a*a*a*a*a*b` stall SecantusDB for 6.7 s before regex filters had a syntax of
their own (persistence/patterns.py). Then, one request at a time, each timed `--requests` times
(medians):
- `regex_runs`: `GET /customer?name.regex=a.*a.*a.*a.*a.*a.*b` (every name is a candidate, none
  matches) through the server, against the raw driver's `find` with the pattern the server
  translates it to, on the same database;
- `regex_plain`: `name.regex=^aaaa` (a prefix), for scale, the same two ways;
- `fields_6000`: `fields=` with 6,000 names (one attribute repeated) against `fields=name`.
Server CPU per request is the server process's CPU over the requests. The backtracking form of
the first pattern is also timed once with Python `re` on one name of `--backtrack-length`
characters, to show what the translation avoids (it grows as the length to the sixth power).
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from pymongo import MongoClient

from bench.api import CUSTOMERS
from bench.database import target
from bench.params import Params
from bench.server import ServerProcess
from persistence.patterns import safe_pattern
from persistence.store import REVISION
from tmf_apis.tmf629.registry import CUSTOMER

NAME_LENGTH = 75
RUNS = "a.*a.*a.*a.*a.*a.*b"
BACKTRACKING = "a*a*a*a*a*a*b"
PREFIX = "^aaaa"
PAGE = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worst", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--backtrack-length", type=int, default=40)
    parser.add_argument("--mongo-uri", default="")
    args = parser.parse_args(argv)
    params = Params(mongo_uri=args.mongo_uri)
    rows = []
    with target(params) as database, ServerProcess(database, workers=1) as server:
        client: MongoClient[dict[str, Any]] = MongoClient(database.uri)
        collection = client[database.name][CUSTOMER.collection]
        _seed(collection, args.customers)
        connection = http.client.HTTPConnection(server.host, server.port, timeout=600)

        def get(query: dict[str, str]) -> Callable[[], object]:
            path = f"{CUSTOMERS}?{urlencode(query)}"

            def send() -> object:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status not in (200, 206):
                    raise RuntimeError(f"{path[:80]}: {response.status} {body[:200]!r}")
                return body

            return send

        def raw(pattern: str) -> Callable[[], object]:
            translated = safe_pattern(pattern)
            return lambda: list(
                collection.find({"name": {"$regex": translated}}, {"_id": 0}).limit(PAGE)
            )

        cases = [
            ("regex_runs", get({"name.regex": RUNS, "limit": str(PAGE)}), raw(RUNS)),
            ("regex_plain", get({"name.regex": PREFIX, "limit": str(PAGE)}), raw(PREFIX)),
            (
                "fields_6000",
                get({"fields": ",".join(["name"] * 6000), "limit": str(PAGE)}),
                get({"fields": "name", "limit": str(PAGE)}),
            ),
        ]
        for name, measured, baseline in cases:
            server_ms, cpu_ms = timed(measured, args.requests, server.cpu_seconds)
            base_ms, _ = timed(baseline, args.requests, server.cpu_seconds)
            rows.append((name, server_ms, cpu_ms, base_ms))
        client.close()
    value = "a" * args.backtrack_length
    started = time.perf_counter()
    re.search(BACKTRACKING, value)
    backtracking_s = time.perf_counter() - started
    _print(rows, args, backtracking_s)
    return 0


def _seed(collection: Any, count: int) -> None:
    documents = [
        {
            "id": str(uuid.uuid4()),
            "name": "a" * NAME_LENGTH,
            "engagedParty": {"id": f"party-{n}", "@referredType": "Individual"},
            "@type": CUSTOMER.schema,
            REVISION: 1,
        }
        for n in range(count)
    ]
    collection.insert_many(documents)


def timed(
    send: Callable[[], object], count: int, cpu_seconds: Callable[[], float]
) -> tuple[float, float]:
    """Median milliseconds of `count` calls, and server CPU milliseconds per call."""
    send()  # warm
    cpu_before = cpu_seconds()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        send()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), (cpu_seconds() - cpu_before) * 1000 / count


def _print(rows: list[tuple[str, float, float, float]], args: Any, backtracking_s: float) -> None:
    out = sys.stdout
    out.write(
        f"{args.customers} customers named {'a' * 5}... ({NAME_LENGTH} characters), "
        f"{args.requests} requests each, one at a time; limit {PAGE}.\n\n"
        "| request | server p50 ms | server CPU ms/req | baseline p50 ms | baseline | ratio |\n"
        "|---|--:|--:|--:|---|--:|\n"
    )
    baselines = {
        "regex_runs": "raw `find`, translated pattern",
        "regex_plain": "raw `find`, translated pattern",
        "fields_6000": "server, `fields=name`",
    }
    for name, server_ms, cpu_ms, base_ms in rows:
        out.write(
            f"| {name} | {server_ms:.1f} | {cpu_ms:.2f} | {base_ms:.1f} | {baselines[name]} | "
            f"{base_ms / server_ms:.2f} |\n"
        )
    out.write(
        f"\nPython `re` with the backtracking form `{BACKTRACKING}` on one name of "
        f"{args.backtrack_length} characters: {backtracking_s * 1000:.0f} ms.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
