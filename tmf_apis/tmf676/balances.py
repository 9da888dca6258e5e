"""An account's balances, worked out again from the data whenever payments or bills change.

TMF666 `accountBalance` is the server's (tmf666/registry.py: no client writes it). Two kinds
are kept, one per currency the account has bills or payments in, beside any other kind:
- `dueBalance`: what the account's bills still ask (the sum of their `remainingAmount`);
- `creditBalance`: what its payments hold that no bill took and no refund gave back.
Working them out twice writes once: an unchanged balance is not written again.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document
from tmf_apis.tmf676 import accounts, ledger, payments

log = logging.getLogger("tmf.payments")

DUE, CREDIT = "dueBalance", "creditBalance"
KEPT = frozenset({DUE, CREDIT})
BALANCE = "accountBalance"
LAST_MODIFIED = "lastModified"
ATTEMPTS = 10


def amounts(stores: Mapping[str, ResourceStore], account_id: str) -> dict[tuple[str, str], Decimal]:
    """(balance type, currency) -> amount, from the account's bills and payments."""
    found: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for bill in accounts.billed(stores, account_id):
        unit = ledger.currency(bill.get("remainingAmount"))
        found[(DUE, unit)] += max(ledger.remaining(bill), money.ZERO)
        found[(CREDIT, unit)] += money.ZERO
    held = stores.get(payments.PAYMENT_SCHEMA)
    kept = held.find_all_kept({"account.id": account_id}) if held is not None else iter(())
    for payment in kept:
        unit = payments.unit(payment)
        found[(DUE, unit)] += money.ZERO
        found[(CREDIT, unit)] += max(payments.credit(payment), money.ZERO)
    return {key: value for key, value in found.items() if key[1]}


def recompute(stores: Mapping[str, ResourceStore], account_id: str, now: str) -> None:
    """Write the account's balances as its bills and payments give them, if it is held here."""
    found = accounts.held(stores, account_id)
    if found is None:
        return
    store = stores[found[0]]
    wanted = amounts(stores, account_id)

    def change(account: Document) -> None:
        others = [
            b
            for b in account.get(BALANCE) or []
            if not (isinstance(b, dict) and b.get("balanceType") in KEPT)
        ]
        kept = {
            (b["balanceType"], ledger.currency(b.get("amount"))): b
            for b in account.get(BALANCE) or []
            if isinstance(b, dict) and b.get("balanceType") in KEPT
        }
        balances = []
        for (kind, unit), value in sorted(wanted.items()):
            before = kept.get((kind, unit))
            if before is not None and ledger.amount(before.get("amount")) == value:
                balances.append(before)
            else:
                balances.append(
                    {
                        "balanceType": kind,
                        "amount": money.money(value, unit),
                        "validFor": {"startDateTime": now},
                    }
                )
        if balances != list(kept.values()):
            account[BALANCE] = [*others, *balances]
            account[LAST_MODIFIED] = now

    for _ in range(ATTEMPTS):
        try:
            before, revision = store.get_for_update(account_id)
            after = copy.deepcopy(before)
            change(after)
            if after == before:
                return
            store.replace(before, revision, after)
            return
        except NotFound:
            return
        except Conflict:
            continue
    # A busy account: the next payment, bill run or sweep works it out again.
    log.warning("balance left for later", extra={"account": account_id})
