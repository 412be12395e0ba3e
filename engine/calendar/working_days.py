"""Working-day arithmetic over the State Council holiday arrangement.

Deadlines follow the usual legal reading: the day of the starting act is not counted,
and a deadline ends at office close on its last working day (Asia/Shanghai).

A `WorkingCalendar` answers in this order: an override for the region (the most
specific region code that is a prefix of the one asked about), a national override,
the `chinesecalendar` data, and for years nobody has published yet weekends plus the
fixed statutory holidays. Such answers are *provisional* (`is_provisional`).

The module-level functions answer with the calendar installed for the running command
(`engine.calendar.active`), so timer expressions see the overrides of the engine's own
database; outside a command they use the official data alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as official

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_CLOSE = dt.time(17, 30)

OFFICIAL_FIRST_YEAR = min(official.holidays).year
OFFICIAL_LAST_YEAR = max(official.holidays).year
# Fixed-date statutory holidays (国务院《全国年节及纪念日放假办法》); lunar ones are
# unknown without the year's arrangement, which is why the answer is provisional.
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
NATIONAL = "national"
_MEMO_LIMIT = 50_000  # entries of a calendar's span and region memos (a few MB at most)

Moment = dt.datetime | dt.date | str


def as_local_datetime(value: Moment) -> dt.datetime:
    """`value` as an aware datetime in Asia/Shanghai (naive values are Shanghai time)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(SHANGHAI)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0), SHANGHAI)
    raise TypeError(f"expected a date, datetime or ISO string, got {type(value).__name__}")


class WorkingCalendar:
    """Immutable working-day rules: overrides over the official data; answers cached."""

    def __init__(self, overrides: Mapping[str, Mapping[dt.date, bool]] | None = None,
                 imported_years: Iterable[int] = (), office_close: dt.time = OFFICE_CLOSE) -> None:
        # scope → {day: is working day}; "national" or a region code.
        self._overrides = {scope: dict(days) for scope, days in (overrides or {}).items()}
        self._regions = sorted((s for s in self._overrides if s != NATIONAL), key=len, reverse=True)
        self._years = frozenset(imported_years)
        self.office_close = office_close
        self._cache: dict[tuple[dt.date, str | None], bool] = {}
        # working_days_between by (after, through, the override scopes of the region): deadline
        # badges ask it for every row of every list, and a county's rows name dozens of
        # villages that the same scopes decide. Bounded: cleared when full.
        self._spans: dict[tuple[dt.date, dt.date, tuple[str, ...]], int] = {}
        self._region_scopes: dict[str | None, tuple[str, ...]] = {}

    @property
    def imported_years(self) -> frozenset[int]:
        return self._years

    def snapshot(self) -> dict[str, Any]:
        """Everything this calendar decides by, as plain JSON (the audit's recorded copy)."""
        return {"overrides": {scope: {day.isoformat(): working for day, working in sorted(days.items())}
                              for scope, days in sorted(self._overrides.items())},
                "years": sorted(self._years), "office_close": self.office_close.isoformat()}

    @classmethod
    def from_snapshot(cls, content: Mapping[str, Any]) -> WorkingCalendar:
        """The calendar a `snapshot()` describes."""
        overrides = {scope: {dt.date.fromisoformat(day): bool(working) for day, working in days.items()}
                     for scope, days in (content.get("overrides") or {}).items()}
        return cls(overrides, content.get("years") or (), dt.time.fromisoformat(content["office_close"]))

    def covers(self, year: int) -> bool:
        """Whether the year's official arrangement is known (package data or an import)."""
        return OFFICIAL_FIRST_YEAR <= year <= OFFICIAL_LAST_YEAR or year in self._years

    def is_provisional(self, day: dt.date) -> bool:
        """True when the official arrangement for `day`'s year is not known."""
        return not self.covers(day.year)

    def _scopes(self, region: str | None) -> list[str]:
        scopes = [r for r in self._regions if region and region.startswith(r)] if region else []
        return [*scopes, NATIONAL]

    def override(self, day: dt.date, region: str | None = None) -> tuple[str, bool] | None:
        """The override that decides `day` for `region`: (scope, is working day), or None."""
        for scope in self._scopes(region):
            value = self._overrides.get(scope, {}).get(day)
            if value is not None:
                return scope, value
        return None

    def is_working_day(self, day: dt.date, region: str | None = None) -> bool:
        """Whether staff work on `day` (holidays off, 调休 Saturdays/Sundays on)."""
        key = (day, region or None)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._decide(day, region)
        return cached

    def _decide(self, day: dt.date, region: str | None) -> bool:
        decided = self.override(day, region)
        if decided is not None:
            return decided[1]
        if OFFICIAL_FIRST_YEAR <= day.year <= OFFICIAL_LAST_YEAR:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self._years:  # an imported arrangement lists every exception
            return day.weekday() < 5
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS

    def close_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.office_close, SHANGHAI)

    def end_of_working_day(self, start: Moment, region: str | None = None) -> str:
        """Office close of `start`'s day if it is a working day, else of the next one."""
        day = as_local_datetime(start).date()
        while not self.is_working_day(day, region):
            day += dt.timedelta(days=1)
        return self.close_of(day).isoformat()

    def add_working_days(self, start: Moment, n: int, region: str | None = None) -> str:
        """Office close of the n-th working day after `start`'s day, as ISO-8601 with offset."""
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise ValueError("n must be a whole number of working days, 0 or more")
        day = as_local_datetime(start).date()
        if n == 0:
            return self.end_of_working_day(day, region)
        remaining = int(n)
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_working_day(day, region):
                remaining -= 1
        return self.close_of(day).isoformat()

    def working_days_between(self, after: dt.date, through: dt.date, region: str | None = None) -> int:
        """How many working days lie after `after` up to and including `through` (0 if none)."""
        scopes = self._region_scopes.get(region)
        if scopes is None:
            if len(self._region_scopes) >= _MEMO_LIMIT:
                self._region_scopes.clear()
            # The answer depends on the region only through the overrides that match it.
            scopes = self._region_scopes[region] = tuple(self._scopes(region))
        key = (after, through, scopes)
        count = self._spans.get(key)
        if count is None:
            count, day = 0, after
            while day < through:
                day += dt.timedelta(days=1)
                count += self.is_working_day(day, region)
            if len(self._spans) >= _MEMO_LIMIT:
                self._spans.clear()
            self._spans[key] = count
        return count

    def add_calendar_days(self, start: Moment, n: int) -> str:
        """Office close of the day `n` calendar days after `start`'s day."""
        day = as_local_datetime(start).date() + dt.timedelta(days=int(n))
        return self.close_of(day).isoformat()


OFFICIAL = WorkingCalendar()


def _active() -> WorkingCalendar:
    from engine.calendar.active import current

    return current()


def default_region(region: str | None) -> str | None:
    from engine.calendar.active import default_region as running_case

    return running_case(region)


def is_provisional(day: dt.date) -> bool:
    """True when the official arrangement for `day`'s year is not known."""
    return _active().is_provisional(day)


def is_working_day(day: dt.date, region: str | None = None) -> bool:
    """Whether staff work on `day` for `region` (the running case's region when None)."""
    return _active().is_working_day(day, default_region(region))


def end_of_working_day(start: Moment, region: str | None = None) -> str:
    """Office close of `start`'s day if it is a working day, else of the next one.

    Used for "the same day" duties such as the electronic ledger (W-LEDGER)."""
    return _active().end_of_working_day(start, default_region(region))


def add_working_days(start: Moment, n: int, region: str | None = None) -> str:
    """Office close of the n-th working day after `start`'s day, as ISO-8601 with offset.

    `add_working_days(accepted_at, 2)` is the J-T2 transfer deadline."""
    return _active().add_working_days(start, n, default_region(region))


def add_calendar_days(start: Moment, n: int) -> str:
    """Office close of the day `n` calendar days after `start`'s day."""
    return _active().add_calendar_days(start, n)
