"""What TMF622 adds to the generic operations: the order lifecycle (states.py), its validation
(validation.py), its pricing (pricing.py), what a PATCH may change, and cancellation.

A POST stores the order `acknowledged` (its items too) with `orderDate`, its billing accounts
checked and its customer's default one recorded (accounts.py; 422 otherwise, nothing stored), a
bundle ordered as one item given its member items (bundles.py), priced from the catalog when the
client sent no prices; the server validates it and moves it, with its items, to `inProgress`, or
to `rejected` with one note per reason. Validation is decided before the write, so the order is
stored where it took it, in the create's own write with the events of both steps (`settle`); an
order that modifies or ends products is validated once stored, for its claims on them must name
an order that exists (products.py). The 201 answer shows the order as acknowledged; reads show
where validation took it. A POST with `requestedInitialState: draft`
(v5) stores a `draft` as sent, with its `orderDate`, and nothing more: no members, prices, item
states or checks until a PATCH moves it to `acknowledged`, which places it as a POST would (and
re-dates it).

PATCH on an order:
- while in flight, it may change `note`, `notificationContact`, `requestedCompletionDate`,
  `requestedStartDate` and `relatedParty` (contacts); once final, only `note`; anything else is
  409;
- `state` moves along the graph in states.py (409 otherwise);
- item `state`s move along the item graph while the order is in flight, and the order's state
  follows them; nothing else of an item may change after the POST (the 409 names what would
  change and shows both accepted forms); a bundle item that completes or fails takes its
  member items still at work with it, so that they are charged with it;
- on a secured server only fulfilment (or admin) moves states: a channel's PATCH that would is 403.
`completionDate` is set when the order reaches completed, failed or partial. Each item that
completes is published as a domain event (tmf_apis/domain.py), exactly once whatever process dies
when (completion.py): inventory makes, changes or ends the product it names
(tmf_apis/tmf637/inventory.py) and billing charges it (tmf_apis/tmf678/charging.py).
"""

from __future__ import annotations

import copy
from typing import Any

import errors
from tmf_apis import money
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf622 import accounts, bundles, completion, pricing, products, states, validation

IN_FLIGHT_CHANGES = frozenset(
    {"note", "notificationContact", "requestedCompletionDate", "requestedStartDate", "relatedParty"}
)
FINAL_CHANGES = frozenset({"note"})
# Kept apart from the comparison of what changed: the server's own bookkeeping.
_SERVER_SET = frozenset({"state", "productOrderItem", "completionDate"})
ENDED = frozenset({states.COMPLETED, states.FAILED, states.PARTIAL})
VALIDATION_AUTHOR = "order validation"
# A bundle item that ends this way takes its members still at work with it.
MEMBERS_FOLLOW = frozenset({states.COMPLETED, states.FAILED})
HOW_TO_MOVE_ITEMS = (
    "Move items with a JSON Patch (application/json-patch+json), e.g. "
    '[{"op": "replace", "path": "/productOrderItem/0/state", "value": "completed"}], or with a '
    "merge patch that sends productOrderItem whole, every item as read with only its state "
    "changed (a merge patch replaces the whole array)"
)
# Who may move order and item states (the OSS side); a channel changes notes and contacts only.
FULFILMENT_ROLES = ("admin", "fulfilment")


class OrderRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        document["orderDate"] = context.now
        if document.get("requestedInitialState") == states.DRAFT:
            document["state"] = states.DRAFT  # kept as sent until the client places it
            return
        _place(document, context)

    def settle(self, document: Document, context: RuleContext) -> Document | None:
        # An order that changes products claims them once it is stored, so that an order placed
        # at the same moment sees it in flight (products.py): it is validated after its write.
        if document.get("state") == states.DRAFT or products.changes_products(document):
            return None
        return _validated(document, validation.problems(document, context), context)

    def after_create(self, document: Document, context: RuleContext) -> None:
        if document.get("state") == states.ACKNOWLEDGED:
            _validate(document, context)

    def resume_create(self, document: Document, context: RuleContext) -> None:
        # Validation moves only an order still acknowledged: running it again is safe.
        if document.get("state") == states.ACKNOWLEDGED:
            _validate(document, context)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        if before.get("state") == states.DRAFT:
            _on_draft_patch(before, after, context)
            return
        self._on_placed_patch(before, after, context)

    def _on_placed_patch(self, before: Document, after: Document, context: RuleContext) -> None:

        old = before.get("state", states.ACKNOWLEDGED)
        _check_attribute_changes(before, after, old)
        if context.party is not None and before.get("relatedParty") != after.get("relatedParty"):
            # A channel's new parties pass the checks its order passed when it was placed.
            problems = validation.party_problems(after, context)
            if problems:
                raise errors.UnprocessableEntity("; ".join(problems), reason="Unknown party")
        if before.get("relatedParty") != after.get("relatedParty"):
            # Another customer must be able to pay on the account the order recorded.
            accounts.check(after, context)
        items_moved = _check_item_changes(before, after, old)
        new = after.setdefault("state", old)
        if (items_moved or new != old) and not context.acts_as(*FULFILMENT_ROLES):
            raise errors.Forbidden(
                "only fulfilment moves an order or its items from state to state",
                reason="Not allowed",
            )
        if new not in states.ORDER_MOVES:
            raise errors.UnprocessableEntity(
                f"state {new!r} is not a product order state", reason="Unknown state"
            )
        if new != old:
            problem = states.order_move_problem(old, new)
            if problem:
                raise errors.Conflict(problem, reason="Illegal state transition")
            if new in (states.IN_PROGRESS, states.REJECTED) and old == states.ACKNOWLEDGED:
                states.set_item_states(after.get("productOrderItem") or [], new)
        items = _items(after)
        if items_moved:
            after["state"] = states.derived_order_state(after["state"], items)
        elif after["state"] in ENDED and states.outcome(items) != after["state"]:
            raise errors.Conflict(
                f"the order cannot be {after['state']} while its items are not: move the items "
                "and the order follows",
                reason="Illegal state transition",
            )
        if after["state"] in ENDED and old not in ENDED:
            after["completionDate"] = context.now
        completion.record(before, after, context.now)

    def after_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        """A draft just placed is validated as a new order is; items that completed with this
        change are told to whoever reacts (TMF678 charges them)."""
        if before.get("state") == states.DRAFT and after.get("state") == states.ACKNOWLEDGED:
            _validate(after, context)
            return
        completion.carry_out(after, context)


def _place(document: Document, context: RuleContext) -> None:
    """What placing an order does to it: its accounts checked (422) and the default one
    recorded (accounts.py), bundles given their members, the order and its items acknowledged,
    prices from the catalog when the client sent none."""
    accounts.settle(document, context)
    _read_catalog(document, context)
    bundles.expand(document, context.resolve)
    document["state"] = states.ACKNOWLEDGED
    states.set_item_states(document.get("productOrderItem") or [], states.ACKNOWLEDGED)
    if pricing.needs_pricing(document):
        tax_rate = money.default_tax_rate(context.settings)
        pricing.price_order(document, context.resolve, tax_rate)


def _read_catalog(order: Document, context: RuleContext) -> None:
    """The offerings the order's items name, then (when the server prices it) their prices, read
    with one query each: pricing and validation resolve them from what was read."""
    named = [i.get("productOffering") for i in states.all_items(_items(order))]
    offerings = [reference for reference in named if isinstance(reference, dict)]
    context.prefetch("ProductOffering", offerings)
    if not pricing.needs_pricing(order):
        return
    found = (context.resolve("ProductOffering", reference) for reference in offerings)
    prices = [
        reference
        for offering in found
        if offering is not None
        for reference in offering.get("productOfferingPrice") or []
        if isinstance(reference, dict)
    ]
    context.prefetch("ProductOfferingPrice", prices)


def _validate(document: Document, context: RuleContext) -> None:
    """The checks of a stored order still acknowledged; it moves as `_validated` says."""
    reasons = validation.problems(document, context)

    def decide(order: Document) -> None:
        if order.get("state") != states.ACKNOWLEDGED:
            return  # another request moved it first
        order.update(_validated(order, reasons, context))

    context.store("ProductOrder").modify(document["id"], decide)


def _validated(order: Document, reasons: list[str], context: RuleContext) -> Document:
    """The placed order once checked: with its items, inProgress, or rejected with one note per
    reason."""
    outcome = states.REJECTED if reasons else states.IN_PROGRESS
    moved = copy.deepcopy(order)
    moved["state"] = outcome
    states.set_item_states(moved.get("productOrderItem") or [], outcome)
    notes = [
        {"author": VALIDATION_AUTHOR, "date": context.now, "text": reason} for reason in reasons
    ]
    if notes:
        moved["note"] = [*(moved.get("note") or []), *notes]
    return moved


def _on_draft_patch(before: Document, after: Document, context: RuleContext) -> None:
    """A draft takes any change its client makes (the server's own attributes excepted, which
    no PATCH changes) but accounts it may not name; moving it to acknowledged places it, as a
    POST places an order."""
    if context.party is not None:
        problems = validation.party_problems(after, context)
        if problems:
            raise errors.UnprocessableEntity("; ".join(problems), reason="Unknown party")
    if accounts.named(before) != accounts.named(after):
        accounts.check(after, context)
    new = after.setdefault("state", states.DRAFT)
    if new == states.ACKNOWLEDGED:
        after["orderDate"] = context.now
        _place(after, context)
    elif new != states.DRAFT:
        raise errors.Conflict(
            f"a draft order cannot move to {new}: it is placed by moving it to acknowledged "
            "(or deleted)",
            reason="Illegal state transition",
        )


def _check_attribute_changes(before: Document, after: Document, state: str) -> None:
    allowed = FINAL_CHANGES if state in states.FINAL else IN_FLIGHT_CHANGES
    names = (set(before) | set(after)) - _SERVER_SET
    changed = sorted(n for n in names if before.get(n) != after.get(n) and n not in allowed)
    if changed:
        raise errors.Conflict(
            f"{', '.join(changed)} cannot change on an order that is {state}; it may change: "
            f"{', '.join(sorted(allowed))}",
            reason="Order not modifiable",
        )


def _check_item_changes(before: Document, after: Document, order_state: str) -> bool:
    """Refuses any item change but a legal state move; True when some item moved. A bundle item
    that ends (completed or failed) takes its member items still at work with it."""
    old_list = list(states.all_items(_items(before)))
    new_items = list(states.all_items(_items(after)))
    problem = _item_change_problem(old_list, new_items)
    if problem:
        raise errors.Conflict(f"{problem}. {HOW_TO_MOVE_ITEMS}", reason="Order not modifiable")
    old_items = {item.get("id"): item for item in old_list}
    moved = False
    for item in new_items:
        old = old_items[item.get("id")].get("state", states.ACKNOWLEDGED)
        new = item.setdefault("state", old)
        if new not in states.ITEM_MOVES:
            raise errors.UnprocessableEntity(
                f"item {item.get('id')!r}: state {new!r} is not an item state",
                reason="Unknown state",
            )
        if new == old:
            continue
        if order_state not in states.IN_FLIGHT:
            raise errors.Conflict(
                f"item {item.get('id')!r} cannot move while the order is {order_state}",
                reason="Illegal state transition",
            )
        problem = states.item_move_problem(old, new)
        if problem:
            raise errors.Conflict(
                f"item {item.get('id')!r}: {problem}", reason="Illegal state transition"
            )
        if new in MEMBERS_FOLLOW:
            _members_follow(item, new, old_items)
        moved = True
    return moved


def _members_follow(item: Document, state: str, old_items: dict[Any, Document]) -> None:
    """A bundle item's members that are still at work end as it does (and so are charged with
    it); one that cannot make that move (held, pending) must be moved first."""
    for member in states.all_items(_items(item)):
        was = old_items.get(member.get("id"), {}).get("state", states.ACKNOWLEDGED)
        if member.get("state", was) != was or was in states.FINAL:
            continue  # moved by this patch itself, or already ended
        if states.item_move_problem(was, state):
            raise errors.Conflict(
                f"item {item.get('id')!r} cannot become {state} while its member item "
                f"{member.get('id')!r} is {was}: move the member first",
                reason="Illegal state transition",
            )
        member["state"] = state


def _item_change_problem(old_items: list[Document], new_items: list[Document]) -> str | None:
    """What a PATCH would change of the items beyond their states, named; None when nothing."""
    old = {item.get("id"): item for item in old_items}
    new = {item.get("id"): item for item in new_items}
    removed = [repr(i) for i in old if i not in new]
    added = [repr(i) for i in new if i not in old]
    if removed or added:
        parts = [
            f"would remove item {', '.join(removed)}" if removed else "",
            f"would add item {', '.join(added)}" if added else "",
        ]
        return "the change " + " and ".join(p for p in parts if p)
    if [i.get("id") for i in old_items] != [i.get("id") for i in new_items]:
        return "the change would reorder the items"
    for item_id, before in old.items():
        after = new[item_id]
        names = (set(before) | set(after)) - {"state", "productOrderItem"}
        changed = sorted(n for n in names if before.get(n) != after.get(n))
        if changed:
            gone = [n for n in changed if n not in after]
            kept = [n for n in changed if n in after]
            what = "; ".join(
                part
                for part in (
                    f"{', '.join(gone)} would be removed" if gone else "",
                    f"{', '.join(kept)} would change" if kept else "",
                )
                if part
            )
            return f"item {item_id!r}: {what}; after the order is placed only an item's state may"
    return None


def _items(order: Document) -> list[Document]:
    items = order.get("productOrderItem")
    return items if isinstance(items, list) else []
