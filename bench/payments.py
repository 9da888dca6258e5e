"""`python -m bench.payments`: what applying a payment (TMF676) and billing one cycle cost.

    python -m bench.payments [--accounts 100] [--requests 150] [--rounds 3]
                             [--cycle-accounts 2000] [--mongo-uri URI]

One server (every API) on one database. Measured:
- `pay a bill`: `POST /payment` naming one open bill of a TMF666 billing account with part of
  what it owes. The server checks the account and the bill, stores the payment with its pending
  step, takes the amount off the bill (recording the payment on it, moving its state), and works
  the account's balances out again. Against a minimal hand-written service doing that job on the
  same database: `find_one` of the account and of the bill, `insert_one` of the payment, an
  `update_one` of the bill guarded by its revision, an `update_one` of the account's balance.
- `pay the account`: the same without naming a bill: the server spreads it over the account's
  open bills, oldest first (the raw side reads them sorted and pays the first).
  Each account holds BILLS_PER_ACCOUNT bills copied from one the order flow made (156.00 each),
  paid 1.00 at a time: no bill is settled during a run.
- `bill run by cycle`: `POST /billRun` naming a billing cycle specification, over the rates of
  `--cycle-accounts` accounts of which half follow that cycle, timed until the run is `done`,
  against the hand-written bill run of bench/bill_shape.py over an identical copy of the rates
  (with the server's indexes), given the cycle's accounts (one `find` of them first).
Each round measures each row, server then raw side or the other way round by round. Reported:
median latency (the bill run: its wall time and bills per second), the CPU per request of the
server's process tree or of this process for the raw side, and the ratio.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, MongoClient
from pymongo.database import Database

from bench import rates
from bench.bill_shape import RawBilling
from bench.billing import copy_indexes
from bench.database import target
from bench.inventory import call, launched_plan
from bench.params import Params
from bench.server import ServerProcess
from bench.worst import timed
from persistence import dates
from persistence.store import REVISION
from settings import Settings
from tmf_apis.tmf622.registry import API as ORDERING_API
from tmf_apis.tmf629.registry import API as CUSTOMER_API
from tmf_apis.tmf666.registry import API as ACCOUNT_API
from tmf_apis.tmf666.registry import BILLING_ACCOUNT, BILLING_CYCLE_SPECIFICATION
from tmf_apis.tmf676.registry import API as PAYMENT_API
from tmf_apis.tmf678.options import BillingOptions
from tmf_apis.tmf678.registry import API as BILLING_API
from tmf_apis.tmf678.registry import APPLIED_CUSTOMER_BILLING_RATE, CUSTOMER_BILL

CUSTOMERS = CUSTOMER_API.base_path
ORDERS = ORDERING_API.base_path
BILLING = BILLING_API.base_path
ACCOUNTS = ACCOUNT_API.base_path
PAYMENTS = PAYMENT_API.base_path
BILLS_PER_ACCOUNT = 10
PAID = 1.0
METHOD = {"id": "bench-card", "name": "Bench card", "@referredType": "PaymentMethod"}
CYCLE, OTHER_CYCLE = "bench-cycle", "bench-other-cycle"
RAW_RATES = "bench_raw_cycle_rates"
RAW_BILLS = "bench_raw_cycle_bills"
RAW_CYCLES = "bench_raw_cycle_cycles"
RAW_PAYMENTS = "bench_raw_payments"
RUN_TIMEOUT_S = 1800.0
Row = tuple[float, float]  # median ms, CPU ms per request
Document = dict[str, Any]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payments", description=__doc__)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cycle-accounts", type=int, default=2000)
    parser.add_argument("--mongo-uri", default="")
    args = parser.parse_args(argv)
    rng = random.Random(676)
    results: dict[str, list[Row]] = {}
    runs: dict[str, list[tuple[float, float, int]]] = {}
    with target(Params(mongo_uri=args.mongo_uri)) as database, ServerProcess(database, 1) as server:
        client: MongoClient[Document] = MongoClient(database.uri)
        db = client[database.name]
        connection = http.client.HTTPConnection(server.host, server.port, timeout=120)
        accounts = _seed_bills(connection, db, args.accounts)
        for round_ in range(args.rounds):
            sides = ("server", "raw") if round_ % 2 == 0 else ("raw", "server")
            for side in sides:
                for row, named in (("pay a bill", True), ("pay the account", False)):
                    if side == "server":
                        send = _server_payment(connection, db, accounts, rng, named)
                        measured = timed(send, args.requests, server.cpu_seconds)
                    else:
                        send = _raw_payment(db, accounts, rng, named)
                        measured = timed(send, args.requests, time.process_time)
                    results.setdefault(f"{row} {side}", []).append(measured)
            for side in sides:
                runs.setdefault(side, []).append(
                    _cycle_run(connection, db, server, args.cycle_accounts, side, round_)
                )
        connection.close()
        client.close()
    _print(results, runs, args)
    return 0


# ---------------------------------------------------------------------------- payments


def _seed_bills(
    connection: http.client.HTTPConnection, db: Database[Document], count: int
) -> list[str]:
    """`count` billing accounts (through the API) with BILLS_PER_ACCOUNT open bills each,
    copies of the bill a real order and bill run made."""
    template = _template_bill(connection)
    bills = db[CUSTOMER_BILL.collection]
    accounts = []
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(count):
        buyer = call(
            connection,
            "POST",
            f"{CUSTOMERS}/customer",
            {
                "name": f"Payer {number}",
                "engagedParty": {"id": f"payer-{number}", "@referredType": "Individual"},
            },
        )
        account = call(connection, "POST", f"{ACCOUNTS}/billingAccount", _account_body(buyer))
        accounts.append(account["id"])
        copies = []
        for month in range(BILLS_PER_ACCOUNT):
            bill = copy.deepcopy(template)
            dated = dates.format_datetime(base.replace(month=month % 12 + 1))
            bill.update(
                id=str(uuid.uuid4()),
                billNo=f"B{number:05d}{month:02d}",
                billDate=dated,
                state="sent",
                billingAccount={"id": account["id"], "@referredType": "BillingAccount"},
            )
            bill[REVISION] = 1
            copies.append(bill)
        bills.insert_many(copies)
    return accounts


def _account_body(buyer: Document) -> Document:
    return {
        "name": f"Account of {buyer['name']}",
        "relatedParty": [
            {
                "id": buyer["id"],
                "name": buyer["name"],
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
    }


def _template_bill(connection: http.client.HTTPConnection) -> Document:
    """A bill of the real flow: an offering, a customer and its account, an order completed, a
    bill run over its account; returned as stored (no internals), to copy."""
    offering = launched_plan(connection)
    buyer = call(
        connection,
        "POST",
        f"{CUSTOMERS}/customer",
        {"name": "Template", "engagedParty": {"id": "t", "@referredType": "Individual"}},
    )
    account = call(connection, "POST", f"{ACCOUNTS}/billingAccount", _account_body(buyer))
    party = [{"id": buyer["id"], "role": "Customer", "@referredType": "Customer"}]
    line = {"action": "add", "productOffering": {"id": offering["id"], "name": offering["name"]}}
    body = {
        "relatedParty": party,
        "billingAccount": {"id": account["id"]},
        "productOrderItem": [{**line, "id": "1"}, {**line, "id": "2"}],
    }
    order = call(connection, "POST", f"{ORDERS}/productOrder", body)
    order = call(connection, "GET", f"{ORDERS}/productOrder/{order['id']}")
    items = [{**i, "state": "completed"} for i in order["productOrderItem"]]
    call(connection, "PATCH", f"{ORDERS}/productOrder/{order['id']}", {"productOrderItem": items})
    now = datetime.now(UTC)
    period = {
        "startDateTime": dates.format_datetime(now.replace(day=1, hour=0, minute=0, second=0)),
        "endDateTime": dates.format_datetime(now.replace(year=now.year + 1, day=1)),
    }
    run = call(
        connection,
        "POST",
        f"{BILLING}/billRun",
        {"billingPeriod": period, "billingAccount": {"id": account["id"]}},
    )
    _wait(connection, run["id"])
    [bill] = call(connection, "GET", f"{BILLING}/customerBill?billingAccount.id={account['id']}")
    bill.pop("href", None)
    return dict(bill)


def _server_payment(
    connection: http.client.HTTPConnection,
    db: Database[Document],
    accounts: list[str],
    rng: random.Random,
    named: bool,
) -> Callable[[], object]:
    bills = db[CUSTOMER_BILL.collection]

    def send() -> object:
        account = rng.choice(accounts)
        body: Document = {
            "account": {"id": account},
            "paymentMethod": METHOD,
            "totalAmount": {"unit": "EUR", "value": PAID},
        }
        if named:
            bill = bills.find_one({"billingAccount.id": account, "state": {"$ne": "settled"}})
            if bill is None:
                raise RuntimeError(f"account {account} has no open bill left")
            body["paymentItem"] = [
                {"item": {"id": bill["id"]}, "totalAmount": {"unit": "EUR", "value": PAID}}
            ]
        payment = call(connection, "POST", f"{PAYMENTS}/payment", body)
        if not payment.get("paymentItem"):
            raise RuntimeError(f"payment {payment.get('id')} paid no bill")
        return payment

    return send


def _raw_payment(
    db: Database[Document], accounts: list[str], rng: random.Random, named: bool
) -> Callable[[], object]:
    """A minimal service's payment: the account and the bill read, the payment stored, the
    bill paid under its revision, the account's balance moved."""
    bills = db[CUSTOMER_BILL.collection]
    payments = db[RAW_PAYMENTS]
    held = db[BILLING_ACCOUNT.collection]

    def send() -> object:
        account_id = rng.choice(accounts)
        account = held.find_one({"id": account_id}, {"_id": 0, "state": 1})
        if account is None:
            raise RuntimeError(f"no account {account_id}")
        where = {"billingAccount.id": account_id, "state": {"$ne": "settled"}}
        if named:
            chosen = bills.find_one(where, {"_id": 0})
        else:
            chosen = next(iter(bills.find(where, {"_id": 0}).sort("billDate", ASCENDING).limit(1)))
        if chosen is None:
            raise RuntimeError(f"account {account_id} has no open bill left")
        payment_id = str(uuid.uuid4())
        payments.insert_one(
            {
                "id": payment_id,
                "account": {"id": account_id},
                "paymentMethod": METHOD,
                "totalAmount": {"unit": "EUR", "value": PAID},
                "paymentItem": [{"item": {"id": chosen["id"]}, "totalAmount": PAID}],
                REVISION: 1,
            }
        )
        left = round(float(chosen["remainingAmount"]["value"]) - PAID, 2)
        paid = bills.update_one(
            {"id": chosen["id"], REVISION: chosen[REVISION]},
            {
                "$set": {
                    "remainingAmount.value": left,
                    "state": "partiallyPaid" if left > 0 else "settled",
                },
                "$push": {
                    "appliedPayment": {
                        "appliedAmount": {"unit": "EUR", "value": PAID},
                        "payment": {"id": payment_id},
                    }
                },
                "$inc": {REVISION: 1},
            },
        )
        if paid.modified_count != 1:
            raise RuntimeError("the raw side lost a race it cannot lose (one client)")
        held.update_one({"id": account_id}, {"$inc": {"_benchPaid": PAID}})
        return payment_id

    return send


# ---------------------------------------------------------------------------- bill run by cycle


def _cycle_run(
    connection: http.client.HTTPConnection,
    db: Database[Document],
    server: ServerProcess,
    count: int,
    side: str,
    round_: int,
) -> tuple[float, float, int]:
    """Seed the rates of `count` accounts (half on CYCLE) and bill CYCLE; (wall s, CPU s,
    bills)."""
    rate_store = db[RAW_RATES if side == "raw" else APPLIED_CUSTOMER_BILLING_RATE.collection]
    bill_store = db[RAW_BILLS if side == "raw" else CUSTOMER_BILL.collection]
    if side == "raw":  # the raw side's copies have the server's indexes
        copy_indexes(db[APPLIED_CUSTOMER_BILLING_RATE.collection], rate_store)
        copy_indexes(db[CUSTOMER_BILL.collection], bill_store)
    rate_store.delete_many({})
    bill_store.delete_many({"billingAccount.id": {"$regex": "^ba-"}})
    charged = dates.now()
    rates.seed([rate_store], count, round_, charged)
    _seed_cycle_accounts(db, count)
    start, end = rates.period(charged)
    if side == "raw":
        before = time.process_time()
        begun = time.perf_counter()
        ours = [
            a["id"]
            for a in db[BILLING_ACCOUNT.collection].find(
                {"billStructure.cycleSpecification.id": CYCLE}, {"_id": 0, "id": 1}
            )
        ]
        options = BillingOptions.from_settings(Settings())
        raw = RawBilling(rate_store, bill_store, options, db[RAW_CYCLES])
        outcome = raw.run(start, end, dates.now(), accounts=ours)
        return time.perf_counter() - begun, time.process_time() - before, outcome.bills
    cpu_before = server.cpu_seconds()
    posted = datetime.now(UTC)
    begun = time.perf_counter()
    run = call(
        connection,
        "POST",
        f"{BILLING}/billRun",
        {
            "billingPeriod": {"startDateTime": start, "endDateTime": end},
            "billingCycleSpecification": {"id": CYCLE},
        },
    )
    done = _wait(connection, run["id"])
    waited = time.perf_counter() - begun
    completed = (dates.parse(done["completionDate"]) - posted).total_seconds()
    wall = completed if 0 < completed <= waited else waited
    if done.get("billCount") != count // 2:
        raise RuntimeError(f"the cycle's run made {done.get('billCount')} bills, not {count // 2}")
    return wall, server.cpu_seconds() - cpu_before, int(done["billCount"])


def _seed_cycle_accounts(db: Database[Document], count: int) -> None:
    """The TMF666 accounts of the seeded rates (stored shape), every other one on CYCLE, and
    the two cycle specifications; kept from round to round."""
    cycles = db[BILLING_CYCLE_SPECIFICATION.collection]
    for cycle in (CYCLE, OTHER_CYCLE):
        cycles.update_one(
            {"id": cycle},
            {
                "$setOnInsert": {
                    "id": cycle,
                    "name": cycle,
                    "frequency": "monthly",
                    "billingDateShift": 0,
                    "paymentDueDateOffset": 14,
                    "@type": "BillingCycleSpecification",
                    REVISION: 1,
                }
            },
            upsert=True,
        )
    held = db[BILLING_ACCOUNT.collection]
    if held.count_documents({"id": {"$regex": "^ba-"}}) >= count:
        return
    documents = [
        {
            "id": rates.account_id(number),
            "name": f"Bench account {number}",
            "state": "Active",
            "@type": "BillingAccount",
            "accountBalance": [],
            "relatedParty": [
                {
                    "id": rates.party_id(number // rates.ACCOUNTS_PER_PARTY),
                    "name": "Bench customer",
                    "role": "customer",
                    "@referredType": "Customer",
                }
            ],
            "billStructure": {
                "cycleSpecification": {"id": CYCLE if number % 2 == 0 else OTHER_CYCLE}
            },
            REVISION: 1,
        }
        for number in range(count)
    ]
    held.insert_many(documents)


def _wait(connection: http.client.HTTPConnection, run_id: str) -> Document:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        time.sleep(0.1)
        run: Document = call(connection, "GET", f"{BILLING}/billRun/{run_id}")
        if run.get("state") == "done":
            return run
        if run.get("state") not in ("acknowledged", "inProgress") or time.monotonic() > deadline:
            raise RuntimeError(f"bill run {run_id} ended {run.get('state')}: {run}")


# ---------------------------------------------------------------------------- report


def _print(
    results: dict[str, list[Row]], runs: dict[str, list[tuple[float, float, int]]], args: Any
) -> None:
    def median(name: str, index: int) -> float:
        return statistics.median(row[index] for row in results[name])

    out = sys.stdout
    out.write(
        f"{args.accounts} accounts of {BILLS_PER_ACCOUNT} open bills, {args.requests} payments "
        f"per row and round, {args.rounds} rounds, one at a time (medians over rounds); bill run "
        f"by cycle over {args.cycle_accounts} accounts, half of them on the cycle.\n\n"
        "| request | server p50 ms | server CPU ms/req | raw p50 ms | raw CPU ms/req | "
        "raw/server p50 |\n|---|--:|--:|--:|--:|--:|\n"
    )
    for row in ("pay a bill", "pay the account"):
        server, raw = f"{row} server", f"{row} raw"
        out.write(
            f"| {row} | {median(server, 0):.2f} | {median(server, 1):.2f} | "
            f"{median(raw, 0):.2f} | {median(raw, 1):.2f} | "
            f"{median(raw, 0) / median(server, 0):.2f} |\n"
        )
    server_s = statistics.median(r[0] for r in runs["server"])
    raw_s = statistics.median(r[0] for r in runs["raw"])
    bills = runs["server"][0][2]
    server_cpu = statistics.median(r[1] for r in runs["server"]) * 1000 / bills
    raw_cpu = statistics.median(r[1] for r in runs["raw"]) * 1000 / bills
    out.write(
        f"| bill run by cycle ({bills} bills) | {server_s:.2f} s ({bills / server_s:.0f} bills/s) "
        f"| {server_cpu:.2f} per bill | {raw_s:.2f} s ({bills / raw_s:.0f} bills/s) | "
        f"{raw_cpu:.2f} per bill | {raw_s / server_s:.2f} |\n"
    )


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
