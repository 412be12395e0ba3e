"""Chinese working days: official holidays and 调休 make-up workdays (X-TIMERS)."""

from engine.calendar.working_days import (
    NATIONAL,
    OFFICE_CLOSE,
    OFFICIAL_LAST_YEAR,
    SHANGHAI,
    WorkingCalendar,
    add_calendar_days,
    add_working_days,
    end_of_working_day,
    is_provisional,
    is_working_day,
)

__all__ = [
    "NATIONAL",
    "OFFICE_CLOSE",
    "OFFICIAL_LAST_YEAR",
    "SHANGHAI",
    "WorkingCalendar",
    "add_calendar_days",
    "add_working_days",
    "end_of_working_day",
    "is_provisional",
    "is_working_day",
]
