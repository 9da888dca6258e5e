"""The server's resident memory over a long mixed load: does it stay flat?

    python -m bench.soak [--minutes 10] [--sample-seconds 10] [--customers 2000]

Seeds customers, the demo catalog and orders as `python -m bench` does, then runs client threads
for `--minutes`, each request drawn from a mix of reads and writes (MIX: retrieves, lists,
patches, creates, catalog and order lists, order creation). Every `--sample-seconds` it reads the
resident memory of the server's processes (not the database's). The report gives the samples,
the growth over the first and the second half of the load, and the least-squares slope of the
second half in MB per minute: a server that holds on to something per request keeps growing
there, while caches (wire shapes, compiled schemas, connections) fill during the first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pymongo import MongoClient

from bench import memory, seed
from bench.database import target
from bench.load import Worker
from bench.operation import Setup
from bench.operations import PAIRED
from bench.params import Params
from bench.run import load_catalog, place_orders, seed_customers
from bench.server import ServerProcess
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf629.registry import CUSTOMER

# The share of each operation in the load, of bench.api's operations.
MIX = {
    "retrieve": 35,
    "list": 15,
    "patch": 15,
    "create": 10,
    "offerings": 10,
    "orders": 10,
    "order_create": 5,
}
ERROR_PAUSE_S = 0.01


def _mixed(factories: dict[str, Callable[[int], Worker]], seed: int) -> Callable[[int], Worker]:
    names = list(MIX)
    weights = [MIX[name] for name in names]

    def factory(thread: int) -> Worker:
        workers = {name: factories[name](thread) for name in names}
        rng = random.Random(f"{seed}-soak-{thread}")

        def request() -> None:
            workers[rng.choices(names, weights)[0]].request()

        def close() -> None:
            for worker in workers.values():
                worker.close()

        return Worker(request, close)

    return factory


def _slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute of (seconds, MB) samples."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression([t for t, _ in samples], [m for _, m in samples]).slope * 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--offerings", type=int, default=Params.offerings)
    parser.add_argument("--order-customers", type=int, default=Params.order_customers)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--mongo-uri", default="")
    parser.add_argument("--database", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="TMF_NAME=VALUE",
        help="a server setting (repeatable), e.g. TMF_WIRE_CACHE=0",
    )
    args = parser.parse_args(argv)
    params = Params(
        customers=args.customers,
        offerings=args.offerings,
        order_customers=args.order_customers,
        concurrency=args.concurrency,
        mongo_uri=args.mongo_uri,
        database=args.database,
        seed=args.seed,
        operations=tuple(MIX),
    )

    def say(text: str) -> None:
        print(f"# {text}", flush=True)

    rng = random.Random(params.seed)
    settings = dict(item.split("=", 1) for item in args.setting)
    with target(params) as database, ServerProcess(database, params.workers, settings) as server:
        client: MongoClient[dict[str, Any]] = MongoClient(database.uri, tz_aware=True)
        with client:
            db = client[database.name]
            collection = db[CUSTOMER.collection]
            shape = seed.CustomerShape(collection)
            workload, _ = seed_customers(collection, shape, server, params, rng, say)
            loaded = load_catalog(db[PRODUCT_OFFERING.collection], server, params, say)
            if loaded is not None:
                workload = replace(workload, categories=loaded.categories)
            placed = place_orders(db, server, workload, params, say)
            if placed is not None:
                workload = replace(workload, offerings=placed.offerings, orderers=placed.customers)
            setup = Setup(server.host, server.port, db, shape, workload, params.seed)
            factory = _mixed({name: PAIRED[name].server(setup) for name in MIX}, params.seed)
            samples = _soak(server, factory, params.concurrency, args.minutes, args.sample_seconds)
    _report(samples, args.minutes)
    return 0 if samples[-1][3] == 0 else 1


def _soak(
    server: ServerProcess,
    factory: Callable[[int], Worker],
    threads: int,
    minutes: float,
    sample_s: float,
) -> list[tuple[float, float, int, int]]:
    """(seconds, server MB, requests so far, errors so far) every `sample_s`, over the load."""
    stop = threading.Event()
    done = [0] * threads
    failed = [0] * threads

    def loop(slot: int) -> None:
        worker = factory(slot)
        try:
            while not stop.is_set():
                try:
                    worker.request()
                    done[slot] += 1
                except Exception:  # counted; the load goes on
                    failed[slot] += 1
                    time.sleep(ERROR_PAUSE_S)
        finally:
            worker.close()

    running = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    begun = time.monotonic()
    for thread in running:
        thread.start()
    samples = []
    end = begun + minutes * 60
    while True:
        now = time.monotonic()
        samples.append((now - begun, memory.resident_mb(server.pids()), sum(done), sum(failed)))
        print(
            f"# {now - begun:6.0f} s  {samples[-1][1]:7.1f} MB  {sum(done):,} requests",
            flush=True,
        )
        if now >= end:
            break
        time.sleep(min(sample_s, max(0.0, end - now)))
    stop.set()
    for thread in running:
        thread.join(timeout=60)
    server.check_running()
    return samples


def _report(samples: list[tuple[float, float, int, int]], minutes: float) -> None:
    half = len(samples) // 2
    first = [(t, mb) for t, mb, _, _ in samples[: half + 1]]
    second = [(t, mb) for t, mb, _, _ in samples[half:]]
    seconds, _, requests, errors = samples[-1]
    print(f"\n## Server memory over {minutes:g} minutes of mixed load\n")
    print(
        f"{requests:,} requests ({requests / max(seconds, 1):,.0f}/s), {errors:,} failed; "
        f"mix: {', '.join(f'{name} {share} %' for name, share in MIX.items())}\n"
    )
    print("| | MB |")
    print("|---|--:|")
    print(f"| at start | {samples[0][1]:.1f} |")
    print(f"| at half time | {samples[half][1]:.1f} |")
    print(f"| at end | {samples[-1][1]:.1f} |")
    print(f"| peak sample | {max(mb for _, mb, _, _ in samples):.1f} |")
    print(f"| growth, first half | {first[-1][1] - first[0][1]:+.1f} |")
    print(f"| growth, second half | {second[-1][1] - second[0][1]:+.1f} |")
    print(f"| slope of the second half, MB/min | {_slope(second):+.2f} |")


if __name__ == "__main__":
    raise SystemExit(main())
