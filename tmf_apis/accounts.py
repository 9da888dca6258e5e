"""The TMF666 accounts orders and charging use, read by resource schema name (docs/accounts.md).

Order validation (TMF622) and charging (TMF678) both read them here, so that the account an
order is checked against is the one it is charged on; neither imports TMF666.

- An account `belongs` to a customer when its `relatedParty` names the customer (role
  `customer`, or `@referredType: Customer`; parties.customers), or when it lies on one line of
  the account hierarchy with an account that does: following `accountRelationship` links (of any
  type, in force now) from one of the two reaches the other. So a site's customer may order on
  its company's account (the site's account `billedTo` it, or the company's names the site's),
  and the company on its site's; two sites of one company, which only meet at the company, may
  not use each other's.
- The customer's default account (`default_account`): the first entry of its TMF629 `account`
  list that is an Active billing account held here belonging to it; else its only Active
  billing account; several and none of them listed first is `Ambiguous`. A customer with no
  billing account held here (none naming it, none of its list) falls back to the first entry of
  its `account` list, unchecked: how orders were charged before TMF666 accounts were held.
- A partner's settlement account: its Active `SettlementAccount` naming it in the role
  `partner`, the first opened when there are several.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from persistence.store import ResourceStore
from tmf_apis import parties
from tmf_apis.scope import RELATED_PARTY, scope_filter

Document = dict[str, Any]
BILLING_ACCOUNT = "BillingAccount"
SETTLEMENT_ACCOUNT = "SettlementAccount"
# Every kind of account a relationship may name (TMF666 hierarchy.py).
ACCOUNT_SCHEMAS = (BILLING_ACCOUNT, SETTLEMENT_ACCOUNT, "PartyAccount", "FinancialAccount")
ACTIVE = "Active"
RELATIONSHIPS = "accountRelationship"
NAMED_BY = f"{RELATIONSHIPS}.account.id"
PARTNER_ROLE = "partner"
# Hierarchies are shallow (a site, its company, a financial account): a longer line is not
# followed further.
MAX_DEPTH = 16


class Ambiguous(Exception):
    """The customer has several Active billing accounts and none is its default."""

    def __init__(self, customer_id: str, account_ids: list[str]) -> None:
        self.account_ids = account_ids
        super().__init__(
            f"customer {customer_id!r} has several active billing accounts "
            f"({', '.join(repr(a) for a in account_ids)}) and none is the first of its account "
            "list: name one in billingAccount"
        )


class NoneActive(Exception):
    """The customer has billing accounts here, and none it may use is Active."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"customer {customer_id!r} has no active billing account: name one, or activate one"
        )


def served(stores: Mapping[str, ResourceStore]) -> bool:
    """Whether TMF666 billing accounts are held here (the store exists)."""
    return BILLING_ACCOUNT in stores


def reference(account: Document, referred_type: str = BILLING_ACCOUNT) -> Document:
    """A BillingAccountRef to `account` (held here or a TMF629 account entry)."""
    ref = {k: account[k] for k in ("id", "name") if isinstance(account.get(k), str)}
    return {**ref, "@referredType": referred_type}


def belongs(
    account: Document, customer_id: str, stores: Mapping[str, ResourceStore], now: str
) -> bool:
    """Whether the customer may be billed on `account` (see the module's docstring)."""
    if _names(account, customer_id):
        return True
    for following in (_named_by_it, _naming_it):
        if any(_names(found, customer_id) for found in _line(account, following, stores, now)):
            return True
    return False


def default_account(
    customer_id: str,
    customer: Document | None,
    stores: Mapping[str, ResourceStore],
    now: str,
    scope: Mapping[str, Any] | None = None,
) -> Document | None:
    """A reference to the customer's default billing account; None when it has none at all.
    Raises Ambiguous or NoneActive. `scope` restricts the accounts read (a channel's)."""
    store = stores[BILLING_ACCOUNT]
    where = dict(scope or {})
    listed = [
        a for a in (customer or {}).get("account") or [] if isinstance(a, dict) and a.get("id")
    ]
    held_listed = False
    for entry in listed:
        found = store.find_one({**where, "id": str(entry["id"])})
        if found is None:
            continue
        held_listed = True
        if found.get("state") == ACTIVE and belongs(found, customer_id, stores, now):
            return reference(found)
    own = [
        a
        for a in store.find_all({**where, "relatedParty.id": customer_id})
        if _names(a, customer_id)
    ]
    active = [a for a in own if a.get("state") == ACTIVE]
    if len(active) == 1:
        return reference(active[0])
    if active:
        raise Ambiguous(customer_id, [str(a["id"]) for a in active])
    if own or held_listed:
        raise NoneActive(customer_id)
    return reference(listed[0]) if listed else None


def listed_fallback(
    account_id: str,
    customer_id: str,
    customer: Document | None,
    stores: Mapping[str, ResourceStore],
    scope: Mapping[str, Any] | None = None,
) -> bool:
    """Whether an account not held here may still be named: the customer holds no billing
    account here and its TMF629 `account` list names this one (a database from before TMF666
    accounts)."""
    listed = {
        str(a.get("id")) for a in (customer or {}).get("account") or [] if isinstance(a, dict)
    }
    if account_id not in listed:
        return False
    store = stores[BILLING_ACCOUNT]
    where = dict(scope or {})
    if any(store.exists({**where, "id": a}) for a in listed):
        return False
    return not any(
        _names(a, customer_id) for a in store.find_all({**where, "relatedParty.id": customer_id})
    )


def settlement_account(partner_id: str, stores: Mapping[str, ResourceStore]) -> Document | None:
    """The partner's Active settlement account held here, the first opened; None without."""
    store = stores.get(SETTLEMENT_ACCOUNT)
    if store is None:
        return None
    where = {**scope_filter(RELATED_PARTY, PARTNER_ROLE, partner_id), "state": ACTIVE}
    return next(iter(store.find_all(where)), None)


def has_settlement_account(partner_id: str, stores: Mapping[str, ResourceStore]) -> bool:
    """Whether a settlement account held here (in any state) names the partner as partner."""
    store = stores.get(SETTLEMENT_ACCOUNT)
    where = scope_filter(RELATED_PARTY, PARTNER_ROLE, partner_id)
    return store is not None and store.exists(where)


def _names(account: Document, customer_id: str) -> bool:
    return any(str(p.get("id")) == customer_id for p in parties.customers(account))


def _line(
    start: Document,
    following: Any,
    stores: Mapping[str, ResourceStore],
    now: str,
) -> Iterator[Document]:
    """The accounts `following` reaches from `start`, step by step, each once."""
    seen = {start.get("id")}
    frontier = [start]
    for _ in range(MAX_DEPTH):
        reached = []
        for account in frontier:
            for found in following(account, stores, now):
                if found.get("id") not in seen:
                    seen.add(found.get("id"))
                    reached.append(found)
                    yield found
        if not reached:
            return
        frontier = reached


def _named_by_it(
    account: Document, stores: Mapping[str, ResourceStore], now: str
) -> Iterator[Document]:
    for relationship in account.get(RELATIONSHIPS) or []:
        target = _target(relationship, now)
        found = _account(target, stores) if target else None
        if found is not None:
            yield found


def _naming_it(
    account: Document, stores: Mapping[str, ResourceStore], now: str
) -> Iterator[Document]:
    account_id = account.get("id")
    for schema in ACCOUNT_SCHEMAS:
        if schema not in stores:
            continue
        for found in stores[schema].find_all({NAMED_BY: account_id}):
            if any(_target(r, now) == account_id for r in found.get(RELATIONSHIPS) or []):
                yield found


def _target(relationship: Any, now: str) -> str | None:
    """The id a relationship in force at `now` names; None for another."""
    if not isinstance(relationship, dict):
        return None
    account = relationship.get("account")
    target = account.get("id") if isinstance(account, dict) else None
    valid_for = relationship.get("validFor") or {}
    start, end = valid_for.get("startDateTime"), valid_for.get("endDateTime")
    # Stored date-times share one fixed-width UTC form (persistence/dates.py): text order is time
    # order.
    if (isinstance(start, str) and start > now) or (isinstance(end, str) and end <= now):
        return None
    return target if isinstance(target, str) else None


def _account(account_id: str, stores: Mapping[str, ResourceStore]) -> Document | None:
    for schema in ACCOUNT_SCHEMAS:
        if schema in stores:
            found = stores[schema].find_one({"id": account_id})
            if found is not None:
                return found
    return None
