"""What the server checks on an acknowledged order before it goes to fulfilment.

- Each item's action fits it: `add` creates a product, so it names an offering and no product
  id; `modify` and `delete` name the product (`product.id`) they change; `noChange` (context,
  e.g. a bundle's parent) needs neither.
- An offering referenced without an href, or with one into this server's catalog, must be in
  the catalog (the version named, else the latest) and orderable for an `add` or `modify`:
  Launched or Active, sellable, and valid now. A reference whose href points to another system
  is accepted as it is.
- A bundle ordered as one item whose members the server could not add (bundles.py: a member
  count only the customer can choose) is refused with a note per member choice missing.
- A channel (a caller scoped to its party) may name only its own customers, billing accounts of
  its own customers and partners the operator registered (party_problems); one of another
  party's is refused exactly as one that does not exist. With TMF666 served, the accounts an
  order names were checked when it was placed (accounts.py, 422), for every caller.
- A `modify` or `delete` item names a product of the order's customer that is in service, and
  no other order in flight changes it (products.py).
- A `relatedParty` entry referring to a Customer (`@referredType: Customer`) of this server must
  name an existing customer. Parties held elsewhere (an Individual, an Organization, an href
  into another system) are accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tmf_apis import accounts, parties
from tmf_apis.rules import RuleContext
from tmf_apis.scope import RELATED_PARTY, scope_filter
from tmf_apis.tmf622 import bundles, products
from tmf_apis.tmf622.states import all_items

Document = dict[str, Any]
ORDERABLE = frozenset({"Launched", "Active"})
CATALOG_PATH = "/tmf-api/productCatalogManagement/"
CUSTOMER_PATH = "/tmf-api/customerManagement/"


def problems(order: Document, context: RuleContext) -> list[str]:
    """Why the order cannot be fulfilled; empty when it can."""
    found: list[str] = []
    for item in all_items(order.get("productOrderItem") or []):
        found += _item_problems(item, context) or bundles.choices_missing(item, context.resolve)
    if context.party is not None:
        found += party_problems(order, context)
    else:
        for party in order.get("relatedParty") or []:
            if _is_our_customer(party) and context.resolve("Customer", party) is None:
                found.append(f"customer {party.get('id')!r} does not exist")
    # Products are claimed only by an order that nothing else refuses.
    return found + products.problems(order, context, claim=not found)


def party_problems(order: Document, context: RuleContext) -> list[str]:
    """What a scoped caller (a channel) names beyond what it may act for: a customer that is not
    one of its own, a billing account of no customer of its own, a partner the operator did not
    register. A customer or account of another party reads exactly as one that does not exist."""
    assert context.party is not None
    party_id, role = context.party
    customers = context.store("Customer")
    # Customers record their parties in relatedParty (TMF629).
    scope = scope_filter(RELATED_PARTY, role, party_id)
    found = []
    for customer in parties.customers(order):
        if not customers.exists({"id": str(customer["id"]), **scope}):
            found.append(f"customer {customer['id']!r} does not exist")
    # With TMF666 served, accounts.py checks the accounts, by what TMF666 holds.
    holders = [] if accounts.served(context.stores) else [order, *all_items(_items(order))]
    for holder in holders:
        account = holder.get("billingAccount")
        account_id = account.get("id") if isinstance(account, dict) else None
        if account_id is not None and not customers.exists({"account.id": account_id, **scope}):
            found.append(f"billing account {account_id!r} does not exist")
    shares = context.settings.settlement_shares if context.settings else ""
    for partner in parties.partners(order):
        if not parties.registered_partner(str(partner["id"]), shares, context.stores):
            found.append(
                f"party {partner['id']!r} is not a partner the operator registered, so it "
                f"cannot take the role {partner.get('role')!r}"
            )
    return sorted(set(found), key=found.index)


def _items(order: Document) -> list[Document]:
    items = order.get("productOrderItem")
    return items if isinstance(items, list) else []


def _item_problems(item: Document, context: RuleContext) -> list[str]:
    label = f"item {item.get('id')!r}"
    action = item.get("action")
    product_id = (item.get("product") or {}).get("id")
    offering_ref = item.get("productOffering")
    if action == "add" and product_id:
        return [f"{label}: add creates a new product, so it names no product id ({product_id!r})"]
    if action in ("modify", "delete") and not product_id:
        return [f"{label}: {action} needs the id of the product it changes (product.id)"]
    if action == "add" and not offering_ref:
        return [f"{label}: add needs the productOffering to order"]
    if not offering_ref or action in ("delete", "noChange") or _held_elsewhere(offering_ref):
        return []
    offering = context.resolve("ProductOffering", offering_ref)
    if offering is None:
        version = offering_ref.get("version")
        named = f"{offering_ref.get('id')!r}" + (f" version {version!r}" if version else "")
        return [f"{label}: product offering {named} is not in the catalog"]
    return [f"{label}: {reason}" for reason in _not_orderable(offering, context.now)]


def _not_orderable(offering: Document, now: str) -> list[str]:
    name = f"product offering {offering.get('name') or offering['id']!r}"
    reasons = []
    status = offering.get("lifecycleStatus")
    if status not in ORDERABLE:
        reasons.append(f"{name} is {status}, not orderable (Launched or Active)")
    if offering.get("isSellable") is False:
        reasons.append(f"{name} is not sellable on its own")
    valid_for = offering.get("validFor") or {}
    start, end = valid_for.get("startDateTime"), valid_for.get("endDateTime")
    # Stored date-times share one fixed-width UTC form (persistence/dates.py): text order is time
    # order.
    if isinstance(start, str) and start > now:
        reasons.append(f"{name} is on sale only from {start}")
    if isinstance(end, str) and end < now:
        reasons.append(f"{name} was on sale until {end}")
    return reasons


def _held_elsewhere(reference: Document) -> bool:
    href = reference.get("href")
    return isinstance(href, str) and CATALOG_PATH not in urlsplit(href).path


def _is_our_customer(party: Document) -> bool:
    if party.get("@referredType") != "Customer":
        return False
    href = party.get("href")
    return not isinstance(href, str) or CUSTOMER_PATH in urlsplit(href).path
