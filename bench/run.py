"""One benchmark run: database, server, seed, then each operation against server and raw driver."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

from bench import (
    api,
    auth,
    bill_lists,
    bill_notes,
    catalog,
    cpu,
    events,
    load,
    machine,
    memory,
    notes,
    orders,
    seed,
)
from bench.auth import AuthRun
from bench.billing import BillRunResult, BillRuns
from bench.catalog import LoadedCatalog
from bench.database import Target, target
from bench.load import Meter
from bench.operation import Setup
from bench.operations import PAIRED
from bench.orders import PlacedOrders
from bench.outcome import OperationResult
from bench.params import (
    AUTH_OPERATION,
    BILL_LIST_OPERATION,
    BILL_RUN_OPERATION,
    CATALOG_OPERATIONS,
    EVENTS_OPERATION,
    OPERATIONS,
    ORDER_OPERATIONS,
    SEEDED_CUSTOMER_OPERATIONS,
    Params,
)
from bench.profiles import Recorder
from bench.server import ServerProcess
from bench.workload import Workload
from persistence.outbox import EVENTS_COLLECTION
from tmf_apis.tmf620.registry import PRODUCT_OFFERING
from tmf_apis.tmf622.registry import PRODUCT_ORDER
from tmf_apis.tmf629.registry import CUSTOMER
from tmf_apis.tmf678.registry import CUSTOMER_BILL

Progress = Callable[[str], None]


@dataclass
class RunResult:
    params: Params
    started: str
    machine: dict[str, str]
    seed_s: float
    # Customers when the last operation ended (creates add to the seeded ones).
    final_documents: int
    operations: list[OperationResult]
    notes: list[str]
    # The demo catalog, when the offerings or an order operation ran.
    catalog: LoadedCatalog | None = None
    # The orders placed through the API, when an order operation ran.
    orders: PlacedOrders | None = None
    # Orders when the last operation ended (order_create adds to the placed ones).
    final_orders: int = 0
    # Events in the server's outbox when the events operation began (it reads them in order).
    outbox_events: int = 0
    # The bill runs, when a billing operation ran (bill_list alone: one untimed server run).
    bill_runs: BillRunResult | None = None
    # The auth operation's channel, servers and results (its results are in `operations` too).
    auth: AuthRun | None = None


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
        partitions = {"TMF_EVENT_PARTITIONS": str(params.event_partitions)}
        with ServerProcess(database, params.workers, partitions) as server:
            progress(f"server: {server.url} (workers={params.workers})")
            client: MongoClient[dict[str, Any]] = MongoClient(
                database.uri, serverSelectionTimeoutMS=5000, tz_aware=True
            )
            try:
                db = client[database.name]
                collection = db[CUSTOMER.collection]
                shape = seed.CustomerShape(collection)
                workload, seed_s = seed_customers(collection, shape, server, params, rng, progress)
                demo_catalog = load_catalog(
                    db[PRODUCT_OFFERING.collection], server, params, progress
                )
                if demo_catalog is not None:
                    workload = replace(workload, categories=demo_catalog.categories)
                placed = place_orders(db, server, workload, params, progress)
                if placed is not None:
                    workload = replace(
                        workload, offerings=placed.offerings, orderers=placed.customers
                    )
                setup = Setup(server.host, server.port, db, shape, workload, params.seed)
                meter = _meter(server, database)
                recorder = Recorder(Path(params.profile_dir)) if params.profile_dir else None
                results = []
                outbox_events = 0
                bill_runs = None
                auth_run = None
                for name in params.operations:
                    if name == EVENTS_OPERATION:
                        outbox_events = db[EVENTS_COLLECTION].estimated_document_count()
                        results += events.measure(
                            server, db, shape, workload, params, meter, progress
                        )
                    elif name == BILL_RUN_OPERATION:
                        bill_runs = BillRuns(server, db, params, meter, progress).measure()
                    elif name == BILL_LIST_OPERATION:
                        if bill_runs is None:
                            bill_runs = _bill(server, db, params, meter, progress)
                        results += _bill_lists(server, db, params, meter, progress)
                    elif name == AUTH_OPERATION:
                        auth_run = auth.measure(
                            database,
                            db,
                            shape,
                            workload,
                            params,
                            lambda measured: _meter(measured, database),
                            progress,
                        )
                        results += auth_run.operations
                    else:
                        paired = PAIRED[name]
                        over_http, direct = paired.server(setup), paired.raw(setup)
                        results.append(
                            _measure(
                                name,
                                over_http,
                                direct,
                                params,
                                meter,
                                server,
                                progress,
                                recorder,
                            )
                        )
                    server.check_running()
                if recorder is not None:
                    recorder.summary()
                    progress(f"profiles: {Path(params.profile_dir) / 'summary.md'}")
                final = collection.estimated_document_count()
                final_orders = db[PRODUCT_ORDER.collection].estimated_document_count()
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
            notes=notes.notes(database, params.operations, demo_catalog, placed, outbox_events)
            + bill_notes.notes(database, params.operations, bill_runs)
            + auth.notes(auth_run),
            catalog=demo_catalog,
            orders=placed,
            final_orders=final_orders,
            outbox_events=outbox_events,
            bill_runs=bill_runs,
            auth=auth_run,
        )


def seed_customers(
    collection: Collection[dict[str, Any]],
    shape: seed.CustomerShape,
    server: ServerProcess,
    params: Params,
    rng: random.Random,
    progress: Progress,
) -> tuple[Workload, float]:
    """Seed the customers when a customer or order operation runs; the workload and the seconds
    it took."""
    if not SEEDED_CUSTOMER_OPERATIONS & set(params.operations):
        return Workload(ids=[], parties=[]), 0.0
    progress(f"seeding {params.customers} customers")
    begun = time.perf_counter()
    workload = _seed(collection, shape, server, params.customers, rng)
    seed_s = time.perf_counter() - begun
    progress(f"seeded in {seed_s:.1f} s; checked through the API")
    return workload, seed_s


def load_catalog(
    offerings: Collection[dict[str, Any]],
    server: ServerProcess,
    params: Params,
    progress: Progress,
) -> LoadedCatalog | None:
    """Load the demo catalog through the API when the offerings or an order operation runs."""
    if not CATALOG_OPERATIONS & set(params.operations):
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


def place_orders(
    db: Database[dict[str, Any]],
    server: ServerProcess,
    workload: Workload,
    params: Params,
    progress: Progress,
) -> PlacedOrders | None:
    """Place the listed orders through the API, after the pre-flight checks, when an order
    operation runs."""
    if not ORDER_OPERATIONS & set(params.operations):
        return None
    progress(f"placing orders through the API for {params.order_customers} customers")
    client = api.HttpClient(server.host, server.port)
    try:
        placed = orders.place(db, client, workload, params.order_customers, params.seed)
    finally:
        client.close()
    progress(
        f"placed {placed.orders} orders in {placed.place_s:.1f} s from "
        f"{len(placed.offerings)} orderable offerings; {placed.full_pages} of "
        f"{len(placed.customers)} customers fill a page; checked through the API"
    )
    return placed


def _bill(
    server: ServerProcess,
    db: Database[dict[str, Any]],
    params: Params,
    meter: Meter,
    progress: Progress,
) -> BillRunResult:
    """For bill_list without bill_run: seed the rates and bill them through the API once."""
    progress(f"making the bills of {params.bill_accounts} billing accounts with one bill run")
    made = BillRuns(server, db, params, meter, progress).prepare()
    progress(f"billed through the API in {made.server[0].wall_s:.1f} s")
    return made


def _bill_lists(
    server: ServerProcess,
    db: Database[dict[str, Any]],
    params: Params,
    meter: Meter,
    progress: Progress,
) -> list[OperationResult]:
    """The bill lists, after checking the server's pages against the raw queries."""
    bills = db[CUSTOMER_BILL.collection]
    billed = bill_lists.BilledAccounts(params.bill_accounts)
    checker = api.HttpClient(server.host, server.port)
    try:
        bill_lists.check(checker, bills, billed, params.seed)
    finally:
        checker.close()
    made = bill_lists.operations(server.host, server.port, bills, billed, params.seed)
    return [
        _measure(name, over_http, direct, params, meter, server, progress)
        for name, (over_http, direct) in made.items()
    ]


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
    server: ServerProcess,
    progress: Progress,
    recorder: Recorder | None = None,
) -> OperationResult:
    result = OperationResult(name)

    def windows() -> None:
        if params.warmup_s > 0:
            load.run(over_http, params.concurrency, params.warmup_s, meter)
            load.run(direct, params.concurrency, params.warmup_s, meter)
        for repetition in range(1, params.repeat + 1):
            # Server and raw driver alternate, so a drift in the machine touches both alike.
            # py-spy, when asked, on the first windows: the server and the database, then the
            # database alone.
            profiled = recorder if repetition == 1 else None
            database = server.database.pid
            recorded = {f"{name}.server": server.pid, f"{name}.database": database}
            result.server.append(_timed(over_http, params, meter, profiled, recorded))
            recorded = {f"{name}.raw-database": database}
            result.raw.append(_timed(direct, params, meter, profiled, recorded))
            progress(
                f"{name} {repetition}/{params.repeat}: server {result.server[-1].rate:.0f} "
                f"req/s, raw {result.raw[-1].rate:.0f} req/s"
            )

    result.server_memory = memory.measured(server.pids, windows)
    return result


def _timed(
    factory: load.WorkerFactory,
    params: Params,
    meter: Meter,
    recorder: Recorder | None,
    recordings: dict[str, int | None],
) -> load.Window:
    """One timed window; with a recorder, py-spy records each process of `recordings` (by
    recording name; one without a pid is left out) through it."""
    if recorder is None:
        return load.run(factory, params.concurrency, params.duration_s, meter)
    chosen = {recording: pid for recording, pid in recordings.items() if pid}
    for recording, pid in chosen.items():
        recorder.start(recording, pid, params.duration_s)
    window = load.run(factory, params.concurrency, params.duration_s, meter)
    recorder.finish(list(chosen), window.requests)
    return window


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
