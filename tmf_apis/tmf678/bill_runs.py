"""`billRun` (our extension of TMF678): a bill cycle for a billing period, run in the background.

`POST /billRun` with a `billingPeriod` (start before end) and optionally a `billDate` (default:
now) and a `billingAccount` (bill that account only) stores the run `acknowledged`; a server
process claims it (`inProgress`) and bills every account's unbilled rates of the period
(billing.py), then marks it `done` with `billCount`, `ratesBilled`, `ratesRaised` and
`completionDate`, or `terminatedWithError` with `errorMessage`. `GET /billRun/{id}` follows it.

Claims are leases kept on the run (renewed as it progresses), so a run whose process stopped is
taken up again by any process once its lease has run out; billing is safe to repeat, so the run
that takes over bills what was left and nothing twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import errors
from persistence import dates
from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from settings import Settings
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf678 import billing, charging, cycles, periods
from tmf_apis.tmf678.billing import Billing, Outcome, Run
from tmf_apis.tmf678.options import BillingOptions

log = logging.getLogger("tmf.billing")

SCHEMA = "BillRun"
ACKNOWLEDGED, IN_PROGRESS = "acknowledged", "inProgress"
DONE, TERMINATED = "done", "terminatedWithError"
LEASE = "_lease"
LEASE_SECONDS = 120
MAX_DAYS_AHEAD = 400
# Progress (and the lease) is written after this many bills.
PROGRESS_EVERY = 200

_runners: list[BillRunner] = []


class BillRunRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        period = document.get("billingPeriod") or {}
        start, end = period.get("startDateTime"), period.get("endDateTime")
        if not isinstance(start, str) or not isinstance(end, str):
            raise errors.BadRequest(
                "billingPeriod needs startDateTime and endDateTime", reason="Invalid period"
            )
        try:
            start, end = dates.normalize(start), dates.normalize(end)
        except ValueError as error:
            raise errors.BadRequest(str(error), reason="Invalid period") from None
        if start >= end:
            raise errors.BadRequest(
                "billingPeriod must start before it ends", reason="Invalid period"
            )
        horizon = periods.add_days(context.now, MAX_DAYS_AHEAD)
        if end > horizon:
            # Recurring charges are raised up to the period's end: a mistyped year would raise
            # centuries of them.
            raise errors.BadRequest(
                f"billingPeriod may end at most {MAX_DAYS_AHEAD} days from now ({horizon})",
                reason="Invalid period",
            )
        document["state"] = ACKNOWLEDGED
        document.setdefault("billDate", context.now)
        document["lastUpdate"] = context.now

    def after_create(self, document: Document, context: RuleContext) -> None:
        for runner in _runners:
            runner.wake()


class BillRunner:
    """Claims and carries out bill runs, in one background thread per server process."""

    def __init__(
        self, stores: Mapping[str, ResourceStore], options: BillingOptions, poll: float
    ) -> None:
        self.runs = stores[SCHEMA]
        self.billing = Billing(
            stores[charging.RATE_SCHEMA],
            stores[billing.BILL_SCHEMA],
            options,
            # Served by the v5 edition only: a server of v4 alone records no bill cycles.
            stores.get(cycles.SCHEMA),
            # Served by TMF637: what the rates charge for, and whether it is in service.
            stores.get(billing.PRODUCT_SCHEMA),
        )
        self.poll = poll
        self.owner = f"bills-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tmf-bill-runs", daemon=True)

    def start(self) -> Callable[[], None]:
        _runners.append(self)
        self._thread.start()

        def stop() -> None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=30)
            _runners.remove(self)

        return stop

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_one():
                    pass
            except Exception:  # the thread outlives a broken database; the next poll retries
                log.exception("bill run failed")
            self._wake.wait(self.poll)
            self._wake.clear()

    def run_one(self) -> bool:
        """Claim one waiting run (or one whose lease ran out) and carry it out."""
        now = dates.now()
        where = {
            "$or": [
                {"state": ACKNOWLEDGED},
                {"state": IN_PROGRESS, f"{LEASE}.until": {"$lt": now}},
            ]
        }
        for run_id in self.runs.ids(where):
            claimed = self._claim(run_id)
            if claimed is not None:
                self._carry_out(claimed)
                return True
        return False

    def _claim(self, run_id: str) -> Document | None:
        try:
            before, revision = self.runs.get_for_update(run_id)
        except NotFound:
            return None
        lease = before.get(LEASE) or {}
        if before.get("state") == IN_PROGRESS and lease.get("until", "") >= dates.now():
            return None
        if before.get("state") not in (ACKNOWLEDGED, IN_PROGRESS):
            return None
        claimed = {
            **before,
            "state": IN_PROGRESS,
            "lastUpdate": dates.now(),
            LEASE: _lease(self.owner),
        }
        try:
            return self.runs.replace(before, revision, claimed)
        except (Conflict, NotFound):
            return None  # another process claimed it first

    def _carry_out(self, document: Document) -> None:
        period = document["billingPeriod"]
        account = (document.get("billingAccount") or {}).get("id")
        run = Run(
            period_start=period["startDateTime"],
            period_end=period["endDateTime"],
            bill_date=document.get("billDate") or dates.now(),
            accounts=(account,) if isinstance(account, str) else None,
        )
        written = [0]

        def progress(outcome: Outcome) -> None:
            if outcome.bill_count - written[0] >= PROGRESS_EVERY:
                written[0] = outcome.bill_count
                self._record(document["id"], outcome, IN_PROGRESS)

        try:
            outcome = self.billing.run(run, progress)
        except Exception as error:
            log.exception("bill run failed", extra={"bill_run": document["id"]})
            self._record(document["id"], Outcome(), TERMINATED, str(error))
            return
        self._record(document["id"], outcome, DONE)

    def _record(self, run_id: str, outcome: Outcome, state: str, error: str = "") -> None:
        def change(run: Document) -> None:
            run["state"] = state
            run["lastUpdate"] = dates.now()
            run["billCount"] = outcome.bill_count
            run["ratesBilled"] = outcome.rates_billed
            run["ratesRaised"] = outcome.rates_raised
            if state == IN_PROGRESS:
                run[LEASE] = _lease(self.owner)
            else:
                run.pop(LEASE, None)
                run["completionDate"] = run["lastUpdate"]
            if error:
                run["errorMessage"] = error

        self.runs.modify(run_id, change)


def _lease(owner: str) -> Document:
    until = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS)
    return {"owner": owner, "until": dates.format_datetime(until)}


def start_bill_runner(
    stores: Mapping[str, ResourceStore],
    schemas: Mapping[str, object],
    settings: Settings,
    reactions: Mapping[str, object],
) -> Callable[[], None]:
    options = BillingOptions.from_settings(settings)
    return BillRunner(stores, options, settings.scheduler_poll_ms / 1000).start()
