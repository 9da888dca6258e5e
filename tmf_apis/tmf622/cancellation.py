"""`cancelProductOrder`: a task that cancels an order, synchronously.

The POST is refused with 409 when the order cannot be cancelled: it does not exist here, it has
reached a final state, or another cancellation is under way (the order keeps its state). 409, the
answer to a request that conflicts with the state of what it acts on, is one both the official
file and clients expect from a create. An
accepted task is stored `acknowledged`, then cancels the order, which passes through
`assessingCancellation` and `pendingCancellation` to `cancelled` with its `cancellationDate`
and `cancellationReason`, its unfinished items cancelled too, and the task ends `done` with its
`effectiveCancellationDate`: the 201 answer shows it done. Should the order move on meanwhile
(fulfilment completing it between the check and the cancellation) the task ends
`terminatedWithError` and the order is left as fulfilment put it.
"""

from __future__ import annotations

from collections.abc import Callable

import errors
from persistence.errors import NotFound
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf622 import states

ACKNOWLEDGED = "acknowledged"
DONE = "done"
TERMINATED = "terminatedWithError"
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

    def after_create(self, document: Document, context: RuleContext) -> None:
        outcome = {"state": DONE, "effectiveCancellationDate": context.now}
        if not _cancel(document["productOrder"]["id"], document, context):
            outcome = {"state": TERMINATED}
        document.update(outcome)
        context.store("CancelProductOrder").modify(document["id"], lambda t: t.update(outcome))


def _cancel(order_id: str, task: Document, context: RuleContext) -> bool:
    """Walks the order through the cancellation states; False if it moved on meanwhile."""
    orders = context.store("ProductOrder")
    expected = states.CANCELLABLE
    for step in _STEPS:
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
