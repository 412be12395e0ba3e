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
# Every case, step and dispatch is counted at four levels (`level`, `scope`): its region
# cut at 4 digits (0, the city), 6 (1, the county), 9 (2, the township) and 12 (3, the
# village); a shorter code as it is, '' for none. A reader's region is a city, county,
# township or village code, or a province's prefix, so its cases are the rows of one level
# and one scope (a range of scopes for a province), and the regions one level below its
# own are the scopes of the next level: a county-year is a few thousand rows whatever its
# villages, a city's as many.
# `dept` is '' (every reader's count) or a department the case was dispatched to (its staff
# see those cases only): a case is counted for '' and again for each of its departments.
LEVELS = ((0, 4), (1, 6), (2, 9), (3, 12))


def _level() -> Mapped[int]:
    return mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)


def _dept() -> Mapped[str]:
    return mapped_column(sa.String(80), primary_key=True)


def _scope() -> Mapped[str]:
    return mapped_column(sa.String(40), primary_key=True)


class StatsCase(Base):
    """Cases by (level, scope, day started, process, channel, status)."""

    __tablename__ = "stats_cases"
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsCaseHour(Base):
    """Cases by (level, scope, day started, process, hour started)."""

    __tablename__ = "stats_case_hours"
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    hour: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsCaseDay(Base):
    """Cases by (level, scope, day started, process): the regions one level down, weekdays."""

    __tablename__ = "stats_case_days"
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsStep(Base):
    """Open and completed steps by (region, day created, stage, state): completed ones with
    how many had a deadline, met it, and their summed calendar days."""

    __tablename__ = "stats_steps"
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
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
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    created_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    due_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class StatsDepartmentStep(Base):
    """Department steps (offered to "dept:<code>") by their region (the step's, its case's:
    the same), their case's process and day started, department, state, days created /
    ended / due."""

    __tablename__ = "stats_department_steps"
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    case_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    case_process: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
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
    level: Mapped[int] = _level()
    dept: Mapped[str] = _dept()
    scope: Mapped[str] = _scope()
    case_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    case_process: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    target: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
