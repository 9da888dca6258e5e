"""How long a time-limited discount lasts (tmf_apis/durations.py): the catalog's duration read,
counted in periods of the charge it reduces, and written by pricing as the order item's
`applicationDuration`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tmf_apis import durations
from tmf_apis.tmf620.rules import discount_duration_problem
from tmf_apis.tmf622 import pricing


@pytest.mark.parametrize(
    ("amount", "units", "period", "count"),
    [
        (3, "month", "month", 3),
        (3, "Months", "monthly", 3),
        (1, "year", "month", 12),
        (5, "months", "quarter", 2),  # rounded up to whole periods
        (2, "weeks", "week", 2),
        (14, "days", "week", 2),
        (30, "days", "month", 1),  # across kinds a month is 30 days
        (1, "month", "week", 5),
        (3, "month", "fortnight", None),  # a charge period billing does not know
        (0, "month", "month", None),
        (3, "hours", "month", None),
        ("3", "month", "month", None),
        (True, "month", "month", None),
    ],
)
def test_a_duration_counts_periods_of_the_charge(amount, units, period, count) -> None:
    assert durations.periods({"amount": amount, "units": units}, period) == count


def discount(**body: Any) -> dict[str, Any]:
    return {"id": "half", "name": "Half price", "priceType": "discount", "percentage": 50, **body}


def test_pricing_writes_how_many_periods_a_discount_lasts() -> None:
    fee = {
        "id": "fee",
        "name": "Monthly fee",
        "priceType": "recurring",
        "recurringChargePeriodType": "month",
        "price": {"unit": "EUR", "value": 20},
    }
    connection = {"id": "conn", "priceType": "oneTime", "price": {"unit": "EUR", "value": 50}}
    term = {"name": "First quarter", "duration": {"amount": 1, "units": "quarter"}}
    half = discount(
        productOfferingTerm=[{"name": "No duration"}, term],
        popRelationship=[{"id": "fee"}, {"id": "conn"}],
    )
    lasting = discount(id="always", name="Loyalty", percentage=10)
    prices = {p["id"]: p for p in (fee, connection, half, lasting)}
    offering = {"id": "plan", "productOfferingPrice": [{"id": i} for i in prices]}
    tables = {"ProductOffering": {"plan": offering}, "ProductOfferingPrice": prices}
    order = {"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "plan"}}]}

    pricing.price_order(order, lambda schema, ref: tables[schema].get(ref["id"]), Decimal(20))

    monthly, one_time = order["productOrderItem"][0]["itemPrice"]
    first, second = monthly["priceAlteration"]
    assert (first["name"], first["applicationDuration"], first["recurringChargePeriod"]) == (
        "Half price",
        3,
        "month",
    )
    assert "applicationDuration" not in second  # no term: as long as the charge
    assert "applicationDuration" not in one_time["priceAlteration"][0]  # one charge, no periods


@pytest.mark.parametrize(
    ("terms", "refused"),
    [
        ([{"duration": {"amount": 3, "units": "months"}}], None),
        ([{"name": "24-month commitment"}], None),
        ([{"duration": {"amount": 3, "units": "hours"}}], "units must be one of"),
        ([{"duration": {"amount": 0, "units": "month"}}], "whole number of at least 1"),
        ([{"duration": {"amount": 1, "units": "month"}}] * 2, "this one has 2"),
    ],
)
def test_the_catalog_refuses_a_discount_duration_it_cannot_read(terms, refused) -> None:
    problem = discount_duration_problem(discount(productOfferingTerm=terms))

    assert (problem is None) == (refused is None)
    if refused:
        assert refused in str(problem)
    assert (
        discount_duration_problem({"priceType": "recurring", "productOfferingTerm": terms}) is None
    )
