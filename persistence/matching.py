"""Tests a document in memory against a filter built by `query.build_filter`, as MongoDB would.

The delivery worker reads events in small windows by number, which every database answers from
an index, and selects a subscription's events here: a filter on arbitrary event attributes would
otherwise be a scan on databases that cannot combine it with the number range.

Covers what build_filter produces: equality, `$in`, `$nin`, `$gt`/`$gte`/`$lt`/`$lte`, `$regex`,
`$and` and `$or`, on dotted paths that match when any array element does. Comparisons hold
within one kind of value (numbers, text, booleans), as in MongoDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_RANGES = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def matches(document: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    for key, condition in where.items():
        if key == "$and":
            if not all(matches(document, part) for part in condition):
                return False
        elif key == "$or":
            if not any(matches(document, part) for part in condition):
                return False
        elif not _holds(list(_values(document, key.split("."))), condition):
            return False
    return True


def _values(node: Any, path: Sequence[str]) -> Iterator[Any]:
    """Every value at `path`, walking arrays; an array at the end also gives its elements."""
    if not path:
        yield node
        if isinstance(node, list):
            yield from node
        return
    if isinstance(node, list):
        for item in node:
            yield from _values(item, path)
    elif isinstance(node, Mapping) and path[0] in node:
        yield from _values(node[path[0]], path[1:])


def _holds(values: list[Any], condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return any(_equal(v, condition) for v in values)
    for operator, operand in condition.items():
        if operator == "$in":
            ok = any(_equal(v, o) for v in values for o in operand)
        elif operator == "$nin":
            ok = not any(_equal(v, o) for v in values for o in operand)
        elif operator in _RANGES:
            compare = _RANGES[operator]
            ok = any(_same_kind(v, operand) and compare(v, operand) for v in values)
        elif operator == "$regex":
            pattern = re.compile(operand)
            ok = any(isinstance(v, str) and pattern.search(v) is not None for v in values)
        else:
            raise ValueError(f"unsupported operator {operator!r}")
        if not ok:
            return False
    return True


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _same_kind(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and _kind(a) in ("number", "str", "boolean")


def _equal(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and a == b
