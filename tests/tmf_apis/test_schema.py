"""Facts read from the specs: attribute types, date-time paths, patchable attributes."""

from __future__ import annotations

from pathlib import Path

from app import load_spec
from tmf_apis.schema import describe

SPEC = load_spec(Path(__file__).parents[2] / "specs" / "TMF629-Customer-v4.yaml")


def test_customer_attribute_types_come_from_the_schema() -> None:
    types = describe(SPEC, "Customer").field_types
    assert types["name"] == "string"
    assert types["engagedParty.id"] == "string"
    assert types["relatedParty.id"] == "string"
    assert types["validFor.startDateTime"] == "date-time"
    assert types["creditProfile.creditScore"] == "integer"
    assert types["contactMedium.preferred"] == "boolean"
    assert types["characteristic.value"] == "any"
    assert "engagedParty" not in types  # objects are not filterable as a whole


def test_customer_date_paths_reach_into_arrays() -> None:
    paths = set(describe(SPEC, "Customer").date_paths)
    assert ("validFor", "startDateTime") in paths
    assert ("contactMedium", "validFor", "endDateTime") in paths
    assert ("creditProfile", "creditProfileDate") in paths


def test_patchable_attributes_come_from_the_update_schema() -> None:
    patchable = describe(SPEC, "Customer").patchable
    assert patchable is not None
    assert "name" in patchable and "engagedParty" in patchable
    assert "id" not in patchable and "href" not in patchable


def test_the_validator_requires_what_creation_requires() -> None:
    validator = describe(SPEC, "Customer").validator
    valid = {"id": "1", "href": "h", "name": "n", "engagedParty": {"id": "p", "@referredType": "O"}}
    assert not list(validator.iter_errors(valid))
    assert list(validator.iter_errors({k: v for k, v in valid.items() if k != "name"}))


def test_v5_create_and_update_schemas_are_read_by_their_v5_names() -> None:
    """v5 names them `<X>_FVO` and `<X>_MVO`: without them every attribute would be patchable."""
    spec = {
        "components": {
            "schemas": {
                "Thing": {"type": "object", "properties": {"id": {}, "name": {}, "state": {}}},
                "Thing_FVO": {"type": "object", "required": ["name"]},
                "Thing_MVO": {"type": "object", "properties": {"name": {"type": "string"}}},
            }
        }
    }
    described = describe(spec, "Thing")
    assert described.patchable == frozenset({"name"})
    assert list(described.validator.iter_errors({"id": "1"}))  # name is required
    assert not list(described.validator.iter_errors({"id": "1", "name": "n"}))
