"""`cancelProductOrder`: a task that cancels an order, at once or on the date it asks for.

The POST is refused with 409 when the order cannot be cancelled: it does not exist here, it has
reached a final state, or another cancellation of it is under way or scheduled (the order keeps
its state). 409, the answer to a request that conflicts with the state of what it acts on, is
one both the official file and clients expect from a create.

An accepted task is stored `acknowledged`. Without a `requestedCancellationDate`, or with one
already past, it then cancels the order in the same request: the order passes through
`assessingCancellation` and `pendingCancellation` to `cancelled` with its `cancellationDate` and
`cancellationReason`, its unfinished items cancelled too, and the task ends `done` with its
`effectiveCancellationDate`; the 201 answer shows it done. A task dated in the future stays
`acknowledged` (the order goes on meanwhile) until the scheduler below claims it on that date
(`inProgress`) and cancels the order the same way. Should the order move on first (fulfilment
completing it) the task ends `terminatedWithError` and the order is left as fulfilment put it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import errors
from persistence import dates
from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis.polling import Poller
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf622 import states

log = logging.getLogger("tmf.cancellation")

ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "inProgress"
DONE = "done"
TERMINATED = "terminatedWithError"
OPEN = (ACKNOWLEDGED, IN_PROGRESS)
_STEPS = (states.ASSESSING_CANCELLATION, states.PENDING_CANCELLATION, states.CANCELLED)


class CancelOrderRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        document["state"] = ACKNOWLEDGED
        order_id = (document.get("productOrder") or {}).get("id")
        order = context.store("ProductOrder").find_one({"id": order_id})
        if order is None:
            raise errors.Conflict(
                f"product order {order_id!r} does not exist", reason="Order not cancellable"
            )
        state = order.get("state", states.ACKNOWLEDGED)
        if state not in states.CANCELLABLE:
            raise errors.Conflict(
                f"product order {order_id!r} is {state} and can no longer be cancelled",
                reason="Order not cancellable",
            )
        tasks = context.store("CancelProductOrder")
        if tasks.exists({"productOrder.id": order_id, "state": {"$in": list(OPEN)}}):
            raise errors.Conflict(
                f"a cancellation of product order {order_id!r} is already under way or scheduled",
                reason="Order not cancellable",
            )

    def after_create(self, document: Document, context: RuleContext) -> None:
        requested = document.get("requestedCancellationDate")
        if isinstance(requested, str) and requested > context.now:
            return  # the scheduler carries it out on that date
        document.update(carry_out(document, context))


def carry_out(task: Document, context: RuleContext) -> Document:
    """Cancel the task's order and record the outcome on the task; returns the outcome."""
    outcome = {"state": DONE, "effectiveCancellationDate": context.now}
    if not _cancel(task["productOrder"]["id"], task, context):
        outcome = {"state": TERMINATED}
    context.store("CancelProductOrder").modify(task["id"], lambda t: t.update(outcome))
    return outcome


def _cancel(order_id: str, task: Document, context: RuleContext) -> bool:
    """Walks the order through the cancellation states; False if it moved on meanwhile. An
    order a stopped scheduler left part-way continues from where it is."""
    orders = context.store("ProductOrder")
    order = orders.find_one({"id": order_id})
    current = order.get("state") if order else None
    if current == states.CANCELLED:
        return True
    remaining = _STEPS[_STEPS.index(current) + 1 :] if current in _STEPS else _STEPS
    expected = frozenset({current}) if current in _STEPS else states.CANCELLABLE
    for step in remaining:
        try:
            order = orders.modify(order_id, _stepper(step, expected, task, context))
        except NotFound:
            return False  # deleted meanwhile
        if order.get("state") != step:
            return False
        expected = frozenset({step})
    return True


def _stepper(
    step: str, expected: frozenset[str], task: Document, context: RuleContext
) -> Callable[[Document], None]:
    def move(order: Document) -> None:
        if order.get("state") not in expected:
            return
        order["state"] = step
        if step == states.CANCELLED:
            order["cancellationDate"] = context.now
            if task.get("cancellationReason"):
                order["cancellationReason"] = task["cancellationReason"]
            for item in states.all_items(order.get("productOrderItem") or []):
                if item.get("state") not in states.FINAL:
                    item["state"] = states.CANCELLED

    return move


class CancellationScheduler(Poller):
    """Carries out cancellations whose requested date has come, in a background thread.

    A task is claimed by moving it from `acknowledged` to `inProgress` under its revision, so
    with several server processes exactly one carries it out. A task left `inProgress` by a
    process that stopped is taken up again at the next start of any scheduler.
    """

    name = "tmf-cancellations"

    def __init__(self, stores: Mapping[str, ResourceStore], interval_seconds: float) -> None:
        super().__init__(interval_seconds)
        self.stores = stores
        self._resumed = False

    def poll(self) -> int:
        return self.run_due()

    def run_due(self) -> int:
        """Carry out every due cancellation; returns how many."""
        context = RuleContext(now=dates.now(), stores=self.stores)
        tasks = self.stores["CancelProductOrder"]
        due: dict[str, object] = {
            "state": ACKNOWLEDGED,
            "requestedCancellationDate": {"$lte": context.now},
        }
        if not self._resumed:
            due = {"$or": [due, {"state": IN_PROGRESS}]}
            self._resumed = True
        done = 0
        for task_id in tasks.ids(due):
            task = self._claim(tasks, task_id)
            if task is not None:
                carry_out(task, context)
                done += 1
        return done

    @staticmethod
    def _claim(tasks: ResourceStore, task_id: str) -> Document | None:
        try:
            before, revision = tasks.get_for_update(task_id)
        except NotFound:
            return None
        if before.get("state") == IN_PROGRESS:
            return before  # left part-way by a stopped scheduler
        if before.get("state") != ACKNOWLEDGED:
            return None
        try:
            return tasks.replace(before, revision, {**before, "state": IN_PROGRESS})
        except (Conflict, NotFound):  # another scheduler claimed it first
            return None
