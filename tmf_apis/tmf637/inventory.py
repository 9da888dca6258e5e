"""What a completed order item does to the inventory: TMF637's reaction to TMF622's
ORDER_ITEM_COMPLETED (tmf_apis/domain.py).

- `add`: a new product, `active` from the completion (`startDate`), with the id the order gave
  the item (`product.id`, tmf_apis/tmf622/completion.py). It records its offering and
  specification (the item's, else the offering's), its characteristics (the item's, else the
  defaults of the specification), its prices (`productPrice`: the item's prices with their
  alterations, as the order priced them), its billing account (the item's, the order's, else the
  customer's first), its parties (the customer, and the channel or partner the order came
  through, so that they see it: a partner under the role `partner`), the order item that made
  it, and its `place`. A bundle item's product is a bundle (`isBundle`) whose members are the
  products of its member items, linked both ways by `productRelationship` (`bundles` /
  `isBundledBy`).
- `modify`: the product named takes the item's characteristics (by name; others stay) and, when
  the item names another offering (an upgrade or downgrade), that offering and the item's prices;
  a status the item asks for (`product.status`: suspended or active) is taken when the lifecycle
  allows it.
- `delete`: the product is `terminated` with its `terminationDate`.
Each change records the order item (`productOrderItem`). Running a reaction again (a sweeper
making up for a stopped process) changes nothing: the product exists, or already holds the change.
"""

from __future__ import annotations

import logging
from typing import Any

from persistence.errors import Conflict, NotFound
from tmf_apis import parties
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf637 import lifecycle

log = logging.getLogger("tmf.inventory")

PRODUCT = "Product"
BUNDLES, BUNDLED_BY = "bundles", "isBundledBy"
PARTNER_SCOPE = "partner"
# What a product keeps of an order price (TMF637 ProductPrice).
PRICE_ATTRIBUTES = (
    "name",
    "description",
    "priceType",
    "recurringChargePeriod",
    "unitOfMeasure",
    "price",
    "productOfferingPrice",
    "priceAlteration",
)
_REF = ("id", "href", "name", "version", "@referredType")


def on_item_completed(context: RuleContext, order: Document, item: Document, **_: Any) -> None:
    if PRODUCT not in context.stores:
        return
    action = item.get("action")
    product_id = (item.get("product") or {}).get("id")
    if not isinstance(product_id, str):
        return  # an item that names no product (noChange context) leaves the inventory as it is
    if action == "add":
        _create(context, new_product(order, item, context))
    elif action in ("modify", "delete"):
        _change(context, product_id, order, item)


def new_product(order: Document, item: Document, context: RuleContext) -> Document:
    """The product a completed `add` item creates (nothing stored)."""
    asked = _dict(item.get("product"))
    offering_ref = item.get("productOffering") or {}
    offering = context.resolve("ProductOffering", offering_ref) if offering_ref else None
    specification_ref = asked.get("productSpecification") or (offering or {}).get(
        "productSpecification"
    )
    members = [m for m in item.get("productOrderItem") or [] if isinstance(m, dict)]
    product: Document = {
        "id": asked["id"],
        "@type": "Product",
        "name": asked.get("name") or offering_ref.get("name") or (offering or {}).get("name"),
        "status": lifecycle.ACTIVE,
        "startDate": context.now,
        "isBundle": bool(members) or bool((offering or {}).get("isBundle")),
        "productOffering": _ref(offering_ref),
        "productCharacteristic": asked.get("productCharacteristic")
        or _defaults(specification_ref, context),
        "productPrice": [_price(p) for p in item.get("itemPrice") or [] if isinstance(p, dict)],
        "relatedParty": _parties(order),
        "productOrderItem": [_order_item(order, item)],
    }
    if isinstance(order.get("orderDate"), str):
        product["orderDate"] = order["orderDate"]
    if specification_ref:
        product["productSpecification"] = _ref(specification_ref)
    account = _billing_account(order, item, context)
    if account is not None:
        product["billingAccount"] = account
    for name in ("place", "description", "productSerialNumber", "isCustomerVisible"):
        if name in asked:
            product[name] = asked[name]
    relationships = [
        {"relationshipType": BUNDLES, "product": {"id": _member_id(m), "@referredType": PRODUCT}}
        for m in members
        if _member_id(m)
    ]
    parent = _parent_of(order, item)
    if parent is not None:
        relationships.append(
            {"relationshipType": BUNDLED_BY, "product": {"id": parent, "@referredType": PRODUCT}}
        )
    if relationships:
        product["productRelationship"] = relationships
    # Characteristics and prices are always listed, if empty: CRM and the CTK expect them.
    always = ("productCharacteristic", "productPrice")
    return {k: v for k, v in product.items() if k in always or v not in (None, [], {})}


def _create(context: RuleContext, product: Document) -> None:
    store = context.store(PRODUCT)
    store.prepare(product)
    try:
        store.insert(product)
    except Conflict:
        pass  # made before: a reaction run again


def _change(context: RuleContext, product_id: str, order: Document, item: Document) -> None:
    link = _order_item(order, item)

    def change(product: Document) -> None:
        made = product.get("productOrderItem") or []
        if any(_same_item(m, link) for m in made):
            return  # done before: a reaction run again
        product["productOrderItem"] = [*made, link]
        if item.get("action") == "delete":
            _move(product, lifecycle.TERMINATED, context.now)
            return
        asked = _dict(item.get("product"))
        characteristics = asked.get("productCharacteristic")
        if isinstance(characteristics, list) and characteristics:
            product["productCharacteristic"] = _merged(
                product.get("productCharacteristic") or [], characteristics
            )
        offering = item.get("productOffering")
        before = product.get("productOffering") or {}
        if isinstance(offering, dict) and offering.get("id") != before.get("id"):
            # A product named after its offering takes the new one's name (bills group by it);
            # a name of its own (the item's, a client's) stays.
            if product.get("name") == before.get("name") and offering.get("name"):
                product["name"] = offering["name"]
            product["productOffering"] = _ref(offering)
            product["productPrice"] = [
                _price(p) for p in item.get("itemPrice") or [] if isinstance(p, dict)
            ]
        status = asked.get("status")
        if status in (lifecycle.ACTIVE, lifecycle.SUSPENDED):
            _move(product, str(status), context.now)

    try:
        context.store(PRODUCT).modify(product_id, change)
    except NotFound:
        log.warning(
            "a completed order item names a product that is gone",
            extra={"order": order.get("id"), "item": item.get("id"), "product": product_id},
        )


def _move(product: Document, status: str, now: str) -> None:
    old = str(product.get("status", lifecycle.CREATED))
    if lifecycle.move_problem(old, status) is not None:
        log.warning(
            "order item asks for a status the product cannot take",
            extra={"product": product.get("id"), "from": old, "to": status},
        )
        return
    product["status"] = status
    if status == lifecycle.TERMINATED:
        product.setdefault("terminationDate", now)


def _merged(current: list[Any], changes: list[Any]) -> list[Any]:
    """The product's characteristics with the item's in place of those of the same name."""
    named = {c.get("name"): c for c in changes if isinstance(c, dict)}
    kept = [c for c in current if not (isinstance(c, dict) and c.get("name") in named)]
    return [*kept, *named.values()]


def _defaults(specification_ref: Any, context: RuleContext) -> list[Document]:
    """The default value of each characteristic of the specification, as a product holds it."""
    if not isinstance(specification_ref, dict):
        return []
    specification = context.resolve("ProductSpecification", specification_ref) or {}
    found = []
    for characteristic in specification.get("productSpecCharacteristic") or []:
        if not isinstance(characteristic, dict):
            continue
        values = [
            v
            for v in characteristic.get("productSpecCharacteristicValue") or []
            if isinstance(v, dict)
        ]
        default = next((v for v in values if v.get("isDefault")), None)
        if default is None or "value" not in default:
            continue
        entry = {"name": characteristic.get("name"), "value": default["value"]}
        value_type = default.get("valueType") or characteristic.get("valueType")
        if value_type:
            entry["valueType"] = value_type
        found.append(entry)
    return found


def _price(price: Document) -> Document:
    return {k: price[k] for k in PRICE_ATTRIBUTES if k in price}


def _parties(order: Document) -> list[Document]:
    """The customer, then the channels and partners the order names: who sees the product."""
    kept = []
    for party in parties.parties(order):
        role = str(party.get("role") or "").lower()
        if party is parties.customer(order) or role == "channel":
            kept.append({k: party[k] for k in (*_REF, "role") if k in party})
        elif parties.is_partner(party):
            # The role a partner's reads are scoped by (handlers/access.py), whatever word the
            # order used (reseller, dealer...).
            kept.append({**{k: party[k] for k in _REF if k in party}, "role": PARTNER_SCOPE})
    return kept


def _billing_account(order: Document, item: Document, context: RuleContext) -> Document | None:
    for holder in (item, order):
        account = holder.get("billingAccount")
        if isinstance(account, dict) and account.get("id"):
            return {**_ref(account), "@referredType": "BillingAccount"}
    customer_ref = parties.customer(order)
    if customer_ref and "Customer" in context.stores:
        customer = context.resolve("Customer", customer_ref) or {}
        for account in customer.get("account") or []:
            if isinstance(account, dict) and account.get("id"):
                return {**_ref(account), "@referredType": "BillingAccount"}
    return None


def _order_item(order: Document, item: Document) -> Document:
    return {
        "productOrderId": order.get("id"),
        "orderItemId": item.get("id"),
        "orderItemAction": item.get("action"),
        "@referredType": "ProductOrderItem",
    }


def _same_item(recorded: Any, link: Document) -> bool:
    return isinstance(recorded, dict) and all(
        recorded.get(k) == link[k] for k in ("productOrderId", "orderItemId")
    )


def _member_id(member: Document) -> str | None:
    product_id = (member.get("product") or {}).get("id")
    return product_id if isinstance(product_id, str) else None


def _parent_of(order: Document, item: Document) -> str | None:
    """The product id of the bundle item whose member `item` is, if any."""

    def search(items: list[Any], parent: Document | None) -> str | None:
        for candidate in items:
            if not isinstance(candidate, dict):
                continue
            if candidate.get("id") == item.get("id"):  # item ids are unique in an order
                return _member_id(parent) if parent is not None else None
            nested = candidate.get("productOrderItem")
            found = search(nested if isinstance(nested, list) else [], candidate)
            if found is not None:
                return found
        return None

    return search(order.get("productOrderItem") or [], None)


def _ref(reference: Any) -> Document:
    if not isinstance(reference, dict):
        return {}
    return {k: reference[k] for k in _REF if k in reference}


def _dict(value: Any) -> Document:
    return value if isinstance(value, dict) else {}
