"""`python -m bench` end to end at tiny scale: each operation measured for server and raw driver,
and for events every change delivered to every listener exactly once."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench import report
from bench.events import VARIANTS
from bench.params import EVENTS_OPERATION, OPERATIONS, Params
from bench.run import run
from tests.conftest import URI_VARIABLE


def test_bench_measures_every_operation_for_server_and_raw_driver(
    tmp_path: Path, worker_id: str
) -> None:
    params = Params(
        customers=200,
        offerings=20,
        # One customer with a full page of orders (30 placed), one with a short page (6).
        order_customers=2,
        concurrency=2,
        duration_s=0.5,
        warmup_s=0.1,
        repeat=1,
        # Every operation, events too (not in the default set: it is slow at full scale).
        operations=OPERATIONS,
        # The test run's database server, with a database of this test's own (bench drops it).
        mongo_uri=os.environ[URI_VARIABLE],
        database=f"bench_smoke_{worker_id}_{os.getpid()}",
    )

    result = run(params)

    # The events operation gives one result per variant (one listener, two).
    delivering = [name for name, _ in VARIANTS]
    names = [n for name in OPERATIONS for n in (delivering if name == EVENTS_OPERATION else [name])]
    assert [op.name for op in result.operations] == names
    assert result.catalog is not None and result.catalog.offerings == 20
    assert result.orders is not None and result.orders.full_pages == 1
    for op in result.operations:
        for side, windows in (("server", op.server), ("raw", op.raw)):
            assert len(windows) == 1
            assert windows[0].errors == 0, f"{op.name} {side}: {windows[0].first_error}"
            assert windows[0].rate > 0, f"{op.name} {side} served nothing"
        assert op.server[0].cpu_ms_per_request["server"] > 0
        for side, deliveries in (("server", op.server_delivery), ("raw", op.raw_delivery)):
            if op.name in delivering:
                assert len(deliveries) == 1 and deliveries[0].delivered > 0, f"{op.name} {side}"
                assert deliveries[0].ok, f"{op.name} {side}: {deliveries[0].first_problem}"
            else:
                assert not deliveries
    table, numbers = report.save(result, tmp_path)
    assert all(f"| {name} |" in table.read_text() for name in names)
    assert set(json.loads(numbers.read_text())["operations"]) == set(names)
