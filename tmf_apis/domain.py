"""Domain events: what one API's rules tell the others, so that no API package imports another.

An API's rules publish an event on their `RuleContext` (`context.publish(NAME, **facts)`); an API
that reacts declares `reactions={NAME: handler}` in its registry, and the handler runs in the
same write, with the same context, once the publishing write is stored. An event nobody reacts
to (an API not served) is dropped.

- `ORDER_ITEM_COMPLETED` (TMF622 → TMF678): an order item reached `completed`; facts `order`
  (the order as stored) and `item` (the item, nested ones included). Billing charges it.
"""

from __future__ import annotations

ORDER_ITEM_COMPLETED = "productOrderItemCompleted"
