"""Credit: what a payment holds that no bill took, used by its account's open bills.

Used when a bill run issues bills (TMF678 publishes domain.BILLS_ISSUED with the accounts it
billed) and by the sweeper (sweeper.py), which also finds the accounts of a run that stopped
before publishing. The oldest payment's credit goes first, to the oldest open bills first; each
use is recorded on the payment as its steps before it is carried out (payments.py), so a credit
is never spent twice, even by two processes at once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis.rules import RuleContext
from tmf_apis.tmf676 import balances, ledger, payments

ATTEMPTS = 20


def use(stores: Mapping[str, ResourceStore], account_id: str, now: str) -> None:
    """Spend the account's credit on its open bills, then work its balances out again."""
    held, bills = stores[payments.PAYMENT_SCHEMA], stores[ledger.BILL_SCHEMA]
    with_credit = sorted(
        held.find_all({"account.id": account_id, payments.CREDIT: {"$gt": 0}}),
        key=lambda p: str(p.get("paymentDate") or ""),
    )
    for payment in with_credit:
        if not _spend(held, bills, str(payment["id"]), now):
            break  # no open bill is left
    balances.recompute(stores, account_id, now)


def _spend(held: ResourceStore, bills: ResourceStore, payment_id: str, now: str) -> bool:
    """Record and carry out steps of the payment's credit over the open bills; False when no
    open bill was found."""
    for _ in range(ATTEMPTS):
        try:
            payments.settle(held, bills, payment_id, now)
            before, revision = held.get_for_update(payment_id)
        except NotFound:
            return True
        available = payments.credit(before)
        if available <= 0:
            return True
        plan = payments.plan_open_bills(bills, before, available)
        if not plan:
            return False
        after = copy.deepcopy(before)
        payments.add_ops(after, plan, payment_id, now)
        try:
            held.replace(before, revision, after)
        except Conflict:
            continue
        payments.settle(held, bills, payment_id, now)
        return True
    return True


def on_bills_issued(context: RuleContext, accounts: Iterable[Any] = (), **_: Any) -> None:
    """domain.BILLS_ISSUED: the accounts billed use their credit; those with none only have
    their balances worked out again, together (a batch is up to a bill run's page of bills)."""
    if payments.PAYMENT_SCHEMA not in context.stores:
        return
    billed = list(dict.fromkeys(str(account) for account in accounts))
    if not billed:
        return
    held = context.stores[payments.PAYMENT_SCHEMA]
    with_credit = {
        str((payment.get("account") or {}).get("id"))
        for payment in held.find_all({"account.id": {"$in": billed}, payments.CREDIT: {"$gt": 0}})
    }
    for account in billed:
        if account in with_credit:
            use(context.stores, account, context.now)
    balances.recompute_many(
        context.stores, [a for a in billed if a not in with_credit], context.now
    )
