"""The dashboard's figures (J-DATA, W-STATS): every one a SQL aggregate over indexed
columns (instances by region and start, tasks by region and state), never cases loaded
into Python. Scoped by region with the one scope rule's clause (engine/auth/scope.py).

Each chart is one function of (session, `Period`) in `CHARTS` (the breakdowns add theirs,
engine/portal/stats_breakdowns.py), so that bench/dashboard.py times each chart's query
alone. What every chart counts is said once, in `Period.cases` and `Period.tasks`: a
further filter (e.g. only the application processes) goes there.

At a million cases (issue 14: p95 ≤ 300 ms a chart) a reader whose scope is a region reads
each chart from the summary tables instead (`summarised`, engine/portal/stats_summaries.py,
migration 0031); the functions here are the direct queries on the case and step rows, for
the readers the summaries do not answer (`stats_summaries.reads_summaries`) and the tests'
comparison. Those are read from covering indexes (migration 0028): the cases of a region
by start with their channel, status and process (`ix_instances_stats`), the open and the
completed steps of a region by creation (`ix_human_tasks_open_stats`,
`ix_human_tasks_done_stats`). Fixed states are written into the SQL as literals, not
parameters, so that PostgreSQL can match the partial indexes in any plan it keeps for a
prepared statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import Principal, scope
from engine.portal import stats_summaries
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.portal_models import CaseRating, Complaint

SHANGHAI_HOURS = 8
WorkingDays = Callable[[dt.date, dt.date], int]


def midnight(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Asia/Shanghai, as an aware moment."""
    return dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=SHANGHAI_HOURS)))


def application_cases() -> sa.ColumnElement[bool]:
    """SQL: the case is an application, i.e. of a process the item list's offices take
    applications with (workflows/items.json: the variants). Complaints, consultations,
    reviews, postings, emergency reports and monitoring alerts are cases too, but not
    applications: counting them would inflate every figure (issue 11)."""
    return Instance.process_key.in_(stats_summaries.application_processes())


def _between(column: Any, start: dt.datetime, end: dt.datetime | None) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end) if end is not None else column >= start


def state_is(value: str) -> sa.ColumnElement[bool]:
    """SQL: the task's state is `value`, written as a literal (a partial index's predicate
    is matched only against constants)."""
    return HumanTask.state == sa.literal_column(f"'{value}'")


@dataclass(frozen=True)
class Period:
    """One reading of the dashboard: who reads it, the period [start, end), now."""

    who: Principal
    start: dt.datetime
    end: dt.datetime | None
    now: dt.datetime
    postgres: bool
    working_days: WorkingDays

    def cases(self) -> sa.ColumnElement[bool]:
        """SQL on `Instance`: the cases the charts count (applications in the reader's scope,
        started in the period)."""
        return sa.and_(scope.instance_clause(self.who), application_cases(),
                       _between(Instance.started_at, self.start, self.end))

    def task_region(self) -> sa.ColumnElement[bool]:
        """SQL on `HumanTask`: tasks of cases in the reader's region (a task carries its case's region)."""
        return sa.true() if self.who.is_admin else scope.region_clause(HumanTask.region, self.who.region)

    def tasks(self) -> sa.ColumnElement[bool]:
        """SQL on `HumanTask`: the steps the charts count (created in the period, of cases in
        the reader's region; department staff: of their department's cases)."""
        own = (scope.case_records_clause(HumanTask.instance_id, self.who)
               if scope.is_department_staff(self.who) else sa.true())
        return sa.and_(self.task_region(), own, _between(HumanTask.created_at, self.start, self.end))

    def month(self, column: Any) -> Any:
        """SQL: the month of a UTC moment in Asia/Shanghai (PostgreSQL: its first moment, as a
        local timestamp, `month_text` makes it YYYY-MM: date_trunc costs a fraction of
        to_char on every row; SQLite: YYYY-MM)."""
        if self.postgres:
            return sa.func.date_trunc("month", sa.func.timezone("Asia/Shanghai", column))
        return sa.func.strftime("%Y-%m", column, f"+{SHANGHAI_HOURS} hours")


    def days(self, start: Any, end: Any) -> Any:
        """SQL: the days (fractional, calendar) between two moments."""
        if self.postgres:
            return sa.func.extract("epoch", end - start) / 86400.0
        return sa.func.julianday(end) - sa.func.julianday(start)


def month_text(value: Any) -> str:
    """YYYY-MM of what `Period.month` gives."""
    return value.strftime("%Y-%m") if isinstance(value, dt.datetime | dt.date) else str(value)


def period_of(session: Session, who: Principal, start: dt.datetime, end: dt.datetime | None, now: dt.datetime,
              working_days: WorkingDays) -> Period:
    """The `Period` of a reading on `session`'s database."""
    return Period(who, start, end, now, session.get_bind().dialect.name == "postgresql", working_days)


def cases_by_month(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per month and channel."""
    month = p.month(Instance.started_at).label("month")
    rows = [(month_text(m), channel, n) for m, channel, n in s.execute(
        sa.select(month, Instance.channel, sa.func.count()).where(p.cases())
        .group_by(month, Instance.channel).order_by(month)).all()]
    months = sorted({m for m, _, _ in rows})
    channels: dict[str, list[int]] = {}
    for m, channel, count in rows:
        channels.setdefault(channel or "unknown", [0] * len(months))[months.index(m)] = count
    return {"months": months, "channels": channels}


def cases_by_status(s: Session, p: Period) -> dict[str, Any]:
    """Cases by status, and their total."""
    by_status = dict(s.execute(sa.select(Instance.status, sa.func.count()).where(p.cases())
                               .group_by(Instance.status)).all())
    return {"cases": sum(by_status.values()), "by_status": by_status}


def backlog(s: Session, p: Period) -> dict[str, Any]:
    """Open steps by stage, most first."""
    rows = s.execute(sa.select(HumanTask.name, sa.func.count()).where(p.tasks(), state_is("open"))
                     .group_by(HumanTask.name).order_by(sa.func.count().desc(), HumanTask.name)).all()
    return {"backlog": [{"stage": name, "open": count} for name, count in rows]}


def _done(p: Period) -> sa.ColumnElement[bool]:
    return sa.and_(p.tasks(), state_is("completed"), HumanTask.ended_at.is_not(None))


def on_time(s: Session, p: Period) -> dict[str, Any]:
    """Completed steps with a deadline, and how many met it."""
    total, met = s.execute(sa.select(
        sa.func.count(), sa.func.sum(sa.case((HumanTask.ended_at <= HumanTask.due_at, 1), else_=0)))
        .where(_done(p), HumanTask.due_at.is_not(None))).one()
    total, met = total or 0, met or 0
    return {"on_time": {"completed": total, "on_time": met, "rate": round(met / total, 4) if total else None}}


def durations(s: Session, p: Period) -> dict[str, Any]:
    """Average calendar days of completed steps per stage."""
    days = p.days(HumanTask.created_at, HumanTask.ended_at)
    rows = s.execute(sa.select(HumanTask.name, sa.func.avg(days), sa.func.count()).where(_done(p))
                     .group_by(HumanTask.name).order_by(HumanTask.name)).all()
    return {"durations": [{"stage": name, "days": round(float(avg or 0), 2), "completed": count}
                          for name, avg, count in rows]}


def overdue(s: Session, p: Period) -> dict[str, Any]:
    """Open steps past their deadline, per group they are offered to."""
    rows = s.execute(
        sa.select(TaskCandidate.group, sa.func.count()).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
        .where(p.tasks(), state_is("open"), HumanTask.due_at.is_not(None), HumanTask.due_at < p.now)
        .group_by(TaskCandidate.group).order_by(sa.func.count().desc(), TaskCandidate.group)).all()
    return {"overdue": [{"group": group, "open": count} for group, count in rows]}


def ratings(s: Session, p: Period) -> dict[str, Any]:
    """Ratings given in the period, per score."""
    rated = sa.and_(scope.case_records_clause(CaseRating.instance_id, p.who),
                    _between(CaseRating.created_at, p.start, p.end))
    counts = dict(s.execute(sa.select(CaseRating.score, sa.func.count()).where(rated)
                            .group_by(CaseRating.score)).all())
    return {"ratings": {str(score): counts.get(score, 0) for score in range(1, 6)}}


def complaints(s: Session, p: Period) -> dict[str, Any]:
    """Complaints made in the period and still open."""
    count = s.scalar(sa.select(sa.func.count()).select_from(Complaint).where(
        scope.case_records_clause(Complaint.instance_id, p.who), Complaint.status == "open",
        _between(Complaint.created_at, p.start, p.end)))
    return {"complaints_open": count or 0}


Chart = Callable[[Session, Period], dict[str, Any]]


def summarised(summary: Chart, direct: Chart) -> Chart:
    """The chart read from the summary tables for a reader whose scope is a region (they
    answer it exactly, engine/portal/stats_summaries.py), else by the direct query."""
    def chart(s: Session, p: Period) -> dict[str, Any]:
        return summary(s, p) if stats_summaries.reads_summaries(p.who) else direct(s, p)
    chart.__name__, chart.__doc__ = direct.__name__, direct.__doc__
    return chart


CHARTS: dict[str, Chart] = {
    "cases_by_month": summarised(stats_summaries.cases_by_month, cases_by_month),
    "cases_by_status": summarised(stats_summaries.cases_by_status, cases_by_status),
    "backlog": summarised(stats_summaries.backlog, backlog), "on_time": summarised(stats_summaries.on_time, on_time),
    "durations": summarised(stats_summaries.durations, durations),
    "overdue": summarised(stats_summaries.overdue, overdue), "ratings": ratings, "complaints": complaints}


def figures(session: Session, who: Principal, since: dt.date, now: dt.datetime,
            until: dt.date | None = None, working_days: WorkingDays | None = None) -> dict[str, Any]:
    """Every chart's data of this module for the cases `who` may see started from `since` (up
    to, not including, `until`): cases by month and channel, backlog by stage, on-time rate
    and average days per stage of completed steps, overdue steps by group, ratings."""
    p = period_of(session, who, midnight(since), midnight(until) if until else None, now,
                  working_days or (lambda a, b: (b - a).days))
    result: dict[str, Any] = {"since": since.isoformat(), "until": until.isoformat() if until else None}
    for chart in CHARTS.values():
        result.update(chart(session, p))
    return result
