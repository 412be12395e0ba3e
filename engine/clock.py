"""Where the engine reads the time. Tests and demos use a clock they can move."""

from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """The wall clock, in UTC."""

    adjustable = False

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class AdjustableClock(Clock):
    """Wall clock plus an offset that only moves forward (test and demo mode only)."""

    adjustable = True

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._offset = dt.timedelta(0) if start is None else start - dt.datetime.now(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset

    def reset_to(self, moment: dt.datetime) -> None:
        """Put the clock at `moment` (tests only: the demo's clock only moves forward)."""
        with self._lock:
            self._offset = moment - dt.datetime.now(dt.UTC)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward by `delta` and return the new time."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()
