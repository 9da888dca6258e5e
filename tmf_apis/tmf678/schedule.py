"""Bill runs the server starts by itself when a billing cycle's period ends
(`TMF_BILL_CYCLES_AUTO=true`; off by default, when an operator or its scheduler posts them).

Every poll of the bill runner (bill_runs.py), in every server process, each TMF666
BillingCycleSpecification in force gets the run of its last whole period ending at or before
now (periods.cycle_period: its frequency and billingDateShift), dated now. The run's id derives
from the specification and the period, so however many processes look, and however often, a
period's run is stored once: the first insert wins, the others meet its id (and so does a
restart). A specification whose frequency or shift makes no periods is skipped (and logged once
per process); the same refusal answers a client's run naming it (422).
"""

from __future__ import annotations

import logging
import uuid

from persistence.errors import Conflict
from persistence.store import ResourceStore
from tmf_apis.rules import Document
from tmf_apis.tmf678 import payers, periods

log = logging.getLogger("tmf.billing")

NAMESPACE = uuid.UUID("6f0c9f0e-2b8e-4c55-9d3e-0b1a7c4e5d21")

_unusable: set[str] = set()


def run_id(specification_id: str, period_start: str, period_end: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{specification_id}/{period_start}/{period_end}"))


def due_runs(specifications: ResourceStore, now: str) -> list[Document]:
    """The run each specification in force is due, as it would be stored (none stored)."""
    due = []
    for specification in specifications.find_all({}):
        valid = specification.get("validFor") or {}
        if str(valid.get("startDateTime") or "") > now:
            continue
        if valid.get("endDateTime") and str(valid["endDateTime"]) <= now:
            continue
        try:
            start, end = periods.cycle_period(
                now, specification.get("frequency"), specification.get("billingDateShift")
            )
        except ValueError as error:
            if specification["id"] not in _unusable:
                _unusable.add(specification["id"])
                log.warning(
                    "billing cycle makes no periods: not billed automatically",
                    extra={"cycle": specification["id"], "reason": str(error)},
                )
            continue
        due.append(
            {
                "id": run_id(specification["id"], start, end),
                "@type": "BillRun",
                "description": "Started by the server at the end of the billing period",
                "billingCycleSpecification": {
                    "id": specification["id"],
                    "name": specification.get("name") or specification["id"],
                    "@referredType": payers.CYCLE_SCHEMA,
                },
                "billingPeriod": {"startDateTime": start, "endDateTime": end},
                "billDate": now,
                "state": "acknowledged",
                "lastUpdate": now,
            }
        )
    return due


def start_due(runs: ResourceStore, specifications: ResourceStore, now: str) -> int:
    """Store the runs due that no process stored yet; returns how many this call stored."""
    started = 0
    for run in due_runs(specifications, now):
        if runs.exists({"id": run["id"]}):
            continue
        runs.prepare(run)
        try:
            runs.insert(run)
        except Conflict:
            continue  # another process stored it first
        log.info("bill run started for its cycle", extra={"bill_run": run["id"]})
        started += 1
    return started
