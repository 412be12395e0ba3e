"""The dashboard's figures (J-DATA, W-STATS): every one a SQL aggregate over indexed
columns (instances by region and start, tasks by region and state), never cases loaded
into Python. Scoped by region with the one scope rule's clause (engine/auth/scope.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import scope
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.portal_models import CaseRating, Complaint

SHANGHAI_HOURS = 8


def _in_region(column: Any, region: str | None, admin: bool) -> sa.ColumnElement[bool]:
    return sa.true() if admin else scope.region_clause(column, region)


def _month(session: Session, column: Any) -> Any:
    """SQL: the month (YYYY-MM) of a UTC moment in Asia/Shanghai."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column, f"+{SHANGHAI_HOURS} hours")


def _days(session: Session, start: Any, end: Any) -> Any:
    """SQL: the days (fractional, calendar) between two moments."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start) / 86400.0
    return sa.func.julianday(end) - sa.func.julianday(start)


def _since(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Asia/Shanghai, as an aware moment."""
    return dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=SHANGHAI_HOURS)))


def figures(session: Session, region: str | None, admin: bool, since: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Every chart's data: cases by month and channel, backlog by stage, on-time rate and
    average days per stage of completed steps, overdue steps by group, ratings."""
    start = _since(since)
    cases = sa.and_(_in_region(Instance.region, region, admin), Instance.started_at >= start)
    tasks = sa.and_(_in_region(HumanTask.region, region, admin), HumanTask.created_at >= start)
    month = _month(session, Instance.started_at).label("month")
    by_month = session.execute(sa.select(month, Instance.channel, sa.func.count()).where(cases)
                               .group_by(month, Instance.channel).order_by(month)).all()
    by_status = dict(session.execute(sa.select(Instance.status, sa.func.count()).where(cases)
                                     .group_by(Instance.status)).all())
    backlog = session.execute(sa.select(HumanTask.name, sa.func.count()).where(tasks, HumanTask.state == "open")
                              .group_by(HumanTask.name).order_by(sa.func.count().desc(), HumanTask.name)).all()
    done = sa.and_(tasks, HumanTask.state == "completed", HumanTask.ended_at.is_not(None))
    on_time = session.execute(sa.select(
        sa.func.count(), sa.func.sum(sa.case((HumanTask.ended_at <= HumanTask.due_at, 1), else_=0)))
        .where(done, HumanTask.due_at.is_not(None))).one()
    days = _days(session, HumanTask.created_at, HumanTask.ended_at)
    durations = session.execute(sa.select(HumanTask.name, sa.func.avg(days), sa.func.count()).where(done)
                                .group_by(HumanTask.name).order_by(HumanTask.name)).all()
    overdue = session.execute(
        sa.select(TaskCandidate.group, sa.func.count()).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
        .where(tasks, HumanTask.state == "open", HumanTask.due_at.is_not(None), HumanTask.due_at < now)
        .group_by(TaskCandidate.group).order_by(sa.func.count().desc(), TaskCandidate.group)).all()
    rated = sa.and_(_in_region(CaseRating.region, region, admin), CaseRating.created_at >= start)
    ratings = dict(session.execute(sa.select(CaseRating.score, sa.func.count()).where(rated)
                                   .group_by(CaseRating.score)).all())
    complaints = session.scalar(sa.select(sa.func.count()).select_from(Complaint).where(
        _in_region(Complaint.region, region, admin), Complaint.status == "open", Complaint.created_at >= start))
    months = sorted({m for m, _, _ in by_month})
    channels: dict[str, list[int]] = {}
    for m, channel, count in by_month:
        channels.setdefault(channel or "unknown", [0] * len(months))[months.index(m)] = count
    total_done, total_on_time = on_time[0] or 0, on_time[1] or 0
    return {
        "since": since.isoformat(),
        "cases": sum(by_status.values()),
        "by_status": by_status,
        "months": months,
        "channels": channels,
        "backlog": [{"stage": name, "open": count} for name, count in backlog],
        "on_time": {"completed": total_done, "on_time": total_on_time,
                    "rate": round(total_on_time / total_done, 4) if total_done else None},
        "durations": [{"stage": name, "days": round(float(avg or 0), 2), "completed": count}
                      for name, avg, count in durations],
        "overdue": [{"group": group, "open": count} for group, count in overdue],
        "ratings": {str(score): ratings.get(score, 0) for score in range(1, 6)},
        "complaints_open": complaints or 0,
    }
