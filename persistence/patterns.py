"""Regex filters in a restricted syntax, translated to patterns every engine matches in linear
time (SecantusDB matches with Python `re`, MongoDB with PCRE; both backtrack, and neither can be
given a time limit per pattern).

The syntax a client may use in `attr.regex=`:
- `^` at the start and `$` at the end anchor the match;
- `.*` (any run of characters, line breaks included) and `.+` (at least one) separate fixed
  parts;
- a fixed part is a sequence of single characters: a literal, an escaped character (`\\.`), `.`
  (any character but a line break), a class (`[a-z0-9_]`, `[^,]`, `\\d`, `\\w`, `\\s` and their
  capitals), each optionally repeated an exact number of times (`\\d{4}`, at most 64).
Anything else (groups, alternatives, `?`, `*` or `+` after anything but `.`, open-ended counts,
backreferences, lookarounds) is refused with a message that says what is allowed.

Why it is linear: the translation is anchored at the start, and each `.*` becomes "skip to the
first place the next fixed part matches" (a tempered, possessive run that never backtracks).
For fixed parts that is exact: if a match exists, one exists that takes every part at its
first occurrence. So a pattern of length m over a value of length n costs O(n·m) steps,
whatever the value holds.
"""

from __future__ import annotations

import re

MAX_COUNT = 64
SYNTAX = (
    "a regex filter takes literal text, '.', classes like [a-z] or \\d, exact counts like "
    "\\d{4}, '.*' or '.+' between them, '^' at the start and '$' at the end"
)
_CLASS_ESCAPES = frozenset("dDwWsS")
_COUNT = re.compile(r"\{(\d{1,2})\}")
_ANY_RUN = r"[\s\S]"


class UnsafePattern(ValueError):
    """The pattern uses syntax outside what is offered; the message says what is."""


# A pattern as a sequence of fixed parts (regex text) and runs (the least characters they take).
Element = tuple[str, str | int]


def safe_pattern(pattern: str) -> str:
    """The linear-time pattern that matches what `pattern` matches; raises UnsafePattern."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = body.endswith("$") and not body.endswith("\\$")
    body = body[:-1] if end else body
    elements = _elements(body)
    if not start:
        elements = _join([("run", 0)], elements)
    if not end:
        elements = _join(elements, [("run", 0)])
    out = "^"
    for index, (kind, value) in enumerate(elements):
        if kind == "run":
            if index == len(elements) - 1:
                out += f"{_ANY_RUN}{{{value}}}" if value else ""  # then anything may follow
            continue
        before = elements[index - 1] if index else None
        if before is None or before[0] == "part":
            out += str(value)
        elif index == len(elements) - 1:
            # The last part must end the value: one place for it, found by one backward scan.
            out += f"{_ANY_RUN}{{{before[1]},}}{value}"
        else:
            # Skip to the first place the part matches, never to return: a later place could
            # only leave less room for what follows.
            skip = f"{_ANY_RUN}{{{before[1]}}}" if before[1] else ""
            out += f"{skip}(?:(?!{value}){_ANY_RUN})*+{value}"
    if end and (not elements or elements[-1][0] == "part"):
        out += "$"
    return out


def _elements(body: str) -> list[Element]:
    found: list[Element] = []
    i = 0
    while i < len(body):
        if body[i] == "." and i + 1 < len(body) and body[i + 1] in "*+":
            found = _join(found, [("run", 1 if body[i + 1] == "+" else 0)])
            i += 2
            continue
        atom, i = _atom(body, i)
        count = _COUNT.match(body, i)
        if count:
            times = int(count.group(1))
            if not 1 <= times <= MAX_COUNT:
                raise UnsafePattern(f"counts go from 1 to {MAX_COUNT}; {SYNTAX}")
            atom = f"(?:{atom}){{{times}}}"
            i = count.end()
        elif i < len(body) and body[i] in "*+?{":
            raise UnsafePattern(f"{body[i]!r} may follow only '.'; {SYNTAX}")
        found = _join(found, [("part", atom)])
    return found


def _join(left: list[Element], right: list[Element]) -> list[Element]:
    """`left` then `right`, adjacent parts written as one and adjacent runs added up."""
    joined = list(left)
    for kind, value in right:
        if joined and joined[-1][0] == kind:
            previous = joined[-1][1]
            if isinstance(previous, int) and isinstance(value, int):
                joined[-1] = (kind, previous + value)
            else:
                joined[-1] = (kind, f"{previous}{value}")
        else:
            joined.append((kind, value))
    return joined


def _atom(body: str, i: int) -> tuple[str, int]:
    """The regex text of the single-character atom at `body[i]`, and where the next begins."""
    char = body[i]
    if char == "\\":
        if i + 1 >= len(body):
            raise UnsafePattern(f"a pattern cannot end with '\\'; {SYNTAX}")
        escaped = body[i + 1]
        if escaped in _CLASS_ESCAPES:
            return f"\\{escaped}", i + 2
        if escaped.isalnum():
            raise UnsafePattern(f"'\\{escaped}' is not offered; {SYNTAX}")
        return re.escape(escaped), i + 2
    if char == "[":
        return _char_class(body, i)
    if char == ".":
        return ".", i + 1
    if char in "()|^$*+?{}]":
        raise UnsafePattern(f"{char!r} is not offered here; {SYNTAX}")
    return re.escape(char), i + 1


def _char_class(body: str, i: int) -> tuple[str, int]:
    j = i + 1
    if j < len(body) and body[j] == "^":
        j += 1
    if j < len(body) and body[j] == "]":
        j += 1  # a ']' first is a literal
    while j < len(body) and body[j] != "]":
        if body[j] == "\\":
            j += 1
        elif body[j] == "[":
            raise UnsafePattern(f"classes do not nest; {SYNTAX}")
        j += 1
    if j >= len(body):
        raise UnsafePattern(f"a class opened with '[' is not closed; {SYNTAX}")
    text = body[i : j + 1]
    try:
        re.compile(text)
    except re.error as error:
        raise UnsafePattern(f"the class {text} is not valid ({error}); {SYNTAX}") from None
    return text, j + 1
