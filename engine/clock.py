"""Where the engine reads the time. Tests and demos use a clock they can move."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from engine.calendar.shared import CLOCK_OFFSET, SharedSettings
from engine.store.calendar_models import EngineSetting
from engine.store.db import Database


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


class SharedClock(AdjustableClock):
    """An adjustable clock whose offset lives in the database (demo and test mode), so
    that `relief clock advance` in one process moves the clock of the running server.

    `now()` re-reads the offset at most every `refresh_seconds`; moving it writes first."""

    def __init__(self, refresh_seconds: float = 0.5) -> None:
        super().__init__()
        self._settings: SharedSettings | None = None
        self._refresh = refresh_seconds
        self._read_at = float("-inf")

    def bind(self, db: Database) -> None:
        """Attach the database that holds the offset (done by the Engine)."""
        self._settings = SharedSettings(db)
        self._read_at = float("-inf")

    def _sync(self) -> None:
        if self._settings is None or time.monotonic() - self._read_at < self._refresh:
            return
        seconds = float(self._settings.get(CLOCK_OFFSET, 0.0))
        with self._lock:
            self._offset = dt.timedelta(seconds=seconds)
            self._read_at = time.monotonic()

    def now(self) -> dt.datetime:
        self._sync()
        return super().now()

    def _store(self, change: Callable[[dt.timedelta], dt.timedelta]) -> dt.datetime:
        if self._settings is None:
            with self._lock:
                self._offset = change(self._offset)
            return super().now()
        with self._settings.db.session() as s:
            # Read and write in one transaction (row locked on PostgreSQL) so that two
            # concurrent advances add up.
            row = s.get(EngineSetting, CLOCK_OFFSET, with_for_update=True)
            offset = change(dt.timedelta(seconds=float(row.value) if row else 0.0))
            SharedSettings.put(s, CLOCK_OFFSET, offset.total_seconds(), dt.datetime.now(dt.UTC))
        with self._lock:
            self._offset = offset
        return super().now()

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the shared clock forward by `delta` and return the new time."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        return self._store(lambda offset: offset + delta)

    def reset_to(self, moment: dt.datetime) -> None:
        """Put the shared clock at `moment` (tests only)."""
        self._store(lambda _offset: moment - dt.datetime.now(dt.UTC))


_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> dt.timedelta:
    """`3d`, `2h30m`, `90s` or an ISO-8601 duration such as `P3DT2H` → timedelta (≥ 0)."""
    import re

    from engine.errors import ValidationFailed

    value = (text or "").strip()
    iso = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value.upper())
    if iso and value.upper() not in ("P", "PT"):
        d, h, m, s = (int(x or 0) for x in iso.groups())
        return dt.timedelta(days=d, hours=h, minutes=m, seconds=s)
    parts = re.findall(r"(\d+)\s*([dhms])", value.lower())
    if not parts or re.sub(r"\s*\d+\s*[dhms]\s*", "", value.lower()):
        raise ValidationFailed(f"'{text}' is not a duration such as 3d, 2h30m or P3D",
                               {"fields": {"by": [f"not a duration: {text}"]}})
    return dt.timedelta(**{_UNITS[u]: sum(int(n) for n, unit in parts if unit == u) for u in {u for _, u in parts}})
