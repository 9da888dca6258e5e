"""What may be stored: operator-like keys, out-of-range numbers and bad dates are refused."""

from __future__ import annotations

import pytest

from persistence import dates
from persistence.documents import check_storable, normalize_dates
from persistence.errors import InvalidDocument


@pytest.mark.parametrize(
    "document",
    [
        {"$gt": ""},
        {"name": {"$ne": 1}},
        {"a.b": 1},
        {"bad\0key": 1},
        {"": 1},
        {"list": [{"$set": 1}]},
        {"big": 2**63},
        {"small": -(2**63) - 1},
        {"nan": float("nan")},
        {"inf": float("inf")},
    ],
)
def test_unstorable_documents_are_refused(document: dict) -> None:
    with pytest.raises(InvalidDocument):
        check_storable(document)


def test_deep_nesting_is_refused() -> None:
    document: dict = {}
    node = document
    for _ in range(40):
        node["n"] = {}
        node = node["n"]
    with pytest.raises(InvalidDocument, match="deeper"):
        check_storable(document)


def test_ordinary_documents_pass() -> None:
    check_storable({"name": "x", "n": 2**63 - 1, "f": 1.5, "l": [1, "a", None, {"k": True}]})


def test_dates_are_normalized_along_paths_through_arrays() -> None:
    document = {
        "validFor": {"startDateTime": "2024-01-01T10:00:00+02:00"},
        "contactMedium": [
            {"validFor": {"endDateTime": "2024-01-01T10:00:00.123456Z"}},
            {"mediumType": "email"},
        ],
    }
    normalize_dates(
        document, [("validFor", "startDateTime"), ("contactMedium", "validFor", "endDateTime")]
    )
    assert document["validFor"]["startDateTime"] == "2024-01-01T08:00:00.000Z"
    assert document["contactMedium"][0]["validFor"]["endDateTime"] == "2024-01-01T10:00:00.123Z"


def test_a_bad_date_names_its_place() -> None:
    with pytest.raises(InvalidDocument, match="validFor.startDateTime"):
        normalize_dates({"validFor": {"startDateTime": "soon"}}, [("validFor", "startDateTime")])


def test_early_years_keep_four_digits() -> None:
    assert dates.normalize("0004-01-01T02:00:00Z") == "0004-01-01T02:00:00.000Z"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_instants_outside_the_calendar_in_utc_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        dates.normalize(text)


def test_stored_dates_sort_as_times() -> None:
    earlier = dates.normalize("2024-01-01T23:00:00-05:00")
    later = dates.normalize("2024-01-02T04:30:00.5+00:00")
    assert earlier < later
    assert dates.now() > earlier
