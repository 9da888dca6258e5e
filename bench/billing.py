"""The bill_run operation (TMF678): one bill run through the API, from `POST /billRun` to `done`,
against a hand-written pymongo bill run (bench/bill_shape.py) over an identical copy of the rates.

Before each repetition both copies are emptied and seeded again (bench/rates.py), so that every
run bills the same unbilled rates: the server's in its own collections, the raw side's in
collections of its own (RAW_RATES, RAW_BILLS) with the same indexes, in the same database. A run
is timed from just before the POST to the `completionDate` the server stamps when it marks the
run `done` (bench polls `GET /billRun/{id}` meanwhile), the raw one around its call; the CPU of
each process is metered over the same span. Before the first raw run's figures count, a few
accounts' bills and rates are compared: the server's, read through the API, and the raw side's.
Any difference, or a run that fails or bills other counts, stops the run (BillRunError).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pymongo.collection import Collection
from pymongo.database import Database

from bench import memory, rates
from bench.api import HttpClient
from bench.bill_shape import RawBilling
from bench.load import Meter
from bench.memory import Memory
from bench.params import Params
from bench.seed import SeedError
from bench.server import ServerProcess
from persistence import dates
from persistence.store import REVISION
from settings import Settings
from tmf_apis.tmf678.bill_runs import ACKNOWLEDGED, DONE, IN_PROGRESS
from tmf_apis.tmf678.options import BillingOptions
from tmf_apis.tmf678.registry import API, APPLIED_CUSTOMER_BILLING_RATE, BILL_RUN, CUSTOMER_BILL

Document = dict[str, Any]
Progress = Callable[[str], None]

BILL_RUNS = f"{API.base_path}/{BILL_RUN.path}"
BILLS = f"{API.base_path}/{CUSTOMER_BILL.path}"
RATES = f"{API.base_path}/{APPLIED_CUSTOMER_BILLING_RATE.path}"
RAW_RATES = f"bench_raw_{APPLIED_CUSTOMER_BILLING_RATE.collection}"
RAW_BILLS = f"bench_raw_{CUSTOMER_BILL.collection}"
RAW_CYCLES = "bench_raw_bill_cycle"
# Polling the run costs the server a GET each time; the run's own completionDate is the figure.
POLL_S = 0.2
PROGRESS_EVERY_S = 30.0
RUN_TIMEOUT_S = 4 * 3600.0
CHECKED_ACCOUNTS = 3
# What differs between the server's bill and the raw side's for the same rates.
# Each side's own: ids, numbers, and what derives from its bill date (the bill cycle's id too).
_OWN = (
    "id",
    "href",
    "billNo",
    "billDate",
    "lastUpdate",
    "paymentDueDate",
    "billDocument",
    "billCycle",
)


class BillRunError(SeedError):
    """A bill run failed, billed other counts than seeded, or the two sides' bills differ."""


@dataclass(frozen=True)
class BillRunTiming:
    """One timed bill run."""

    wall_s: float
    bills: int
    rates_billed: int
    rates_raised: int
    # CPU seconds of each metered process ("server", "database", "bench") over the run.
    cpu_s: dict[str, float]
    # The server's resident memory over its run (None for the raw side's).
    server_memory: Memory | None = None

    @property
    def rate(self) -> float:
        return self.bills / self.wall_s if self.wall_s else 0.0


@dataclass
class BillRunResult:
    accounts: int
    parties: int
    # Rates in each copy.
    rates: int
    # Seconds to empty and to seed both copies, per repetition.
    clear_s: list[float] = field(default_factory=list)
    seed_s: list[float] = field(default_factory=list)
    server: list[BillRunTiming] = field(default_factory=list)
    raw: list[BillRunTiming] = field(default_factory=list)


class BillRuns:
    """The server's and the raw side's rate and bill collections, and the runs over them."""

    def __init__(
        self,
        server: ServerProcess,
        database: Database[Document],
        params: Params,
        meter: Meter,
        progress: Progress,
    ) -> None:
        self.server = server
        self.rates = database[APPLIED_CUSTOMER_BILLING_RATE.collection]
        self.bills = database[CUSTOMER_BILL.collection]
        self.raw_rates = database[RAW_RATES]
        self.raw_bills = database[RAW_BILLS]
        self.params = params
        self.meter = meter
        self.progress = progress
        self.raw = RawBilling(
            self.raw_rates,
            self.raw_bills,
            BillingOptions.from_settings(Settings()),
            database[RAW_CYCLES],
        )
        check_indexes(self.rates, APPLIED_CUSTOMER_BILLING_RATE.indexes)
        check_indexes(self.bills, CUSTOMER_BILL.indexes)

    def measure(self) -> BillRunResult:
        """`repeat` times: reseed both copies, then the server's run and the raw one."""
        copy_indexes(self.rates, self.raw_rates)
        copy_indexes(self.bills, self.raw_bills)
        accounts = self.params.bill_accounts
        result = BillRunResult(accounts, rates.parties(accounts), 0)
        client = HttpClient(self.server.host, self.server.port)
        try:
            for repetition in range(1, self.params.repeat + 1):
                start, end = self._reseed(result)
                result.server.append(self._server_run(client, start, end, result.rates))
                # Read untimed, before the raw run; compared with its bills once they exist.
                checked = self._server_bills(client, start, end) if repetition == 1 else {}
                result.raw.append(self._raw_run(start, end, result.rates))
                self._compare(checked)
                server, raw = result.server[-1], result.raw[-1]
                self.progress(
                    f"bill_run {repetition}/{self.params.repeat}: server {server.wall_s:.1f} s "
                    f"({server.rate:.0f} bills/s), raw {raw.wall_s:.2f} s ({raw.rate:.0f} bills/s)"
                )
        finally:
            client.close()
        return result

    def prepare(self) -> BillRunResult:
        """For bill_list without bill_run: seed the server's rates and bill them through the API
        once, untimed figures kept for the notes."""
        accounts = self.params.bill_accounts
        result = BillRunResult(accounts, rates.parties(accounts), 0)
        start, end = self._reseed(result, raw=False)
        client = HttpClient(self.server.host, self.server.port)
        try:
            result.server.append(self._server_run(client, start, end, result.rates))
        finally:
            client.close()
        return result

    # ------------------------------------------------------------------ seeding

    def _reseed(self, result: BillRunResult, raw: bool = True) -> tuple[str, str]:
        """Empty both copies (the server's collections keep their indexes) and seed them again;
        the billing period holding the new charges."""
        collections = [self.rates, self.bills] + ([self.raw_rates, self.raw_bills] if raw else [])
        begun = time.perf_counter()
        for collection in collections:
            collection.delete_many({})
        result.clear_s.append(time.perf_counter() - begun)
        charged = dates.now()
        copies = [self.rates, self.raw_rates] if raw else [self.rates]
        self.progress(
            f"seeding the rates of {result.accounts:,} billing accounts into "
            f"{len(copies)} collection(s)"
        )
        begun = time.perf_counter()
        result.rates = rates.seed(copies, result.accounts, self.params.seed, charged)
        result.seed_s.append(time.perf_counter() - begun)
        self.progress(
            f"seeded {result.rates:,} rates per copy in {result.seed_s[-1]:.1f} s (emptied in "
            f"{result.clear_s[-1]:.1f} s)"
        )
        return rates.period(charged)

    # ------------------------------------------------------------------ server side

    def _server_run(self, client: HttpClient, start: str, end: str, seeded: int) -> BillRunTiming:
        body = {"billingPeriod": {"startDateTime": start, "endDateTime": end}}
        pids = self.server.pids()
        peaks_reset = memory.reset_peaks(pids)
        resident = memory.resident_mb(pids)
        before = self.meter()
        posted = datetime.now(UTC)
        begun = time.perf_counter()
        created = json.loads(client.send("POST", BILL_RUNS, body, expected=201))
        if created.get("state") != ACKNOWLEDGED:
            raise BillRunError(f"POST /billRun answered state {created.get('state')!r}")
        run = self._wait(client, created["id"], begun)
        waited = time.perf_counter() - begun
        after = self.meter()
        pids = self.server.pids()
        used = Memory(resident, memory.peak_mb(pids), memory.resident_mb(pids), peaks_reset)
        # The server's own stamp, to the millisecond: the poll interval does not count.
        completed = (dates.parse(run["completionDate"]) - posted).total_seconds()
        wall = completed if 0 < completed <= waited else waited
        expected = (self.params.bill_accounts, seeded, 0)
        found = (run.get("billCount"), run.get("ratesBilled"), run.get("ratesRaised"))
        if found != expected:
            raise BillRunError(
                f"the server's bill run made {found[0]} bills of {found[1]} rates and raised "
                f"{found[2]}, not {expected[0]} of {expected[1]} and {expected[2]}"
            )
        left = self.rates.count_documents({"isBilled": False})
        if left:
            raise BillRunError(f"{left} rates are still unbilled after the server's bill run")
        return BillRunTiming(wall, found[0], found[1], found[2], _spent(before, after), used)

    def _wait(self, client: HttpClient, run_id: str, begun: float) -> Document:
        reported = begun
        while True:
            time.sleep(POLL_S)
            run: Document = json.loads(client.send("GET", f"{BILL_RUNS}/{run_id}"))
            state = run.get("state")
            now = time.perf_counter()
            if state == DONE:
                return run
            if state not in (ACKNOWLEDGED, IN_PROGRESS):
                raise BillRunError(f"the bill run ended {state}: {run.get('errorMessage')}")
            if now - begun > RUN_TIMEOUT_S:
                raise BillRunError(f"the bill run was not done after {RUN_TIMEOUT_S:.0f} s")
            if now - reported >= PROGRESS_EVERY_S:
                reported = now
                self.progress(
                    f"bill run {state} after {now - begun:.0f} s: {run.get('billCount', 0):,} "
                    "bills so far"
                )

    # ------------------------------------------------------------------ raw side

    def _raw_run(self, start: str, end: str, seeded: int) -> BillRunTiming:
        before = self.meter()
        begun = time.perf_counter()
        outcome = self.raw.run(start, end, dates.now())
        wall = time.perf_counter() - begun
        after = self.meter()
        if (outcome.bills, outcome.rates_billed) != (self.params.bill_accounts, seeded):
            raise BillRunError(
                f"the raw bill run made {outcome.bills} bills of {outcome.rates_billed} rates, "
                f"not {self.params.bill_accounts} of {seeded}"
            )
        return BillRunTiming(wall, outcome.bills, outcome.rates_billed, 0, _spent(before, after))

    # ------------------------------------------------------------------ checks

    def _server_bills(self, client: HttpClient, start: str, end: str) -> dict[str, Document]:
        """A few accounts' bills read through the API, by account, each checked to bill the
        account's rates for the period."""
        rng = random.Random(f"{self.params.seed}-bill-checks")
        accounts = self.params.bill_accounts
        checked: dict[str, Document] = {}
        for number in rng.sample(range(accounts), min(CHECKED_ACCOUNTS, accounts)):
            account = rates.account_id(number)
            found = json.loads(client.send("GET", f"{BILLS}?billingAccount.id={quote(account)}"))
            if len(found) != 1:
                raise BillRunError(f"account {account} has {len(found)} bills, not 1")
            bill = found[0]
            charged = json.loads(client.send("GET", f"{RATES}?billingAccount.id={quote(account)}"))
            if len(charged) != rates.RATES_PER_ACCOUNT or any(
                not r.get("isBilled") or (r.get("bill") or {}).get("id") != bill["id"]
                for r in charged
            ):
                raise BillRunError(f"the rates of account {account} are not billed on its bill")
            if bill.get("billingPeriod") != {"startDateTime": start, "endDateTime": end}:
                raise BillRunError(f"the bill of account {account} has another billing period")
            checked[account] = bill
        return checked

    def _compare(self, server_bills: dict[str, Document]) -> None:
        """The raw side's bills of the same accounts equal the server's but for their ids,
        numbers and dates, and their rates are marked billed on them."""
        for account, server_bill in server_bills.items():
            raw_bill = self.raw_bills.find_one({"billingAccount.id": account}, {"_id": 0})
            if raw_bill is None or raw_bill.pop(REVISION, None) != 1:
                raise BillRunError(f"the raw side stored no bill for account {account}")
            differing = sorted(
                key
                for key in set(server_bill) | set(raw_bill)
                if key not in _OWN and server_bill.get(key) != raw_bill.get(key)
            )
            if differing:
                raise BillRunError(
                    f"the raw side's bill of account {account} differs from the server's in: "
                    + ", ".join(differing)
                )
            marked = self.raw_rates.count_documents({"bill.id": raw_bill["id"], "isBilled": True})
            if marked != rates.RATES_PER_ACCOUNT:
                raise BillRunError(f"the raw side marked {marked} rates of account {account}")


def check_indexes(collection: Collection[Document], fields: tuple[str, ...]) -> None:
    """The indexes the server creates at start-up, or runs and lists would measure scans."""
    wanted = {"id_unique", *(f"{name}_1" for name in fields)}
    missing = wanted - set(collection.index_information())
    if missing:
        raise SeedError(f"indexes missing on {collection.name}: {', '.join(sorted(missing))}")


def copy_indexes(source: Collection[Document], target: Collection[Document]) -> None:
    """Give `target` the indexes of `source`: the raw copy pays for the same index upkeep."""
    for name, index in source.index_information().items():
        if name == "_id_":
            continue
        options = {k: index[k] for k in ("unique", "sparse") if k in index}
        target.create_index(index["key"], name=name, **options)


def _spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {label: after[label] - before[label] for label in after if label in before}
