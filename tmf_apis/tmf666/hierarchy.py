"""Account hierarchy (TMF666 `accountRelationship`): ties between accounts held here.

- Each relationship's `account.id` names an account of any kind (billing, settlement, party or
  financial) this server holds, and never the account itself; another is refused (422).
- Following the relationships of one `relationshipType` from account to account never comes
  back to where it started: a site's account `billedTo` its company's, which is `billedTo` the
  site's, is refused (422) with the loop it would make. Relationships of different types may
  point both ways (a financial account that `contains` a billing account which `belongsTo` it).
  Validity periods are not read: a loop is refused whenever its relationships hold.
- An account that another account's relationship names is not deleted (409): the hierarchy
  would point at nothing.

Two writes racing to close a loop from both ends may both pass; the server holds no lock across
accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tmf_apis.rules import Document, RuleContext

# Every kind of account, by resource schema: a relationship may name any of them.
ACCOUNT_SCHEMAS = ("BillingAccount", "SettlementAccount", "PartyAccount", "FinancialAccount")
RELATIONSHIPS = "accountRelationship"
# The attribute path every account is indexed on, to find who names an account.
NAMED_BY = f"{RELATIONSHIPS}.account.id"
# How far a loop is looked for: hierarchies are shallow; a longer chain is not followed further.
MAX_DEPTH = 64


def relationships(document: Document) -> Iterator[tuple[int, str, str]]:
    """(index, relationshipType, id of the account named) of each relationship naming one."""
    for index, relationship in enumerate(document.get(RELATIONSHIPS) or []):
        if not isinstance(relationship, dict):
            continue
        account = relationship.get("account")
        target = account.get("id") if isinstance(account, dict) else None
        if isinstance(target, str):
            yield index, str(relationship.get("relationshipType", "")), target


def problems(account_id: str, document: Document, context: RuleContext) -> list[str]:
    """Why the relationships of `document` (the account `account_id`) cannot be kept."""
    found = []
    for index, kind, target in relationships(document):
        place = f"{RELATIONSHIPS}[{index}]"
        if target == account_id:
            found.append(f"{place}: an account cannot be related to itself")
        elif _account(target, context) is None:
            found.append(f"{place}: account {target!r} does not exist")
        else:
            loop = _loop(account_id, kind, target, context)
            if loop:
                chain = " -> ".join(repr(a) for a in [account_id, *loop])
                found.append(f"{place}: {kind} {target!r} would close a loop ({chain})")
    return found


def referrers(account_id: str, context: RuleContext) -> list[str]:
    """The ids of the accounts whose relationships name `account_id`."""
    return sorted(
        found
        for schema in ACCOUNT_SCHEMAS
        if schema in context.stores
        for found in context.store(schema).ids({NAMED_BY: account_id})
    )


def _account(account_id: str, context: RuleContext) -> Document | None:
    for schema in ACCOUNT_SCHEMAS:
        if schema in context.stores:
            found = context.store(schema).find_one({"id": account_id})
            if found is not None:
                return found
    return None


def _loop(start: str, kind: str, first: str, context: RuleContext) -> list[str]:
    """The chain of accounts, `first` to `start`, that relationships of type `kind` make from
    `first` back to `start`; empty when there is none."""
    came_from: dict[str, Any] = {first: None}
    frontier = [first]
    for _ in range(MAX_DEPTH):
        following = []
        for account_id in frontier:
            account = _account(account_id, context)
            for _, other_kind, target in relationships(account or {}):
                if other_kind != kind or target in came_from:
                    continue
                came_from[target] = account_id
                if target == start:
                    return _chain(came_from, start)
                following.append(target)
        if not following:
            return []
        frontier = following
    return []


def _chain(came_from: dict[str, Any], last: str) -> list[str]:
    chain = [last]
    while came_from[chain[-1]] is not None:
        chain.append(came_from[chain[-1]])
    return list(reversed(chain))
