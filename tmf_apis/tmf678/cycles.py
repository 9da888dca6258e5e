"""Bill cycles (TMF678 v5's `billCycle`): one per billing period and bill date that a bill run
billed, with the dates its bills carry.

A bill run (bill_runs.py) bills a period [start, end) with one bill date; that pair is the cycle,
whatever accounts the run covers: two runs of one period and date (one per account, or one
taking over a stopped one) share it. Billing (billing.py) records it when it starts an on-cycle
run, before any bill, and each bill of the run names it in `billCycle`; its id derives from the
pair, so a run that stops and starts again, or runs twice, records it once. Bills on demand are
off-cycle and name none. Bill cycles are read-only; they belong to no party.

A run of one billing cycle specification (TMF666 `BillingCycleSpecification`, bill_runs.py) makes
a cycle of its own, told apart by the specification's id (two specifications may bill the same
period on the same date with different terms): it names the specification and carries its due
date (`paymentDueDateOffset`); a run of every account carries the default one.
"""

from __future__ import annotations

import uuid

from persistence import dates
from persistence.errors import Conflict
from persistence.store import ResourceStore
from tmf_apis.rules import Document
from tmf_apis.tmf678 import periods

SCHEMA = "BillCycle"
NAMESPACE = uuid.UUID("0c1d7a52-6b0e-4f4e-9d0a-7a3c25e8b1f4")


def cycle_id(
    period_start: str, period_end: str, bill_date: str, specification: str | None = None
) -> str:
    named = f"{period_start}/{period_end}@{bill_date}"
    if specification is not None:
        named += f"#{specification}"
    return str(uuid.uuid5(NAMESPACE, named))


def reference(
    period_start: str, period_end: str, bill_date: str, specification: str | None = None
) -> Document:
    """What a bill of the cycle names in `billCycle`."""
    return {
        "id": cycle_id(period_start, period_end, bill_date, specification),
        "@referredType": SCHEMA,
    }


def cycle_document(
    period_start: str,
    period_end: str,
    bill_date: str,
    payment_days: int,
    specification: str | None = None,
) -> Document:
    label = period_label(period_start, period_end)
    document: Document = {
        "id": cycle_id(period_start, period_end, bill_date, specification),
        "@type": SCHEMA,
        "name": f"Bill cycle {label}",
        "description": f"Bills of {period_start[:10]} to {period_end[:10]}, dated {bill_date[:10]}",
        "billingPeriod": label,
        "validFor": {"startDateTime": period_start, "endDateTime": period_end},
        "billingDate": bill_date,
        # A run bills every unbilled credit dated before the period's end.
        "creditDate": period_end,
        "paymentDueDate": periods.add_days(bill_date, payment_days),
    }
    if specification is not None:
        # v5's schema spells the attribute so.
        document["BillCycleSpecification"] = {"id": specification}
    return document


def record(
    store: ResourceStore,
    period_start: str,
    period_end: str,
    bill_date: str,
    payment_days: int,
    specification: str | None = None,
) -> None:
    """Store the cycle unless it is stored already (idempotent)."""
    document = cycle_document(period_start, period_end, bill_date, payment_days, specification)
    if store.exists({"id": document["id"]}):
        return
    store.prepare(document)
    try:
        store.insert(document)
    except Conflict:
        pass  # another run of the same cycle stored it first


def period_label(period_start: str, period_end: str) -> str:
    """`2024-03` for a calendar month, else the first and last day (`2024-03-05/2024-04-04`)."""
    start, end = dates.parse(period_start), dates.parse(period_end)
    midnight = start.time() == end.time() == start.min.time()
    if (
        midnight
        and start.day == 1 == end.day
        and periods.period_end(period_start, "month") == (period_end)
    ):
        return f"{start:%Y-%m}"
    last = dates.parse(periods.add_days(period_end, -1)) if end.time() == start.min.time() else end
    return f"{start:%Y-%m-%d}/{last:%Y-%m-%d}"
