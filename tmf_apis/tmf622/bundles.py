"""Bundles ordered as one item: the server adds the member items the catalog implies.

An `add` item whose offering is a bundle of this catalog (`isBundle` with
`bundledProductOffering`) and that names no member items of its own gets one nested item per
member, as if the client had sent the nested form: `id` "<item id>.<n>", the item's action,
the member offering, and a quantity of the member's count per bundle times the bundle item's
quantity. A member's count per bundle is its `bundledProductOfferingOption`:
- `numberRelOfferDefault` when given (0 leaves the member out);
- else the limits when they leave no choice (`numberRelOfferLowerLimit` equal to
  `numberRelOfferUpperLimit`), or 1 when the entry gives none;
- else it is a choice only the customer can make, and the bundle is not expanded: validation
  rejects the order with a note naming each member that needs a choice.
Members that are bundles themselves are expanded the same way. The order is then priced and
charged exactly as the nested form is (pricing.py, charging on completion).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tmf_apis.tmf622.states import all_items

Document = dict[str, Any]
Resolve = Callable[[str, Mapping[str, Any]], Document | None]
OPTION = "bundledProductOfferingOption"
# A catalog's bundles nest a few levels at most; deeper is a malformed catalog, not an order.
MAX_DEPTH = 8


def expand(order: Document, resolve: Resolve) -> None:
    """Add the member items of every bundle item that names none (in place)."""
    taken = {item.get("id") for item in all_items(order.get("productOrderItem") or [])}
    for item in list(order.get("productOrderItem") or []):
        if isinstance(item, dict):
            _expand(item, resolve, taken, depth=0)


def choices_missing(item: Document, resolve: Resolve) -> list[str]:
    """Why a bundle item that names no members could not be given them; empty otherwise."""
    offering = _bundle(item, resolve)
    if offering is None:
        return []
    reasons = []
    for member in _members(offering):
        if _count(member) is None:
            option = member.get(OPTION) or {}
            low = option.get("numberRelOfferLowerLimit", 0)
            high = option.get("numberRelOfferUpperLimit", "any number")
            reasons.append(
                f"item {item.get('id')!r}: bundle {_name(offering)!r} lets the customer choose "
                f"how many of member {_name(member)!r} to take ({low} to {high}, no default); "
                "order the bundle with its member items in productOrderItem, each with its "
                "quantity"
            )
    return reasons


def _expand(item: Document, resolve: Resolve, taken: set[Any], depth: int) -> None:
    offering = _bundle(item, resolve)
    if offering is None or depth >= MAX_DEPTH or choices_missing(item, resolve):
        return
    quantity = item.get("quantity", 1)
    quantity = quantity if isinstance(quantity, int) and quantity > 0 else 1
    members: list[Document] = []
    for member in _members(offering):
        count = _count(member) or 0
        if count == 0:
            continue
        member_item: Document = {
            "id": _new_id(f"{item.get('id')}.{len(members) + 1}", taken),
            "action": item.get("action", "add"),
            "quantity": count * quantity,
            "productOffering": {k: member[k] for k in ("id", "href", "name") if k in member},
        }
        if "state" in item:
            member_item["state"] = item["state"]
        members.append(member_item)
        _expand(member_item, resolve, taken, depth + 1)
    if members:
        item["productOrderItem"] = members


def _bundle(item: Document, resolve: Resolve) -> Document | None:
    """The bundle offering of an `add` item that names no member items, or None."""
    reference = item.get("productOffering")
    if item.get("action") != "add" or item.get("productOrderItem"):
        return None
    if not isinstance(reference, dict):
        return None
    offering = resolve("ProductOffering", reference)
    if offering is None or offering.get("isBundle") is not True or not _members(offering):
        return None
    return offering


def _members(offering: Document) -> list[Document]:
    members = offering.get("bundledProductOffering")
    if not isinstance(members, list):
        return []
    return [m for m in members if isinstance(m, dict) and isinstance(m.get("id"), str)]


def _count(member: Document) -> int | None:
    """How many of `member` one bundle holds, or None when the customer must choose."""
    option = member.get(OPTION)
    if not isinstance(option, dict):
        return 1
    default = _whole(option.get("numberRelOfferDefault"))
    low, high = option.get("numberRelOfferLowerLimit"), option.get("numberRelOfferUpperLimit")
    if default is not None:
        return default
    if low is None and high is None:
        return 1
    return _whole(low) if low == high else None


def _whole(value: Any) -> int | None:
    """`value` when it is a whole number of at least 0, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _new_id(wanted: str, taken: set[Any]) -> str:
    found, n = wanted, 1
    while found in taken:
        n += 1
        found = f"{wanted}-{n}"
    taken.add(found)
    return found


def _name(entity: Document) -> str:
    return str(entity.get("name") or entity.get("id"))
