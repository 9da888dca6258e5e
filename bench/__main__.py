"""`python -m bench`: run the benchmark, print the Markdown table, save it with the raw numbers."""

from __future__ import annotations

import argparse
import logging
import sys

from bench import report
from bench.database import DatabaseError
from bench.params import DEFAULT_OPERATIONS, OPERATIONS, Params
from bench.run import run
from bench.seed import SeedError
from bench.server import ServerError
from tmf_apis.tmf620.demo import MIN_OFFERINGS

log = logging.getLogger("bench")


def parse(argv: list[str] | None = None) -> Params:
    defaults = Params()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="TMF629 Customer API, TMF620 offering lists, TMF622 product orders, TMF678 "
        "bill runs and bill lists, hub event delivery, and what authentication costs a request, "
        "served by `python app.py` against raw pymongo, same database, same run.",
    )
    parser.add_argument(
        "--customers", type=int, default=defaults.customers, help="seeded customers"
    )
    parser.add_argument(
        "--offerings",
        type=int,
        default=defaults.offerings,
        help="offerings of the demo catalog loaded through the API for the offerings and order "
        "operations",
    )
    parser.add_argument(
        "--order-customers",
        type=int,
        default=defaults.order_customers,
        help="customers with orders placed through the API for the order operations (half with "
        "full pages)",
    )
    parser.add_argument(
        "--bill-accounts",
        type=int,
        default=defaults.bill_accounts,
        help="billing accounts whose rates (three each) the bill_run and bill_list operations bill",
    )
    parser.add_argument("--workers", type=int, default=defaults.workers, help="server processes")
    parser.add_argument(
        "--event-partitions",
        type=int,
        default=defaults.event_partitions,
        help="partitions the server numbers its events in (1: one sequence every write waits for)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="client threads"
    )
    parser.add_argument(
        "--duration", type=float, default=defaults.duration_s, help="seconds per timed window"
    )
    parser.add_argument("--warmup", type=float, default=defaults.warmup_s, help="warm-up seconds")
    parser.add_argument(
        "--repeat", type=int, default=defaults.repeat, help="timed windows per operation and side"
    )
    parser.add_argument(
        "--mongo-uri",
        default="",
        help="measure this MongoDB instead of an embedded SecantusDB (bench fills and then drops "
        "its own database there)",
    )
    parser.add_argument(
        "--database", default="", help='database name (default "tmf"; "tmf_bench" with a URI)'
    )
    parser.add_argument(
        "--operations",
        default=",".join(DEFAULT_OPERATIONS),
        help=f"comma-separated subset of {','.join(OPERATIONS)} (default: all but events, "
        "bill_run, bill_list and auth)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    parser.add_argument(
        "--profile",
        default="",
        metavar="DIR",
        help="record where the server's and the database's CPU goes (py-spy) in each operation's "
        "first windows, into DIR with a summary.md (the run's rates are then not the figures)",
    )
    args = parser.parse_args(argv)
    chosen = tuple(name.strip() for name in args.operations.split(",") if name.strip())
    unknown = [name for name in chosen if name not in OPERATIONS]
    if unknown or not chosen:
        parser.error(f"--operations takes names from {', '.join(OPERATIONS)}")
    counts = (
        args.customers,
        args.order_customers,
        args.bill_accounts,
        args.workers,
        args.concurrency,
        args.repeat,
    )
    if min(counts) < 1 or args.duration <= 0:
        parser.error(
            "--customers, --order-customers, --bill-accounts, --workers, --concurrency, --repeat "
            "and --duration must be > 0"
        )
    if args.offerings < MIN_OFFERINGS:
        parser.error(f"--offerings must be at least {MIN_OFFERINGS}")
    return Params(
        customers=args.customers,
        offerings=args.offerings,
        order_customers=args.order_customers,
        bill_accounts=args.bill_accounts,
        workers=args.workers,
        event_partitions=args.event_partitions,
        concurrency=args.concurrency,
        duration_s=args.duration,
        warmup_s=max(0.0, args.warmup),
        repeat=args.repeat,
        mongo_uri=args.mongo_uri,
        database=args.database,
        # Always in the canonical order: creates last.
        operations=tuple(name for name in OPERATIONS if name in chosen),
        seed=args.seed,
        profile_dir=args.profile,
    )


def main(argv: list[str] | None = None) -> int:
    params = parse(argv)
    # Progress goes to stderr so that stdout is the Markdown table alone.
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s", stream=sys.stderr)
    try:
        result = run(params, progress=log.info)
    except (DatabaseError, ServerError, SeedError) as error:
        log.error("%s", error)
        return 2
    print(report.markdown(result), end="")
    table, numbers = report.save(result)
    log.info("saved %s and %s", table, numbers)
    # A failed request, or an event not delivered exactly once and in order, fails the run.
    failed = any(op.failures() for op in result.operations)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
