"""TMF630 query syntax (attribute filters, `sort`, `fields`) translated into MongoDB terms.

Every value from the client becomes a scalar of the attribute's schema type before it reaches a
filter, so nothing a client sends can act as a MongoDB operator.

Filters: `attr=v` (equality), `attr=a,b` (any of), `attr.<op>=v` with op one of gt, gte, lt, lte,
eq, ne, regex, in, nin, and the symbolic forms `attr>v`, `attr>=v`, `attr<v`, `attr<=v`, `attr!=v`.
Different attributes, and different operators on one attribute, are AND-ed; repeating one
attribute with one operator ORs its values. Dotted paths reach into sub-objects and arrays, and
match when any array element does.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Mapping
from typing import Any

from persistence import dates, patterns
from persistence.errors import InvalidQuery

# Attribute types as derived from the API schemas; "any" is a value the schema leaves open.
STRING, NUMBER, INTEGER, BOOLEAN, DATE_TIME, ANY = (
    "string",
    "number",
    "integer",
    "boolean",
    "date-time",
    "any",
)

OPERATORS = frozenset({"gt", "gte", "lt", "lte", "eq", "ne", "regex", "in", "nin"})
_RANGE_OPERATORS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_SYMBOLIC_WITH_EQUALS = {">": "gte", "<": "lte", "!": "ne"}
_SYMBOLIC_ALONE = re.compile(r"^([^<>!=]+)([<>])(.*)$", re.DOTALL)
# The attribute-name syntax that `fields` and `sort` accept, as the specs state it.
# No segment starts with '-', which `sort` reads as "descending".
# Used with fullmatch: a pattern's `$` would also let a trailing newline through.
_FIELD_NAME = re.compile(r"[A-Za-z0-9_@][A-Za-z0-9_@\-]*(?:\.[A-Za-z0-9_@][A-Za-z0-9_@\-]*)*")

MAX_CONDITIONS = 50
MAX_VALUES = 100
MAX_REGEX_LENGTH = 256
MAX_SORT_TERMS = 16


def build_filter(params: Iterable[tuple[str, str]], types: Mapping[str, str]) -> dict[str, Any]:
    """Translate query parameters (reserved ones already removed) into a MongoDB filter.

    `types` maps each filterable dotted path to its type. Raises InvalidQuery for an unknown
    attribute, an unknown operator, or a value that does not fit the attribute's type.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for key, value in params:
        path, operator, value = _split(key, value, types)
        grouped.setdefault((path, operator), []).append(value)
    if len(grouped) > MAX_CONDITIONS:
        raise InvalidQuery(f"at most {MAX_CONDITIONS} filter conditions are allowed")
    clauses = [_clause(path, op, raw, types[path]) for (path, op), raw in grouped.items()]
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def build_sort(expression: str, known: Container[str] | None = None) -> list[tuple[str, int]]:
    """`sort=name,-status` into a MongoDB sort, ending with the insertion order for stable pages.

    With `known`, only those attribute paths may be used (as for filters); documents without the
    attribute sort first.
    """
    order: list[tuple[str, int]] = []
    # No stripping: the spec's pattern allows no whitespace, and a name is never padded.
    for term in expression.split(","):
        if not term:
            continue
        direction = -1 if term.startswith("-") else 1
        path = term[1:] if term[0] in "+-" else term
        if not _FIELD_NAME.fullmatch(path):
            raise InvalidQuery(f"sort: {path!r} is not an attribute name")
        if known is not None and path not in known:
            raise InvalidQuery(f"cannot sort on {path!r}: not an attribute of this resource")
        if path not in (p for p, _ in order):  # MongoDB refuses a key given twice
            order.append((path, direction))
    if len(order) > MAX_SORT_TERMS:
        raise InvalidQuery(f"sort: at most {MAX_SORT_TERMS} attributes")
    order.append(("_id", 1))
    return order


def build_projection(
    expression: str | None, hidden: Iterable[str], known: Container[str] | None = None
) -> dict[str, int]:
    """The projection for `fields` (first-level or dotted names, or `none`); `id` is always kept.

    Without `fields`, every attribute except the server's internal ones (`hidden`). With `known`,
    only those attribute paths may be named (as for filters).
    """
    if expression is None:
        return {name: 0 for name in ("_id", *hidden)}
    names: set[str] = set()
    for name in expression.split(","):
        if not name or name in {"none", "href", "id"}:
            continue
        if not _FIELD_NAME.fullmatch(name):
            raise InvalidQuery(f"fields: {name!r} is not an attribute name")
        if known is not None and name not in known:
            raise InvalidQuery(f"cannot select {name!r}: not an attribute of this resource")
        names.add(name)
    # MongoDB refuses a projection holding both `a` and `a.b`; `a` already includes `a.b`. Each
    # name's own prefixes are looked up, so the work grows with the names, not their square.
    kept = {n for n in names if not any(prefix in names for prefix in _prefixes(n))}
    projection = {"_id": 0, "id": 1}
    projection.update({name: 1 for name in sorted(kept)})
    return projection


def _prefixes(path: str) -> Iterator[str]:
    """`a.b.c` gives `a` and `a.b`."""
    parts = path.split(".")
    for end in range(1, len(parts)):
        yield ".".join(parts[:end])


def _split(key: str, value: str, types: Mapping[str, str]) -> tuple[str, str, str]:
    """Find the attribute path, the operator and the value a query parameter stands for."""
    if key in types:
        return key, "eq", value
    if key and key[-1] in _SYMBOLIC_WITH_EQUALS and key[:-1] in types:
        return key[:-1], _SYMBOLIC_WITH_EQUALS[key[-1]], value
    head, _, last = key.rpartition(".")
    if head and last in OPERATORS:
        if head not in types:
            raise InvalidQuery(f"cannot filter on {head!r}: not an attribute of this resource")
        return head, last, value
    symbolic = _SYMBOLIC_ALONE.match(key) if value == "" else None
    if symbolic and symbolic.group(1) in types:
        return symbolic.group(1), "gt" if symbolic.group(2) == ">" else "lt", symbolic.group(3)
    if head and head in types:
        raise InvalidQuery(
            f"unknown filter operator {last!r} on {head!r}; "
            f"use one of {', '.join(sorted(OPERATORS))}"
        )
    raise InvalidQuery(f"cannot filter on {key!r}: not an attribute of this resource")


def _clause(path: str, operator: str, raw_values: list[str], kind: str) -> dict[str, Any]:
    if operator == "regex":
        return {path: {"$regex": _regex(path, raw_values, kind)}}
    values = [part for raw in raw_values for part in raw.split(",")]
    if len(values) > MAX_VALUES:
        raise InvalidQuery(f"{path}: at most {MAX_VALUES} values are allowed in one filter")
    if operator in _RANGE_OPERATORS:
        if len(values) != 1:
            raise InvalidQuery(f"{path}.{operator} takes exactly one value")
        return {path: {_RANGE_OPERATORS[operator]: _scalar(path, values[0], kind)}}
    if operator in ("eq", "in"):
        return _any_of(path, values, kind)
    # ne, nin: none of the values
    excluded = [candidate for value in values for candidate in _candidates(path, value, kind)]
    return {path: {"$nin": excluded}}


def _any_of(path: str, values: list[str], kind: str) -> dict[str, Any]:
    if kind == DATE_TIME:
        days = [_day(path, v) for v in values]
        if any(days):
            # A bare date matches every instant of that day.
            alternatives = [
                {path: {"$gte": day[0], "$lt": day[1]}}
                if day
                else {path: _scalar(path, value, kind)}
                for value, day in zip(values, days, strict=True)
            ]
            return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}
    candidates = [c for value in values for c in _candidates(path, value, kind)]
    if len(candidates) == 1:
        return {path: candidates[0]}
    return {path: {"$in": candidates}}


def _candidates(path: str, value: str, kind: str) -> list[Any]:
    """The stored values a query value may stand for: one, except for schema-less attributes."""
    if kind != ANY:
        return [_scalar(path, value, kind)]
    found: list[Any] = [value]
    if value in ("true", "false"):
        found.append(value == "true")
    else:
        for convert in (int, float):
            try:
                found.append(convert(value))
                break
            except ValueError:
                continue
    return found


def _day(path: str, value: str) -> tuple[str, str] | None:
    """The bounds of a bare date's day; an impossible date (2024-13-45) is the client's error."""
    try:
        return dates.day_bounds(value)
    except ValueError:
        raise InvalidQuery(f"{path}: {value!r} is not a valid date") from None


def _scalar(path: str, value: str, kind: str) -> Any:
    try:
        if kind == INTEGER:
            return int(value)
        if kind == NUMBER:
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        if kind == BOOLEAN:
            if value not in ("true", "false"):
                raise ValueError
            return value == "true"
        if kind == DATE_TIME:
            return dates.normalize(value)
    except ValueError:
        raise InvalidQuery(f"{path}: {value!r} is not a valid {kind}") from None
    return value


def _regex(path: str, raw_values: list[str], kind: str) -> str:
    if kind not in (STRING, ANY, DATE_TIME):
        raise InvalidQuery(f"{path}: regex applies to text attributes only")
    if len(raw_values) != 1:
        raise InvalidQuery(f"{path}.regex takes exactly one pattern")
    pattern = raw_values[0]
    if len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidQuery(f"{path}.regex: pattern longer than {MAX_REGEX_LENGTH} characters")
    try:
        return patterns.safe_pattern(pattern)
    except patterns.UnsafePattern as refusal:
        raise InvalidQuery(f"{path}.regex: {refusal}") from None
