"""How long a time-limited discount lasts, as the catalog says it and as charges count it.

A discount price (TMF620 ProductOfferingPrice, `priceType: discount`) that lasts a while, "50 %
off the first 3 months", has one `productOfferingTerm` whose `duration` is a Duration
`{"amount": 3, "units": "month"}` (the same attribute in TMF620 v4 and v5). TMF620 refuses a
discount whose duration cannot be read (tmf_apis/tmf620/rules.py); the order's pricing turns it
into the order item's `priceAlteration.applicationDuration`, counted in periods of the charge it
reduces (tmf_apis/tmf622/pricing.py), and billing raises the discount's credit for that many
periods (tmf_apis/tmf678/charging.py).

Units, like a charge's `recurringChargePeriodType`, are words for months (month, quarter, year,
monthly, quarterly, yearly) or for days (day, week, daily, weekly), in any case, plural or not.
Between words of one kind a duration converts exactly, rounded up to whole periods (5 months of a
quarterly charge: 2 periods); between kinds a month counts as 30 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# recurringChargePeriodType and duration units, to the months or days of one.
MONTHS = {"month": 1, "monthly": 1, "quarter": 3, "quarterly": 3, "year": 12, "yearly": 12}
DAYS = {"day": 1, "daily": 1, "week": 7, "weekly": 7}
DAYS_A_MONTH = 30


def in_days(word: object) -> tuple[int, bool] | None:
    """How long one `word` is, and whether in months (True) or days (False); None when it is
    not a unit of time known here."""
    if not isinstance(word, str):
        return None
    text = word.strip().lower()
    for candidate in (text, text.removesuffix("s")):
        if candidate in MONTHS:
            return MONTHS[candidate], True
        if candidate in DAYS:
            return DAYS[candidate], False
    return None


def term_duration(price: Mapping[str, Any]) -> Any:
    """The `duration` of the price's first `productOfferingTerm` that has one, else None."""
    for term in price.get("productOfferingTerm") or []:
        if isinstance(term, dict) and term.get("duration") is not None:
            return term["duration"]
    return None


def problem(duration: Any) -> str | None:
    """Why `duration` cannot say how long a discount lasts, or None when it can."""
    if not isinstance(duration, dict):
        return "a duration is an object {amount, units}"
    amount = duration.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        return f"its amount must be a whole number of at least 1 (got {amount!r})"
    if in_days(duration.get("units")) is None:
        known = ", ".join([*MONTHS, *DAYS])
        return f"its units must be one of {known}, or their plurals (got {duration.get('units')!r})"
    return None


def periods(duration: Any, period_type: Any) -> int | None:
    """How many periods of a charge of `period_type` `duration` covers, rounded up; None when
    either cannot be read."""
    if problem(duration) is not None:
        return None
    unit, period = in_days(duration["units"]), in_days(period_type)
    if unit is None or period is None:
        return None
    (unit_length, unit_months), (period_length, period_months) = unit, period
    if unit_months != period_months:  # across kinds: months as days
        unit_length *= DAYS_A_MONTH if unit_months else 1
        period_length *= DAYS_A_MONTH if period_months else 1
    return -(-int(duration["amount"]) * unit_length // period_length)
