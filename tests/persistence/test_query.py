"""Translation of TMF query syntax into MongoDB filters, one rule at a time."""

from __future__ import annotations

import pytest

from persistence.errors import InvalidQuery
from persistence.query import build_filter, build_projection, build_sort

TYPES = {
    "name": "string",
    "status": "string",
    "count": "integer",
    "amount": "number",
    "isBilled": "boolean",
    "orderDate": "date-time",
    "relatedParty.id": "string",
    "characteristic.value": "any",
}


def test_equality_on_a_string() -> None:
    assert build_filter([("name", "Moon FC")], TYPES) == {"name": "Moon FC"}


def test_comma_values_are_any_of() -> None:
    assert build_filter([("status", "a,b")], TYPES) == {"status": {"$in": ["a", "b"]}}


def test_repeated_parameter_values_are_any_of() -> None:
    assert build_filter([("status", "a"), ("status", "b")], TYPES) == {
        "status": {"$in": ["a", "b"]}
    }


def test_different_attributes_are_anded() -> None:
    assert build_filter([("name", "x"), ("status", "y")], TYPES) == {
        "$and": [{"name": "x"}, {"status": "y"}]
    }


def test_two_operators_on_one_attribute_are_anded() -> None:
    built = build_filter([("count.gt", "1"), ("count.lte", "5")], TYPES)
    assert built == {"$and": [{"count": {"$gt": 1}}, {"count": {"$lte": 5}}]}


@pytest.mark.parametrize(
    ("operator", "mongo"), [("gt", "$gt"), ("gte", "$gte"), ("lt", "$lt"), ("lte", "$lte")]
)
def test_range_operators(operator: str, mongo: str) -> None:
    assert build_filter([(f"amount.{operator}", "2.5")], TYPES) == {"amount": {mongo: 2.5}}


def test_eq_ne_in_nin_operators() -> None:
    assert build_filter([("name.eq", "x")], TYPES) == {"name": "x"}
    assert build_filter([("name.ne", "x")], TYPES) == {"name": {"$nin": ["x"]}}
    assert build_filter([("name.in", "x,y")], TYPES) == {"name": {"$in": ["x", "y"]}}
    assert build_filter([("name.nin", "x,y")], TYPES) == {"name": {"$nin": ["x", "y"]}}


def test_symbolic_operators() -> None:
    assert build_filter([("count>", "3")], TYPES) == {"count": {"$gte": 3}}
    assert build_filter([("count<", "3")], TYPES) == {"count": {"$lte": 3}}
    assert build_filter([("count!", "3")], TYPES) == {"count": {"$nin": [3]}}
    assert build_filter([("count>3", "")], TYPES) == {"count": {"$gt": 3}}
    assert build_filter([("count<3", "")], TYPES) == {"count": {"$lt": 3}}


def test_regex_keeps_commas_and_is_checked() -> None:
    assert build_filter([("name.regex", "^a,b")], TYPES) == {"name": {"$regex": "^a,b"}}
    with pytest.raises(InvalidQuery, match="not offered"):
        build_filter([("name.regex", "(unclosed")], TYPES)
    with pytest.raises(InvalidQuery, match="longer than"):
        build_filter([("name.regex", "a" * 300)], TYPES)
    with pytest.raises(InvalidQuery, match="text attributes"):
        build_filter([("count.regex", "1")], TYPES)


def test_values_are_coerced_to_the_schema_type() -> None:
    assert build_filter([("isBilled", "true")], TYPES) == {"isBilled": True}
    assert build_filter([("count", "7")], TYPES) == {"count": 7}
    assert build_filter([("amount", "7")], TYPES) == {"amount": 7}
    assert build_filter([("amount", "7.25")], TYPES) == {"amount": 7.25}


@pytest.mark.parametrize(
    ("key", "value"),
    [("isBilled", "yes"), ("count", "seven"), ("amount", "1e"), ("orderDate", "yesterday")],
)
def test_values_of_the_wrong_type_are_refused(key: str, value: str) -> None:
    with pytest.raises(InvalidQuery, match="not a valid"):
        build_filter([(key, value)], TYPES)


def test_date_times_compare_in_stored_form() -> None:
    built = build_filter([("orderDate.gt", "2024-05-01T12:00:00+02:00")], TYPES)
    assert built == {"orderDate": {"$gt": "2024-05-01T10:00:00.000Z"}}


def test_a_bare_date_matches_the_whole_day() -> None:
    assert build_filter([("orderDate", "2024-05-01")], TYPES) == {
        "orderDate": {"$gte": "2024-05-01T00:00:00.000Z", "$lt": "2024-05-02T00:00:00.000Z"}
    }


def test_a_plus_decoded_as_space_is_read_back_as_plus() -> None:
    built = build_filter([("orderDate", "2024-05-01T12:00:00 02:00")], TYPES)
    assert built == {"orderDate": "2024-05-01T10:00:00.000Z"}


def test_dotted_paths_reach_into_arrays() -> None:
    assert build_filter([("relatedParty.id", "42")], TYPES) == {"relatedParty.id": "42"}


def test_schema_less_values_match_text_and_numbers() -> None:
    assert build_filter([("characteristic.value", "5")], TYPES) == {
        "characteristic.value": {"$in": ["5", 5]}
    }


@pytest.mark.parametrize("key", ["unknown", "name[$ne]", "$where", "name.$gt", "relatedParty"])
def test_unknown_attributes_and_operators_are_refused(key: str) -> None:
    with pytest.raises(InvalidQuery):
        build_filter([(key, "x")], TYPES)


def test_operator_looking_values_stay_plain_strings() -> None:
    assert build_filter([("name", '{"$gt": ""}')], TYPES) == {"name": '{"$gt": ""}'}


def test_range_operators_take_one_value() -> None:
    with pytest.raises(InvalidQuery, match="exactly one value"):
        build_filter([("count.gt", "1,2")], TYPES)


def test_too_many_values_are_refused() -> None:
    with pytest.raises(InvalidQuery, match="at most"):
        build_filter([("name", ",".join(str(i) for i in range(101)))], TYPES)


def test_sort_orders_and_ends_with_insertion_order() -> None:
    assert build_sort("name,-count,+validFor.startDateTime") == [
        ("name", 1),
        ("count", -1),
        ("validFor.startDateTime", 1),
        ("_id", 1),
    ]


@pytest.mark.parametrize(
    "expression", ["$where", "a..b", "-", "name,$natural", "-.name", "--name", "name\n"]
)
def test_sort_refuses_what_is_not_an_attribute_name(expression: str) -> None:
    with pytest.raises(InvalidQuery):
        build_sort(expression)


def test_projection_keeps_id_and_drops_overlaps() -> None:
    assert build_projection("name,validFor,validFor.startDateTime,href", ()) == {
        "_id": 0,
        "id": 1,
        "name": 1,
        "validFor": 1,
    }
    assert build_projection("none", ()) == {"_id": 0, "id": 1}
    assert build_projection(None, ("_rev",)) == {"_id": 0, "_rev": 0}
    with pytest.raises(InvalidQuery):
        build_projection("$where", ())
    with pytest.raises(InvalidQuery):
        build_projection("name\n", ())


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+$",
        "([a-z]+)*!",
        "(\\w+\\s?)+$",
        "(.*a){3}",
        "(a|aa)*x",
        "(a)\\1",
        "a*a*a*a*b",
        "x{2,5}",
    ],
)
def test_patterns_outside_the_offered_syntax_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidQuery, match="regex filter takes"):
        build_filter([("name.regex", pattern)], TYPES)


@pytest.mark.parametrize("pattern", ["^Mobile", "5G$", "^Mobile .*5G", "\\d{4}-.*x"])
def test_offered_patterns_become_linear_ones(pattern: str) -> None:
    translated = build_filter([("name.regex", pattern)], TYPES)["name"]["$regex"]
    assert translated.startswith("^")
