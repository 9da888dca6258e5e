"""Schema checks that cost little when the document is valid, as nearly every one is.

jsonschema, in Python, finds and words the first error the way handlers/problems.py describes
it, and every rule of the server was written against it. jsonschema_rs, in Rust, answers only
whether a document has any error at all, and much faster (what it saved: bench/README.md).
A `Checker` asks the second first; a document it refuses goes to the first for the error, and
where the two disagree the Python validator has the last word (a document it accepts passes:
connexion's request validator reads `nullable` and `readOnly`, which the Rust one does not).
Formats are checked by the very same functions in both, the Python format checker's, so a
date-time or a URI means one thing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
from jsonschema import FormatChecker, ValidationError
from jsonschema.protocols import Validator

log = logging.getLogger("tmf.checking")


class Checker:
    """`validator`'s errors, found only for a document the fast validator refuses.

    `fast_schema`, when given, is the same schema in the form the fast validator takes (with its
    `$ref`s, where connexion hands the Python validator objects that hold themselves)."""

    def __init__(self, validator: Validator, fast_schema: Any = None) -> None:
        self.validator = validator
        schema = validator.schema if fast_schema is None else fast_schema
        self.fast = _fast(schema, validator.format_checker)

    def iter_errors(self, document: Any) -> Iterator[ValidationError]:
        if self.fast is not None and self._fast_accepts(document):
            return iter(())
        return self.validator.iter_errors(document)

    def _fast_accepts(self, document: Any) -> bool:
        try:
            return bool(self.fast.is_valid(document))
        except ValueError:
            # A value of a type it does not take: bson's Int64, which is what MongoDB gives back
            # for an integer beyond 32 bits. The Python validator decides.
            return False


def _fast(schema: Any, formats: FormatChecker | None) -> Any:
    """jsonschema_rs' validator of `schema`, None where it cannot take the schema (then every
    document goes to the Python validator, as before)."""
    try:
        return jsonschema_rs.Draft4Validator(
            schema,
            formats={name: _conforms(formats, name) for name in formats.checkers}
            if formats is not None
            else None,
            validate_formats=formats is not None,
        )
    except (ValueError, jsonschema_rs.ReferencingError) as error:
        log.warning("schema checked by jsonschema alone: %s", error)
        return None


def _conforms(formats: FormatChecker, name: str) -> Callable[[str], bool]:
    def conforms(value: str) -> bool:
        return formats.conforms(value, name)

    return conforms
