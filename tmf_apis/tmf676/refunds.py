"""Refunds: money a payment gives back, taken first from its credit, then from the bills it paid.

A refund is stored with `_applying` (the time), then carried out: its amount is recorded on the
payment (`_refunds`, keyed by the refund's id, so a second run records nothing) together with
the steps that take it back from the bills, newest payment step first (payments.py); the steps
are carried out (ledger.py), and the refund loses its `_applying`. A refund refused at that
point (a concurrent refund took what it asked for) is marked `failed`. The sweeper runs what a
stopped process left.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document
from tmf_apis.tmf676 import balances, ledger, payments

REFUND_SCHEMA = "Refund"
DONE, FAILED = "done", "failed"
ATTEMPTS = 50


def holds(payment: Document) -> Decimal:
    """What a refund may still take from the payment."""
    return ledger.amount(payment.get("totalAmount")) - payments.refunded(payment)


def carry_out(stores: Mapping[str, ResourceStore], refund: Document, now: str) -> Document:
    """Record and carry out the refund; returns what the refund's own document became."""
    held, bills = stores[payments.PAYMENT_SCHEMA], stores[ledger.BILL_SCHEMA]
    payment_id = str((refund.get("payment") or {}).get("id"))
    status = DONE
    try:
        payments.settle(held, bills, payment_id, now)  # its shares known before any is taken
        status = _record(held, bills, refund, payment_id, now)
        payment = payments.settle(held, bills, payment_id, now)
        balances.recompute(stores, str((payment.get("account") or {}).get("id")), now)
    except NotFound:
        status = FAILED
    return _finish(stores[REFUND_SCHEMA], str(refund["id"]), status, now)


def _record(
    held: ResourceStore, bills: ResourceStore, refund: Document, payment_id: str, now: str
) -> str:
    refund_id = str(refund["id"])
    wanted = ledger.amount(refund.get("totalAmount"))
    for _ in range(ATTEMPTS):
        before, revision = held.get_for_update(payment_id)
        if any(r.get("refund") == refund_id for r in before.get(payments.REFUNDS) or []):
            return DONE
        if wanted > holds(before):
            return FAILED
        rest = wanted - min(wanted, max(payments.credit(before), money.ZERO))
        after = copy.deepcopy(before)
        after[payments.REFUNDS] = [
            *(before.get(payments.REFUNDS) or []),
            {"refund": refund_id, "amount": str(wanted)},
        ]
        payments.add_ops(after, _taken_back(before, rest), refund_id, now)
        try:
            held.replace(before, revision, after)
            return DONE
        except Conflict:
            continue
    raise Conflict(f"payment {payment_id!r} kept changing while refund {refund_id!r} was made")


def _taken_back(payment: Document, rest: Decimal) -> list[tuple[str, Decimal]]:
    """Steps taking `rest` back from the bills the payment paid, most recently paid first."""
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for op in payments.ops(payment):
        shares[op["bill"]] += payments.effective(op)
    newest_first = list(dict.fromkeys(op["bill"] for op in reversed(payments.ops(payment))))
    plan = []
    for bill in newest_first:
        take = min(rest, max(shares[bill], money.ZERO))
        if take > 0:
            plan.append((bill, -take))
            rest -= take
    return plan


def _finish(refunds: ResourceStore, refund_id: str, status: str, now: str) -> Document:
    def change(document: Document) -> None:
        document.pop(payments.APPLYING, None)
        if document.get("status") != status:
            document["status"], document["statusDate"] = status, now

    return refunds.modify(refund_id, change, attempts=ATTEMPTS)
