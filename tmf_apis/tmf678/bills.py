"""What a client may do to a bill: move its `state`, and nothing else.

Bills are made by bill runs (billing.py), never by POST. Their states move along:

    new           -> onHold, validated
    onHold        -> new, validated
    validated     -> sent, onHold
    sent          -> partiallyPaid, settled
    partiallyPaid -> settled
    settled       (final)

A move off the graph is 409; a state that is not a bill state, or `null`, is 400 (the update
schema lets JSON Patch and merge patch express a removal, which a bill's state cannot undergo).
`lastUpdate` follows every change.
"""

from __future__ import annotations

import errors
from tmf_apis.rules import Document, RuleContext, Rules

MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"onHold", "validated"}),
    "onHold": frozenset({"new", "validated"}),
    "validated": frozenset({"sent", "onHold"}),
    "sent": frozenset({"partiallyPaid", "settled"}),
    "partiallyPaid": frozenset({"settled"}),
    "settled": frozenset(),
}


class BillRules(Rules):
    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        old = before.get("state", "new")
        new = after.get("state")
        if new not in MOVES:
            raise errors.BadRequest(
                f"state {new!r} is not a bill state; one of {', '.join(MOVES)}",
                reason="Unknown state",
            )
        if new != old:
            if new not in MOVES.get(old, frozenset()):
                allowed = ", ".join(sorted(MOVES.get(old, ()))) or "none (final)"
                raise errors.Conflict(
                    f"a bill cannot move from {old} to {new}; from {old}: {allowed}",
                    reason="Illegal state transition",
                )
            after["lastUpdate"] = context.now
