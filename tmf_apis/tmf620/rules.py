"""What TMF620 adds: `lastUpdate`, the catalog lifecycle, the category tree, and deletes that
leave no dangling reference inside the catalog.

Lifecycle (`lifecycleStatus`), the moves allowed; any other move is 409:

    In study  -> In design, Rejected
    In design -> In study, In test, Rejected
    In test   -> In design, Active, Launched, Rejected
    Active    -> Launched, Retired
    Launched  -> Active, Retired
    Retired   -> Launched, Obsolete      (relaunch until made obsolete)
    Rejected  -> In study                (reworked)
    Obsolete  -> (none)

A new entity starts "In study" unless the client names another status (a catalog migrated from
another system may arrive "Launched").

Bundles (offerings, specifications and prices alike): `isBundle` is true exactly when the entity
lists components (`bundledProductOffering`, `bundledProductSpecification`, `bundledPopRelationship`;
left out, it follows from that list). A bundle may be empty while it is being designed (In study,
In design, Rejected), not later. Nothing bundles itself, directly or through other bundles held
here (409). An offering option's limits are ordered: lower <= default <= upper.

Deletes are refused with 409 while something in this catalog still refers to the entity: a
specification used by an offering or a bundle of specifications, a price used by an offering or
a price relationship, an offering bundled in another, listed in a category or related to another,
a category with subcategories or offerings. References to things held elsewhere are never checked.

A discount price that lasts a while says so with one `productOfferingTerm` whose `duration` is
`{amount, units}` (tmf_apis/durations.py: a whole amount of at least 1, units of months or days);
one that cannot be read is refused (422), since orders are priced and charged from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import errors
from persistence.errors import NotFound
from tmf_apis import durations
from tmf_apis.rules import Document, RuleContext, Rules

DEFAULT_STATUS = "In study"
TRANSITIONS: dict[str, frozenset[str]] = {
    "In study": frozenset({"In design", "Rejected"}),
    "In design": frozenset({"In study", "In test", "Rejected"}),
    "In test": frozenset({"In design", "Active", "Launched", "Rejected"}),
    "Active": frozenset({"Launched", "Retired"}),
    "Launched": frozenset({"Active", "Retired"}),
    "Retired": frozenset({"Launched", "Obsolete"}),
    "Rejected": frozenset({"In study"}),
    "Obsolete": frozenset(),
}
STATUSES = tuple(TRANSITIONS)


DESIGN_STAGES = frozenset({"In study", "In design", "Rejected"})


class CatalogEntityRules(Rules):
    """`lastUpdate` on every write and the lifecycle, for every catalog entity.

    `referenced_by` lists (resource schema, attribute path) pairs that may point at an entity of
    this kind; a delete is refused while one does.
    """

    referenced_by: tuple[tuple[str, str], ...] = ()

    def on_create(self, document: Document, context: RuleContext) -> None:
        document["lastUpdate"] = context.now
        status = document.setdefault("lifecycleStatus", DEFAULT_STATUS)
        _check_known(status)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        after["lastUpdate"] = context.now
        old = before.get("lifecycleStatus", DEFAULT_STATUS)
        # Every catalog entity states its status, so removing it keeps the current one.
        new = after.setdefault("lifecycleStatus", old)
        if new != old:
            _check_known(new)
            if new not in TRANSITIONS.get(old, frozenset(STATUSES)):
                allowed = ", ".join(sorted(TRANSITIONS.get(old, ()))) or "none"
                raise errors.Conflict(
                    f"lifecycleStatus cannot move from {old!r} to {new!r}; "
                    f"from {old!r} it may move to: {allowed}",
                    reason="Illegal lifecycle transition",
                )

    def on_delete(self, document: Document, context: RuleContext) -> None:
        _refuse_if_referenced(document, self.referenced_by, context)


class CategoryRules(CatalogEntityRules):
    """The category tree: `parentId` names an existing category (never itself or a descendant),
    `isRoot` follows from it, and each parent lists its children in `subCategory`."""

    referenced_by = (("Category", "parentId"), ("ProductOffering", "category.id"))

    def on_create(self, document: Document, context: RuleContext) -> None:
        super().on_create(document, context)
        parent = document.get("parentId")
        if parent:
            _require_category(parent, context)
        document["isRoot"] = not parent

    def after_create(self, document: Document, context: RuleContext) -> None:
        if document.get("parentId"):
            _adopt(document["parentId"], document, context)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        super().on_patch(before, after, context)
        parent = after.get("parentId")
        if parent and parent != before.get("parentId"):
            _require_category(parent, context)
            if parent in _descendants(before["id"], context) | {before["id"]}:
                raise errors.Conflict(
                    f"category {before['id']!r} cannot move under {parent!r}, which is itself "
                    "or one of its subcategories",
                    reason="Category cycle",
                )
        after["isRoot"] = not parent

    def after_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        old, new = before.get("parentId"), after.get("parentId")
        if old != new:
            if old:
                _disown(old, before["id"], context)
            if new:
                _adopt(new, after, context)
        elif new and before.get("name") != after.get("name"):
            _adopt(new, after, context)  # refreshes the name in the parent's list

    def after_delete(self, document: Document, context: RuleContext) -> None:
        if document.get("parentId"):
            _disown(document["parentId"], document["id"], context)


class BundleRules(CatalogEntityRules):
    """The bundle rules for one kind of entity: its components are listed in `components`."""

    schema = ""
    components = ""

    def on_create(self, document: Document, context: RuleContext) -> None:
        super().on_create(document, context)
        self._check(document, context, errors.BadRequest)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        super().on_patch(before, after, context)
        # The patch is well-formed; a bundle it would leave inconsistent is unprocessable.
        self._check(after, context, errors.UnprocessableEntity)

    def _check(
        self, document: Document, context: RuleContext, invalid: type[errors.TmfError]
    ) -> None:
        parts = _components(document, self.components)
        if parts:
            document.setdefault("isBundle", True)
        problem = bundle_problem(document, self.components)
        if problem:
            raise invalid(problem, reason="Invalid bundle")
        if document["id"] in _bundled_closure(parts, self.schema, self.components, context):
            raise errors.Conflict(
                f"{document['id']!r} would be a component of itself through {self.components}",
                reason="Bundle cycle",
            )


class SpecificationRules(BundleRules):
    schema = "ProductSpecification"
    components = "bundledProductSpecification"
    referenced_by = (
        ("ProductOffering", "productSpecification.id"),
        ("ProductSpecification", "bundledProductSpecification.id"),
        ("ProductSpecification", "productSpecificationRelationship.id"),
    )


class OfferingRules(BundleRules):
    schema = "ProductOffering"
    components = "bundledProductOffering"
    referenced_by = (
        ("ProductOffering", "bundledProductOffering.id"),
        ("ProductOffering", "productOfferingRelationship.id"),
        ("Category", "productOffering.id"),
    )


class PriceRules(BundleRules):
    schema = "ProductOfferingPrice"
    components = "bundledPopRelationship"
    referenced_by = (
        ("ProductOffering", "productOfferingPrice.id"),
        ("ProductOfferingPrice", "bundledPopRelationship.id"),
        ("ProductOfferingPrice", "popRelationship.id"),
    )

    def _check(
        self, document: Document, context: RuleContext, invalid: type[errors.TmfError]
    ) -> None:
        super()._check(document, context, invalid)
        problem = discount_duration_problem(document)
        if problem:
            raise errors.UnprocessableEntity(problem, reason="Invalid discount duration")


def discount_duration_problem(price: Document) -> str | None:
    """Why a discount price's duration (its `productOfferingTerm` with a `duration`, how long
    the discount lasts: tmf_apis/durations.py) cannot be read; None when it can, or when the
    price is no discount or has none. Orders are priced and charged from it."""
    if price.get("priceType") != "discount":
        return None
    terms = [
        (index, term)
        for index, term in enumerate(price.get("productOfferingTerm") or [])
        if isinstance(term, dict) and term.get("duration") is not None
    ]
    if len(terms) > 1:
        return (
            "a discount says how long it lasts with one productOfferingTerm duration; "
            f"this one has {len(terms)}"
        )
    for index, term in terms:
        problem = durations.problem(term["duration"])
        if problem:
            return f"productOfferingTerm[{index}].duration (how long the discount lasts): {problem}"
    return None


def _check_known(status: object) -> None:
    if status not in TRANSITIONS:
        raise errors.BadRequest(
            f"lifecycleStatus {status!r} is not one of: {', '.join(STATUSES)}",
            reason="Unknown lifecycle status",
        )


def bundle_problem(document: Document, components: str) -> str | None:
    """Why the bundle attributes of `document` contradict each other, or None."""
    parts = _components(document, components)
    status = document.get("lifecycleStatus", DEFAULT_STATUS)
    if parts and document.get("isBundle", True) is False:
        return (
            f"{components} lists components but isBundle is false; "
            "set isBundle to true or remove the components"
        )
    if document.get("isBundle") is True and not parts and status not in DESIGN_STAGES:
        return f"a bundle past design ({status}) needs at least one entry in {components}"
    for part in parts:
        option = part.get("bundledProductOfferingOption")
        if isinstance(option, dict) and not _ordered_limits(option):
            return (
                "bundledProductOfferingOption needs 0 <= numberRelOfferLowerLimit <= "
                "numberRelOfferDefault <= numberRelOfferUpperLimit"
            )
    return None


def _components(document: Document, components: str) -> list[Document]:
    parts = document.get(components)
    # A patch result of another shape is refused by the schema check that follows.
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def _ordered_limits(option: Document) -> bool:
    names = ("numberRelOfferLowerLimit", "numberRelOfferDefault", "numberRelOfferUpperLimit")
    given = [option[n] for n in names if isinstance(option.get(n), int)]
    return given == sorted(given) and all(n >= 0 for n in given)


def _bundled_closure(
    parts: Iterable[Document], schema: str, components: str, context: RuleContext
) -> set[str]:
    """The ids reachable from `parts` through the bundles held here (latest versions)."""
    store = context.store(schema)
    found: set[str] = set()
    frontier = {p["id"] for p in parts if isinstance(p.get("id"), str)}
    while frontier:
        found |= frontier
        held = store.find_all({"id": {"$in": sorted(frontier)}, components: {"$ne": []}})
        frontier = {
            p["id"]
            for document in held
            for p in document.get(components) or []
            if isinstance(p, dict) and isinstance(p.get("id"), str)
        } - found
    return found


def _refuse_if_referenced(
    document: Document, referenced_by: Iterable[tuple[str, str]], context: RuleContext
) -> None:
    for schema, path in referenced_by:
        where = {path: document["id"], "id": {"$ne": document["id"]}}
        if context.store(schema).exists(where):
            raise errors.Conflict(
                f"{document['id']!r} is still referenced by a {schema} ({path}); "
                "remove that reference first",
                reason="Resource in use",
            )


def _require_category(category_id: str, context: RuleContext) -> None:
    if not context.store("Category").exists({"id": category_id}):
        raise errors.Conflict(
            f"parent category {category_id!r} does not exist", reason="Unknown parent category"
        )


def _descendants(category_id: str, context: RuleContext) -> set[str]:
    found: set[str] = set()
    frontier = [category_id]
    store = context.store("Category")
    while frontier:
        frontier = [c for c in store.ids({"parentId": {"$in": frontier}}) if c not in found]
        found.update(frontier)
    return found


def _adopt(parent_id: str, child: Document, context: RuleContext) -> None:
    reference = {"id": child["id"], "name": child.get("name")}

    def add(parent: Document) -> None:
        kept = [c for c in parent.get("subCategory", []) if c.get("id") != child["id"]]
        parent["subCategory"] = [*kept, {k: v for k, v in reference.items() if v is not None}]
        parent["lastUpdate"] = context.now

    context.store("Category").modify(parent_id, add)


def _disown(parent_id: str, child_id: str, context: RuleContext) -> None:
    def remove(parent: Document) -> None:
        parent["subCategory"] = [
            c for c in parent.get("subCategory", []) if c.get("id") != child_id
        ]
        parent["lastUpdate"] = context.now

    with contextlib.suppress(NotFound):  # a parent already gone needs no update
        context.store("Category").modify(parent_id, remove)
