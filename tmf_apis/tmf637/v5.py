"""TMF637 v5's Product against the stored (v4) one: what the v5 edition maps, both ways.

v5 on the left, stored (v4) on the right:

- `relatedParty[{role, partyOrPartyRole: {id, href, name, @referredType, @type}, @type}]` is
  `relatedParty[{id, href, name, role, @referredType}]` (tmf_apis/v5_shapes.py);
- `productCharacteristic` typed (`StringCharacteristic`, `IntegerCharacteristic`, ...; the kind
  told from the value) is `productCharacteristic[{name, valueType, value}]`;
- `agreementItem[{agreementId, agreementHref, agreementName, agreementItemId}]` is
  `agreement[{id, href, name, agreementItemId}]`;
- `productOrderItem[{orderId, orderHref, orderItemId, orderItemAction}]` is
  `productOrderItem[{productOrderId, productOrderHref, orderItemId, orderItemAction}]`;
- `place[{role, place: {id, href, name, @referredType, @type}, @type}]` (`PlaceRef`, or a
  `GeographicAddress`, `GeographicSite` or `GeographicLocation` given by value) is v4's flat
  `place[{role, id, href, name, @referredType}]`; the place's kind other than `PlaceRef`, else
  the envelope's `@type`, is the flat `@type`;
- `productRelationship[{relationshipType, id, href, name, @referredType}]` (v5's relationship
  is a reference to the other product) is `productRelationship[{relationshipType, product:
  {id, href, name, @referredType}}]`;
- a price's `priceAlteration` is v4's `productPriceAlteration`; the server's own products (made
  from order items) store it as `priceAlteration`, which a v5 write keeps, and a v5 patch keeps
  v4's name where the product had it;
- `productTerm[].duration` (`Duration`, an integer amount) is v4's `Quantity`;
- a bundle's member products (`product`) map as products do, at every depth;
- filters, `sort` and `fields` name v5's paths (`relatedParty.partyOrPartyRole.id`,
  `agreementItem.agreementId`, `productOrderItem.orderId`, `place.place.id`,
  `productRelationship.id`), which are read as the stored ones (`relatedParty.id`, ...);
- `@type` on the product and on every object v5 types (`ProductOfferingRef`,
  `ProductSpecificationRef`, `BillingAccountRef`, `ProductPrice`, `Price`, `PriceAlteration`,
  `ProductOfferingPriceRef`, `RelatedOrderItem`, `ResourceRef`, `ServiceRef`, `ProductTerm`,
  `ProductRef` or `Product` for a bundle member, ...) is filled from the v5 document on the way
  out when the stored one has none (tmf_apis/typed.py), and a v5 patch leaves out what the fill
  added (`patched`);
- `status`: the same values in both (`aborted`, which the official files spell `'aborted '`);
- v5-only attributes (`creationDate`, `intent`) and v4-only ones (a price's `billingAccount`, a
  resource's `value`) are extension attributes of the other edition, kept as sent.

Lossy, v4 to v5 (v5 cannot show what follows; a v5 write of the product, which maps the whole
product back, does not keep it either):
- a related party, a place given by link or a related product without an `id` (v4 takes
  them; v5 references require one);
- an order item's `orderItemAction` other than add, modify, delete and noChange;
- a term's `duration` whose amount is not a whole number;
- a specification's `targetProductSchema` whose `@schemaLocation` is no URI (v4 takes any
  string there, v5 a URI);
- a related product's `@type` `ProductRef` (v5's relationship is that reference).
Lossy, v5 to v4: where a related party's or a place's envelope and what it holds both name a
`@type` other than v5's defaults (`RelatedPartyOrPartyRole`, `PartyRef`, `PlaceRef`), v4's one
flat `@type` keeps one of them: the related party's envelope's, the place's own.
"""

from __future__ import annotations

from typing import Any

from jsonschema import FormatChecker

from tmf_apis.editions import Document, V5Mapping
from tmf_apis.typed import TypeDefaults
from tmf_apis.v5_shapes import (
    characteristic_to_v4,
    characteristic_to_v5,
    drop_unnamed,
    each,
    related_to_v4,
    related_to_v5,
)

SPEC = "TMF637-ProductInventory-v5.yaml"
PRODUCT = "product"
SCHEMA = "Product"
TYPE = "@type"
# v5's ItemActionType: what an order item did to the product.
ITEM_ACTIONS = frozenset({"add", "modify", "delete", "noChange"})
# What a v5 place may be: a link, or a place given by value.
PLACE_REF = "PlaceRef"
PLACE_KINDS = frozenset({PLACE_REF, "GeographicAddress", "GeographicSite", "GeographicLocation"})
# A related product's v5 attributes, which v4 holds in its `product` reference.
_REFERENCE = ("id", "href", "name", "@referredType")
PRODUCT_REF = "ProductRef"
# v4 name -> v5 name of the attributes renamed inside each kind of object.
AGREEMENT = {"id": "agreementId", "href": "agreementHref", "name": "agreementName"}
ORDER_ITEM = {"productOrderId": "orderId", "productOrderHref": "orderHref"}
_AGREEMENT_V4 = {v5: v4 for v4, v5 in AGREEMENT.items()}
_ORDER_ITEM_V4 = {v5: v4 for v4, v5 in ORDER_ITEM.items()}
ALTERATIONS_V4, ALTERATIONS_V5 = "productPriceAlteration", "priceAlteration"
_FORMATS = FormatChecker()


class ProductV5(V5Mapping):
    def __init__(self) -> None:
        self.types = TypeDefaults(SPEC)

    def to_wire(self, resource: str, document: Document) -> Document:
        if resource != PRODUCT:
            return super().to_wire(resource, document)
        filled: Document = self.types.fill(SCHEMA, _product_to_v5(document))
        return filled

    def from_wire(self, resource: str, body: Document) -> Document:
        if resource != PRODUCT:
            return body
        return _product_to_v4(body)

    def patched(self, resource: str, body: Document, before: Document) -> Document:
        if resource != PRODUCT:
            return self.from_wire(resource, body)
        body = self.types.unfill(SCHEMA, body, _product_to_v5(before))
        return _alterations_as_before(self.from_wire(resource, body), before)

    def stored_path(self, resource: str, path: str) -> str:
        return _stored_path(path) if resource == PRODUCT else path


# ---------------------------------------------------------------------- v4 -> v5


def _product_to_v5(document: Document) -> Document:
    shown = _renamed(document, {"agreement": "agreementItem"})
    # v4 takes references without an id, which v5 cannot show: those are left out.
    drop_unnamed(shown, "relatedParty")
    each(shown, "relatedParty", related_to_v5)
    each(shown, "productCharacteristic", characteristic_to_v5)
    if "agreement" not in shown:
        each(shown, "agreementItem", lambda item: _renamed(item, AGREEMENT))
    each(shown, "productOrderItem", _order_item_to_v5)
    _kept(shown, "place", _place_to_v5)
    _kept(shown, "productRelationship", _relationship_to_v5)
    each(shown, "productPrice", _price_to_v5)
    each(shown, "productTerm", _term_to_v5)
    specification = shown.get("productSpecification")
    if isinstance(specification, dict):
        shown["productSpecification"] = _specification_to_v5(specification)
    each(shown, "product", _product_to_v5)
    return shown


def _kept(document: Document, name: str, convert: Any) -> None:
    """Convert every object of the array `name`; those `convert` answers None for are not
    shown."""
    items = document.get(name)
    if isinstance(items, list):
        converted = [convert(i) if isinstance(i, dict) else i for i in items]
        document[name] = [i for i in converted if i is not None]


def _renamed(item: Document, names: dict[str, str]) -> Document:
    """`item` with its attributes renamed by `names`; one whose new name it already holds
    keeps its own."""
    return {(names[k] if k in names and names[k] not in item else k): v for k, v in item.items()}


def _order_item_to_v5(item: Document) -> Document:
    shown = _renamed(item, ORDER_ITEM)
    if "orderItemAction" in shown and shown["orderItemAction"] not in ITEM_ACTIONS:
        del shown["orderItemAction"]  # v5 names four actions; v4 takes any text
    return shown


def _place_to_v5(place: Document) -> Document | None:
    if isinstance(place.get("place"), dict):
        return place  # stored in v5's shape as it came (an extension v4 never wrote)
    kind = place.get(TYPE)
    target = {k: v for k, v in place.items() if k not in ("role", TYPE)}
    target[TYPE] = kind if kind in PLACE_KINDS else PLACE_REF
    if target[TYPE] == PLACE_REF and not target.get("id"):
        return None
    shown: Document = {"place": target}
    if "role" in place:
        shown["role"] = place["role"]
    if kind is not None and kind not in PLACE_KINDS:
        shown[TYPE] = kind
    return shown


def _relationship_to_v5(relationship: Document) -> Document | None:
    product = relationship.get("product")
    if "id" in relationship or not isinstance(product, dict):
        return relationship
    if not product.get("id"):
        return None
    shown = {k: v for k, v in relationship.items() if k != "product"}
    shown.update((k, product[k]) for k in _REFERENCE if k in product)
    rest = {
        k: v
        for k, v in product.items()
        if k not in _REFERENCE and not (k == TYPE and v == PRODUCT_REF)
    }
    if rest:
        shown["product"] = rest  # what v5's reference has no name for, kept beside it
    return shown


def _price_to_v5(price: Document) -> Document:
    if ALTERATIONS_V4 in price and ALTERATIONS_V5 not in price:
        return _renamed(price, {ALTERATIONS_V4: ALTERATIONS_V5})
    return price


def _term_to_v5(term: Document) -> Document:
    duration = term.get("duration")
    if not isinstance(duration, dict) or "amount" not in duration:
        return term
    amount = duration["amount"]
    if isinstance(amount, float) and amount.is_integer():
        return {**term, "duration": {**duration, "amount": int(amount)}}
    if isinstance(amount, int) and not isinstance(amount, bool):
        return term
    return {k: v for k, v in term.items() if k != "duration"}  # v5's amount is whole


def _specification_to_v5(specification: Document) -> Document:
    target = specification.get("targetProductSchema")
    if not isinstance(target, dict):
        return specification
    location = target.get("@schemaLocation")
    if not isinstance(location, str) or _FORMATS.conforms(location, "uri"):
        return specification
    return {k: v for k, v in specification.items() if k != "targetProductSchema"}


# ---------------------------------------------------------------------- v5 -> v4


def _product_to_v4(body: Document) -> Document:
    stored = _renamed(body, {"agreementItem": "agreement"})
    each(stored, "relatedParty", related_to_v4)
    each(stored, "productCharacteristic", characteristic_to_v4)
    if "agreementItem" not in stored:
        each(stored, "agreement", lambda item: _renamed(item, _AGREEMENT_V4))
    each(stored, "productOrderItem", lambda item: _renamed(item, _ORDER_ITEM_V4))
    each(stored, "place", _place_to_v4)
    each(stored, "productRelationship", _relationship_to_v4)
    each(stored, "product", _product_to_v4)
    return stored


def _place_to_v4(related: Document) -> Document:
    target = related.get("place")
    if not isinstance(target, dict):
        return related
    flat = {k: v for k, v in target.items() if not (k == TYPE and v == PLACE_REF)}
    for key, value in related.items():
        if key != "place":
            flat.setdefault(key, value)  # the place's own @type wins over the envelope's
    return flat


def _relationship_to_v4(relationship: Document) -> Document:
    if "id" not in relationship:
        return relationship
    kept = relationship.get("product")
    product = dict(kept) if isinstance(kept, dict) else {}
    product.update((k, relationship[k]) for k in _REFERENCE if k in relationship)
    stored = {k: v for k, v in relationship.items() if k not in (*_REFERENCE, "product")}
    stored["product"] = product
    return stored


def _alterations_as_before(stored: Document, before: Document) -> Document:
    """A patched product's prices with v4's `productPriceAlteration` wherever the price at the
    same place had it before: a v5 patch changes only what its client changed."""
    prices, earlier = stored.get("productPrice"), before.get("productPrice")
    if not isinstance(prices, list) or not isinstance(earlier, list):
        return stored
    kept = []
    for price, was in zip(prices, earlier + [None] * len(prices), strict=False):
        if (
            isinstance(price, dict)
            and isinstance(was, dict)
            and ALTERATIONS_V4 in was
            and ALTERATIONS_V5 not in was
            and ALTERATIONS_V4 not in price
        ):
            price = _renamed(price, {ALTERATIONS_V5: ALTERATIONS_V4})
        kept.append(price)
    return {**stored, "productPrice": kept}


# ---------------------------------------------------------------------- paths


def _stored_path(path: str) -> str:
    """A v5 attribute path of a product as stored (a bundle member's in turn)."""
    head, _, rest = path.partition(".")
    if head == PRODUCT and rest:
        return f"{PRODUCT}.{_stored_path(rest)}"
    if head == "agreementItem":
        head, rest = "agreement", _first_renamed(rest, _AGREEMENT_V4)
    elif head == "productOrderItem":
        rest = _first_renamed(rest, _ORDER_ITEM_V4)
    elif head == "relatedParty":
        rest = _unwrapped(rest, "partyOrPartyRole")
    elif head == "place":
        rest = _unwrapped(rest, "place")
    elif head == "productRelationship" and rest.partition(".")[0] in _REFERENCE:
        rest = f"product.{rest}"
    return f"{head}.{rest}" if rest else head


def _first_renamed(path: str, names: dict[str, str]) -> str:
    first, dot, rest = path.partition(".")
    return names.get(first, first) + dot + rest


def _unwrapped(path: str, wrapper: str) -> str:
    first, _, rest = path.partition(".")
    return rest if first == wrapper else path
