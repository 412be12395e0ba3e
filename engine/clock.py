"""Where the engine reads the time. Tests and demos use a clock they can move."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import threading
import time
from collections.abc import Callable

from engine.calendar.shared import CLOCK_OFFSET, SharedSettings
from engine.errors import ValidationFailed
from engine.store.calendar_models import EngineSetting
from engine.store.db import Database

log = logging.getLogger("relief.clock")

# How far a test or demo clock may run from the wall clock: ten years is far enough to
# watch every statutory deadline expire, and near enough that every date computed from
# the clock (deadlines thousands of working days later included) is a valid date.
MAX_OFFSET = dt.timedelta(days=3660)


def checked_offset(offset: dt.timedelta) -> dt.timedelta:
    """`offset` if the clock may run that far from the wall clock; else 422 naming `by`."""
    if abs(offset) > MAX_OFFSET:
        ahead = offset.total_seconds() / 86400
        raise ValidationFailed(
            f"the clock may run at most {MAX_OFFSET.days} days from the wall clock, not {ahead:.1f}",
            {"fields": {"by": [f"moves the clock to {ahead:.1f} days from the wall clock; "
                               f"at most {MAX_OFFSET.days}"]}})
    return offset


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
        """Move the clock forward by `delta` and return the new time (at most `MAX_OFFSET`
        from the wall clock: 422 otherwise, and the clock does not move)."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset = checked_offset(self._offset + delta)
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
        self._reported = ""

    def bind(self, db: Database) -> None:
        """Attach the database that holds the offset (done by the Engine)."""
        self._settings = SharedSettings(db)
        self._read_at = float("-inf")

    def _sync(self) -> None:
        if self._settings is None or time.monotonic() - self._read_at < self._refresh:
            return
        offset = self._stored_offset(self._settings.get(CLOCK_OFFSET, 0.0))
        with self._lock:
            self._offset = offset
            self._read_at = time.monotonic()

    def _stored_offset(self, value: object) -> dt.timedelta:
        """The stored offset; one out of range (written by an older version, or by hand)
        is ignored with an error in the log, so that no request fails on it, until
        `relief clock reset` clears it."""
        try:
            seconds = float(value)  # type: ignore[arg-type]
            if math.isfinite(seconds):
                return checked_offset(dt.timedelta(seconds=seconds))
        except (TypeError, ValueError, OverflowError, ValidationFailed):
            pass
        if repr(value) != self._reported:  # once per bad value, not at every read
            self._reported = repr(value)
            log.error("the stored clock offset %r is out of range (at most %d days); using the wall clock "
                      "until `relief clock reset`", value, MAX_OFFSET.days)
        return dt.timedelta(0)

    def now(self) -> dt.datetime:
        self._sync()
        return super().now()

    def _store(self, change: Callable[[dt.timedelta], dt.timedelta]) -> dt.datetime:
        if self._settings is None:
            with self._lock:
                self._offset = checked_offset(change(self._offset))
            return super().now()
        with self._settings.db.session() as s:
            # Read and write in one transaction (row locked on PostgreSQL) so that two
            # concurrent advances add up.
            row = s.get(EngineSetting, CLOCK_OFFSET, with_for_update=True)
            # Checked before it is written: an offset out of range is never stored.
            offset = checked_offset(change(self._stored_offset(row.value) if row else dt.timedelta(0)))
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

    def reset(self) -> dt.datetime:
        """Put the shared clock back on the wall clock (`relief clock reset`)."""
        return self._store(lambda _offset: dt.timedelta(0))


_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> dt.timedelta:
    """`3d`, `2h30m`, `90s` or an ISO-8601 duration such as `P3DT2H` → timedelta (≥ 0,
    at most `MAX_OFFSET`: a clock never moves further)."""
    value = (text or "").strip()
    iso = re.fullmatch(r"P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?", value.upper())
    if iso and value.upper() not in ("P", "PT"):
        parts = [(n, unit) for n, unit in zip(iso.groups(), "dhms", strict=True) if n]
    else:
        parts = re.findall(r"([0-9]+)\s*([dhms])", value.lower())
        if not parts or re.sub(r"\s*[0-9]+\s*[dhms]\s*", "", value.lower()):
            raise ValidationFailed(f"'{text}' is not a duration such as 3d, 2h30m or P3D",
                                   {"fields": {"by": [f"not a duration: {text}"]}})
    # Whole seconds first: a number too large for a timedelta is refused, not an overflow.
    too_long = any(len(n.lstrip("0")) > 12 for n, _ in parts)
    seconds = 0 if too_long else sum(int(n) * _SECONDS[unit] for n, unit in parts)
    if too_long or seconds > MAX_OFFSET.total_seconds():
        raise ValidationFailed(f"'{text}' is longer than {MAX_OFFSET.days} days",
                               {"fields": {"by": [f"at most {MAX_OFFSET.days} days"]}})
    return dt.timedelta(seconds=seconds)
