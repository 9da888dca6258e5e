"""What a client may do to a bill: move its `state` before it is paid, and nothing else.

Bills are made by bill runs (billing.py), never by POST. A client moves their states along:

    new           -> onHold, validated
    onHold        -> new, validated
    validated     -> sent, onHold
    sent          (paid by payments)

`partiallyPaid` and `settled` follow the money: payments (TMF676, tmf_apis/tmf676/ledger.py)
move a bill there as they are applied to it, in whichever state it is (a customer may pay
early), and refunds move it back. No client moves a bill into them or out of them, the
operator's admin included: a bill marked paid by hand would show a paid bill whose
`remainingAmount` still asks for money, and the account's balance would disagree with it.
A move off the graph is 409; a state that is not a bill state, or `null`, is 400 (the update
schema lets JSON Patch and merge patch express a removal, which a bill's state cannot undergo).
`lastUpdate` follows every change.
"""

from __future__ import annotations

import errors
from tmf_apis.rules import Document, RuleContext, Rules

PAID = frozenset({"partiallyPaid", "settled"})
MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"onHold", "validated"}),
    "onHold": frozenset({"new", "validated"}),
    "validated": frozenset({"sent", "onHold"}),
    "sent": frozenset(),
    "partiallyPaid": frozenset(),
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
        if new == old:
            return
        if new in PAID or old in PAID:
            raise errors.Conflict(
                f"a bill cannot be moved from {old} to {new} by hand: payments (TMF676) move "
                "bills into and out of partiallyPaid and settled as they are applied",
                reason="Illegal state transition",
            )
        if new not in MOVES.get(old, frozenset()):
            allowed = ", ".join(sorted(MOVES.get(old, ()))) or "none"
            raise errors.Conflict(
                f"a bill cannot move from {old} to {new}; from {old}: {allowed}",
                reason="Illegal state transition",
            )
        after["lastUpdate"] = context.now
