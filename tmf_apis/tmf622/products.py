"""The products a placed order changes (TMF637 Product Inventory), checked and claimed.

A `modify` or `delete` item names the product it changes (`product.id`). The product must exist,
belong to the order's customer (a `relatedParty` of role customer with the customer's id) and be
in service (active or suspended); otherwise the order is rejected with one note per item. A
product of another customer, or one a channel may not see, reads exactly as one that does not
exist.

Two orders in flight on one product cannot both proceed: an order that passes every other check
claims each product it changes (`_claim` on the product, written under its revision, so two
orders claiming at once cannot both win). A claim holds while its order is in flight
(acknowledged to pending or held, or being cancelled); a claim whose order ended, or no longer
exists, is stale and is simply taken over, so nothing needs releasing.

When the server serves no Product Inventory, products are not checked.
"""

from __future__ import annotations

from typing import Any

from persistence.errors import Conflict, NotFound
from tmf_apis import parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf622 import states
from tmf_apis.tmf622.states import all_items

PRODUCT = "Product"
CLAIM = "_claim"
CHANGES = ("modify", "delete")
# What may be modified or terminated (tmf_apis/tmf637/lifecycle.py): a product in service.
IN_SERVICE = frozenset({"active", "suspended"})
# Orders whose claims hold.
CLAIMING = states.CANCELLABLE | {states.ASSESSING_CANCELLATION, states.PENDING_CANCELLATION}


def changes_products(order: Document) -> bool:
    """Whether an item of the order names a product it modifies or ends (and so claims it)."""
    return any(_changed_product(item) for item in all_items(order.get("productOrderItem") or []))


def _changed_product(item: Document) -> str | None:
    """The id of the product the item modifies or ends; None for any other item."""
    product_id = (item.get("product") or {}).get("id")
    if item.get("action") in CHANGES and isinstance(product_id, str):
        return product_id
    return None


def problems(order: Document, context: RuleContext, claim: bool) -> list[str]:
    """Why the products the order changes cannot be changed by it; when there is no reason and
    `claim` is set, they are claimed for it."""
    if PRODUCT not in context.stores:
        return []
    customer = parties.customer(order)
    found: list[str] = []
    changed: list[str] = []
    for item in all_items(order.get("productOrderItem") or []):
        product_id = _changed_product(item)
        if product_id is None:
            continue
        label = f"item {item.get('id')!r}"
        product = context.store(PRODUCT).find_one({"id": product_id})
        if product is None or not _owned_by(product, customer):
            found.append(f"{label}: product {product_id!r} does not exist")
        elif product.get("status") not in IN_SERVICE:
            found.append(
                f"{label}: product {product_id!r} is {product.get('status')}; only an active or "
                f"suspended product can be {'modified' if item['action'] == 'modify' else 'ended'}"
            )
        elif product_id in changed:
            found.append(f"{label}: product {product_id!r} is changed by another item too")
        else:
            changed.append(product_id)
    if found or not claim:
        return found
    for product_id in changed:
        holder = _claim(product_id, str(order["id"]), context)
        if holder is not None:
            found.append(
                f"product {product_id!r} is being changed by order {holder!r}, still in flight"
            )
    return found


def _owned_by(product: Document, customer: Document | None) -> bool:
    if customer is None:
        return False
    return any(
        isinstance(p, dict)
        and p.get("id") == customer.get("id")
        and str(p.get("role") or "").lower() == parties.CUSTOMER_ROLE
        for p in product.get("relatedParty") or []
    )


def _claim(product_id: str, order_id: str, context: RuleContext) -> str | None:
    """Claim the product for the order; the id of the order in flight holding it, or None."""
    holder: list[str] = []

    def take(product: Document) -> None:
        held = (product.get(CLAIM) or {}).get("order")
        if held not in (None, order_id) and _in_flight(held, context):
            holder.append(str(held))
            return
        product[CLAIM] = {"order": order_id, "at": context.now}

    try:
        context.store(PRODUCT).modify(product_id, take)
    except NotFound:
        return None  # deleted meanwhile: the inventory's reaction will find nothing to change
    except Conflict:
        return "(another order, claiming it at the same moment)"
    return holder[0] if holder else None


def _in_flight(order_id: Any, context: RuleContext) -> bool:
    order = context.store("ProductOrder").find_one({"id": order_id})
    return order is not None and order.get("state") in CLAIMING
