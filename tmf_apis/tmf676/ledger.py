"""The bill side of payments: one step of money set against (or taken back from) one bill.

A step is named by its op id (`<payment id>/<n>`, `<refund id>/<n>`) and recorded on the bill in
`_payments` ({op, payment, amount}; a refund's amount is negative) in the same write that moves
the bill's `remainingAmount`, `appliedPayment` and `state`, under the bill's revision. A step the
bill already records is not applied again: `apply` then answers what it applied the first time.
Payment takes at most what the bill still asks; a refund gives back at most what the payment
paid on it.

States the server moves a bill to (tmf678/bills.py lets no client do it): `partiallyPaid` while
something is paid and something left, `settled` when nothing is left, and back, once what was
paid is all refunded, to the state it had before its first payment (`_unpaidState`, else `sent`).
A bill may be paid in any state: a customer who pays early is not turned away.
"""

from __future__ import annotations

import copy
import random
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document

BILL_SCHEMA = "CustomerBill"
LEDGER = "_payments"
UNPAID_STATE = "_unpaidState"
PARTIALLY_PAID, SETTLED = "partiallyPaid", "settled"
PAID_STATES = frozenset({PARTIALLY_PAID, SETTLED})
DEFAULT_UNPAID = "sent"
# Concurrent payments of one bill each re-read it on a lost race; enough for a burst of them.
ATTEMPTS = 200


def amount(value: Any) -> Decimal:
    """A stored Money's (or a bare number's) amount as a Decimal; zero when there is none."""
    found = money.decimal(value.get("value") if isinstance(value, dict) else value)
    return found if found is not None else money.ZERO


def currency(value: Any) -> str:
    return str(value.get("unit") or "") if isinstance(value, dict) else ""


def remaining(bill: Document) -> Decimal:
    return amount(bill.get("remainingAmount", bill.get("amountDue")))


def paid_by(bill: Document, payment_id: str) -> Decimal:
    """What `payment_id` has paid on the bill, net of refunds."""
    return sum(
        (Decimal(e["amount"]) for e in _ledger(bill) if e.get("payment") == payment_id),
        money.ZERO,
    )


def apply(
    bills: ResourceStore, bill_id: str, op: str, payment_id: str, wanted: Decimal, now: str
) -> Decimal:
    """Carry out step `op` of `payment_id` on the bill: pay up to `wanted` (positive) or give
    back up to `-wanted` (negative); returns the signed amount the bill records for the step
    (zero for a bill gone)."""
    for _ in range(ATTEMPTS):
        try:
            before, revision = bills.get_for_update(bill_id)
        except NotFound:
            return money.ZERO
        done = next((e for e in _ledger(before) if e.get("op") == op), None)
        if done is not None:
            return Decimal(done["amount"])
        left = remaining(before)
        if wanted > 0:
            step = min(wanted, left)
        else:
            step = -min(-wanted, paid_by(before, payment_id))
        if step == 0:
            return money.ZERO
        after = _moved(before, op, payment_id, step, now)
        try:
            bills.replace(before, revision, after)
            return step
        except Conflict:
            # Another payment got there first: read the bill again. A little jitter keeps a
            # burst of payers from colliding in lock step.
            time.sleep(random.uniform(0, 0.005))
        except NotFound:
            return money.ZERO
    raise Conflict(f"bill {bill_id!r} kept changing while a payment was applied; retried later")


def _moved(before: Document, op: str, payment_id: str, step: Decimal, now: str) -> Document:
    after = copy.deepcopy(before)
    unit = currency(before.get("amountDue")) or currency(before.get("remainingAmount"))
    left = remaining(before) - step
    after[LEDGER] = [*_ledger(before), {"op": op, "payment": payment_id, "amount": str(step)}]
    after["remainingAmount"] = money.money(left, unit)
    after["appliedPayment"] = _applied(after[LEDGER], unit)
    if not after["appliedPayment"]:
        after.pop("appliedPayment")
    old = before.get("state", "new")
    if old not in PAID_STATES:
        after[UNPAID_STATE] = old
    if left <= 0:
        after["state"] = SETTLED
    elif left < amount(before.get("amountDue")):
        after["state"] = PARTIALLY_PAID
    else:
        after["state"] = after.pop(UNPAID_STATE, None) or DEFAULT_UNPAID
    after["lastUpdate"] = now
    return after


def _applied(ledger: list[Document], unit: str) -> list[Document]:
    """TMF678 `appliedPayment`: each payment's net share of the bill, in order of first payment."""
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for entry in ledger:
        shares[entry["payment"]] += Decimal(entry["amount"])
    return [
        {
            "appliedAmount": money.money(share, unit),
            "payment": {"id": payment, "@referredType": "Payment"},
        }
        for payment, share in shares.items()
        if share > 0
    ]


def _ledger(bill: Document) -> list[Document]:
    found = bill.get(LEDGER)
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def open_bills(bills: ResourceStore, account_id: str, unit: str) -> list[Document]:
    """The account's bills in `unit` that still ask for money, oldest first (billDate, billNo)."""
    found = [
        b
        for b in bills.find_all(
            {"billingAccount.id": account_id, "remainingAmount.value": {"$gt": 0}}
        )
        if currency(b.get("remainingAmount")) == unit
    ]
    return sorted(found, key=lambda b: (str(b.get("billDate") or ""), str(b.get("billNo") or "")))
