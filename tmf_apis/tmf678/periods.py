"""Billing periods: the period a recurring charge covers, the one after it, and the period a
billing cycle bills."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from persistence import dates
from tmf_apis import durations
from tmf_apis.durations import DAYS, MONTHS  # recurringChargePeriodType as catalogs write it


def is_known(period_type: object) -> bool:
    return isinstance(period_type, str) and period_type.lower() in MONTHS | DAYS


def period_end(start: str, period_type: str, length: int = 1) -> str:
    """The end of the period of `length` × `period_type` that starts at `start` (stored form).

    Months keep the day of the month where they can: a period from 31 January ends on the last
    day of February."""
    moment = dates.parse(start)
    kind = period_type.lower()
    if kind in DAYS:
        return dates.format_datetime(moment + timedelta(days=DAYS[kind] * length))
    return dates.format_datetime(_add_months(moment, MONTHS[kind] * length))


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_days(moment: str, days: int) -> str:
    return dates.format_datetime(dates.parse(moment) + timedelta(days=days))


# The shortest length, in days, of a period of each kind a cycle may bill (a bill-day shift
# of at least this much would skip a boundary).
_SHORTEST_DAYS = {1: 28, 3: 89, 12: 365}
# Weekly periods start on Mondays (1970-01-05 was one).
_FIRST_MONDAY = datetime(1970, 1, 5, tzinfo=UTC)


def cycle_period(bill_date: str, frequency: object, shift: object) -> tuple[str, str]:
    """The billing period [start, end) of a billing cycle that a bill dated `bill_date` covers:
    the last whole period of `frequency` that ends at or before it. Periods start at calendar
    boundaries (1st of the month, of the quarter, 1 January, Monday, midnight UTC) moved
    `shift` days on (TMF666 billingDateShift; none: 0).

    ValueError says why `frequency` or `shift` cannot make periods."""
    unit = durations.in_days(frequency)
    if unit is None:
        known = ", ".join([*durations.MONTHS, *durations.DAYS])
        raise ValueError(f"frequency must be one of {known} (got {frequency!r})")
    length, in_months = unit
    days = 0 if shift is None else shift
    shortest = _SHORTEST_DAYS.get(length, 365) if in_months else length
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days < shortest:
        raise ValueError(
            f"billingDateShift must be a whole number of days from 0 to {shortest - 1} "
            f"for a {frequency} cycle (got {shift!r})"
        )
    moment = dates.parse(bill_date)
    if in_months:
        index = moment.year * 12 + moment.month - 1
        index -= index % length
        while _month_start(index) + timedelta(days=days) > moment:
            index -= length
        end = _month_start(index) + timedelta(days=days)
        start = _month_start(index - length) + timedelta(days=days)
    else:
        anchor = _FIRST_MONDAY + timedelta(days=days)
        step = timedelta(days=length)
        end = anchor + step * ((moment - anchor) // step)
        start = end - step
    return dates.format_datetime(start), dates.format_datetime(end)


def _month_start(index: int) -> datetime:
    """Midnight UTC on the 1st of the month `index` (months since the year 0)."""
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
