"""Checks and rewrites that make a client's JSON document safe and queryable in MongoDB."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from persistence import dates
from persistence.errors import InvalidDocument

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# BSON nests at most 100 levels; TMF resources need far fewer.
MAX_DEPTH = 32


# Top-level names starting with this are the server's bookkeeping (revisions, pending events,
# tombstones, billing chains and claims, leases): clients never send or see them.
INTERNAL_PREFIX = "_"


def public(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the server's top-level bookkeeping."""
    return {k: v for k, v in document.items() if not k.startswith(INTERNAL_PREFIX)}


def check_storable(document: Any) -> None:
    """Refuse what MongoDB would read as an operator or cannot store.

    Keys may not start with `$`, contain `.` or NUL, or be empty; integers must fit in int64;
    floats must be finite. Raises InvalidDocument naming the offending place.
    """
    _check(document, "", 0)


def _check(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidDocument(f"{where or 'body'}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key or key[0] == "$" or "." in key or "\0" in key:
                raise InvalidDocument(
                    f"{where or 'body'}: attribute name {key!r} is not allowed "
                    "(names may not be empty, start with '$', or contain '.' or NUL)"
                )
            _check(item, f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidDocument(f"{where}: integer {value} is outside the 64-bit range")
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidDocument(f"{where}: number must be finite")


def normalize_dates(document: dict[str, Any], paths: Iterable[Sequence[str]]) -> None:
    """Rewrite, in place, every date-time found at `paths` into the stored representation.

    A path is a sequence of attribute names; arrays on the way are walked element by element.
    Raises InvalidDocument for a value that is not a date-time.
    """
    for path in paths:
        _normalize_at(document, tuple(path), ())


def _normalize_at(node: Any, rest: tuple[str, ...], seen: tuple[str, ...]) -> None:
    if isinstance(node, list):
        for item in node:
            _normalize_at(item, rest, seen)
        return
    if not isinstance(node, dict) or rest[0] not in node:
        return
    key = rest[0]
    if len(rest) > 1:
        _normalize_at(node[key], rest[1:], (*seen, key))
        return
    value = node[key]
    if not isinstance(value, str):
        return  # the schema check reports wrong types
    try:
        node[key] = dates.normalize(value)
    except ValueError:
        place = ".".join((*seen, key))
        raise InvalidDocument(f"{place}: {value!r} is not an RFC 3339 date-time") from None
