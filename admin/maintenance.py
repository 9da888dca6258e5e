"""`migrate` and `backfill-products`: bringing an existing database to this version.

Every step is resumable: stopped anywhere, it is run again from the start and does only what is
left. A server also runs `migrate`'s steps when it starts; the command lets an operator run them
before rolling new server processes out, and see what they did.
"""

from __future__ import annotations

import argparse

from admin.connection import database
from settings import Settings
from tmf_apis.tmf637 import backfill
from tmf_apis.tmf637.registry import PRODUCT


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "migrate", help="indexes and stored shapes of this version (resumable)"
    ).set_defaults(run=migrate)
    products = commands.add_parser(
        "backfill-products", help="products of orders completed before the inventory (TMF637)"
    )
    products.add_argument(
        "--dry-run", action="store_true", help="count the products it would create, write nothing"
    )
    products.set_defaults(run=backfill_products)


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as opened:
        print("server records: indexes of subscriptions, dead letters, clients, idempotency keys")
        opened.ensure_server_indexes()
        moved = opened.prepare_events()
        print(
            f"events: {opened.outbox.partitions} partition(s); "
            f"{moved} subscription(s) from before partitions given a position in each"
        )
    print("migrate: done")
    return 0


def backfill_products(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as opened:
        opened.ensure_indexes(PRODUCT.collection, PRODUCT.indexes)
        print(backfill.backfill(opened, args.dry_run).summary())
    return 0
