"""What an API's OpenAPI document says about a resource: attribute types, dates, validators.

Read once at start-up, so filters are typed from the schema and documents are checked against it
without per-request work beyond the validation itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from persistence import query
from tmf_apis.checking import Checker

# Schemas nest (offerings hold offerings); filters deeper than this are not offered.
MAX_PATH_DEPTH = 5
_SCALAR_TYPES = {
    "string": query.STRING,
    "number": query.NUMBER,
    "integer": query.INTEGER,
    "boolean": query.BOOLEAN,
}


# What a create and an update body are named after the resource: v4 `Customer_Create` and
# `Customer_Update`, v5 `Customer_FVO` and `Customer_MVO`.
CREATE_SUFFIXES = ("_Create", "_FVO")
UPDATE_SUFFIXES = ("_Update", "_MVO")


@dataclass(frozen=True)
class ResourceSchema:
    """The facts about one resource schema that the generic handlers need."""

    name: str
    # Every attribute path a client may filter or sort on, with its type (see persistence.query).
    field_types: dict[str, str]
    # Every attribute path the schema names, objects and arrays included: what `fields` may
    # select and `sort` may order by.
    attribute_paths: frozenset[str]
    # Paths of the attributes that hold date-times, for normalised storage.
    date_paths: tuple[tuple[str, ...], ...]
    # The resource's attributes (first-level names, through `allOf` chains as v5 has them).
    properties: frozenset[str]
    # Attributes a client may change with PATCH (None: the spec has no update schema).
    patchable: frozenset[str] | None
    # Checks a whole stored representation: the resource schema plus what creation requires.
    validator: Checker
    # The resource schema alone: what any representation the server shows must satisfy.
    shape: Checker


def describe(spec: dict[str, Any], name: str) -> ResourceSchema:
    schemas = spec["components"]["schemas"]
    nodes = list(_nodes(schemas, schemas[name], (), frozenset({name})))
    types = {path: kind for path, node in nodes if (kind := _leaf_type(path, node)) is not None}
    required = (_first(schemas, name, CREATE_SUFFIXES) or {}).get("required", [])
    update = _first(schemas, name, UPDATE_SUFFIXES)
    return ResourceSchema(
        name=name,
        field_types={".".join(path): kind for path, kind in types.items()},
        attribute_paths=frozenset(".".join(path) for path, _ in nodes if path),
        date_paths=tuple(path for path, kind in types.items() if kind == query.DATE_TIME),
        properties=frozenset(path[0] for path, _ in nodes if len(path) == 1),
        patchable=_top_level(schemas, update) if update is not None else None,
        validator=validator(spec, name, required=required),
        shape=validator(spec, name),
    )


def _first(schemas: dict[str, Any], name: str, suffixes: tuple[str, ...]) -> dict[str, Any]:
    """The first of `<name><suffix>` the spec has, else an empty schema."""
    found: dict[str, Any] = next((schemas[name + s] for s in suffixes if name + s in schemas), {})
    return found


def validator(spec: dict[str, Any], name: str, required: list[str] | None = None) -> Checker:
    """A validator for `#/components/schemas/<name>`, with `required` added on top."""
    checks: list[dict[str, Any]] = [{"$ref": f"#/components/schemas/{name}"}]
    if required:
        checks.append({"required": list(required)})
    root = {"allOf": checks, "components": spec["components"]}
    return Checker(Draft4Validator(root, format_checker=FormatChecker()))


def _nodes(
    schemas: dict[str, Any], node: dict[str, Any], path: tuple[str, ...], seen: frozenset[str]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any] | None]]:
    """Every schema node an attribute path resolves to, down to MAX_PATH_DEPTH: one per `allOf`
    part, union member (`oneOf`, `anyOf`: a v5 `...RefOrValue`) and array item, references
    followed, None where a reference loops back."""
    if "$ref" in node:
        target = node["$ref"].rsplit("/", 1)[-1]
        if target in seen:
            yield path, None
            return
        seen = seen | {target}
        node = schemas.get(target, {})
    for part in [*node.get("allOf", []), *node.get("oneOf", []), *node.get("anyOf", [])]:
        yield from _nodes(schemas, part, path, seen)
    if node.get("type") == "array":
        yield from _nodes(schemas, node.get("items", {}), path, seen)
        return
    yield path, node
    if len(path) < MAX_PATH_DEPTH:
        for key, child in (node.get("properties") or {}).items():
            yield from _nodes(schemas, child, (*path, key), seen)


def _top_level(schemas: dict[str, Any], node: dict[str, Any]) -> frozenset[str]:
    """The first-level attribute names of a schema, through its `allOf` chain."""
    return frozenset(
        path[0] for path, _ in _nodes(schemas, node, (), frozenset()) if len(path) == 1
    )


def _leaf_type(path: tuple[str, ...], node: dict[str, Any] | None) -> str | None:
    """The filter type of an attribute's node, or None for objects (and loops)."""
    if node is None or not path or node.get("properties"):
        return None
    kind = node.get("type")
    if kind in _SCALAR_TYPES:
        is_date = kind == "string" and node.get("format") == "date-time"
        return query.DATE_TIME if is_date else _SCALAR_TYPES[kind]
    if kind is None and "allOf" not in node:
        return query.ANY  # a value the schema leaves open (e.g. a characteristic's `value`)
    return None
