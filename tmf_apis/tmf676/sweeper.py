"""The background work of payments, in every server process, every TMF_SCHEDULER_POLL_MS:

- payments and refunds whose effects a process recorded and did not carry out (it stopped, or
  its database went away between the writes), once older than TMF_COMPLETION_GRACE_MS (the
  request that recorded them is given that long to finish them itself);
- credit held on accounts that have open bills: used on them (credit.py), so a bill run that
  stopped before publishing domain.BILLS_ISSUED still has its bills paid from credit.
Every effect is idempotent (ledger.py), so two processes sweeping at once do nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from persistence import dates
from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from settings import Settings
from tmf_apis.polling import Poller
from tmf_apis.rules import Reaction
from tmf_apis.tmf676 import balances, credit, ledger, payments, refunds


class PaymentSweeper(Poller):
    name = "tmf-payments"

    def __init__(
        self, stores: Mapping[str, ResourceStore], settings: Settings, interval: float
    ) -> None:
        super().__init__(interval)
        self.stores, self.settings = stores, settings

    def poll(self) -> int:
        return self.sweep()

    def sweep(self) -> int:
        """Finish what was left and use what credit can be used; returns how many payments and
        refunds were finished."""
        grace = timedelta(milliseconds=self.settings.completion_grace_ms)
        cutoff = dates.format_datetime(dates.parse(dates.now()) - grace)
        left = {payments.APPLYING: {"$lte": cutoff}}
        held = self.stores[payments.PAYMENT_SCHEMA]
        bills = self.stores.get(ledger.BILL_SCHEMA)
        if bills is None:  # TMF678 not served: payments take no steps, hold only credit
            return 0
        done = 0
        for payment_id in held.ids(left):
            try:
                payment = payments.settle(held, bills, payment_id, dates.now())
            except (NotFound, Conflict):
                continue
            account = str((payment.get("account") or {}).get("id"))
            balances.recompute(self.stores, account, dates.now())
            done += 1
        refund_store = self.stores[refunds.REFUND_SCHEMA]
        for refund_id in refund_store.ids(left):
            refund = refund_store.find_one({"id": refund_id})
            if refund is None:
                continue
            try:
                refunds.carry_out(self.stores, refund, dates.now())
            except Conflict:
                continue
            done += 1
        self._use_credit(held, bills)
        return done

    def _use_credit(self, held: ResourceStore, bills: ResourceStore) -> None:
        with_credit = {
            str((p.get("account") or {}).get("id"))
            for p in held.find_all({payments.CREDIT: {"$gt": 0}})
        }
        if not with_credit:
            return
        owing = {
            str((b.get("billingAccount") or {}).get("id"))
            for b in bills.find_all(
                {
                    "billingAccount.id": {"$in": sorted(with_credit)},
                    "remainingAmount.value": {"$gt": 0},
                }
            )
        }
        for account in sorted(owing):
            credit.use(self.stores, account, dates.now())


def start(
    stores: Mapping[str, ResourceStore],
    schemas: Mapping[str, object],
    settings: Settings,
    reactions: Mapping[str, Sequence[Reaction]],
) -> Callable[[], None]:
    return PaymentSweeper(stores, settings, settings.scheduler_poll_ms / 1000).start()
