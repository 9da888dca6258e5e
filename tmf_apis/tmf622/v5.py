"""TMF622 v5's ProductOrder and CancelProductOrder against the stored (v4) ones, both ways.

- An order's `creationDate` is v4's `orderDate` (when the server took the order).
- `externalId`: v5's `[{id, owner, externalIdentifierType, @type}]` is v4's string, the first
  id; the whole v5 list, when it says more than ids, is kept beside it as `externalIdentifier`.
- `relatedParty` (the order's and an item's product's): v5's `{role, partyOrPartyRole, @type}`
  envelope is v4's flat reference (tmf_apis/v5_shapes.py).
- `productCharacteristic`: v5's typed characteristic (`StringCharacteristic`, ...) is v4's
  `{name, valueType, value}`.
- `state: draft` (an order created with `requestedInitialState: draft`) is stored as it is; the
  v4 edition, which has no such state, does not show drafts: to a v4 client an order exists
  once it is placed (`OrderV4.hidden`).
- `state: inProgress.accepted`, sent or filtered on, is `inProgress`, which reads show.
- `@type` on the order and on every object v5 types is filled from the v5 document on the way
  out when the stored one has none (tmf_apis/typed.py).
- v5-only attributes (`requestedInitialState`, `orderRelationship`, `productOrderMilestone`,
  `productOrderJeopardyAlert`, `productOrderErrorMessage`, an item's `note`) are extension
  attributes of the stored order, as sent.

CancelProductOrder: v5's task states are v4's plus `rejected` and `cancelled`, which this server
never reaches (a cancellation it cannot carry out is refused with 409, not stored): nothing
maps but `@type`.

Lossy: a related party stored through v4 without an `id` is not shown through v5; an external
identifier's `owner` and type set through v5 are dropped when a v4 client changes `externalId`;
a v5 client that moves an order to `inProgress.accepted` reads back `inProgress`.
"""

from __future__ import annotations

from typing import Any

from tmf_apis.editions import Document, EditionMapping, Hidden, V5Mapping
from tmf_apis.tmf622 import states
from tmf_apis.typed import TypeDefaults
from tmf_apis.v5_shapes import (
    RELATED_REF,
    characteristic_to_v4,
    characteristic_to_v5,
    drop_unnamed,
    each,
    related_to_v4,
    related_to_v5,
)

SPEC = "TMF622-ProductOrdering-v5.yaml"
ORDER = "productOrder"
CANCEL = "cancelProductOrder"
SCHEMAS = {ORDER: "ProductOrder", CANCEL: "CancelProductOrder"}
# v5's sub-state of inProgress: an order the provider took on, which is what inProgress is here.
ACCEPTED = "inProgress.accepted"
# Where v5 keeps the whole of an external identifier that v4's string cannot hold.
EXTERNAL = "externalIdentifier"
_PATHS = {"creationDate": "orderDate", "externalId.id": "externalId"}


class OrderV4(EditionMapping):
    """v4's shape is the stored one; only drafts, which v4 has no state for, are not shown."""

    hidden = {ORDER: Hidden("state", frozenset({states.DRAFT}))}


class OrderV5(V5Mapping):
    def __init__(self) -> None:
        self.types = TypeDefaults(SPEC)

    def to_wire(self, resource: str, document: Document) -> Document:
        if resource not in SCHEMAS:
            return super().to_wire(resource, document)
        filled: Document = self.types.fill(SCHEMAS[resource], _shaped(resource, document))
        return filled

    def patched(self, resource: str, body: Document, before: Document) -> Document:
        if resource in SCHEMAS:
            body = self.types.unfill(SCHEMAS[resource], body, _shaped(resource, before))
        return self.from_wire(resource, body)

    def from_wire(self, resource: str, body: Document) -> Document:
        if resource != ORDER:
            return body
        stored = dict(body)
        if "creationDate" in stored:
            stored["orderDate"] = stored.pop("creationDate")
        _external_to_v4(stored)
        if stored.get("state") == ACCEPTED:
            stored["state"] = states.IN_PROGRESS
        each(stored, "relatedParty", lambda p: related_to_v4(p, RELATED_REF))
        each(stored, "productOrderItem", _item_to_v4)
        return stored

    def stored_path(self, resource: str, path: str) -> str:
        if resource != ORDER:
            return path
        if path in _PATHS:
            return _PATHS[path]
        if path.startswith("externalId."):
            return EXTERNAL + path.removeprefix("externalId")
        return path.replace(".partyOrPartyRole.", ".")

    def stored_value(self, resource: str, path: str, value: Any) -> Any:
        if resource == ORDER and path == "state" and value == ACCEPTED:
            return states.IN_PROGRESS
        return value


def _shaped(resource: str, document: Document) -> Document:
    """The stored document in v5's shape, before `@type`s are filled in."""
    shown = dict(document)
    if resource == ORDER:
        _order_to_v5(shown)
    return shown


def _order_to_v5(shown: Document) -> None:
    if "orderDate" in shown:
        shown.setdefault("creationDate", shown.pop("orderDate"))
    _external_to_v5(shown)
    drop_unnamed(shown, "relatedParty")
    each(shown, "relatedParty", lambda p: related_to_v5(p, RELATED_REF))
    each(shown, "productOrderItem", _item_to_v5)


def _item_to_v5(item: Document) -> Document:
    shown = dict(item)
    product = shown.get("product")
    if isinstance(product, dict):
        product = dict(product)
        drop_unnamed(product, "relatedParty")
        each(product, "relatedParty", lambda p: related_to_v5(p, RELATED_REF))
        each(product, "productCharacteristic", characteristic_to_v5)
        shown["product"] = product
    each(shown, "productOrderItem", _item_to_v5)
    return shown


def _item_to_v4(item: Document) -> Document:
    stored = dict(item)
    product = stored.get("product")
    if isinstance(product, dict):
        product = dict(product)
        each(product, "relatedParty", lambda p: related_to_v4(p, RELATED_REF))
        each(product, "productCharacteristic", characteristic_to_v4)
        stored["product"] = product
    each(stored, "productOrderItem", _item_to_v4)
    return stored


def _external_to_v5(shown: Document) -> None:
    kept = shown.pop(EXTERNAL, None)
    value = shown.get("externalId")
    if not isinstance(value, str):
        return
    if isinstance(kept, list) and kept and isinstance(kept[0], dict) and kept[0].get("id") == value:
        shown["externalId"] = kept
    else:
        shown["externalId"] = [{"id": value}]


def _external_to_v4(stored: Document) -> None:
    value = stored.get("externalId")
    if not isinstance(value, list):
        return  # anything else is the schema check's to refuse
    stored.pop(EXTERNAL, None)
    ids = [v for v in value if isinstance(v, dict)]
    if not ids:
        stored.pop("externalId")
        return
    stored["externalId"] = ids[0].get("id")
    if any(set(v) - {"id", "@type"} for v in ids) or len(ids) > 1:
        stored[EXTERNAL] = value
