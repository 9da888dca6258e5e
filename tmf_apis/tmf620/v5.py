"""TMF620 v5's catalog entities against the stored (v4) ones: what the v5 edition maps, both ways.

v5 on the left, stored (v4) on the right:

- the `productCatalog` resource at `/productCatalog` is the `catalog`; its `@type` is kept as
  written (`ProductCatalog` by default through v5, `Catalog` through v4 and in v5's examples);
- `relatedParty[{role, partyOrPartyRole: {id, href, name, @referredType, @type}, @type}]`
  (catalog, specification) is `relatedParty[{id, href, name, role, @referredType}]`;
- a category's `parent` (`CategoryRef`) is `parentId`, the reference kept beside it as an
  extension while it names the same category;
- a specification characteristic's `characteristicValueSpecification` is its
  `productSpecCharacteristicValue`;
- characteristic value specifications are typed (`StringCharacteristicValueSpecification`,
  `Integer...`, `Number...`, `Boolean...`, `Object...` and their `...Array...` kinds), the kind
  told from `value`, else from `valueType`; v4's are untyped;
- an export or import job's `path` naming `/productCatalog` is `/catalog`;
- `@type` on the resource and on every object v5 types (`CategoryRef`, `ProductOfferingRef`,
  `ProductSpecificationRef`, `ProductOfferingPriceRef`, or `ProductOfferingPrice` for a price
  given by value, `AttachmentRef` or `Attachment`, `BundledProductOffering`, `TaxItem`, ...;
  `tmf_apis/typed.py` reads them from the v5 document) is defaulted on the way out, and a
  default is dropped on the way in: v4's objects stay untyped;
- v5-only attributes (`allowedAction`, `bundledGroupProductOffering`, `externalIdentifier`,
  `policy`, `productOfferingCharacteristic`, a specification's `category` and
  `intentSpecification`, a relationship's `characteristic`, ...) are extension attributes.

What one edition sets and the other has no name for reads back unchanged through the edition
that set it: v4's `constraint`, a bundled offering's `lifecycleStatus` and a characteristic's
`productSpecCharRelationship` are shown to v5 as extensions, and v5's `charSpecRelationship` is
stored as one (their members differ, and the official v5 examples use both names).

Lossy:
- v4 to v5: a related party stored without an `id` is not shown through v5, whose references
  require one; a v4 `@type` equal to the default v5 gives its place (`RelatedParty` on a related
  party, `CategoryRef` on a category reference, ...) is not told apart from none, so a v5 write
  of the resource leaves it out.
- v5 to v4: a related party without `@referredType` (v4 requires one) is refused with 422;
  the `@type` of a related party's envelope (only `RelatedPartyRefOrPartyRoleRef`
  exists) is not kept; a category `parent` that v4 later moves (`parentId`) shows the new parent
  by id only; an export job's `query` filters the stored (v4) attribute names, and its file holds
  the stored shape whatever edition made the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import errors
from tmf_apis.editions import Document, V5Mapping
from tmf_apis.typed import TypeDefaults
from tmf_apis.v5_shapes import value_kind as shared_value_kind

SPEC = "TMF620-ProductCatalog-v5.yaml"
TYPE = "@type"
# v5's resource for v4's catalog (events still name the stored path, `catalog`).
CATALOG_V5 = "ProductCatalog"
_CATALOG_PATHS = frozenset({"productCatalog", "catalog"})
# The v5 schema of each resource, by the path the handlers and events name it with.
SCHEMAS = {
    "productCatalog": CATALOG_V5,
    "catalog": CATALOG_V5,
    "category": "Category",
    "productOffering": "ProductOffering",
    "productOfferingPrice": "ProductOfferingPrice",
    "productSpecification": "ProductSpecification",
    "importJob": "ImportJob",
    "exportJob": "ExportJob",
}
RELATED = "RelatedPartyRefOrPartyRoleRef"
PARTY_REF = "PartyRef"
# v4's default `@type` of a related party, which v5's envelope replaces.
V4_RELATED = "RelatedParty"
CATEGORY_REF = "CategoryRef"
# A specification characteristic's attributes, v4 name -> v5 name. Its relationships are not
# renamed: v4's `productSpecCharRelationship` and v5's `charSpecRelationship` hold different
# members, and the official v5 examples use both names.
CHARACTERISTIC_NAMES = {"productSpecCharacteristicValue": "characteristicValueSpecification"}
# Where characteristic value specifications sit, as v5 names them.
_VALUE_LISTS = ("characteristicValueSpecification", "productSpecCharacteristicValue")
_CHARACTERISTIC_LISTS = ("productSpecCharacteristic", "productOfferingCharacteristic")
VALUE_SPEC = "CharacteristicValueSpecification"
# v4 `valueType` words and the v5 kind of value they name, when a value spec has no value.
_VALUE_TYPES = {
    "string": "String",
    "text": "String",
    "integer": "Integer",
    "number": "Number",
    "float": "Float",
    "decimal": "Number",
    "boolean": "Boolean",
    "object": "Object",
}
# Stored attribute paths of the v5 ones that differ (first match by prefix), by resource.
_PARTY_PATHS = (("relatedParty.partyOrPartyRole", "relatedParty"),)
_SPEC_PATHS = (
    ("productSpecCharacteristic.characteristicValueSpecification",
     "productSpecCharacteristic.productSpecCharacteristicValue"),
)  # fmt: skip
PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "productCatalog": _PARTY_PATHS,
    "productSpecification": (*_PARTY_PATHS, *_SPEC_PATHS),
    "category": (("parent.id", "parentId"), ("parent", "parentId")),
}


class CatalogV5(V5Mapping):
    def __init__(self, types: TypeDefaults | None = None) -> None:
        self.types = types or TypeDefaults(SPEC)

    def to_wire(self, resource: str, document: Document) -> Document:
        schema = SCHEMAS.get(resource)
        if schema is None:
            return super().to_wire(resource, document)
        shown = _to_v5(resource, document)
        return dict(self.types.fill(schema, shown))

    def from_wire(self, resource: str, body: Document) -> Document:
        schema = SCHEMAS.get(resource)
        if schema is None:
            return body
        return _to_v4(resource, self._without_defaults(schema, body))

    def stored_path(self, resource: str, path: str) -> str:
        for v5, stored in PATHS.get(resource, ()):
            if path == v5 or path.startswith(v5 + "."):
                return stored + path[len(v5) :]
        return path

    def _without_defaults(self, schema: str, body: Document) -> Document:
        """`body` without the `@type`s that `to_wire` would give it anyway: those are not
        stored, so that a v5 write leaves v4's untyped objects as they were."""
        defaults = self.types.fill(schema, _value_kinds(_untyped(body)))
        kept = _drop_equal_types(body, defaults)
        if isinstance(body.get(TYPE), str):
            kept[TYPE] = body[TYPE]  # the resource's own, which v4 shows too
        return kept


# ---------------------------------------------------------------------- v4 -> v5


def _to_v5(resource: str, document: Document) -> Document:
    shown = dict(document)
    if resource in _CATALOG_PATHS and not shown.get(TYPE):
        shown[TYPE] = CATALOG_V5
    if resource == "category":
        _parent_to_v5(shown)
    if resource in ("exportJob", "importJob"):
        _job_path(shown, "catalog", "productCatalog")
    if isinstance(shown.get("relatedParty"), list):
        shown["relatedParty"] = [
            _related_to_v5(p) if isinstance(p, dict) else p
            for p in shown["relatedParty"]
            if not isinstance(p, dict) or p.get("id") or "partyOrPartyRole" in p
        ]
    _each(shown, "productSpecCharacteristic", _characteristic_to_v5)
    return _value_kinds(shown)


def _parent_to_v5(category: Document) -> None:
    parent_id = category.pop("parentId", None)
    kept = category.pop("parent", None)
    if parent_id:
        # The reference a v5 client gave, while it still names the parent v4 holds.
        same = isinstance(kept, dict) and kept.get("id") == parent_id
        parent: Document = dict(kept) if same else {"id": parent_id}
        parent.setdefault(TYPE, CATEGORY_REF)
        category["parent"] = parent


def _related_to_v5(party: Document) -> Document:
    if "partyOrPartyRole" in party:
        return party  # written by v5 as it is (an extension v4 never wrote)
    reference = {k: v for k, v in party.items() if k not in ("role", TYPE)}
    if party.get(TYPE) not in (None, V4_RELATED):
        reference[TYPE] = party[TYPE]
    shown: Document = {TYPE: RELATED, "partyOrPartyRole": reference}
    if "role" in party:
        shown["role"] = party["role"]
    return shown


def _characteristic_to_v5(characteristic: Document) -> Document:
    return _renamed(characteristic, CHARACTERISTIC_NAMES)


def _value_kinds(document: Document) -> Document:
    """Every characteristic value specification typed by its kind of value, where untyped."""
    shown = dict(document)

    def typed_values(holder: Document) -> Document:
        out = dict(holder)
        for name in _VALUE_LISTS:
            _each(out, name, _value_kind)
        return out

    for name in (*_CHARACTERISTIC_LISTS, "prodSpecCharValueUse"):
        _each(shown, name, typed_values)
    return shown


def _value_kind(value_spec: Document) -> Document:
    if value_spec.get(TYPE):
        return value_spec
    return {**value_spec, TYPE: value_kind(value_spec)}


def value_kind(value_spec: Document) -> str:
    """The v5 `@type` of an untyped characteristic value specification."""
    if "value" in value_spec:
        kind = shared_value_kind(value_spec["value"])
    else:
        kind = _VALUE_TYPES.get(str(value_spec.get("valueType", "")).lower(), "")
    return f"{kind}{VALUE_SPEC}"


# ---------------------------------------------------------------------- v5 -> v4


def _to_v4(resource: str, body: Document) -> Document:
    stored = dict(body)
    if resource == "category":
        parent = stored.get("parent")
        if isinstance(parent, dict) and isinstance(parent.get("id"), str):
            stored["parentId"] = parent["id"]
            if set(parent) - {"id"}:
                stored["parent"] = parent  # what v4 has no name for, beside parentId
            else:
                del stored["parent"]
    if resource in ("exportJob", "importJob"):
        _job_path(stored, "productCatalog", "catalog")
    parties = stored.get("relatedParty")
    if isinstance(parties, list):
        stored["relatedParty"] = [
            _related_to_v4(p, n) if isinstance(p, dict) else p for n, p in enumerate(parties)
        ]
    _each(stored, "productSpecCharacteristic", _characteristic_to_v4)
    return stored


def _related_to_v4(party: Document, index: int) -> Document:
    reference = party.get("partyOrPartyRole")
    if not isinstance(reference, dict) or not set(party) <= {"partyOrPartyRole", "role", TYPE}:
        return party
    if not reference.get("@referredType"):
        # v4 requires it of every related party and v5 does not: refused here rather than
        # stored as something the v4 edition could not show.
        raise errors.UnprocessableEntity(
            f"relatedParty[{index}].partyOrPartyRole: name its @referredType (e.g. Individual "
            "or Organization); the v4 edition of this catalog requires it",
            reason="Related party without @referredType",
        )
    flat = {k: v for k, v in reference.items() if k != TYPE or v != PARTY_REF}
    if "role" in party:
        flat["role"] = party["role"]
    return flat


def _characteristic_to_v4(characteristic: Document) -> Document:
    return _renamed(characteristic, {v: k for k, v in CHARACTERISTIC_NAMES.items()})


# ---------------------------------------------------------------------- shared


def _each(document: Document, name: str, convert: Callable[[Document], Document]) -> None:
    """Convert every object of the array `name` (anything else is left to the schema check)."""
    items = document.get(name)
    if isinstance(items, list):
        document[name] = [convert(i) if isinstance(i, dict) else i for i in items]


def _renamed(item: Document, names: dict[str, str]) -> Document:
    """`item` with its attributes renamed, where the new name is not taken already."""
    out: Document = {}
    for key, value in item.items():
        new = names.get(key)
        out[new if new and new not in item else key] = value
    return out


def _job_path(job: Document, old: str, new: str) -> None:
    path = job.get("path")
    if isinstance(path, str) and path.rstrip("/").rsplit("/", 1)[-1] == old:
        head = path.rstrip("/")[: -len(old)]
        job["path"] = head + new + path[len(path.rstrip("/")) :]


def _untyped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untyped(v) for k, v in value.items() if k != TYPE}
    if isinstance(value, list):
        return [_untyped(v) for v in value]
    return value


def _drop_equal_types(value: Any, defaults: Any) -> Any:
    """`value` without each `@type` equal to the one `defaults` (the same shape) has there."""
    if isinstance(value, dict):
        default = defaults if isinstance(defaults, dict) else {}
        out = {k: _drop_equal_types(v, default.get(k)) for k, v in value.items()}
        if TYPE in out and out[TYPE] == default.get(TYPE):
            del out[TYPE]
        return out
    if isinstance(value, list):
        items = defaults if isinstance(defaults, list) and len(defaults) == len(value) else []
        return [_drop_equal_types(v, items[i] if items else None) for i, v in enumerate(value)]
    return value
