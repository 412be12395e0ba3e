"""The dashboard's summary tables (issue 14: every chart ≤ 300 ms at a million cases).

Each row counts the cases, steps, candidate rows or dispatches that share its key; the
database keeps them in the same transaction as the rows they count (triggers,
engine/store/summaries.py), so a chart reads a few thousand summary rows for a county-year
instead of every case and step in scope. Keys hold no NULL (a unique key would not match
NULLs): a missing region, process or channel is '', a missing day is `NO_DAY`. Days are
Asia/Shanghai calendar days, the dashboard's period bounds are their midnights."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base

NO_DAY = dt.date(9999, 12, 31)  # no deadline / not ended: never before a reading's day


class StatsCase(Base):
    """Cases by (region, process, day and hour started, channel, status)."""

    __tablename__ = "stats_cases"
    region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    hour: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsStep(Base):
    """Open and completed steps by (region, day created, stage, state): completed ones with
    how many had a deadline, met it, and their summed calendar days."""

    __tablename__ = "stats_steps"
    region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    created_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    with_deadline: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    met: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    days: Mapped[float] = mapped_column(sa.Float, nullable=False)


class StatsOpenGroup(Base):
    """Open steps with a deadline by (region, day created, candidate group, day due): the
    overdue chart (one row of `task_candidates` each)."""

    __tablename__ = "stats_open_groups"
    region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    created_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    due_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsDepartmentStep(Base):
    """Department steps (offered to "dept:<code>") by their case's region, process and day
    started, the step's region, department, state, days created / ended / due."""

    __tablename__ = "stats_department_steps"
    case_region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    case_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    case_process: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    grp: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    created_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    ended_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    due_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    with_deadline: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    met: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsDispatch(Base):
    """Cases dispatched to a department, by the case's region, process and day started
    (each case once per department however often it was dispatched there)."""

    __tablename__ = "stats_dispatches"
    case_region: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    case_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    case_process: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    target: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
