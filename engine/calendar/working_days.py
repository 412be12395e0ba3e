"""Working-day arithmetic over the State Council holiday arrangement.

Deadlines follow the usual legal reading: the day of the starting act is not counted,
and a deadline ends at office close on its last working day (Asia/Shanghai).
Years the `chinesecalendar` data does not cover fall back to weekends plus the fixed
statutory holidays; such answers are *provisional* (`is_provisional`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as official

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_CLOSE = dt.time(17, 30)

_FIRST_YEAR = min(official.holidays).year
_LAST_YEAR = max(official.holidays).year
# Fixed-date statutory holidays (国务院《全国年节及纪念日放假办法》); lunar ones are
# unknown without the year's arrangement, which is why the answer is provisional.
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}

Moment = dt.datetime | dt.date | str


def _as_local_datetime(value: Moment) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(SHANGHAI)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0), SHANGHAI)
    raise TypeError(f"expected a date, datetime or ISO string, got {type(value).__name__}")


def is_provisional(day: dt.date) -> bool:
    """True when the official arrangement for `day`'s year is not known."""
    return not (_FIRST_YEAR <= day.year <= _LAST_YEAR)


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """Whether staff work on `day` (holidays off, 调休 Saturdays/Sundays on)."""
    if not is_provisional(day):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


def _close_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, OFFICE_CLOSE, SHANGHAI)


def end_of_working_day(start: Moment) -> str:
    """Office close of `start`'s day if it is a working day, else of the next one.

    Used for "the same day" duties such as the electronic ledger (W-LEDGER)."""
    day = _as_local_datetime(start).date()
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return _close_of(day).isoformat()


def add_working_days(start: Moment, n: int) -> str:
    """Office close of the n-th working day after `start`'s day, as ISO-8601 with offset.

    `add_working_days(accepted_at, 2)` is the J-T2 transfer deadline."""
    if int(n) != n or n < 0:
        raise ValueError("n must be a whole number of working days, 0 or more")
    day = _as_local_datetime(start).date()
    if n == 0:
        return end_of_working_day(day)
    remaining = int(n)
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return _close_of(day).isoformat()


def add_calendar_days(start: Moment, n: int) -> str:
    """Office close of the day `n` calendar days after `start`'s day."""
    day = _as_local_datetime(start).date() + dt.timedelta(days=int(n))
    return _close_of(day).isoformat()
