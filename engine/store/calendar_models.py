"""Tables of the working-day calendar and the engine's shared settings (X-TIMERS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime

NATIONAL = "national"


class CalendarOverride(Base):
    """One day declared a holiday or a working day, nationally or for a region.

    Consulted before `chinesecalendar`: local adjustments, and the State Council
    arrangement of years published after the installed package."""

    __tablename__ = "calendar_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(8))  # holiday | workday
    scope: Mapped[str] = mapped_column(sa.String(40), default=NATIONAL)  # national | region code
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # the document that says so
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    __table_args__ = (sa.UniqueConstraint("day", "scope", name="uq_calendar_overrides_day_scope"),)


class CalendarYear(Base):
    """A year whose complete national arrangement was imported: no longer provisional."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    imported_by: Mapped[str] = mapped_column(sa.String(80))


class EngineSetting(Base):
    """Small values every process of one installation must agree on: the calendar's
    revision (cache invalidation), the last official year seen, the demo clock offset."""

    __tablename__ = "engine_settings"
    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
