"""Billing periods: the period a recurring charge covers, and the one after it."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from persistence import dates
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
