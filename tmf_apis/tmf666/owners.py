"""Whose an account is: the customers it names and the channels that brought them.

A channel (a caller scoped to its party, handlers/access.py) sees the accounts whose
`relatedParty` names it in the role `channel`, as for customers and orders. So that it sees its
customers' accounts whoever opens them:

- An account naming one of our customers (a `relatedParty` entry with the role `customer`, or
  `@referredType: Customer`; tmf_apis/parties.py) carries the channel tags of that customer
  (TMF629 `relatedParty` entries in the role `channel`), added on create and on every patch. A
  tag stays until the operator removes it and no customer of the channel is named any more.
- A channel opens billing accounts for its own customers only: it names at least one customer,
  and each one it names is its own; another's reads exactly as one that does not exist (422).
- The tags the server adds are named by the party's id (TMF666 v4 requires a related party's
  `name`).

Without TMF629 served, accounts name customers unchecked and carry no channel tags; a channel
cannot open accounts then (it has no customers here).
"""

from __future__ import annotations

from typing import Any

import errors
from tmf_apis import parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.scope import RELATED_PARTY, scope_filter

CUSTOMER = "Customer"
# The relatedParty role a channel's records are tagged with (handlers/access.py SCOPED).
CHANNEL = "channel"


def complete(document: Document, context: RuleContext, creating: bool) -> None:
    """Check what a scoped caller names, and tag `document` with its customers' channels."""
    named = parties.customers(document)
    if context.party is not None and creating:
        _check_own_customers(named, context)
    tags = _channel_tags(named, context)
    entries = [p for p in document.get(RELATED_PARTY) or [] if isinstance(p, dict)]
    held = {(p.get("id"), p.get("role")) for p in entries}
    added = [t for t in tags if (t["id"], t["role"]) not in held]
    if added:
        document[RELATED_PARTY] = [*(document.get(RELATED_PARTY) or []), *added]
    if context.party is not None:
        document[RELATED_PARTY] = [_named(p, context.party) for p in document[RELATED_PARTY]]


def _check_own_customers(named: list[Document], context: RuleContext) -> None:
    assert context.party is not None
    party_id, role = context.party
    if not named:
        raise errors.UnprocessableEntity(
            "relatedParty: an account a channel opens names the customer it is for "
            "(role customer, or @referredType Customer)",
            reason="Customer missing",
        )
    scope = scope_filter(RELATED_PARTY, role, party_id)
    store = context.stores.get(CUSTOMER)
    unknown = [
        str(c["id"])
        for c in named
        if store is None or not store.exists({"id": str(c["id"]), **scope})
    ]
    if unknown:
        raise errors.UnprocessableEntity(
            "; ".join(f"customer {c!r} does not exist" for c in unknown),
            reason="Unknown customer",
        )


def _channel_tags(named: list[Document], context: RuleContext) -> list[Document]:
    store = context.stores.get(CUSTOMER)
    if store is None:
        return []
    tags: list[Document] = []
    for customer in named:
        found = store.find_one({"id": str(customer["id"])}) or {}
        for party in found.get(RELATED_PARTY) or []:
            if isinstance(party, dict) and party.get("role") == CHANNEL and party.get("id"):
                tag = {**party, "name": party.get("name") or str(party["id"])}
                if all(t["id"] != tag["id"] for t in tags):
                    tags.append(tag)
    return tags


def _named(party: Any, own: tuple[str, str]) -> Any:
    """The scoped caller's own tag, which the server added without a name, named by its id."""
    if isinstance(party, dict) and (party.get("id"), party.get("role")) == own:
        return party if party.get("name") else {**party, "name": own[0]}
    return party
