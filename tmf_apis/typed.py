"""`@type` on every object an edition's schemas type, filled in from its spec document.

v5 requires `@type` on the resource and on nearly every object inside it (each reference, price,
characteristic, note...), where v4 documents mostly have none. Rather than a hand-kept list of
attribute -> type name per API, `TypeDefaults` reads the edition's own document: walking a
document beside its schema, an object whose schema declares `@type` and that has none gets the
schema's name. Where the schema is a union (`ProductRefOrValue`: `Product` or `ProductRef`), an
object with a known `@type` follows that member; one without takes the narrowest member that
declares every attribute it has and, if it has no `id`, does not require one (a bare `{id,
href}` is a `ProductRef`; `{name}` or an object with characteristics, a `Product`). A subtype
named by a discriminator mapping (`StringCharacteristic` under `Characteristic`) is followed the
same way. What the walk fills is only ever `@type`; what it leaves out is a reference without
the `id` its schema requires (v4 stores such references, v5 cannot show them).

The walk is compiled once per schema into small plan objects, so a response pays for one pass
over its own document and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tmf_apis import spec_files

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
_Fill = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


class TypeDefaults:
    """The `@type` defaults of one spec document (a file in specs/), loaded when first used.

    Request threads and the delivery worker's share one instance, and compile schemas as they
    first meet them: compiling holds a lock, and what one compilation makes is published only
    when it is whole (a recursive schema's functions call each other through placeholders that
    are filled last)."""

    def __init__(self, spec_file: str, specs_dir: Path = SPECS_DIR) -> None:
        self._path = specs_dir / spec_file
        self._schemas: dict[str, Any] | None = None
        self._plans: dict[str, _Plan] = {}
        self._fillers: dict[str, _Fill] = {}
        # Reentrant: compiling one schema compiles those it reaches.
        self._lock = threading.RLock()
        # With the lock held: what the compilation under way has made, and the plans it is in.
        self._building: dict[str, _Fill] = {}
        self._planning: set[str] = set()

    def fill(self, schema: str, document: Any) -> Any:
        """`document` (of the component schema `schema`) with `@type` wherever its schema
        declares one and it has none; a new object where something was filled."""
        return self._filler(schema)(document)

    def unfill(self, schema: str, document: Any, stored: Any) -> Any:
        """`document` (a patched copy of what `fill` made of `stored`) without the `@type`s
        `fill` added: where `stored` has no `@type` and `document` still holds the filled one,
        it goes, so that a patch changes only what its client changed. Array elements are
        paired by `id`, else by position."""
        return self._unfill(self._plan(schema), document, stored)

    # ------------------------------------------------------------------ walking

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

    def _member(self, union: _Union, value: dict[str, Any]) -> _Plan:
        named = union.subtypes.get(str(value.get(TYPE)))
        if named is not None:
            return _Ref(named)
        keys = set(value) - {TYPE}
        best: tuple[int, bool, int, str] | None = None
        for name in union.members:
            plan = self._plan(name)
            declared = set(plan.properties) if isinstance(plan, _Object) else set()
            unnamed = isinstance(plan, _Object) and plan.needs_id and "id" not in value
            # Prefer members that declare every attribute, then those whose required id the
            # object has (a member given by value before a reference it cannot be), then the
            # narrowest.
            score = (len(keys - declared), unnamed, len(declared), name)
            if best is None or score[:3] < best[:3]:
                best = score
        return _Ref(best[3]) if best is not None else None

    # ------------------------------------------------------------------ fill, compiled

    def _filler(self, name: str) -> _Fill:
        """The fill of the component schema `name`, as one function of the value."""
        made = self._fillers.get(name)
        if made is not None:
            return made
        with self._lock:
            made = self._fillers.get(name) or self._building.get(name)
            if made is not None:
                return made
            outermost = not self._building
            try:
                # A schema that reaches itself calls through this cell while it is being built.
                cell: list[_Fill] = []
                self._building[name] = lambda value: cell[0](value)
                made = self._fill_of(self._plan(name))
                cell.append(made)
                self._building[name] = made
                if outermost:
                    self._fillers.update(self._building)
            finally:
                if outermost:
                    self._building.clear()
            return made

    def _fill_of(self, plan: _Plan) -> _Fill:
        if isinstance(plan, _Ref):
            return self._filler(plan.name)
        if isinstance(plan, _Array):
            return self._array_fill(plan)
        if isinstance(plan, _Union):
            return self._union_fill(plan)
        if isinstance(plan, _Object):
            return self._object_fill(plan)
        return _same

    def _array_fill(self, plan: _Array) -> _Fill:
        item, needs_id = self._fill_of(plan.items), self._needs_id(plan.items)

        def fill(value: Any) -> Any:
            if not isinstance(value, list):
                return value
            if needs_id:
                return [item(v) for v in value if not isinstance(v, dict) or "id" in v]
            return [item(v) for v in value]

        return fill

    def _union_fill(self, plan: _Union) -> _Fill:
        def fill(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            member = self._member(plan, value)
            return self._fill_of(member)(value) if member is not None else value

        return fill

    def _object_fill(self, plan: _Object) -> _Fill:
        # Only the attributes with something to fill or leave out are visited.
        children = [
            (key, self._fill_of(child), self._needs_id(child))
            for key, child in plan.properties.items()
            if child is not None
        ]
        children = [c for c in children if c[1] is not _same or c[2]]
        subtypes = {k: v for k, v in plan.subtypes.items() if v != plan.name}
        name = plan.name if plan.typed else None

        def fill(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            if subtypes:
                named = subtypes.get(str(value.get(TYPE)))
                if named is not None:
                    return self._filler(named)(value)
            out = dict(value)
            for key, child, needs_id in children:
                if key in value:
                    inner = value[key]
                    if needs_id and isinstance(inner, dict) and "id" not in inner:
                        del out[key]
                    else:
                        out[key] = child(inner)
            if name and not value.get(TYPE):
                out[TYPE] = name
            return out

        return fill

    def _needs_id(self, plan: _Plan) -> bool:
        """Whether a value of `plan` is a reference the edition cannot show without its `id`
        (v4 takes such references; v5 leaves them out)."""
        while isinstance(plan, _Ref):
            plan = self._plan(plan.name)
        return isinstance(plan, _Object) and plan.needs_id

    # ------------------------------------------------------------------ compiling

    def _plan(self, name: str) -> _Plan:
        if name in self._plans:
            return self._plans[name]
        with self._lock:
            if name in self._plans:
                return self._plans[name]
            if name in self._planning:
                return None  # a schema that reaches itself stops here meanwhile
            self._planning.add(name)
            try:
                plan = self._compile(self._component(name), name)
            finally:
                self._planning.discard(name)
            self._plans[name] = plan
            return plan

    def _component(self, name: str) -> dict[str, Any]:
        if self._schemas is None:
            self._schemas = spec_files.load(self._path)["components"]["schemas"]
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
