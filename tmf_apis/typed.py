"""`@type` on every object an edition's schemas type, filled in from its spec document.

v5 requires `@type` on the resource and on nearly every object inside it (each reference, price,
characteristic, note...), where v4 documents mostly have none. Rather than a hand-kept list of
attribute -> type name per API, `TypeDefaults` reads the edition's own document: walking a
document beside its schema, an object whose schema declares `@type` and that has none gets the
schema's name. Where the schema is a union (`ProductRefOrValue`: `Product` or `ProductRef`), an
object with a known `@type` follows that member; one without takes the narrowest member that
declares every attribute it has (a bare `{id, href}` is a `ProductRef`, an object with
characteristics a `Product`). A subtype named by a discriminator mapping (`StringCharacteristic`
under `Characteristic`) is followed the same way. What the walk fills is only ever `@type`;
what it leaves out is a reference without the `id` its schema requires (v4 stores such
references, v5 cannot show them).

The walk is compiled once per schema into small plan objects, so a response pays for one pass
over its own document and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parents[1] / "specs"
TYPE = "@type"
_REF = "#/components/schemas/"


@dataclass
class _Object:
    name: str | None
    typed: bool
    properties: dict[str, _Plan] = field(default_factory=dict)
    # Whether the schema requires an `id` (a reference does).
    needs_id: bool = False
    # A discriminator's `@type` values and the schema each names (subtypes, or union members).
    subtypes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Union:
    members: list[str]
    subtypes: dict[str, str]


@dataclass
class _Array:
    items: _Plan


@dataclass
class _Ref:
    name: str


_Plan = _Object | _Union | _Array | _Ref | None


class TypeDefaults:
    """The `@type` defaults of one spec document (a file in specs/), loaded when first used."""

    def __init__(self, spec_file: str, specs_dir: Path = SPECS_DIR) -> None:
        self._path = specs_dir / spec_file
        self._schemas: dict[str, Any] | None = None
        self._plans: dict[str, _Plan] = {}

    def fill(self, schema: str, document: Any) -> Any:
        """`document` (of the component schema `schema`) with `@type` wherever its schema
        declares one and it has none; a new object where something was filled."""
        return self._fill(self._plan(schema), document)

    def unfill(self, schema: str, document: Any, stored: Any) -> Any:
        """`document` (a patched copy of what `fill` made of `stored`) without the `@type`s
        `fill` added: where `stored` has no `@type` and `document` still holds the filled one,
        it goes, so that a patch changes only what its client changed. Array elements are
        paired by `id`, else by position."""
        return self._unfill(self._plan(schema), document, stored)

    # ------------------------------------------------------------------ walking

    def _fill(self, plan: _Plan, value: Any) -> Any:
        while isinstance(plan, _Ref):
            plan = self._plan(plan.name)
        if plan is None:
            return value
        if isinstance(plan, _Array):
            if isinstance(value, list):
                return [self._fill(plan.items, v) for v in value if self._shown(plan.items, v)]
            return value
        if not isinstance(value, dict):
            return value
        if isinstance(plan, _Union):
            return self._fill(self._member(plan, value), value)
        named = plan.subtypes.get(str(value.get(TYPE))) if plan.subtypes else None
        if named is not None and named != plan.name:
            return self._fill(_Ref(named), value)
        out = dict(value)
        for key, child in plan.properties.items():
            if key in value:
                if self._shown(child, value[key]):
                    out[key] = self._fill(child, value[key])
                else:
                    del out[key]
        if plan.typed and plan.name and not value.get(TYPE):
            out[TYPE] = plan.name
        return out

    def _unfill(self, plan: _Plan, value: Any, stored: Any) -> Any:
        while isinstance(plan, _Ref):
            plan = self._plan(plan.name)
        if plan is None:
            return value
        if isinstance(plan, _Array):
            if not isinstance(value, list):
                return value
            before = stored if isinstance(stored, list) else []
            by_id = {e["id"]: e for e in before if isinstance(e, dict) and "id" in e}
            return [
                self._unfill(plan.items, v, _counterpart(v, i, before, by_id))
                for i, v in enumerate(value)
            ]
        if not isinstance(value, dict):
            return value
        was = stored if isinstance(stored, dict) else None
        if isinstance(plan, _Union):
            return self._unfill(self._member(plan, was or value), value, stored)
        named = plan.subtypes.get(str((was or value).get(TYPE))) if plan.subtypes else None
        if named is not None and named != plan.name:
            return self._unfill(_Ref(named), value, stored)
        out = dict(value)
        for key, child in plan.properties.items():
            if key in value:
                out[key] = self._unfill(child, value[key], was.get(key) if was else None)
        if plan.typed and was is not None and not was.get(TYPE) and value.get(TYPE) == plan.name:
            del out[TYPE]
        return out

    def _shown(self, plan: _Plan, value: Any) -> bool:
        """Whether the edition can show `value`: not a reference without the `id` its schema
        requires (v4 takes such references; v5 cannot show them, and leaves them out)."""
        while isinstance(plan, _Ref):
            plan = self._plan(plan.name)
        if not isinstance(plan, _Object) or not plan.needs_id or not isinstance(value, dict):
            return True
        return "id" in value

    def _member(self, union: _Union, value: dict[str, Any]) -> _Plan:
        named = union.subtypes.get(str(value.get(TYPE)))
        if named is not None:
            return _Ref(named)
        keys = set(value) - {TYPE}
        best: tuple[int, int, str] | None = None
        for name in union.members:
            plan = self._plan(name)
            declared = set(plan.properties) if isinstance(plan, _Object) else set()
            # Prefer members that declare every attribute; then the narrowest.
            score = (len(keys - declared), len(declared), name)
            if best is None or score[:2] < best[:2]:
                best = score
        return _Ref(best[2]) if best is not None else None

    # ------------------------------------------------------------------ compiling

    def _plan(self, name: str) -> _Plan:
        if name not in self._plans:
            self._plans[name] = None  # a schema that reaches itself stops here meanwhile
            self._plans[name] = self._compile(self._component(name), name)
        return self._plans[name]

    def _component(self, name: str) -> dict[str, Any]:
        if self._schemas is None:
            with self._path.open(encoding="utf-8") as file:
                self._schemas = yaml.safe_load(file)["components"]["schemas"]
        schema: dict[str, Any] = self._schemas.get(name, {})
        return schema

    def _compile(self, schema: dict[str, Any], name: str | None) -> _Plan:
        if "$ref" in schema:
            return _Ref(schema["$ref"].removeprefix(_REF))
        members = schema.get("oneOf") or schema.get("anyOf")
        subtypes = {
            key: target.removeprefix(_REF)
            for key, target in (schema.get("discriminator") or {}).get("mapping", {}).items()
        }
        if members:
            refs = [m["$ref"].removeprefix(_REF) for m in members if "$ref" in m]
            return _Union(refs, subtypes)
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            return _Array(self._compile(schema["items"], None))
        plan = _Object(name, False, subtypes=subtypes)
        self._gather(schema, plan)
        if not plan.properties and not plan.typed:
            return None
        return plan

    def _gather(self, schema: dict[str, Any], plan: _Object) -> None:
        """The properties `schema` declares, its allOf members' included."""
        for part in schema.get("allOf", []):
            if "$ref" in part:
                self._gather(self._component(part["$ref"].removeprefix(_REF)), plan)
            else:
                self._gather(part, plan)
        if "id" in (schema.get("required") or ()):
            plan.needs_id = True
        for key, child in (schema.get("properties") or {}).items():
            if key == TYPE:
                plan.typed = True
            elif key not in plan.properties or plan.properties[key] is None:
                plan.properties[key] = self._compile(child, None)


def _counterpart(value: Any, index: int, before: list[Any], by_id: dict[Any, Any]) -> Any:
    if isinstance(value, dict) and value.get("id") in by_id:
        return by_id[value["id"]]
    return before[index] if index < len(before) else None
