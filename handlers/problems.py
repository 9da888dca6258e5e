"""A failed schema check in our own words: where the value is, and what it must be.

jsonschema's messages carry the schema and the instance as Python reprs (`Failed validating
'maximum' in schema: {...}`, `{'op': 'frob'} is not valid under any of the given schemas`),
which tell an integrator little and may echo a whole document back. Every validation failure a
client sees (query and path parameters, request bodies, patch results) is said here instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a JSON object",
    "array": "an array",
    "null": "null",
}
# Longest piece of a client's value quoted back in a message.
QUOTED = 40


def first(errors: Iterable[ValidationError]) -> ValidationError | None:
    """The error that best explains a failure (jsonschema's own choice), or None."""
    found: ValidationError | None = best_match(errors)
    return found


def describe(error: ValidationError, where: str = "") -> str:
    """`where` (a parameter's name) or the error's path, and what the value there must be."""
    return f"{where or _path(error.absolute_path)}: {_what(error)}"


def _path(parts: Iterable[str | int]) -> str:
    """`productOrderItem[0].action`; `body[0]` for an entry of a body that is an array."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    if not text:
        return "the body"
    return f"body{text}" if text.startswith("[") else text


def _what(error: ValidationError) -> str:
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join(TYPE_NAMES.get(str(n), str(n)) for n in names)
    if kind == "required":
        present = value if isinstance(value, dict) else {}
        missing = [str(n) for n in expected if n not in present]
        return f"lacks the required attribute{'s' if len(missing) > 1 else ''} " + ", ".join(
            missing
        )
    if kind in ("maximum", "minimum"):
        bound = "at most" if kind == "maximum" else "at least"
        return f"must be {bound} {expected} (got {_quote(value)})"
    if kind in ("exclusiveMaximum", "exclusiveMinimum"):
        bound = "below" if kind == "exclusiveMaximum" else "above"
        return f"must be {bound} {expected} (got {_quote(value)})"
    if kind == "enum":
        return f"must be one of {', '.join(_quote(v) for v in expected)} (got {_quote(value)})"
    if kind == "const":
        return f"must be {_quote(expected)}"
    if kind == "pattern":
        return f"must match the pattern {expected} (got {_quote(value)})"
    if kind == "format":
        return f"must be a valid {expected} (got {_quote(value)})"
    if kind in ("minLength", "maxLength"):
        return f"must be {'at least' if kind == 'minLength' else 'at most'} {expected} characters"
    if kind in ("minItems", "maxItems"):
        return f"must hold {'at least' if kind == 'minItems' else 'at most'} {expected} entries"
    if kind in ("minProperties", "maxProperties"):
        bound = "at least" if kind == "minProperties" else "at most"
        return f"must hold {bound} {expected} attributes"
    if kind == "additionalProperties":
        allowed = error.schema.get("properties") or {}
        extra = sorted(
            str(k) for k in (value if isinstance(value, dict) else {}) if k not in allowed
        )
        return "holds attributes the schema does not allow: " + ", ".join(extra)
    if kind == "uniqueItems":
        return "must not hold the same entry twice"
    if kind in ("oneOf", "anyOf"):
        return "matches none of the forms the schema allows" + _closest(error)
    if kind == "not":
        return "is of a form the schema forbids"
    return f"does not satisfy the schema's {kind!r} rule"


def _closest(error: ValidationError) -> str:
    """What the alternative that came nearest says, when the alternatives were objects."""
    nearest = best_match(error.context or [])
    if nearest is None or not nearest.relative_path and nearest.validator in ("oneOf", "anyOf"):
        return ""
    inner = _path(nearest.relative_path) if nearest.relative_path else ""
    return f" (closest: {inner + ' ' if inner else ''}{_what(nearest)})"


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError:  # an integer of more digits than Python will print
            return "a number too long to show"
    if isinstance(value, str):
        shown = value if len(value) <= QUOTED else value[:QUOTED] + "..."
        return f'"{shown}"'
    return TYPE_NAMES.get(
        "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "", "it"
    )
