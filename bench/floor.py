"""The floor of this stack: what a bare Python HTTP service reaches beside the server and the raw
driver, on the same database in the same run.

    python -m bench.floor [--customers 2000] [--duration 4] [--repeat 3] [--concurrency 4]

For the customer create and retrieve, four sides in turn, each window with the same client
threads and the same requests (bench's `create` and `retrieve` operations):

- `server`: the TMF server (`app.py`), as `make bench` runs it;
- `flask`: Flask behind a2wsgi under uvicorn, two routes, no connexion (bench/bare_service.py);
- `asgi`: a plain ASGI function under uvicorn, the least HTTP in Python can be;
- `raw`: the driver call itself from the client threads.

Reported per operation and side: median requests per second, its ratio to the raw driver, p50,
and CPU milliseconds per request of the service and of the database. The bare sides keep no
events, check nothing and answer no TMF errors: their ratios bound what any server on this stack
(uvicorn, Flask, pymongo, the same database, the same machine) can reach, whatever it does.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient

from bench import cpu, load, seed
from bench.database import Target, target
from bench.load import Meter, WorkerFactory
from bench.operation import Setup
from bench.operations import create, retrieve
from bench.params import Params
from bench.server import HOST, ROOT, ServerProcess, answers, free_port
from tmf_apis.tmf629.registry import CUSTOMER

log = logging.getLogger("bench.floor")
SIDES = ("server", "flask", "asgi", "raw")
OPERATIONS = {"retrieve": retrieve, "create": create}
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Side:
    name: str
    factory: WorkerFactory
    meter: Meter


@contextmanager
def bare_service(kind: str, database: Target) -> Iterator[tuple[int, int]]:
    """A bare service of `kind` on a free port: (port, pid) while it runs."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.bare_service",
            "--kind",
            kind,
            "--port",
            str(port),
            "--mongo-uri",
            database.uri,
            "--database",
            database.name,
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(port, "/tmf-api/customerManagement/v4/customer/none", 404):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bare {kind} service did not start")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _meter(pid: int | None, database: Target) -> Meter:
    def read() -> dict[str, float]:
        times = os.times()
        readings = {"bench": times.user + times.system}
        if pid is not None:
            readings["server"] = cpu.tree_seconds(pid, exclude=[database.pid or -1])
        if database.pid:
            readings["database"] = cpu.tree_seconds(database.pid)
        return readings

    return read


def measure(params: Params, progress: Callable[[str], None]) -> dict[str, dict[str, list[Any]]]:
    """Every window's figures: {operation: {side: [Window, ...]}}."""
    windows: dict[str, dict[str, list[Any]]] = {}
    with target(params) as database:
        with ServerProcess(database, 1) as server:
            client: MongoClient[dict[str, Any]] = MongoClient(database.uri, tz_aware=True)
            try:
                db = client[database.name]
                collection = db[CUSTOMER.collection]
                shape = seed.CustomerShape(collection)
                workload = seed.seed(
                    collection, shape, params.customers, random.Random(params.seed)
                )
                progress(f"seeded {params.customers} customers")
                with (
                    bare_service("flask", database) as (flask_port, flask_pid),
                    bare_service("asgi", database) as (asgi_port, asgi_pid),
                ):
                    ports = {"server": server.port, "flask": flask_port, "asgi": asgi_port}
                    pids = {"server": server.pid, "flask": flask_pid, "asgi": asgi_pid}
                    for name, module in OPERATIONS.items():
                        sides = []
                        for side in SIDES:
                            setup = Setup(
                                HOST, ports.get(side, 0), db, shape, workload, params.seed
                            )
                            factory = module.raw(setup) if side == "raw" else module.server(setup)
                            sides.append(Side(side, factory, _meter(pids.get(side), database)))
                        windows[name] = _windows(name, sides, params, progress)
            finally:
                client.close()
    return windows


def _windows(
    name: str, sides: list[Side], params: Params, progress: Callable[[str], None]
) -> dict[str, list[Any]]:
    for side in sides:
        load.run(side.factory, params.concurrency, params.warmup_s, side.meter)
    found: dict[str, list[Any]] = {side.name: [] for side in sides}
    for repetition in range(1, params.repeat + 1):
        # The sides take turns, so that a drift of the machine touches each alike.
        for side in sides:
            window = load.run(side.factory, params.concurrency, params.duration_s, side.meter)
            if window.errors:
                raise RuntimeError(f"{name} on {side.name}: {window.first_error}")
            found[side.name].append(window)
        rates = ", ".join(f"{s} {found[s][-1].rate:.0f}" for s in found)
        progress(f"{name} {repetition}/{params.repeat}: {rates} req/s")
    return found


def report(windows: dict[str, dict[str, list[Any]]]) -> str:
    lines = [
        "| operation | side | req/s | of raw | p50 ms | service CPU ms/req | database CPU ms/req |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for name, sides in windows.items():
        raw_rate = statistics.median(w.rate for w in sides["raw"])
        for side, found in sides.items():
            rate = statistics.median(w.rate for w in found)
            service = _median_cpu(found, "server")
            database = _median_cpu(found, "database")
            lines.append(
                f"| {name} | {side} | {rate:.0f} | {rate / raw_rate:.2f} | "
                f"{statistics.median(w.p50_ms for w in found):.2f} | {service} | {database} |"
            )
    return "\n".join(lines) + "\n"


def _median_cpu(found: list[Any], label: str) -> str:
    values = [w.cpu_ms_per_request[label] for w in found if label in w.cpu_ms_per_request]
    return f"{statistics.median(values):.2f}" if values else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    params = Params(
        customers=args.customers,
        duration_s=args.duration,
        warmup_s=args.warmup,
        repeat=args.repeat,
        concurrency=args.concurrency,
        seed=args.seed,
    )
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s", stream=sys.stderr)
    print(report(measure(params, log.info)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
