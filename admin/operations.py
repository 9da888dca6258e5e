"""`bill-run`, `bill-runs` and `demo`: work a running server does, asked for through its APIs as
any client would (events, rules and scoping all apply), as the operator (admin/connection.py).
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from admin.connection import operator_headers, server_url
from settings import Settings
from tmf_apis.tmf620 import demo as catalog_demo
from tmf_apis.tmf678 import demo as billing_demo
from tmf_apis.tmf678.demo import BILLING, JsonClient, Refused

REFUSED = 2
POLL_SECONDS = 1.0
# How often a running bill run's progress is printed.
REPORT_SECONDS = 5.0
RUNNING = ("acknowledged", "inProgress")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser("bill-run", help="start a bill run and follow it to its end")
    run.add_argument("--cycle", help="bill the accounts of this billing cycle specification")
    run.add_argument("--start", help="period start (ISO 8601; default: this month's first day)")
    run.add_argument("--end", help="period end (ISO 8601; default: next month's first day)")
    run.add_argument("--account", help="bill this billing account (and those billed to it)")
    run.add_argument("--no-wait", action="store_true", help="start it and return")
    run.set_defaults(run=bill_run, purpose="bill run")
    runs = commands.add_parser("bill-runs", help="the latest bill runs and their states")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(run=bill_runs, purpose="bill runs")
    demo = commands.add_parser(
        "demo", help="catalog, customers, orders, fulfilment, bills and payments"
    )
    demo.add_argument("--customers", type=int, default=20, help="customers, one order each")
    demo.add_argument("--offerings", type=int, default=catalog_demo.DEFAULT_OFFERINGS)
    demo.add_argument("--seed", type=int, default=1, help="random seed")
    demo.set_defaults(run=demo_data, purpose="demo")
    for command in (run, runs, demo):
        command.add_argument("--url", help="the server (default: TMF_HOST and TMF_PORT)")


@contextmanager
def _client(args: argparse.Namespace, settings: Settings) -> Iterator[tuple[JsonClient, str]]:
    url = server_url(settings, args.url)
    with operator_headers(settings, url, args.purpose) as headers:
        client = JsonClient(url, headers)
        try:
            yield client, url
        finally:
            client.close()


def _refusals(work: Callable[[], int], url: str | None) -> int:
    """Run `work`; a refusal or an unreachable server is one line and exit code 2."""
    try:
        return work()
    except (Refused, catalog_demo.Refused) as refused:
        print(f"refused: {refused}", file=sys.stderr)
    except (OSError, http.client.HTTPException) as error:
        print(f"cannot reach the server {url or ''}: {error}", file=sys.stderr)
    return REFUSED


def bill_run(args: argparse.Namespace, settings: Settings) -> int:
    def work() -> int:
        with _client(args, settings) as (client, _):
            run = client.call("POST", f"{BILLING}/billRun", _bill_run_body(args), 201)
            print(f"bill run {run['id']}: {run.get('state')}, period {_period(run)}")
            if args.no_wait:
                return 0
            run = _follow(client, run)
            print(_shown(run))
            return 0 if run.get("state") == "done" else REFUSED

    return _refusals(work, args.url)


def _bill_run_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.cycle:
        body["billingCycleSpecification"] = {"id": args.cycle}
    if args.start or args.end or not args.cycle:
        first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = (first + timedelta(days=32)).replace(day=1)
        body["billingPeriod"] = {
            "startDateTime": args.start or first.isoformat(),
            "endDateTime": args.end or following.isoformat(),
        }
    if args.account:
        body["billingAccount"] = {"id": args.account}
    return body


def _follow(client: JsonClient, run: dict[str, Any]) -> dict[str, Any]:
    """Poll the run until it ends, printing its progress every few seconds."""
    reported = time.monotonic()
    while run.get("state") in RUNNING:
        time.sleep(POLL_SECONDS)
        run = client.call("GET", f"{BILLING}/billRun/{run['id']}")
        if time.monotonic() - reported >= REPORT_SECONDS:
            reported = time.monotonic()
            print(f"  {run.get('state')}: {run.get('billCount') or 0} bills so far", flush=True)
    return run


def bill_runs(args: argparse.Namespace, settings: Settings) -> int:
    def work() -> int:
        with _client(args, settings) as (client, _):
            query = urlencode({"sort": "-billDate", "limit": args.limit})
            for run in client.call("GET", f"{BILLING}/billRun?{query}", expect={200, 206}):
                print(_shown(run))
        return 0

    return _refusals(work, args.url)


def _period(run: dict[str, Any]) -> str:
    period = run.get("billingPeriod") or {}
    return f"{period.get('startDateTime')} to {period.get('endDateTime')}"


def _shown(run: dict[str, Any]) -> str:
    cycle = (run.get("billingCycleSpecification") or {}).get("name")
    facts = [
        f"bill run {run['id']}",
        str(run.get("state")),
        f"billed {run.get('billDate')}",
        f"period {_period(run)}",
        *([f"cycle {cycle}"] if cycle else []),
        f"{run.get('billCount') or 0} bills of {run.get('ratesBilled') or 0} rates",
        *([str(run["errorMessage"])] if run.get("errorMessage") else []),
    ]
    return "  ".join(facts)


def demo_data(args: argparse.Namespace, settings: Settings) -> int:
    def work() -> int:
        url = server_url(settings, args.url)
        with operator_headers(settings, url, args.purpose) as headers:
            result = billing_demo.load(
                url,
                args.customers,
                args.seed,
                headers=headers,
                progress=_say,
                offerings=args.offerings,
            )
        print(result.summary())
        return 0

    return _refusals(work, args.url)


def _say(line: str) -> None:
    print(f"demo: {line}", file=sys.stderr, flush=True)
