"""The billing accounts an order names, checked, and the one it is charged on, recorded.

When TMF666 accounts are held here (the BillingAccount store exists), an order placed (a POST, a
draft moved to acknowledged) or changed in its accounts or parties is refused (422, nothing
written) when an account it names, on the order or on an item, is not held here, is not
`Active`, or does not belong to the order's customer (tmf_apis/accounts.py says when one does).
An order naming no customer is held to the first two only. A channel reads accounts as it reads
them through TMF666: one it may not see does not exist. An account not held here is accepted
only as the old fallback: the customer holds no billing account here and its TMF629 `account`
list names it.

An order that leaves an item without an account gets the customer's default one recorded in its
own `billingAccount` when placed, so that inventory and charging read it there rather than guess;
no default to choose (several Active accounts and none listed first, or none Active) is 422,
asking the client to name one. Without TMF666 served nothing here applies (validation.py checks
what a channel names, charging takes the customer's first account).
"""

from __future__ import annotations

from typing import Any

import errors
from tmf_apis import accounts, parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.scope import RELATED_PARTY, scope_filter
from tmf_apis.tmf622.states import all_items

ACCOUNT = "billingAccount"
CUSTOMER = "Customer"


def settle(order: Document, context: RuleContext) -> None:
    """On placing `order`: refuse the accounts it may not name (422), and record the
    customer's default account on it when an item would be left without one."""
    if not accounts.served(context.stores):
        return
    check(order, context)
    if not needs_default(order):
        return
    customer_id = _customer_id(order)
    if customer_id is None:
        return  # nothing to charge it to; charging logs it
    try:
        found = accounts.default_account(
            customer_id,
            _customer(customer_id, context),
            context.stores,
            context.now,
            _scope(context),
        )
    except (accounts.Ambiguous, accounts.NoneActive) as exc:
        raise errors.UnprocessableEntity(str(exc), reason="Billing account missing") from exc
    if found is not None:
        order[ACCOUNT] = found


def check(order: Document, context: RuleContext) -> None:
    """Refuse (422) the order when an account it names may not be used (module docstring)."""
    found = problems(order, context)
    if found:
        raise errors.UnprocessableEntity("; ".join(found), reason="Invalid billing account")


def problems(order: Document, context: RuleContext) -> list[str]:
    """Why the accounts the order names may not be used; empty when they may, or when TMF666
    is not served."""
    if not accounts.served(context.stores):
        return []
    customer_id = _customer_id(order)
    customer = _customer(customer_id, context) if customer_id else None
    store = context.store(accounts.BILLING_ACCOUNT)
    scope = _scope(context)
    found: list[str] = []
    for label, account_id in named(order):
        held = store.find_one({**scope, "id": account_id})
        if held is None:
            if customer_id is None or not accounts.listed_fallback(
                account_id, customer_id, customer, context.stores, scope
            ):
                found.append(f"{label}billing account {account_id!r} does not exist")
        elif held.get("state") != accounts.ACTIVE:
            found.append(
                f"{label}billing account {account_id!r} is {held.get('state')}, not Active"
            )
        elif customer_id is not None and not accounts.belongs(
            held, customer_id, context.stores, context.now
        ):
            found.append(
                f"{label}billing account {account_id!r} is not an account of customer "
                f"{customer_id!r}, nor on one line of the account hierarchy with one of its own"
            )
    return sorted(set(found), key=found.index)


def needs_default(order: Document) -> bool:
    """Whether an item would be charged on no account: the order names none, nor does one of
    its items."""
    if _account_id(order) is not None:
        return False
    return any(_account_id(item) is None for item in all_items(order.get("productOrderItem") or []))


def named(order: Document) -> list[tuple[str, str]]:
    """(place, account id) of every account the order and its items name."""
    found = []
    own = _account_id(order)
    if own is not None:
        found.append(("", own))
    for item in all_items(order.get("productOrderItem") or []):
        account_id = _account_id(item)
        if account_id is not None:
            found.append((f"item {item.get('id')!r}: ", account_id))
    return found


def _account_id(holder: Any) -> str | None:
    account = holder.get(ACCOUNT) if isinstance(holder, dict) else None
    account_id = account.get("id") if isinstance(account, dict) else None
    return str(account_id) if account_id is not None else None


def _customer_id(order: Document) -> str | None:
    customer = parties.customer(order)
    return str(customer["id"]) if customer else None


def _scope(context: RuleContext) -> dict[str, Any]:
    """What a channel may read, as a filter: its own customers and their accounts."""
    if context.party is None:
        return {}
    party_id, role = context.party
    return scope_filter(RELATED_PARTY, role, party_id)


def _customer(customer_id: str, context: RuleContext) -> Document | None:
    if CUSTOMER not in context.stores:
        return None
    scope = _scope(context)
    if not scope:  # read once for the write, with validation's own check of the customer
        return context.resolve(CUSTOMER, {"id": customer_id})
    return context.store(CUSTOMER).find_one({**scope, "id": customer_id})
