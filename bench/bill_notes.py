"""The notes under the tables for the billing operations: what they measure, how rates are made."""

from __future__ import annotations

from bench.bill_lists import PAGE_SIZE
from bench.bill_shape import BATCH
from bench.billing import BillRunResult
from bench.database import Target
from bench.params import BILL_LIST_OPERATION, BILL_RUN_OPERATION
from bench.rates import ACCOUNTS_PER_PARTY
from bench.stats import median
from tmf_apis.tmf678.bill_runs import PROGRESS_EVERY


def notes(
    database: Target, operations: tuple[str, ...], bill_runs: BillRunResult | None
) -> list[str]:
    if bill_runs is None:
        return []
    seeded = median(bill_runs.seed_s)
    # The first repetition finds the collections empty.
    emptied = median(bill_runs.clear_s[1:])
    emptying = (
        "" if emptied is None else f", after `delete_many` of bills and rates ({_s(emptied)})"
    )
    copies = "the server's collection" + (" and a raw copy" if bill_runs.raw else "")
    lines = [
        f"Billing: {bill_runs.accounts:,} billing accounts of {bill_runs.parties:,} business "
        f"customers ({ACCOUNTS_PER_PARTY} accounts each), {bill_runs.rates:,} rates: a one-time "
        "connection charge, a monthly fee (the head of its recurring chain) and the fee's "
        "discount as a credit, made by the server's charging code (tmf_apis/tmf678/charging.py "
        "`charge_item`, for a completed order item) and written straight into the database with "
        f"`insert_many` in the stored shape (`_rev: 1`, `_chain`, `_party`, `_next`), into "
        f"{copies}: {_s(seeded)} per repetition{emptying}. Seeding writes no events.",
    ]
    if BILL_RUN_OPERATION in operations:
        lines.append(
            "bill_run: `POST /billRun` over the day before the charges to the day after, timed "
            "from just before the POST to the run's `completionDate` (the server's stamp; bench "
            "polls `GET /billRun/{id}` meanwhile). The server raises the recurring rates due "
            "(none here: the next monthly periods begin after the period), groups the unbilled "
            "rates by account in memory, then, 200 accounts at a time, records the bills in "
            "flight (one `insert_many`), marks their rates billed with their bill (one "
            "`bulk_write` of `UpdateMany`), reads them (one `find`), stores the bills, each "
            "holding its CustomerBill Create event's envelope (`insert_many`), copies the events "
            "to the outbox (one ordered `insert_many`, one `update_one` of the counter) and lets "
            "the record go (`delete_many`): seven round trips per 200 accounts, no write to a "
            f"bill once stored; and every {PROGRESS_EVERY} bills it writes its progress "
            "on the run. The raw run (bench/bill_shape.py) is one `find` "
            "of the unbilled rates sorted on the account index, the same bill documents "
            "(the server's own `bill_document`), then per "
            f"{BATCH} bills one `insert_many` and one `bulk_write` of `UpdateMany` by rate ids; "
            "no record in flight (two runs at once would bill twice), no events. A few "
            "accounts' bills are compared: the server's, read through the API, equal the raw "
            "side's but for ids, numbers and dates. CPU is each process's over the run, in "
            "seconds and per bill."
        )
    if BILL_LIST_OPERATION in operations:
        lines.append(
            "bill_list: `GET /customerBill?billingAccount.id=<account>` without `limit` (one "
            "bill; the server's largest page bounds it, so the store does not count) · "
            "`find(...).sort(_id).limit(1000)`. bill_list_paged: `GET /customerBill?"
            f"relatedParty.id=<customer>&limit={PAGE_SIZE}&offset=<random>`, the offset drawn so "
            f"that the page is full ({ACCOUNTS_PER_PARTY} bills per customer), so the store also "
            f"counts · `find(...).sort(_id).skip(offset).limit({PAGE_SIZE})` + `count_documents`."
        )
        if BILL_RUN_OPERATION not in operations and bill_runs.server:
            lines.append(
                f"The bills listed were made by one bill run through the API, untimed as "
                f"bill_run, in {bill_runs.server[0].wall_s:.1f} s."
            )
    if database.secantus and BILL_RUN_OPERATION in operations:
        lines.append(
            "On SecantusDB every write of a rate costs the database process a millisecond or two "
            "(each of the rates' indexes is kept; an `update_many` of an account's three rates "
            "took 4-6 ms at 30,000 rates), so both sides are bound by the database: the server "
            "writes each rate and each bill once, and the bills' events; the "
            "raw side writes each rate and bill once, in batches, no event. Measure a "
            "real MongoDB with `--mongo-uri` before drawing conclusions about bill runs."
        )
    return lines


def _s(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.1f} s"
