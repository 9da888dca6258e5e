"""An account's balances, worked out again from the data whenever payments or bills change.

TMF666 `accountBalance` is the server's (tmf666/registry.py: no client writes it). Two kinds
are kept, one per currency the account has bills or payments in, beside any other kind:
- `dueBalance`: what the account's bills still ask (the sum of their `remainingAmount`);
- `creditBalance`: what its payments hold that no bill took and no refund gave back.
Working them out twice writes once: an unchanged balance is not written again. A bill run's
batch of accounts is worked out together (`recompute_many`): a few queries for the whole batch.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
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


Amounts = dict[tuple[str, str], Decimal]


def tally(bills: Iterable[Document], kept: Iterable[Document]) -> Amounts:
    """(balance type, currency) -> amount, from an account's bills and its payments as kept."""
    found: Amounts = defaultdict(Decimal)
    for bill in bills:
        unit = ledger.currency(bill.get("remainingAmount"))
        found[(DUE, unit)] += max(ledger.remaining(bill), money.ZERO)
        found[(CREDIT, unit)] += money.ZERO
    for payment in kept:
        unit = payments.unit(payment)
        found[(DUE, unit)] += money.ZERO
        found[(CREDIT, unit)] += max(payments.credit(payment), money.ZERO)
    return {key: value for key, value in found.items() if key[1]}


def amounts(stores: Mapping[str, ResourceStore], account_id: str) -> Amounts:
    """(balance type, currency) -> amount, from the account's bills and payments."""
    held = stores.get(payments.PAYMENT_SCHEMA)
    kept = held.find_all_kept({"account.id": account_id}) if held is not None else iter(())
    return tally(accounts.billed(stores, account_id), kept)


def balanced(account: Document, wanted: Amounts, now: str) -> Document:
    """A copy of the account holding the `wanted` balances; equal to it when none changed."""
    after = copy.deepcopy(account)
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
            balances.append(copy.deepcopy(before))
        else:
            balances.append(
                {
                    "balanceType": kind,
                    "amount": money.money(value, unit),
                    "validFor": {"startDateTime": now},
                }
            )
    if balances != list(kept.values()):
        after[BALANCE] = [*others, *balances]
        after[LAST_MODIFIED] = now
    return after


def recompute(stores: Mapping[str, ResourceStore], account_id: str, now: str) -> None:
    """Write the account's balances as its bills and payments give them, if it is held here."""
    found = accounts.held(stores, account_id)
    if found is None:
        return
    store = stores[found[0]]
    for _ in range(ATTEMPTS):
        try:
            # The account is read before the data: another process's newer balance, written in
            # between, makes this write lose the race and work the amounts out again.
            before, revision = store.get_for_update(account_id)
            after = balanced(before, amounts(stores, account_id), now)
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


def recompute_many(
    stores: Mapping[str, ResourceStore], account_ids: Iterable[str], now: str
) -> None:
    """`recompute` of each account, reading the batch's accounts, bills and payments in one query
    each; an account that changed meanwhile is worked out again alone."""
    held = _held_for_update(stores, list(dict.fromkeys(str(i) for i in account_ids)))
    if not held:
        return
    # Read after the accounts: a bill or payment changed since is followed by its own recompute,
    # whose write makes ours lose the race below rather than overwrite it.
    within = {"$in": list(held)}
    bill_store, payment_store = stores.get(ledger.BILL_SCHEMA), stores.get(payments.PAYMENT_SCHEMA)
    bills = bill_store.find_all({"billingAccount.id": within}) if bill_store else iter(())
    kept = payment_store.find_all_kept({"account.id": within}) if payment_store else iter(())
    billed, paid = _by_account(bills, "billingAccount"), _by_account(kept, "account")
    for account_id, (store, before, revision) in held.items():
        after = balanced(before, tally(billed[account_id], paid[account_id]), now)
        if after == before:
            continue
        try:
            store.replace(before, revision, after)
        except NotFound:
            continue
        except Conflict:
            recompute(stores, account_id, now)


def _by_account(documents: Iterable[Document], reference: str) -> dict[str, list[Document]]:
    """The documents by the id of the account their `reference` names."""
    grouped: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        grouped[str((document.get(reference) or {}).get("id"))].append(document)
    return grouped


def _held_for_update(
    stores: Mapping[str, ResourceStore], account_ids: list[str]
) -> dict[str, tuple[ResourceStore, Document, int]]:
    """The accounts TMF666 holds among `account_ids`, each with its store and revision; the
    first account store holding an id wins, as in `accounts.held`."""
    found: dict[str, tuple[ResourceStore, Document, int]] = {}
    for schema in accounts.ACCOUNT_SCHEMAS:
        store = stores.get(schema)
        missing = [i for i in account_ids if i not in found]
        if store is None or not missing:
            continue
        for account_id, (document, revision) in store.get_many_for_update(missing).items():
            found[account_id] = (store, document, revision)
    return found
