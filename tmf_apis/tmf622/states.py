"""The product order state machine and how an order's state follows from its items'.

Order states, the moves a client (the provider's fulfilment side) may make with PATCH:

    acknowledged -> inProgress, rejected        (made by the server's validation after a POST)
    inProgress   -> pending, held, completed, failed, partial
    pending      -> inProgress, held
    held         -> inProgress, pending
    rejected, completed, failed, partial, cancelled: final

`assessingCancellation`, `pendingCancellation` and `cancelled` are reached only through a
`cancelProductOrder` task (cancellation.py), never by PATCH.

A `draft` (v5: created with `requestedInitialState: draft`) is an order not yet placed: its
client changes it at will and places it by moving it to `acknowledged`, after which it goes on
as a new order does (rules.py). A draft is deleted, not cancelled.

Item states move the same way (no `partial`). Items move while their order is in flight
(inProgress, pending, held); when they do, the order follows them: every item completed makes
it completed, every item failed makes it failed, every item final otherwise makes it partial,
and an item at work makes an order that was waiting inProgress again.
"""

from __future__ import annotations

from typing import Any

from tmf_apis import domain

DRAFT = "draft"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "inProgress"
REJECTED = "rejected"
COMPLETED = "completed"
FAILED = "failed"
PARTIAL = "partial"
CANCELLED = "cancelled"
ASSESSING_CANCELLATION = "assessingCancellation"
PENDING_CANCELLATION = "pendingCancellation"

ORDER_MOVES: dict[str, frozenset[str]] = {
    ACKNOWLEDGED: frozenset({IN_PROGRESS, REJECTED}),
    IN_PROGRESS: frozenset({"pending", "held", COMPLETED, FAILED, PARTIAL}),
    "pending": frozenset({IN_PROGRESS, "held"}),
    "held": frozenset({IN_PROGRESS, "pending"}),
    REJECTED: frozenset(),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    PARTIAL: frozenset(),
    CANCELLED: frozenset(),
    ASSESSING_CANCELLATION: frozenset(),
    PENDING_CANCELLATION: frozenset(),
}
ITEM_MOVES: dict[str, frozenset[str]] = {
    ACKNOWLEDGED: frozenset({IN_PROGRESS, REJECTED}),
    IN_PROGRESS: frozenset({"pending", "held", COMPLETED, FAILED}),
    "pending": frozenset({IN_PROGRESS, "held", FAILED}),
    "held": frozenset({IN_PROGRESS, "pending", FAILED}),
    REJECTED: frozenset(),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
    ASSESSING_CANCELLATION: frozenset(),
    PENDING_CANCELLATION: frozenset(),
}
CANCELLATION_STATES = frozenset({ASSESSING_CANCELLATION, PENDING_CANCELLATION, CANCELLED})
FINAL = frozenset({REJECTED, COMPLETED, FAILED, PARTIAL, CANCELLED})
# Orders whose items fulfilment may move; orders that a cancelProductOrder may still stop.
IN_FLIGHT = frozenset({IN_PROGRESS, "pending", "held"})
CANCELLABLE = frozenset({ACKNOWLEDGED, IN_PROGRESS, "pending", "held"})
_FINAL_ITEM = frozenset({REJECTED, COMPLETED, FAILED, CANCELLED})


def order_move_problem(old: str, new: str) -> str | None:
    """Why an order may not move from `old` to `new` by PATCH, or None."""
    if new in CANCELLATION_STATES:
        return f"an order is cancelled with POST /cancelProductOrder, not by moving it to {new}"
    if new not in ORDER_MOVES.get(old, frozenset()):
        allowed = ", ".join(sorted(ORDER_MOVES.get(old, ()))) or "none (final)"
        return f"an order cannot move from {old} to {new}; from {old} it may move to: {allowed}"
    return None


def item_move_problem(old: str, new: str) -> str | None:
    if new in CANCELLATION_STATES:
        return (
            f"items are cancelled with their order (POST /cancelProductOrder), not moved to {new}"
        )
    if new not in ITEM_MOVES.get(old, frozenset()):
        allowed = ", ".join(sorted(ITEM_MOVES.get(old, ()))) or "none (final)"
        return f"an item cannot move from {old} to {new}; from {old} it may move to: {allowed}"
    return None


def outcome(items: list[dict[str, Any]]) -> str | None:
    """completed, failed or partial once every item is final; None before."""
    states = [item.get("state", ACKNOWLEDGED) for item in items]
    if not states or not all(s in _FINAL_ITEM for s in states):
        return None
    if all(s == COMPLETED for s in states):
        return COMPLETED
    return FAILED if all(s == FAILED for s in states) else PARTIAL


def derived_order_state(current: str, items: list[dict[str, Any]]) -> str:
    """The order state its items' states call for; `current` when they call for no change."""
    ended = outcome(items)
    if ended is not None:
        return ended
    if current in ("pending", "held") and any(i.get("state") == IN_PROGRESS for i in items):
        return IN_PROGRESS
    return current


# Every item, the ones nested in bundle items included.
all_items = domain.order_items


def set_item_states(items: list[dict[str, Any]], state: str) -> None:
    for item in all_items(items):
        item["state"] = state
