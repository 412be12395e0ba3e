"""The dashboard's figures (J-DATA, W-STATS): every one a SQL aggregate over indexed
columns (instances by region and start, tasks by region and state), never cases loaded
into Python. Scoped by region with the one scope rule's clause (engine/auth/scope.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import Principal, scope
from engine.portal import items
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.portal_models import CaseRating, Complaint

SHANGHAI_HOURS = 8


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


def midnight(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Asia/Shanghai, as an aware moment."""
    return dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=SHANGHAI_HOURS)))


def application_cases() -> sa.ColumnElement[bool]:
    """SQL: the case is an application, i.e. of a process the item list's offices take
    applications with (workflows/items.json: the variants). Complaints, consultations,
    reviews, postings, emergency reports and monitoring alerts are cases too, but not
    applications: counting them would inflate every figure (issue 11)."""
    return Instance.process_key.in_(sorted({o.process for o in items.load().offices}))


def _between(column: Any, start: dt.datetime, end: dt.datetime | None) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end) if end is not None else column >= start


def figures(session: Session, who: Principal, since: dt.date, now: dt.datetime,
            until: dt.date | None = None) -> dict[str, Any]:
    """Every chart's data for the cases `who` may see started from `since` (up to, not
    including, `until`): cases by month and channel, backlog by stage, on-time rate and
    average days per stage of completed steps, overdue steps by group, ratings."""
    start, end = midnight(since), (midnight(until) if until else None)
    cases = sa.and_(scope.instance_clause(who), application_cases(), _between(Instance.started_at, start, end))
    region_tasks = sa.true() if who.is_admin else scope.region_clause(HumanTask.region, who.region)
    own_tasks = scope.case_records_clause(HumanTask.instance_id, who) if scope.is_department_staff(who) else sa.true()
    tasks = sa.and_(region_tasks, own_tasks, _between(HumanTask.created_at, start, end))
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
    rated = sa.and_(scope.case_records_clause(CaseRating.instance_id, who), _between(CaseRating.created_at, start, end))
    ratings = dict(session.execute(sa.select(CaseRating.score, sa.func.count()).where(rated)
                                   .group_by(CaseRating.score)).all())
    complaints = session.scalar(sa.select(sa.func.count()).select_from(Complaint).where(
        scope.case_records_clause(Complaint.instance_id, who), Complaint.status == "open",
        _between(Complaint.created_at, start, end)))
    months = sorted({m for m, _, _ in by_month})
    channels: dict[str, list[int]] = {}
    for m, channel, count in by_month:
        channels.setdefault(channel or "unknown", [0] * len(months))[months.index(m)] = count
    total_done, total_on_time = on_time[0] or 0, on_time[1] or 0
    return {
        "since": since.isoformat(),
        "until": until.isoformat() if until else None,
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
