"""`billRun` (our extension of TMF678): a bill cycle for a billing period, run in the background.

`POST /billRun` with a `billingPeriod` (start before end) and optionally a `billDate` (default:
now) and a `billingAccount` (bill that account, and those billed to it, only) stores the run
`acknowledged`; a server process claims it (`inProgress`) and bills every account's unbilled
rates of the period (billing.py), then marks it `done` with `billCount`, `ratesBilled`,
`ratesRaised` and `completionDate`, or `terminatedWithError` with `errorMessage`.
`GET /billRun/{id}` follows it.

A run may name a TMF666 `billingCycleSpecification` ({id}; unknown: 422): it then bills only the
accounts whose bills follow that cycle (billing.py), and without a `billingPeriod` it bills the
cycle's last whole period ending at or before the bill date (periods.cycle_period; a frequency
or billingDateShift that makes no periods: 422). The run stores the period it bills.

Each batch of bills stored is published as domain.BILLS_ISSUED with the accounts billed; a
reaction that fails is logged and the run goes on (TMF676 sweeps what it missed).

Claims are leases kept on the run (renewed as it progresses), so a run whose process stopped is
taken up again by any process once its lease has run out; billing is safe to repeat, so the run
that takes over bills what was left and nothing twice.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import errors
import telemetry
from persistence import dates
from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from settings import Settings
from tmf_apis.domain import BILLS_ISSUED
from tmf_apis.rules import Document, Reaction, RuleContext, Rules
from tmf_apis.tmf678 import billing, charging, cycles, payers, periods, schedule
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
        if document.get("billingCycleSpecification") is not None:
            _follow_cycle(document, context)
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


def _follow_cycle(document: Document, context: RuleContext) -> None:
    """Name the run's cycle specification as stored, and bill its period when none is given."""
    given = document["billingCycleSpecification"]
    cycle_id = given.get("id") if isinstance(given, dict) else None
    store = context.stores.get(payers.CYCLE_SCHEMA)
    cycle = store.find_one({"id": cycle_id}) if store and isinstance(cycle_id, str) else None
    if cycle is None:
        raise errors.UnprocessableEntity(
            f"billingCycleSpecification: no billing cycle specification {cycle_id!r}",
            reason="Unknown billing cycle",
        )
    document["billingCycleSpecification"] = {
        "id": cycle["id"],
        "name": cycle.get("name") or cycle["id"],
        "@referredType": payers.CYCLE_SCHEMA,
    }
    if document.get("billingPeriod") is not None:
        return
    try:
        bill_date = dates.normalize(str(document.get("billDate") or context.now))
        start, end = periods.cycle_period(
            bill_date, cycle.get("frequency"), cycle.get("billingDateShift")
        )
    except ValueError as error:
        raise errors.UnprocessableEntity(
            f"billingCycleSpecification {cycle['id']!r}: {error}", reason="Unusable cycle"
        ) from None
    document["billingPeriod"] = {"startDateTime": start, "endDateTime": end}


class BillRunner:
    """Claims and carries out bill runs, in one background thread per server process."""

    def __init__(
        self,
        stores: Mapping[str, ResourceStore],
        options: BillingOptions,
        poll: float,
        settings: Settings | None = None,
        reactions: Mapping[str, Sequence[Reaction]] | None = None,
    ) -> None:
        self.runs = stores[SCHEMA]
        self.stores = stores
        self.settings = settings
        self.reactions = reactions or {}
        self.billing = Billing(
            stores[charging.RATE_SCHEMA],
            stores[billing.BILL_SCHEMA],
            options,
            # Served by the v5 edition only: a server of v4 alone records no bill cycles.
            stores.get(cycles.SCHEMA),
            # Served by TMF637: what the rates charge for, and whether it is in service.
            stores.get(billing.PRODUCT_SCHEMA),
            # Served by TMF666: who pays for whom, and the cycles their bills follow.
            stores,
            self._issued,
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
                self._start_cycles()
                while self.run_one():
                    pass
                telemetry.went_round("tmf-bill-runs")
            except Exception:  # the thread outlives a broken database; the next poll retries
                log.exception("bill run failed")
                telemetry.went_round("tmf-bill-runs", failed=True)
            self._wake.wait(self.poll)
            self._wake.clear()

    def _start_cycles(self) -> None:
        """Store the runs of the billing cycles whose period ended (schedule.py), when the
        operator lets the server start them."""
        specifications = self.stores.get(payers.CYCLE_SCHEMA)
        if self.settings is None or not self.settings.bill_cycles_auto or specifications is None:
            return
        schedule.start_due(self.runs, specifications, dates.now())

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

    def _issued(self, billed: list[str]) -> None:
        context = RuleContext(
            now=dates.now(), stores=self.stores, settings=self.settings, reactions=self.reactions
        )
        try:
            context.publish(BILLS_ISSUED, accounts=billed)
        except Exception:  # the bills stand; the reacting API sweeps what it missed
            log.exception("a reaction to issued bills failed", extra={"accounts": billed})

    def _carry_out(self, document: Document) -> None:
        period = document["billingPeriod"]
        account = (document.get("billingAccount") or {}).get("id")
        cycle = (document.get("billingCycleSpecification") or {}).get("id")
        run = Run(
            period_start=period["startDateTime"],
            period_end=period["endDateTime"],
            bill_date=document.get("billDate") or dates.now(),
            accounts=(account,) if isinstance(account, str) else None,
            cycle=cycle if isinstance(cycle, str) else None,
            payment_days=self._payment_days(cycle),
        )
        written = [0]

        def progress(outcome: Outcome) -> None:
            if outcome.bill_count - written[0] >= PROGRESS_EVERY:
                written[0] = outcome.bill_count
                self._record(document["id"], outcome, IN_PROGRESS)

        begun = time.monotonic()
        try:
            outcome = self.billing.run(run, progress)
        except Exception as error:
            log.exception("bill run failed", extra={"bill_run": document["id"]})
            # Counted first: a scrape after a client saw the run end finds it counted.
            telemetry.BILL_RUNS.labels(TERMINATED).inc()
            self._record(document["id"], Outcome(), TERMINATED, str(error))
            return
        telemetry.BILL_RUNS.labels(DONE).inc()
        telemetry.BILL_RUN_SECONDS.observe(time.monotonic() - begun)
        self._record(document["id"], outcome, DONE)

    def _payment_days(self, cycle_id: object) -> int | None:
        store = self.stores.get(payers.CYCLE_SCHEMA)
        if store is None or not isinstance(cycle_id, str):
            return None
        return payers.due_offset(store.find_one({"id": cycle_id}))

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
    reactions: Mapping[str, Sequence[Reaction]],
) -> Callable[[], None]:
    options = BillingOptions.from_settings(settings)
    poll = settings.scheduler_poll_ms / 1000
    return BillRunner(stores, options, poll, settings, reactions).start()
