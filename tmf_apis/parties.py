"""How an order names its parties, read alike by validation (TMF622) and charging (TMF678).

- The customer: the `relatedParty` entry with role `customer` (any case), else the first with
  `@referredType: Customer`. Charging bills its account when the order names none.
- Partners: entries whose role names a partner, reseller, dealer or agent. Charging gives each
  order's first such party a revenue share on its settlement account.
- Registered partners: a party may hold a partner role on an order placed by a channel only when
  the operator registered it as a partner: an API client with the `partner` role for that party
  (`python -m admin clients create --roles partner --party <id>`), a settlement account
  held here naming it in the role `partner` (TMF666; tmf_apis/accounts.py), or a share of its own
  in `TMF_SETTLEMENT_SHARES` (`partner:<id>=...`). A channel cannot make itself, or anyone, a
  partner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from persistence import clients
from tmf_apis import money

if TYPE_CHECKING:
    from persistence.store import ResourceStore

Document = dict[str, Any]
PARTNER_ROLES = ("partner", "reseller", "dealer", "agent")
CUSTOMER_ROLE = "customer"
# The role the API clients of partners hold (handlers/access.py).
PARTNER_CLIENT_ROLE = "partner"
SHARES_SETTING = "TMF_SETTLEMENT_SHARES"


def parties(order: Document) -> list[Document]:
    """The order's `relatedParty` entries that name an id."""
    return [p for p in order.get("relatedParty") or [] if isinstance(p, dict) and p.get("id")]


def customer(order: Document) -> Document | None:
    """The entry naming the order's customer, or None."""
    named = parties(order)
    by_role = [p for p in named if str(p.get("role") or "").lower() == CUSTOMER_ROLE]
    by_type = [p for p in named if p.get("@referredType") == "Customer"]
    found = by_role or by_type
    return found[0] if found else None


def customers(order: Document) -> list[Document]:
    """Every entry charging might take for the customer: role customer or a Customer reference."""
    return [
        p
        for p in parties(order)
        if str(p.get("role") or "").lower() == CUSTOMER_ROLE or p.get("@referredType") == "Customer"
    ]


def is_partner(party: Document) -> bool:
    role = str(party.get("role") or "").lower()
    return any(word in role for word in PARTNER_ROLES)


def partners(order: Document) -> list[Document]:
    return [p for p in parties(order) if is_partner(p)]


def registered_partner(
    party_id: str, settlement_shares: str, stores: Mapping[str, ResourceStore] | None = None
) -> bool:
    """Whether the operator registered `party_id` as a partner (see the module's docstring);
    `stores` are the server's, where its settlement accounts are looked for."""
    # Imported here: accounts reads parties.customers.
    from tmf_apis import accounts

    configured = money.percentages(settlement_shares, SHARES_SETTING)
    return (
        f"partner:{party_id}" in configured
        or accounts.has_settlement_account(party_id, stores or {})
        or clients.holds_role(party_id, PARTNER_CLIENT_ROLE)
    )
