"""The calendar of one database: overrides and imported years, cached until they change.

Each change writes a new random revision into `engine_settings`; `current()` compares
it (one indexed read) and reloads only when another process, or this one, changed the
calendar. The engine calls `current()` once per command that uses a working-day function."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.calendar import shared
from engine.calendar.importer import KINDS, Arrangement
from engine.calendar.working_days import NATIONAL, OFFICE_CLOSE, WorkingCalendar
from engine.errors import ValidationFailed
from engine.store.calendar_models import CalendarOverride, CalendarYear
from engine.store.db import Database


@dataclass(frozen=True)
class DayInfo:
    """One day of `month()`: whether staff work, and why."""

    day: dt.date
    working: bool
    provisional: bool
    override: str | None  # the scope of the override that decided it, if any
    note: str = ""


class DatabaseCalendar:
    """Working-day rules of the engine's database (overrides consulted before the package)."""

    def __init__(self, db: Database, settings: shared.SharedSettings, office_close: dt.time = OFFICE_CLOSE) -> None:
        self.db, self.settings, self.office_close = db, settings, office_close
        self._revision: object = object()  # matches nothing: load on first use
        self._calendar = WorkingCalendar(office_close=office_close)
        self._notes: dict[tuple[str, dt.date], str] = {}
        self._lock = threading.Lock()

    def current(self) -> WorkingCalendar:
        """The calendar as stored now (reloaded when its revision changed)."""
        revision = self.settings.get(shared.CALENDAR_REVISION, "")
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    self._load(revision)
        return self._calendar

    def _load(self, revision: object) -> None:
        overrides: dict[str, dict[dt.date, bool]] = {}
        notes: dict[tuple[str, dt.date], str] = {}
        with self.settings.reader.connect() as conn:  # no write lock: may run inside a command
            for day, kind, scope, note in conn.execute(sa.select(
                    CalendarOverride.day, CalendarOverride.kind, CalendarOverride.scope, CalendarOverride.note)):
                overrides.setdefault(scope, {})[day] = kind == "workday"
                notes[(scope, day)] = note
            years = list(conn.scalars(sa.select(CalendarYear.year)))
        self._calendar = WorkingCalendar(overrides, years, self.office_close)
        self._notes = notes
        self._revision = revision

    # changes ----------------------------------------------------------------
    def set_day(self, day: dt.date, kind: str, actor: str, now: dt.datetime, region: str | None = None,
                note: str = "", source: str = "") -> dict[str, Any]:
        """Declare `day` a holiday or a working day (nationally, or for `region`)."""
        if kind not in KINDS:
            raise ValidationFailed(f"kind must be holiday or workday, not '{kind}'", {"fields": {"kind": [kind]}})
        scope = (region or NATIONAL).strip()
        if not scope or len(scope) > 40:
            raise ValidationFailed("region must be 1 to 40 characters", {"fields": {"region": [region]}})
        with self.db.session() as s:
            row = s.scalar(sa.select(CalendarOverride).where(CalendarOverride.day == day,
                                                             CalendarOverride.scope == scope))
            if row is None:
                row = CalendarOverride(day=day, scope=scope)
                s.add(row)
            row.kind, row.note, row.source = kind, note[:200], source[:200]
            row.created_at, row.created_by = now, actor
            shared.SharedSettings.put(s, shared.CALENDAR_REVISION, uuid.uuid4().hex, now)
        return {"date": day.isoformat(), "kind": kind, "scope": scope, "note": note, "source": source}

    def import_arrangement(self, arrangement: Arrangement, actor: str, now: dt.datetime) -> dict[str, Any]:
        """Replace the national overrides of the arrangement's year and mark the year known."""
        year = arrangement.year
        with self.db.session() as s:
            s.execute(sa.delete(CalendarOverride).where(
                CalendarOverride.scope == NATIONAL,
                CalendarOverride.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))))
            s.add_all([CalendarOverride(day=d.day, kind=d.kind, scope=NATIONAL, note=d.note[:200],
                                        source=arrangement.source[:200], created_at=now, created_by=actor)
                       for d in arrangement.days])
            known = s.get(CalendarYear, year)
            if known is None:
                s.add(CalendarYear(year=year, source=arrangement.source[:200], imported_at=now, imported_by=actor))
            else:
                known.source, known.imported_at, known.imported_by = arrangement.source[:200], now, actor
            shared.SharedSettings.put(s, shared.CALENDAR_REVISION, uuid.uuid4().hex, now)
        return {"year": year, "days": len(arrangement.days), "source": arrangement.source,
                "holidays": sum(d.kind == "holiday" for d in arrangement.days),
                "workdays": sum(d.kind == "workday" for d in arrangement.days)}

    # questions --------------------------------------------------------------
    def month(self, year: int, month: int, region: str | None = None) -> list[DayInfo]:
        """Every day of a month with its answer for `region`."""
        if not (1 <= month <= 12 and 1900 <= year <= 2200):
            raise ValidationFailed("month must be YYYY-MM", {"fields": {"month": [f"{year}-{month}"]}})
        cal = self.current()
        day, out = dt.date(year, month, 1), []
        while day.month == month:
            decided = cal.override(day, region)
            scope = decided[0] if decided else None
            out.append(DayInfo(day, cal.is_working_day(day, region), cal.is_provisional(day), scope,
                               self._notes.get((scope, day), "") if scope else ""))
            day += dt.timedelta(days=1)
        return out
