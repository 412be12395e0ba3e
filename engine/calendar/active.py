"""Which calendar the working-day functions use: the one installed for the running command.

Timer expressions call `add_working_days(...)` with no handle on the engine; the engine
installs its database's calendar around every command (`using`), and the first use in
that command checks, once, that the cached overrides are still current."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from engine.calendar.working_days import OFFICIAL, WorkingCalendar


class CalendarSource(Protocol):
    def current(self) -> WorkingCalendar:
        """The calendar as the database holds it now."""
        ...


class _Activation:
    __slots__ = ("calendar", "source")

    def __init__(self, source: CalendarSource) -> None:
        self.source = source
        self.calendar: WorkingCalendar | None = None


_active: contextvars.ContextVar[_Activation | None] = contextvars.ContextVar("relief_calendar", default=None)


@contextmanager
def using(source: CalendarSource) -> Iterator[None]:
    """Make the working-day functions answer from `source` while the block runs."""
    token = _active.set(_Activation(source))
    try:
        yield
    finally:
        _active.reset(token)


def current() -> WorkingCalendar:
    """The installed calendar (checked for freshness once per activation), else the official one."""
    activation = _active.get()
    if activation is None:
        return OFFICIAL
    if activation.calendar is None:
        activation.calendar = activation.source.current()
    return activation.calendar
