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
# The region of the case whose diagram is running: its local overrides (a county's own
# holiday or make-up day) decide its deadlines without every timer naming the region.
_case_region: contextvars.ContextVar[str | None] = contextvars.ContextVar("relief_case_region", default=None)


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


@contextmanager
def case_region(region: str | None) -> Iterator[None]:
    """Make `region` the default region of the working-day functions while the block runs."""
    token = _case_region.set(region or None)
    try:
        yield
    finally:
        _case_region.reset(token)


def default_region(region: str | None) -> str | None:
    """`region` when given, else the running case's region (None: national only)."""
    return region if region is not None else _case_region.get()
