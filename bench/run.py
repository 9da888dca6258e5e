"""One benchmark run: database, server, seed, then each operation against server and raw driver."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection

from bench import api, catalog, cpu, load, machine, raw, seed
from bench.catalog import LoadedCatalog
from bench.database import Target, target
from bench.load import Meter, Window
from bench.params import CATALOG_OPERATION, CUSTOMER_OPERATIONS, OPERATIONS, Params
from bench.server import ServerProcess
from bench.workload import CUSTOMERS_PER_PARTY, PAGE_SIZE, Workload
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf629.registry import CUSTOMER

Progress = Callable[[str], None]


@dataclass
class OperationResult:
    name: str
    server: list[Window] = field(default_factory=list)
    raw: list[Window] = field(default_factory=list)


@dataclass
class RunResult:
    params: Params
    started: str
    machine: dict[str, str]
    seed_s: float
    # Documents in the collection when the last operation ended (creates add to the seeded ones).
    final_documents: int
    operations: list[OperationResult]
    notes: list[str]
    # The demo catalog, when the offerings operation ran.
    catalog: LoadedCatalog | None = None


def _quiet(_: str) -> None:
    return None


def run(params: Params, progress: Progress = _quiet) -> RunResult:
    unknown = set(params.operations) - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown operations: {', '.join(sorted(unknown))}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # Other processes on the machine skew every figure; the header shows how busy it was.
    load_before = _load_average()
    rng = random.Random(params.seed)
    with target(params) as database:
        progress(f"database: {database.description}")
        with ServerProcess(database, params.workers) as server:
            progress(f"server: {server.url} (workers={params.workers})")
            client: MongoClient[dict[str, Any]] = MongoClient(
                database.uri, serverSelectionTimeoutMS=5000, tz_aware=True
            )
            try:
                collection = client[database.name][CUSTOMER.collection]
                offerings = client[database.name][PRODUCT_OFFERING.collection]
                shape = seed.CustomerShape(collection)
                workload, seed_s = _customers(collection, shape, server, params, rng, progress)
                demo_catalog = _catalog(offerings, server, params, progress)
                if demo_catalog is not None:
                    workload = replace(workload, categories=demo_catalog.categories)
                over_http = api.operations(server.host, server.port, workload, params.seed)
                direct = raw.operations(collection, offerings, shape, workload, params.seed)
                meter = _meter(server, database)
                results = []
                for name in params.operations:
                    results.append(
                        _measure(name, over_http[name], direct[name], params, meter, progress)
                    )
                    server.check_running()
                final = collection.estimated_document_count()
            finally:
                client.close()
        return RunResult(
            params=params,
            started=started,
            machine={
                **machine.facts(database),
                "load average (1 min) at start / end": f"{load_before} / {_load_average()}",
            },
            seed_s=seed_s,
            final_documents=final,
            operations=results,
            notes=_notes(database, params.operations, demo_catalog),
            catalog=demo_catalog,
        )


def _customers(
    collection: Collection[dict[str, Any]],
    shape: seed.CustomerShape,
    server: ServerProcess,
    params: Params,
    rng: random.Random,
    progress: Progress,
) -> tuple[Workload, float]:
    """Seed the customers when a customer operation runs; the workload and the seconds it took."""
    if not CUSTOMER_OPERATIONS & set(params.operations):
        return Workload(ids=[], parties=[]), 0.0
    progress(f"seeding {params.customers} customers")
    begun = time.perf_counter()
    workload = _seed(collection, shape, server, params.customers, rng)
    seed_s = time.perf_counter() - begun
    progress(f"seeded in {seed_s:.1f} s; checked through the API")
    return workload, seed_s


def _catalog(
    offerings: Collection[dict[str, Any]],
    server: ServerProcess,
    params: Params,
    progress: Progress,
) -> LoadedCatalog | None:
    """Load the demo catalog through the API when the offerings operation runs."""
    if CATALOG_OPERATION not in params.operations:
        return None
    progress(f"loading the demo catalog ({params.offerings} offerings) through the API")
    checker = api.HttpClient(server.host, server.port)
    try:
        loaded = catalog.load(server.url, offerings, checker, params.offerings, params.seed)
    finally:
        checker.close()
    progress(
        f"loaded in {loaded.load_s:.1f} s; {loaded.full_pages} of {len(loaded.categories)} "
        "categories fill a page; checked through the API"
    )
    return loaded


def _seed(
    collection: Collection[dict[str, Any]],
    shape: seed.CustomerShape,
    server: ServerProcess,
    customers: int,
    rng: random.Random,
) -> Workload:
    seed.check_indexes(collection)
    workload = seed.seed(collection, shape, customers, rng)
    checker = api.HttpClient(server.host, server.port)
    try:
        seed.check_through_api(checker, collection, workload, rng)
    finally:
        checker.close()
    return workload


def _measure(
    name: str,
    over_http: load.WorkerFactory,
    direct: load.WorkerFactory,
    params: Params,
    meter: Meter,
    progress: Progress,
) -> OperationResult:
    result = OperationResult(name)
    if params.warmup_s > 0:
        load.run(over_http, params.concurrency, params.warmup_s, meter)
        load.run(direct, params.concurrency, params.warmup_s, meter)
    for repetition in range(1, params.repeat + 1):
        # Server and raw driver alternate, so a drift in the machine touches both alike.
        result.server.append(load.run(over_http, params.concurrency, params.duration_s, meter))
        result.raw.append(load.run(direct, params.concurrency, params.duration_s, meter))
        progress(
            f"{name} {repetition}/{params.repeat}: server {result.server[-1].rate:.0f} req/s, "
            f"raw {result.raw[-1].rate:.0f} req/s"
        )
    return result


def _load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _meter(server: ServerProcess, database: Target) -> Meter:
    def read() -> dict[str, float]:
        times = os.times()
        readings = {"server": server.cpu_seconds(), "bench": times.user + times.system}
        if database.pid:
            readings["database"] = cpu.tree_seconds(database.pid)
        return readings

    return read


def _notes(
    database: Target, operations: tuple[str, ...], demo_catalog: LoadedCatalog | None
) -> list[str]:
    notes = [
        "CPU per request: the server's process (and its workers), the database's process, and the "
        "bench process (the HTTP client threads; in raw runs the pymongo driver and its caller), "
        "each divided by the requests served in the timed window. Client, server and database "
        "share the machine's cores.",
    ]
    customers = bool(CUSTOMER_OPERATIONS & set(operations))
    if customers:
        notes[:0] = [
            f"list: `GET /customer?engagedParty.id=<party>&limit={PAGE_SIZE}`; each party has "
            f"{CUSTOMERS_PER_PARTY} customers, so every page is full and persistence/store.py also "
            "runs `count_documents` for X-Total-Count (it counts only when a page is full). "
            "The raw driver does the same find + count.",
        ]
        notes.append(
            "raw create builds the stored document (the server's own prepare code) inside the "
            "timed call; raw patch is find_one + replace_one guarded by `_rev`, as the store does."
        )
    if demo_catalog is not None:
        notes.append(
            f"offerings: `GET /productOffering?lifecycleStatus=Launched&category.id=<category>"
            f"&limit={PAGE_SIZE}` on the demo catalog (tmf_apis/tmf620/demo.py, "
            f"{demo_catalog.offerings} offerings loaded through the API), the category drawn from "
            f"its {len(demo_catalog.categories)} categories, roots and subcategories; "
            f"{demo_catalog.full_pages} of them have a full page of launched offerings, and only "
            "for those does persistence/store.py also count. The raw driver runs the filter the "
            "server builds (`$and` of both conditions), the same find, and the count when the "
            "page is full."
        )
    if database.secantus:
        notes.append(
            "SecantusDB is a Python development database, not MongoDB: its list and count numbers "
            "say nothing about MongoDB's. It answers an equality filter on one indexed field and "
            "that filter's count from the index, but scans the whole collection to count anything "
            "else (an unfiltered list, or two filters AND-ed: about 0.3 s each at 10,000 "
            "customers)."
        )
    if database.secantus and demo_catalog is not None:
        notes.append(
            "The offerings filter is two conditions AND-ed: SecantusDB counts it by scanning the "
            f"offerings collection ({demo_catalog.offerings} documents here)."
        )
    return notes
