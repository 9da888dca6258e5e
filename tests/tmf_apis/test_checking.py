"""Checker: the fast validator decides only that a document is valid; errors, and the last word,
are jsonschema's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bson.int64 import Int64
from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator, FormatChecker

from app import load_spec
from handlers.bodies import body_checker
from tmf_apis import APIS
from tmf_apis.checking import Checker
from tmf_apis.schema import describe

SPECS = Path(__file__).parents[2] / "specs"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "when": {"type": "string", "format": "date-time"},
        "where": {"type": "string", "format": "uri"},
        "mail": {"type": "string", "format": "email"},
        "state": {"type": "string", "enum": ["new", "done"], "nullable": True},
        "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
    },
    "definitions": {
        "Item": {"type": "object", "properties": {"quantity": {"type": "integer", "minimum": 1}}}
    },
}

DOCUMENTS = [
    {"id": "1"},
    {"id": "1", "when": "2026-12-06T10:00:00Z", "where": "https://example.com/x"},
    {"id": "1", "when": "2026-13-45T10:00:00Z"},
    {"id": "1", "when": "yesterday"},
    {"id": "1", "where": "not a uri"},
    {"id": "1", "mail": "someone@example.com"},
    {"id": "1", "mail": "nobody"},
    {"id": "1", "state": "done"},
    {"id": "1", "state": "lost"},
    {"id": "1", "state": None},
    {"id": "1", "items": [{"quantity": 2}, {"quantity": 0}]},
    {"id": "1", "items": [{"quantity": "two"}]},
    {"when": "2026-12-06T10:00:00Z"},
    [],
]


def _errors(validator: Any, document: Any) -> list[tuple[str, list[Any]]]:
    return [(e.message, list(e.absolute_path)) for e in validator.iter_errors(document)]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_checker_finds_what_jsonschema_finds(document: Any) -> None:
    for validator in (
        Draft4Validator(SCHEMA, format_checker=FormatChecker()),
        # connexion's request validator reads nullable and readOnly, which jsonschema_rs does not.
        Draft4RequestValidator(SCHEMA, format_checker=FormatChecker()),
    ):
        checker = Checker(validator)
        assert checker.fast is not None
        assert _errors(checker, document) == _errors(validator, document)


def test_every_resource_schema_is_checked_by_the_fast_validator() -> None:
    for api in APIS:
        spec = load_spec(SPECS / api.spec)
        for resource in api.resources:
            described = describe(spec, resource.schema)
            for checker in (described.validator, described.shape):
                assert checker.fast is not None, f"{api.spec} {resource.schema}"


def test_a_schema_the_fast_validator_cannot_take_is_checked_by_jsonschema_alone() -> None:
    unresolvable = {"properties": {"a": {"$ref": "#/definitions/Missing"}}}
    checker = Checker(Draft4Validator(unresolvable))
    assert checker.fast is None
    assert _errors(checker, {"b": 1}) == []


def test_integers_read_back_from_mongodb_are_checked_by_jsonschema() -> None:
    # MongoDB gives an integer beyond 32 bits back as bson's Int64, which jsonschema_rs refuses
    # to read (a stored billing cycle's offset patched: a 500 before).
    checker = Checker(Draft4Validator(SCHEMA, format_checker=FormatChecker()))
    assert _errors(checker, {"id": "1", "items": [{"quantity": Int64(2**40)}]}) == []
    assert _errors(checker, {"id": "1", "items": [{"quantity": Int64(0)}]}) == [
        ("0 is less than the minimum of 1", ["items", 0, "quantity"])
    ]


def test_a_request_body_schema_gets_one_checker() -> None:
    first, other = dict(SCHEMA), dict(SCHEMA)
    assert body_checker(first) is body_checker(first)
    assert body_checker(other) is not body_checker(first)
