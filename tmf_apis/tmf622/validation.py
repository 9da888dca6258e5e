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
- A `relatedParty` entry referring to a Customer (`@referredType: Customer`) of this server must
  name an existing customer. Parties held elsewhere (an Individual, an Organization, an href
  into another system) are accepted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tmf_apis.rules import RuleContext
from tmf_apis.tmf622 import bundles
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
    for party in order.get("relatedParty") or []:
        if _is_our_customer(party) and context.resolve("Customer", party) is None:
            found.append(f"customer {party.get('id')!r} does not exist")
    return found


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
