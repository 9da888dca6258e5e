"""The results as Markdown tables and a JSON document, saved under bench/results/."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.auth import OPEN, VARIANTS, AuthRun
from bench.billing import BillRunResult, BillRunTiming
from bench.delivery import Delivery
from bench.load import Window
from bench.operations import PAIRED
from bench.outcome import OperationResult
from bench.params import (
    AUTH_OPERATION,
    BILL_RUN_OPERATION,
    BILLING_OPERATIONS,
    CUSTOMER_OPERATIONS,
    OFFERINGS_OPERATION,
    ORDER_OPERATIONS,
    SEEDED_CUSTOMER_OPERATIONS,
)
from bench.run import RunResult
from bench.stats import median, ratio

RESULTS_DIR = Path(__file__).parent / "results"

WHAT = {
    **{name: op.what for name, op in PAIRED.items()},
    "events": "`POST /customer` with one hub listener registered (query "
    "`eventType=CustomerCreateEvent`), the server's delivery worker POSTing each Create event to "
    "it · `insert_one`, then the same event POSTed to the listener by the inserting thread",
    "events_fanout": "the same with two hub listeners · `insert_one`, then the event POSTed to "
    "each listener in turn",
    "bill_run": "`POST /billRun` for the period of the seeded rates, polled until `done` · one "
    "`find` of the unbilled rates sorted by account, the same bills built, `insert_many` of the "
    "bills and `bulk_write` marking the rates, per batch",
    "bill_list": "`GET /customerBill?billingAccount.id=<account>` · `find(...).sort(_id)"
    ".limit(1000)`",
    "bill_list_paged": "`GET /customerBill?relatedParty.id=<customer>&limit=50&offset=<random>` "
    "· `find(...).sort(_id).skip(offset).limit(50)` + `count_documents` (the page is full)",
    **{
        name: f"`GET /customer/{{id}}` of the auth channel's customers, {credential} · `find_one("
        "{id}, {_id:0,_rev:0})` of the same ids"
        for name, credential in VARIANTS.items()
    },
}
# The processes whose CPU a bill run table shows, as `Meter` labels them.
CPU_LABELS = (("server", "server process"), ("database", "database"), ("bench", "bench"))


def summary(windows: list[Window]) -> dict[str, float | None]:
    """Medians over repetitions of every figure the tables show."""
    labels = sorted({label for w in windows for label in w.cpu_ms_per_request})
    figures: dict[str, float | None] = {
        "rate": median(w.rate for w in windows),
        "p50_ms": median(w.p50_ms for w in windows),
        "p99_ms": median(w.p99_ms for w in windows),
    }
    for label in labels:
        figures[f"cpu_ms_{label}"] = median(w.cpu_ms_per_request.get(label) for w in windows)
    return figures


def delivery_summary(deliveries: list[Delivery]) -> dict[str, float | None]:
    """Medians over repetitions of the delivery figures; the failures are summed."""
    figures: dict[str, float | None] = {
        "deliveries_per_s": median(d.rate for d in deliveries),
        "changes_per_s": median(d.change_rate for d in deliveries),
        "in_window_share": median(
            d.in_window / (d.changes * d.listeners) for d in deliveries if d.changes
        ),
        "p50_ms": median(d.p50_ms for d in deliveries),
        "p99_ms": median(d.p99_ms for d in deliveries),
        "stored_p50_ms": median(d.stored_p50_ms for d in deliveries),
        "stored_p99_ms": median(d.stored_p99_ms for d in deliveries),
        "drain_s": median(d.drain_s for d in deliveries),
    }
    for name in ("missing", "duplicates", "unexpected", "malformed"):
        figures[name] = sum(getattr(d, name) for d in deliveries)
    numbered = [d.out_of_order for d in deliveries if d.out_of_order is not None]
    figures["out_of_order"] = sum(numbered) if numbered else None
    return figures


def bill_run_summary(timings: list[BillRunTiming]) -> dict[str, float | None]:
    """Medians over repetitions of one side's bill runs."""
    figures: dict[str, float | None] = {
        "wall_s": median(t.wall_s for t in timings),
        "bills_per_s": median(t.rate for t in timings),
        "rates_per_s": median(t.rates_billed / t.wall_s for t in timings if t.wall_s),
        "cpu_ms_per_bill": median(
            sum(t.cpu_s.values()) * 1000 / t.bills for t in timings if t.bills
        ),
    }
    for label, _ in CPU_LABELS:
        figures[f"cpu_s_{label}"] = median(t.cpu_s.get(label) for t in timings)
    return figures


def auth_summary(run: AuthRun) -> dict[str, dict[str, float | None]]:
    """Medians of each auth side and the raw driver, and each side's ratios to the open server's
    (its CPU also as the milliseconds it adds per request)."""
    figures = {op.name: summary(op.server) for op in run.operations}
    figures["raw"] = summary(run.operations[0].raw) if run.operations else {}
    opened = figures.get(OPEN, {})
    for name, side in figures.items():
        if name == "raw":
            continue
        for key in ("rate", "p50_ms", "p99_ms", "cpu_ms_server"):
            side[f"{key}_vs_open"] = ratio(side.get(key), opened.get(key))
        cpu, open_cpu = side.get("cpu_ms_server"), opened.get("cpu_ms_server")
        side["cpu_ms_server_added"] = None if cpu is None or open_cpu is None else cpu - open_cpu
    return figures


def markdown(result: RunResult) -> str:
    lines = [
        f"# {_apis(result)}: server vs raw pymongo",
        "",
        " · ".join(_header(result)),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in result.machine.items()),
    ]
    lines += _window_tables(result)
    lines += _auth_tables(result)
    lines += _bill_run_tables(result)
    lines += _delivery_tables(result)
    lines += ["", "## What each operation does (server · raw driver)", ""]
    if _timed_bill_runs(result) is not None:
        lines.append(f"- **{BILL_RUN_OPERATION}**: {WHAT[BILL_RUN_OPERATION]}")
    lines += [f"- **{op.name}**: {WHAT[op.name]}" for op in result.operations]
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in result.notes]
    lines += [f"- {failure}" for failure in _failures(result.operations)]
    return "\n".join(lines) + "\n"


def _window_tables(result: RunResult) -> list[str]:
    """Throughput, latency and CPU per request of the operations timed in windows."""
    if not result.operations:
        return []
    p = result.params
    lines = [
        "",
        f"## Throughput and latency (medians of {p.repeat})",
        "",
        "| operation | server req/s | raw req/s | server/raw req/s | server p50 ms | raw p50 ms "
        "| server/raw p50 | server p99 ms | raw p99 ms | errors server/raw |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for op in result.operations:
        s, r = summary(op.server), summary(op.raw)
        lines.append(
            f"| {op.name} | {_n(s['rate'], 0)} | {_n(r['rate'], 0)} "
            f"| {_n(ratio(s['rate'], r['rate']), 2)} | {_n(s['p50_ms'], 2)} | {_n(r['p50_ms'], 2)} "
            f"| {_n(ratio(s['p50_ms'], r['p50_ms']), 1)}× | {_n(s['p99_ms'], 1)} "
            f"| {_n(r['p99_ms'], 1)} | {_errors(op.server)}/{_errors(op.raw)} |"
        )
    lines += [
        "",
        f"## CPU per request, ms (medians of {p.repeat})",
        "",
        "| operation | server process | database, server run | bench client, server run "
        "| database, raw run | bench driver, raw run |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for op in result.operations:
        s, r = summary(op.server), summary(op.raw)
        lines.append(
            f"| {op.name} | **{_n(s.get('cpu_ms_server'), 2)}** "
            f"| {_n(s.get('cpu_ms_database'), 2)} "
            f"| {_n(s.get('cpu_ms_bench'), 2)} | {_n(r.get('cpu_ms_database'), 2)} "
            f"| {_n(r.get('cpu_ms_bench'), 2)} |"
        )
    return lines + _memory_table(result)


def _memory_table(result: RunResult) -> list[str]:
    """The server's resident memory over each operation's windows."""
    measured = [op for op in result.operations if op.server_memory is not None]
    if not measured:
        return []
    lines = [
        "",
        "## Server resident memory, MB (its processes, over each operation's windows)",
        "",
        "| operation | at start | peak | at end | end - start |",
        "|---|--:|--:|--:|--:|",
    ]
    for op in measured:
        m = op.server_memory
        assert m is not None
        peak = _n(m.peak_mb, 1) if m.peak_of_operation else f"{_n(m.peak_mb, 1)} (since start)"
        lines.append(
            f"| {op.name} | {_n(m.start_mb, 1)} | {peak} | {_n(m.end_mb, 1)} "
            f"| {m.end_mb - m.start_mb:+.1f} |"
        )
    return lines


def _auth_tables(result: RunResult) -> list[str]:
    if result.auth is None or not result.auth.operations:
        return []
    figures = auth_summary(result.auth)
    lines = [
        "",
        f"## Authentication: the secured server against the open one (medians of "
        f"{result.params.repeat})",
        "",
        "| side | credential | req/s | p50 ms | p99 ms | server CPU ms per request "
        "| req/s ÷ open | p50 ÷ open | p99 ÷ open | server CPU ÷ open "
        "| server CPU − open, ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, credential in VARIANTS.items():
        f = figures[name]
        lines.append(
            f"| {name} | {credential} | {_n(f['rate'], 0)} | {_n(f['p50_ms'], 2)} "
            f"| {_n(f['p99_ms'], 1)} | **{_n(f.get('cpu_ms_server'), 3)}** "
            f"| {_n(f['rate_vs_open'], 3)} | {_n(f['p50_ms_vs_open'], 2)}× "
            f"| {_n(f['p99_ms_vs_open'], 2)}× | {_n(f['cpu_ms_server_vs_open'], 2)}× "
            f"| {_signed(f['cpu_ms_server_added'])} |"
        )
    r = figures["raw"]
    lines.append(
        f"| raw | pymongo `find_one` of the same ids | {_n(r.get('rate'), 0)} "
        f"| {_n(r.get('p50_ms'), 2)} | {_n(r.get('p99_ms'), 1)} | | | | | | |"
    )
    return lines


def _timed_bill_runs(result: RunResult) -> BillRunResult | None:
    """The bill runs bill_run timed (bill_list alone makes one untimed)."""
    if BILL_RUN_OPERATION not in result.params.operations:
        return None
    return result.bill_runs


def _bill_run_tables(result: RunResult) -> list[str]:
    runs = _timed_bill_runs(result)
    if runs is None:
        return []
    s, r = bill_run_summary(runs.server), bill_run_summary(runs.raw)
    lines = [
        "",
        f"## Bill runs: {runs.accounts:,} bills of {runs.rates:,} rates each run (medians of "
        f"{len(runs.server)})",
        "",
        "| bill_run | wall s | bills/s | rates billed/s | "
        + " | ".join(f"{name} CPU s" for _, name in CPU_LABELS)
        + " | CPU ms per bill, all processes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for side, figures in (("server: `POST /billRun` → done", s), ("raw pymongo", r)):
        lines.append(
            f"| {side} | {_n(figures['wall_s'], 2)} | {_n(figures['bills_per_s'], 0)} "
            f"| {_n(figures['rates_per_s'], 0)} | "
            + " | ".join(_n(figures[f"cpu_s_{label}"], 2) for label, _ in CPU_LABELS)
            + f" | {_n(figures['cpu_ms_per_bill'], 2)} |"
        )
    lines.append(
        f"| server/raw | {_n(ratio(s['wall_s'], r['wall_s']), 1)}× "
        f"| {_n(ratio(s['bills_per_s'], r['bills_per_s']), 3)} "
        f"| {_n(ratio(s['rates_per_s'], r['rates_per_s']), 3)} | | | "
        f"| {_n(ratio(s['cpu_ms_per_bill'], r['cpu_ms_per_bill']), 1)}× |"
    )
    used = [t.server_memory for t in runs.server if t.server_memory is not None]
    if used:
        start, peak = median(m.start_mb for m in used), median(m.peak_mb for m in used)
        since = "" if all(m.peak_of_operation for m in used) else " (since the server started)"
        lines += [
            "",
            f"Server resident memory over its runs, MB (medians): at start {_n(start, 1)}, "
            f"peak {_n(peak, 1)}{since}, at end {_n(median(m.end_mb for m in used), 1)}.",
        ]
    return lines


def as_json(result: RunResult) -> dict[str, Any]:
    operations = {
        op.name: {
            side: {
                "median": summary(windows),
                "windows": [_window(w) for w in windows],
                **_delivery_json(deliveries),
            }
            for side, windows, deliveries in (
                ("server", op.server, op.server_delivery),
                ("raw", op.raw, op.raw_delivery),
            )
        }
        | ({"server_memory_mb": asdict(op.server_memory)} if op.server_memory else {})
        for op in result.operations
    }
    params = asdict(result.params)
    # A URI may carry credentials; the header's database line says what was measured.
    params["mongo_uri"] = "(given)" if params["mongo_uri"] else ""
    document = {
        "params": params,
        "started": result.started,
        "machine": result.machine,
        "seed_s": result.seed_s,
        "final_documents": result.final_documents,
        "operations": operations,
        "catalog": None if result.catalog is None else asdict(result.catalog),
        "orders": None if result.orders is None else _orders(result),
        "final_orders": result.final_orders,
        "outbox_events": result.outbox_events,
        "bill_runs": _bill_runs_json(result.bill_runs),
        "auth": _auth_json(result.auth),
        "notes": result.notes,
    }
    cleaned: dict[str, Any] = _finite(document)
    return cleaned


def save(result: RunResult, directory: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Write `<timestamp>.md` and `<timestamp>.json`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    table = directory / f"{stamp}.md"
    numbers = directory / f"{stamp}.json"
    table.write_text(markdown(result), encoding="utf-8")
    numbers.write_text(json.dumps(as_json(result), indent=2) + "\n", encoding="utf-8")
    return table, numbers


def _apis(result: RunResult) -> str:
    names = {op.name for op in result.operations}
    customers = names & CUSTOMER_OPERATIONS or AUTH_OPERATION in result.params.operations
    apis = ["TMF629 Customer"] if customers else []
    apis += ["TMF620 Product Catalog"] if OFFERINGS_OPERATION in names else []
    apis += ["TMF622 Product Ordering"] if names & ORDER_OPERATIONS else []
    apis += ["TMF678 Customer Bill"] if BILLING_OPERATIONS & set(result.params.operations) else []
    return f"{' and '.join(apis)} API{'s' if len(apis) > 1 else ''}"


def _header(result: RunResult) -> list[str]:
    p = result.params
    customers = bool(SEEDED_CUSTOMER_OPERATIONS & set(p.operations))
    parts = [f"Run {result.started}"]
    if customers:
        parts.append(f"{p.customers:,} customers seeded in {result.seed_s:.1f} s")
    if result.catalog is not None:
        parts.append(
            f"{result.catalog.offerings:,} demo catalog offerings loaded through the API in "
            f"{result.catalog.load_s:.1f} s"
        )
    if result.orders is not None:
        parts.append(
            f"{result.orders.orders:,} orders placed through the API in "
            f"{result.orders.place_s:.1f} s"
        )
    if result.bill_runs is not None:
        parts.append(
            f"{result.bill_runs.rates:,} rates of {result.bill_runs.accounts:,} billing accounts "
            "seeded before each bill run"
        )
    parts += [
        f"{p.concurrency} client threads",
        f"{p.workers} server worker(s)",
        f"events in {p.event_partitions} partition(s)",
        f"{p.repeat} × {p.duration_s:g} s per operation and side, after {p.warmup_s:g} s warm-up",
        f"random seed {p.seed}",
    ]
    if customers:
        parts.append(f"{result.final_documents:,} customers at the end")
    if result.orders is not None:
        parts.append(f"{result.final_orders:,} orders at the end")
    return parts


def _bill_runs_json(runs: BillRunResult | None) -> dict[str, Any] | None:
    if runs is None:
        return None
    document = asdict(runs)
    for side, timings in (("server", runs.server), ("raw", runs.raw)):
        document[side] = {
            "median": bill_run_summary(timings),
            "runs": [{**asdict(t), "rate": t.rate} for t in timings],
        }
    return document


def _auth_json(run: AuthRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "channel_customers": run.channel_customers,
        "party": run.party,
        "open_settings": run.open_settings,
        "secured_settings": run.secured_settings,
        "median": auth_summary(run),
    }


def _orders(result: RunResult) -> dict[str, Any]:
    # The offerings drawn from are counted, not listed: they are the catalog's.
    assert result.orders is not None
    placed = asdict(result.orders)
    placed["offerings"] = len(result.orders.offerings)
    return placed


def _delivery_tables(result: RunResult) -> list[str]:
    measured = [op for op in result.operations if op.server_delivery or op.raw_delivery]
    if not measured:
        return []
    lines = [
        "",
        f"## Event delivery: change acknowledged → listener received (medians of "
        f"{result.params.repeat})",
        "",
        "| operation | listeners | server deliveries/s | raw deliveries/s "
        "| server/raw deliveries/s | server p50 ms | raw p50 ms | server/raw p50 | server p99 ms "
        "| raw p99 ms "
        "| not exactly once server/raw |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for op in measured:
        s, r = delivery_summary(op.server_delivery), delivery_summary(op.raw_delivery)
        listeners = op.server_delivery[0].listeners if op.server_delivery else 0
        lines.append(
            f"| {op.name} | {listeners} | {_n(s['deliveries_per_s'], 0)} "
            f"| {_n(r['deliveries_per_s'], 0)} "
            f"| {_n(ratio(s['deliveries_per_s'], r['deliveries_per_s']), 2)} "
            f"| {_n(s['p50_ms'], 1)} | {_n(r['p50_ms'], 2)} "
            f"| {_n(ratio(s['p50_ms'], r['p50_ms']), 1)}× | {_n(s['p99_ms'], 1)} "
            f"| {_n(r['p99_ms'], 1)} | {_not_once(s)}/{_not_once(r)} |"
        )
    lines += [
        "",
        "| operation | server changes/s | delivered within the window | server eventTime → "
        "received p50 / p99 ms | raw eventTime → received p50 / p99 ms | server's last delivery "
        "after the window, s | out of order |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for op in measured:
        s, r = delivery_summary(op.server_delivery), delivery_summary(op.raw_delivery)
        share = s["in_window_share"]
        lines.append(
            f"| {op.name} | {_n(s['changes_per_s'], 0)} "
            f"| {'n/a' if share is None else f'{share:.0%}'} "
            f"| {_n(s['stored_p50_ms'], 1)} / {_n(s['stored_p99_ms'], 1)} "
            f"| {_n(r['stored_p50_ms'], 1)} / {_n(r['stored_p99_ms'], 1)} "
            f"| {_n(s['drain_s'], 2)} | {_n(s['out_of_order'], 0)} |"
        )
    return lines


def _not_once(figures: dict[str, float | None]) -> int:
    """Deliveries missing or duplicated, summed over the windows."""
    return int((figures["missing"] or 0) + (figures["duplicates"] or 0))


def _delivery_json(deliveries: list[Delivery]) -> dict[str, Any]:
    if not deliveries:
        return {}
    windows = [
        {**asdict(d), "rate": d.rate, "change_rate": d.change_rate, "ok": d.ok} for d in deliveries
    ]
    return {"delivery": {"median": delivery_summary(deliveries), "windows": windows}}


def _window(window: Window) -> dict[str, Any]:
    return {**asdict(window), "rate": window.rate}


def _finite(value: Any) -> Any:
    # JSON has no NaN: a figure that could not be measured (no request) is null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _n(value: float | None, decimals: int) -> str:
    return "n/a" if value is None else f"{value:,.{decimals}f}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+,.3f}"


def _errors(windows: list[Window]) -> int:
    return sum(w.errors for w in windows)


def _failures(operations: list[OperationResult]) -> list[str]:
    return [failure for op in operations for failure in op.failures()]
