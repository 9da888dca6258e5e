"""The raw side of bill_run: a minimal hand-written bill run in pymongo over a copy of the rates.

One `find` of the period's unbilled rates (only what a bill needs), sorted on the billing
account's index so that each account's rates come together; each account's bill (one per
currency) built by the server's own code (`billing.bill_document`) from what was read; then, every
BATCH bills, one `insert_many` of the bills and one `bulk_write` marking their rates billed (an
`UpdateMany` by rate ids per bill). Memory holds one batch.

What it leaves out, and the server pays for: no record of the bills in flight before their rates
are marked (two runs at once would bill a rate twice; a run that stops between the two writes
leaves bills whose rates look unbilled), no recurring rates raised (none is due in the
benchmark's period), no events, no progress written on a run document.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, UpdateMany
from pymongo.collection import Collection

from persistence.store import REVISION
from tmf_apis.tmf678 import cycles
from tmf_apis.tmf678.billing import BILL_SCHEMA, BILLED_FIELDS, Run, bill_document
from tmf_apis.tmf678.options import BillingOptions

Document = dict[str, Any]

BATCH = 500


@dataclass(frozen=True)
class RawOutcome:
    bills: int
    rates_billed: int


class RawBilling:
    """Bills every account's unbilled rates of a period, in as few round trips as it can."""

    def __init__(
        self,
        rates: Collection[Document],
        bills: Collection[Document],
        options: BillingOptions,
        bill_cycles: Collection[Document],
    ) -> None:
        self.rates = rates
        self.bills = bills
        self.options = options
        self.cycles = bill_cycles

    def run(
        self,
        period_start: str,
        period_end: str,
        bill_date: str,
        accounts: list[str] | None = None,
    ) -> RawOutcome:
        """Bill the period; only `accounts` when given (a billing cycle's), picked out as the
        period's unbilled rates stream by: the one read a run without a cycle makes."""
        run = Run(period_start=period_start, period_end=period_end, bill_date=bill_date)
        # The cycle the run bills, recorded once as the server's runs record it.
        cycle = cycles.cycle_document(
            period_start, period_end, bill_date, self.options.payment_days
        )
        self.cycles.update_one({"id": cycle["id"]}, {"$setOnInsert": cycle}, upsert=True)
        where: dict[str, Any] = {"isBilled": False, "date": {"$lt": period_end}}
        wanted = set(accounts) if accounts is not None else None
        cursor = self.rates.find(where, BILLED_FIELDS).sort([("billingAccount.id", ASCENDING)])
        batch = _Batch()
        account: str | None = None
        held: dict[str, list[Document]] = defaultdict(list)
        for rate in cursor:
            found = rate["billingAccount"]["id"]
            if wanted is not None and found not in wanted:
                continue
            if found != account:
                self._bill(run, held, batch)
                account = found
            held[rate["taxExcludedAmount"]["unit"]].append(rate)
            if len(batch.bills) >= BATCH:
                self._write(batch)
        self._bill(run, held, batch)
        self._write(batch)
        return RawOutcome(batch.total_bills, batch.total_rates)

    def _bill(self, run: Run, held: dict[str, list[Document]], batch: _Batch) -> None:
        """One bill per currency of the account whose rates are held."""
        for rates in held.values():
            bill_id = str(uuid.uuid4())
            bill = bill_document(bill_id, run, rates, self.options, cycled=True)
            batch.bills.append({**bill, REVISION: 1})
            reference = {"id": bill_id, "@referredType": BILL_SCHEMA}
            batch.marks.append(
                UpdateMany(
                    {"id": {"$in": [r["id"] for r in rates]}},
                    {"$set": {"isBilled": True, "bill": reference}},
                )
            )
            batch.rates += len(rates)
        held.clear()

    def _write(self, batch: _Batch) -> None:
        if not batch.bills:
            return
        self.bills.insert_many(batch.bills, ordered=False)
        marked = self.rates.bulk_write(batch.marks, ordered=False).modified_count
        if marked != batch.rates:
            raise RuntimeError(f"raw bill run marked {marked} of {batch.rates} rates billed")
        batch.total_bills += len(batch.bills)
        batch.total_rates += marked
        batch.bills, batch.marks, batch.rates = [], [], 0


@dataclass
class _Batch:
    """The bills and rate marks not yet written, and what was written so far."""

    bills: list[Document] = field(default_factory=list)
    marks: list[UpdateMany] = field(default_factory=list)
    rates: int = 0
    total_bills: int = 0
    total_rates: int = 0
