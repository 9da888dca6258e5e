"""What TMF637 adds to the generic operations on a product: its lifecycle (lifecycle.py).

Products are order management's to make and change (inventory.py, TMF637's reaction to completed
order items); the grants (registry.py) let only the operator's admin and the `inventory` role (a
migration, an operator's correction) write them directly. Such a write still follows the
lifecycle: a status off the graph is 422, a move off it 409; `startDate` is set when a product
becomes active and `terminationDate` when it is terminated, unless the writer gave them.
"""

from __future__ import annotations

import errors
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf637 import lifecycle


class ProductRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        status = document.setdefault("status", lifecycle.CREATED)
        _check_known(status)
        _stamp(document, str(status), context.now)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        if "status" not in after:
            raise errors.BadRequest(
                "status: a product always has one; move it along its lifecycle instead",
                reason="Mandatory attribute",
            )
        old = str(before.get("status", lifecycle.CREATED))
        new = after["status"]
        _check_known(new)
        new = str(new)
        problem = lifecycle.move_problem(old, new)
        if problem:
            raise errors.Conflict(problem, reason="Illegal state transition")
        if new != old:
            _stamp(after, new, context.now)


def _check_known(status: object) -> None:
    if status not in lifecycle.STATUSES:
        raise errors.UnprocessableEntity(
            f"status {status!r} is not a product status; one of: "
            f"{', '.join(sorted(lifecycle.STATUSES))}",
            reason="Unknown state",
        )


def _stamp(document: Document, status: str, now: str) -> None:
    if status == lifecycle.ACTIVE:
        document.setdefault("startDate", now)
    elif status == lifecycle.TERMINATED:
        document.setdefault("terminationDate", now)
