"""`python -m bench` end to end at tiny scale: each operation measured for server and raw driver,
for events every change delivered to every listener exactly once, for bill_run every account
billed once on each side, and for auth every credential against the secured server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import auth, bill_lists, report, soak
from bench.events import VARIANTS
from bench.params import (
    AUTH_OPERATION,
    BILL_LIST_OPERATION,
    BILL_RUN_OPERATION,
    EVENTS_OPERATION,
    OPERATIONS,
    Params,
)
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
        # One customer's bills: the paged bill list has full pages.
        bill_accounts=100,
        concurrency=2,
        duration_s=0.5,
        warmup_s=0.1,
        repeat=1,
        # Every operation, events, billing and auth too (not in the default set: slow at full
        # scale).
        operations=OPERATIONS,
        # The test run's database server, with a database of this test's own (bench drops it).
        mongo_uri=os.environ[URI_VARIABLE],
        database=f"bench_smoke_{worker_id}_{os.getpid()}",
    )

    result = run(params)

    # The events, bill_list and auth operations give one result per variant (one listener, two;
    # by account, paged; open server, each credential); bill_run gives its runs apart.
    delivering = [name for name, _ in VARIANTS]
    variants = {
        EVENTS_OPERATION: delivering,
        BILL_LIST_OPERATION: list(bill_lists.VARIANTS),
        BILL_RUN_OPERATION: [],
        AUTH_OPERATION: list(auth.VARIANTS),
    }
    names = [n for name in OPERATIONS for n in variants.get(name, [name])]
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
    # The server's resident memory over each operation timed in windows: a peak is never below
    # where it started.
    measured = [op for op in result.operations if op.server_memory is not None]
    assert "retrieve" in [op.name for op in measured]
    for op in measured:
        used = op.server_memory
        assert used is not None and 0 < used.start_mb <= used.peak_mb and used.end_mb > 0, op.name
    runs = result.bill_runs
    assert runs is not None and (runs.accounts, runs.rates) == (100, 300)
    used = runs.server[0].server_memory
    assert used is not None and 0 < used.start_mb <= used.peak_mb
    for side, timings in (("server", runs.server), ("raw", runs.raw)):
        assert len(timings) == 1, side
        assert (timings[0].bills, timings[0].rates_billed) == (100, 300), side
        assert timings[0].wall_s > 0, side
    assert runs.server[0].cpu_s["server"] > 0
    assert result.auth is not None and result.auth.channel_customers == 20
    table, numbers = report.save(result, tmp_path)
    assert all(f"| {name} |" in table.read_text() for name in names)
    assert "## Bill runs" in table.read_text()
    assert "## Server resident memory" in table.read_text()
    assert "## Authentication" in table.read_text()
    saved = json.loads(numbers.read_text())
    assert set(saved["operations"]) == set(names)
    assert saved["bill_runs"]["server"]["median"]["bills_per_s"] > 0
    assert saved["auth"]["median"][auth.CHANNEL]["rate_vs_open"] > 0


def test_the_soak_samples_the_servers_memory_under_mixed_load(
    capsys: pytest.CaptureFixture[str], worker_id: str
) -> None:
    code = soak.main(
        [
            "--minutes",
            "0.05",
            "--sample-seconds",
            "1",
            "--customers",
            "100",
            "--offerings",
            "20",
            "--order-customers",
            "1",
            "--concurrency",
            "2",
            "--mongo-uri",
            os.environ[URI_VARIABLE],
            "--database",
            f"bench_soak_{worker_id}_{os.getpid()}",
        ]
    )
    shown = capsys.readouterr().out
    assert code == 0, shown  # no request failed
    assert "| slope of the second half, MB/min |" in shown
    samples = [line for line in shown.splitlines() if line.startswith("#") and " MB " in line]
    assert len(samples) >= 3
