"""Date-times are stored as fixed-width UTC strings so that string order is time order.

Every date-time the server writes or compares goes through `normalize`:
`2024-05-01T12:00:00+02:00` becomes `2024-05-01T10:00:00.000Z`. Equality, ranges and sorting
then work on the stored strings with plain indexes, and reads need no conversion. Precision below
a millisecond is dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A '+' sent unencoded in a query string arrives as a space: `10:00 02:00` meant `10:00+02:00`.
_DECODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def now() -> str:
    """The current time in the stored representation."""
    return format_datetime(datetime.now(UTC))


def format_datetime(moment: datetime) -> str:
    m = moment.astimezone(UTC)
    # Formatted by hand: strftime("%Y") drops the leading zeros of years before 1000.
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond // 1000:03d}Z"
    )


def normalize(text: str) -> str:
    """Parse an RFC 3339 date-time (or a bare date, taken as midnight UTC) into the stored form.

    Raises ValueError when `text` is not a date-time, or one that falls outside years 1 to 9999
    once in UTC.
    """
    try:
        return format_datetime(parse(text))
    except OverflowError:
        raise ValueError(f"date-time out of range: {text!r}") from None


def parse(text: str) -> datetime:
    text = _DECODED_PLUS.sub(r"\1+\2", text.strip())
    if _DATE_ONLY.match(text):
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    if "T" not in text and " " not in text:
        raise ValueError(f"not a date-time: {text!r}")
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None:
        # RFC 3339 requires an offset; a bare local time is read as UTC rather than refused.
        moment = moment.replace(tzinfo=UTC)
    return moment


def day_bounds(text: str) -> tuple[str, str] | None:
    """For a bare date, the stored forms of its first instant and of the next day's; else None."""
    if not _DATE_ONLY.match(text.strip()):
        return None
    start = parse(text)
    return format_datetime(start), format_datetime(start + timedelta(days=1))
