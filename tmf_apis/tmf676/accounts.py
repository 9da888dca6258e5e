"""Which accounts take payments, and whose a payment is.

A payment names a billing or settlement account held by TMF666 (stores "BillingAccount",
"SettlementAccount"), or an account bills are made for that TMF666 does not hold (bill runs bill
the accounts orders name, and a partner's `settlement-<partner>` account by convention). A held
account takes payments while Active or Suspended (a suspended customer paying its debt is the
usual way out of suspension); Inactive and Closed ones refuse them.

A payment belongs to the party its account is kept for (`_party`, tmf_apis/scope.py): the
account's partner (a payout, which that partner reads), else the channel that brought its
customer. A single party: an account tagged by several channels is read by the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from persistence.store import ResourceStore
from tmf_apis.rules import Document
from tmf_apis.tmf676 import ledger

ACCOUNT_SCHEMAS = ("BillingAccount", "SettlementAccount")
PAYABLE_STATES = frozenset({"Active", "Suspended"})
PARTY = "_party"
# The relatedParty roles a scoped caller reads by (handlers/access.py SCOPED), first wins.
OWNER_ROLES = ("partner", "channel")


def held(stores: Mapping[str, ResourceStore], account_id: str) -> tuple[str, Document] | None:
    """The account as TMF666 holds it, with the schema of its store; None when it holds none."""
    for schema in ACCOUNT_SCHEMAS:
        store = stores.get(schema)
        found = store.find_one({"id": account_id}) if store is not None else None
        if found is not None:
            return schema, found
    return None


def billed(stores: Mapping[str, ResourceStore], account_id: str) -> list[Document]:
    bills = stores.get(ledger.BILL_SCHEMA)
    return list(bills.find_all({"billingAccount.id": account_id})) if bills is not None else []


def refusal(account: Document | None, bills: list[Document], account_id: str) -> str | None:
    """Why the account takes no payment, or None."""
    if account is None and not bills:
        return f"account {account_id!r} does not exist"
    state = (account or {}).get("state", "Active")
    if state not in PAYABLE_STATES:
        return f"account {account_id!r} is {state}: it takes payments when Active or Suspended"
    return None


def currencies(account: Document | None, bills: list[Document]) -> set[str]:
    """The currencies the account is known in: its bills', its balances'."""
    found = {ledger.currency(b.get("amountDue")) for b in bills}
    for balance in (account or {}).get("accountBalance") or []:
        if isinstance(balance, dict):
            found.add(ledger.currency(balance.get("amount")))
    return found - {""}


def owner(account: Document | None, bills: list[Document]) -> dict[str, Any] | None:
    """The party a payment on the account belongs to (see the module's docstring)."""
    sources = [account] if account is not None else bills
    for role in OWNER_ROLES:
        for source in sources:
            for party in source.get("relatedParty") or []:
                if (
                    isinstance(party, dict)
                    and str(party.get("role", "")).lower() == role
                    and isinstance(party.get("id"), str)
                ):
                    return {"id": party["id"], "role": role}
    return None
