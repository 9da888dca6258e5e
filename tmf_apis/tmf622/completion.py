"""What a completed order item sets off, exactly once, whatever process dies when.

An item that completes changes what the customer owns (TMF637 makes, changes or ends a product)
and what the customer pays (TMF678 charges it): both react to the domain event
ORDER_ITEM_COMPLETED (tmf_apis/domain.py). They run after the order's write, so a process that
dies in between must not lose them. The PATCH that completes items therefore records, in the
same single-document write as the new states, which items still have their effects to run
(`_completing`: each item's id and the time it completed). After the write the server publishes
each of them and then removes them; a process that died before that leaves them recorded, and
the sweeper below (in every server process, every poll) publishes them again once they are
older than `TMF_COMPLETION_GRACE_MS`. The reactions are idempotent (a product's id and a rate's
id are derived from the order, the item and the completion time), so running one twice makes
nothing twice.

An `add` item is given, in that same write, the id of the product it creates (`product.id`,
derived from the order's and the item's ids: domain.product_id): the order shows what it made,
and billing names the product on every rate.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from persistence import dates
from persistence.errors import Conflict, NotFound
from persistence.store import ResourceStore
from settings import Settings
from tmf_apis import domain
from tmf_apis.polling import Poller
from tmf_apis.rules import Document, Reaction, RuleContext
from tmf_apis.tmf622 import states

log = logging.getLogger("tmf.completion")

COMPLETING = "_completing"


def record(before: Document, after: Document, now: str) -> None:
    """Record, in the patched order `after`, the items this change completes (and give each
    `add` among them its product's id)."""
    was = {i.get("id"): i.get("state") for i in states.all_items(_items(before))}
    completed = [
        item
        for item in states.all_items(_items(after))
        if item.get("state") == states.COMPLETED and was.get(item.get("id")) != states.COMPLETED
    ]
    if not completed:
        return
    for item in completed:
        if item.get("action") == "add":
            named = item.get("product")
            product = named if isinstance(named, dict) else {}
            item["product"] = {
                **product,
                "id": domain.product_id(str(after["id"]), str(item.get("id"))),
                "@referredType": "Product",
            }
    left = after.get(COMPLETING) or []
    after[COMPLETING] = [*left, *({"item": str(i.get("id")), "at": now} for i in completed)]


def carry_out(order: Document, context: RuleContext) -> None:
    """Publish the completions recorded on `order`, each dated when its item completed, then
    remove them from the stored order (only those: a later change may have recorded more).
    `order` loses its record too."""
    pending = order.pop(COMPLETING, None) or []
    by_id = {str(i.get("id")): i for i in states.all_items(_items(order))}
    done = [entry for entry in pending if entry.get("item") in by_id]
    for entry in done:
        # The effects are dated when the item completed, not when a sweeper made up for them:
        # a rate's id is derived from its period, so a run again charges nothing twice.
        dated = dataclasses.replace(context, now=str(entry.get("at") or context.now))
        dated.publish(domain.ORDER_ITEM_COMPLETED, order=order, item=by_id[entry["item"]])
    if not pending:
        return

    def forget(stored: Document) -> None:
        left = [entry for entry in stored.get(COMPLETING) or [] if entry not in done]
        if left:
            stored[COMPLETING] = left
        else:
            stored.pop(COMPLETING, None)

    try:
        context.store("ProductOrder").modify(order["id"], forget)
    except (NotFound, Conflict):
        # Deleted, or busy: what is left recorded is run again by a sweeper, harmlessly.
        log.warning("completions left for the sweeper", extra={"order": order.get("id")})


class CompletionSweeper(Poller):
    """Runs, in a background thread, the completions that a process recorded and did not carry
    out (it died, or its database went away between the writes)."""

    name = "tmf-completions"

    def __init__(
        self,
        stores: Mapping[str, ResourceStore],
        settings: Settings,
        reactions: Mapping[str, Sequence[Reaction]],
        interval_seconds: float,
    ) -> None:
        super().__init__(interval_seconds)
        self.stores, self.settings, self.reactions = stores, settings, reactions

    def poll(self) -> int:
        return self.sweep()

    def sweep(self) -> int:
        """Carry out every completion recorded longer ago than the grace the settings give the
        request that recorded it; returns how many orders had some."""
        orders = self.stores["ProductOrder"]
        grace = timedelta(milliseconds=self.settings.completion_grace_ms)
        cutoff = dates.format_datetime(dates.parse(dates.now()) - grace)
        done = 0
        for order_id in orders.ids({f"{COMPLETING}.at": {"$lte": cutoff}}):
            found, _ = _stored(orders, order_id)
            if found is None or not found.get(COMPLETING):
                continue
            context = RuleContext(
                now=dates.now(),
                stores=self.stores,
                settings=self.settings,
                reactions=self.reactions,
            )
            carry_out(found, context)
            done += 1
        return done


def _stored(orders: ResourceStore, order_id: str) -> tuple[Document | None, int]:
    try:
        return orders.get_for_update(order_id)
    except NotFound:
        return None, 0


def _items(order: Document) -> list[Any]:
    items = order.get("productOrderItem")
    return items if isinstance(items, list) else []
