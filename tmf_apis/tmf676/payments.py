"""The payment side: the steps a payment's money takes, recorded before they are carried out.

A payment records its steps (`_ops`: {op, bill, amount, at}, `applied` once carried out) in the
write that decides them, under the payment's revision: its creation, a use of its credit, a
refund of it. `_applying` holds the time of the oldest step not carried out; `settle` carries
out every such step on its bill (ledger.py; idempotent by op id), records what each bill took,
and works out again what the client reads:

- `paymentItem`: each bill the payment pays, with its net share (`totalAmount`);
- `_credit`: what no bill took and no refund gave back (totalAmount, less the refunds in
  `_refunds`, less the steps: a step not yet carried out counts as planned, so no money is
  promised twice).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document
from tmf_apis.tmf676 import ledger

PAYMENT_SCHEMA = "Payment"
OPS = "_ops"
APPLYING = "_applying"
CREDIT = "_credit"
REFUNDS = "_refunds"
CURRENCY = "_currency"
ATTEMPTS = 50


def stored(held: ResourceStore, payment_id: str) -> Document | None:
    """The payment with its bookkeeping (a plain read leaves out what starts with `_`)."""
    try:
        return held.get_for_update(payment_id)[0]
    except NotFound:
        return None


def unit(payment: Document) -> str:
    return str(payment.get(CURRENCY) or ledger.currency(payment.get("totalAmount")))


def ops(payment: Document) -> list[Document]:
    found = payment.get(OPS)
    return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []


def effective(op: Document) -> Decimal:
    """What a step moves: what its bill took, else what it plans."""
    return Decimal(op["applied"] if "applied" in op else op["amount"])


def refunded(payment: Document) -> Decimal:
    return sum((Decimal(r["amount"]) for r in payment.get(REFUNDS) or []), money.ZERO)


def credit(payment: Document) -> Decimal:
    total = ledger.amount(payment.get("totalAmount"))
    return total - refunded(payment) - sum((effective(o) for o in ops(payment)), money.ZERO)


def add_ops(payment: Document, plan: Iterable[tuple[str, Decimal]], prefix: str, now: str) -> None:
    """Record steps (bill id, signed amount) on `payment`, named `<prefix>/<n>`."""
    held = ops(payment)
    added = [
        {"op": f"{prefix}/{len(held) + n}", "bill": bill, "amount": str(step), "at": now}
        for n, (bill, step) in enumerate(plan)
        if step != 0
    ]
    if added:
        payment[OPS] = [*held, *added]
        payment[APPLYING] = payment.get(APPLYING) or now
    derive(payment)


def plan_open_bills(bills: ResourceStore, payment: Document, available: Decimal) -> list[Any]:
    """Steps that spread `available` over the account's open bills, oldest first, as they are
    read now (a bill that took less by the time the step runs leaves the rest as credit)."""
    plan: list[tuple[str, Decimal]] = []
    account = str((payment.get("account") or {}).get("id"))
    for bill in ledger.open_bills(bills, account, unit(payment)):
        if available <= 0:
            break
        step = min(available, ledger.remaining(bill))
        plan.append((str(bill["id"]), step))
        available -= step
    return plan


def derive(payment: Document) -> None:
    """Work out `paymentItem` and `_credit` from the steps and refunds."""
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for op in ops(payment):
        shares[op["bill"]] += effective(op)
    currency = unit(payment)
    payment["paymentItem"] = [
        {
            "id": str(n),
            "item": {"id": bill, "@referredType": "CustomerBill"},
            "totalAmount": money.money(share, currency),
        }
        for n, (bill, share) in enumerate(((b, s) for b, s in shares.items() if s > 0), start=1)
    ]
    payment[CREDIT] = money.number(credit(payment))


def settle(payments: ResourceStore, bills: ResourceStore, payment_id: str, now: str) -> Document:
    """Carry out every step of the payment not carried out yet and record what each bill took;
    returns the payment as stored then."""
    for _ in range(ATTEMPTS):
        before, revision = payments.get_for_update(payment_id)
        waiting = [o for o in ops(before) if "applied" not in o]
        if not waiting and APPLYING not in before:
            return before
        taken = {
            o["op"]: ledger.apply(bills, o["bill"], o["op"], payment_id, Decimal(o["amount"]), now)
            for o in waiting
        }
        after = copy.deepcopy(before)
        for op in ops(after):
            if op["op"] in taken:
                op["applied"] = str(taken[op["op"]])
        after.pop(APPLYING, None)
        derive(after)
        try:
            payments.replace(before, revision, after)
            return after
        except Conflict:
            continue  # another step was recorded meanwhile: the bills keep what was done
        except NotFound:
            raise
    raise Conflict(f"payment {payment_id!r} kept changing while it was applied; retried later")
