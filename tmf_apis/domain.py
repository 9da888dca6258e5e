"""Domain events: what one API's rules tell the others, so that no API package imports another.

An API's rules publish an event on their `RuleContext` (`context.publish(NAME, **facts)`); an API
that reacts declares `reactions={NAME: handler}` in its registry, and the handler runs in the
same write, with the same context, once the publishing write is stored. An event nobody reacts
to (an API not served) is dropped.

- `ORDER_ITEM_COMPLETED` (TMF622 → TMF637, TMF678): an order item reached `completed`; facts
  `order` (the order as stored) and `item` (the item, nested ones included). The inventory makes,
  changes or ends the product it names; billing charges it. An `add` item names the product it
  creates by the id `product_id` gives (set by TMF622 when the item completes).
- `BILLS_ISSUED` (TMF678 → TMF676): a bill run stored bills; fact `accounts` (the ids of the
  billing accounts it billed). Payments use an account's credit on its new bills and the
  accounts' balances follow. Published from the bill run's background work (a context without a
  caller); a run that stops before publishing is made up for by TMF676's own sweep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

ORDER_ITEM_COMPLETED = "productOrderItemCompleted"
BILLS_ISSUED = "customerBillsIssued"
_PRODUCTS = uuid.UUID("0b6f3c1e-6a0f-4f55-9a3e-51d6c2a0b637")


def product_id(order_id: str, item_id: str) -> str:
    """The id of the product that the `add` item `item_id` of order `order_id` creates."""
    return str(uuid.uuid5(_PRODUCTS, f"{order_id}/{item_id}"))


def order_items(items: list[Any]) -> Iterator[dict[str, Any]]:
    """Every item of an order's `productOrderItem`, those nested in bundle items included (the
    `item` of ORDER_ITEM_COMPLETED may be any of them)."""
    for item in items:
        if isinstance(item, dict):  # a PATCH result of another shape fails the schema check
            yield item
            nested = item.get("productOrderItem")
            yield from order_items(nested if isinstance(nested, list) else [])
