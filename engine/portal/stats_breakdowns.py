"""The dashboard's breakdowns (J-DATA, W-STATS, issue 14): cases by hour of the day and day of
the week, by region one level below the reader's, by department (cases dispatched, steps
open and overdue, on-time rate and average handling time in working days).

Every figure is a SQL aggregate. Handling time in working days needs the working-day
calendar, which SQL does not have: the database groups completed steps by (department,
day created, day completed) and counts them, and only those distinct day pairs — a few
hundred a month, however many cases — are turned into working days here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import scope
from engine.auth.principal import Principal
from engine.portal.stats import application_cases
from engine.store.models import HumanTask, Instance
from engine.store.records import Dispatch

SHANGHAI_HOURS = 8
DEPARTMENT_GROUP = "dept:"
# GB/T 2260: province 2 digits, city 4, county 6, township 9, village 12.
LEVELS = (2, 4, 6, 9, 12)

WorkingDays = Callable[[dt.date, dt.date], int]


def _local(session: Session, column: Any) -> Any:
    """SQL: a UTC moment as Asia/Shanghai local time (PostgreSQL) or its text (SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.timezone("Asia/Shanghai", column)
    return sa.func.datetime(column, f"+{SHANGHAI_HOURS} hours")


def _hour(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.extract("hour", _local(session, column)), sa.Integer)
    return sa.cast(sa.func.strftime("%H", _local(session, column)), sa.Integer)


def _weekday(session: Session, column: Any) -> Any:
    """SQL: 1 (Monday) … 7 (Sunday)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.extract("isodow", _local(session, column)), sa.Integer)
    sunday_zero = sa.cast(sa.func.strftime("%w", _local(session, column)), sa.Integer)
    return sa.case((sunday_zero == 0, 7), else_=sunday_zero)


def _day(session: Session, column: Any) -> Any:
    """SQL: the local calendar day, as text YYYY-MM-DD."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(_local(session, column), "YYYY-MM-DD")
    return sa.func.date(_local(session, column))


def child_level(region: str | None) -> int:
    """The code length one level below `region` (a county's townships: 9)."""
    length = len(region or "")
    return next((n for n in LEVELS if n > length), LEVELS[-1])


def breakdowns(session: Session, who: Principal, start: dt.datetime, end: dt.datetime | None, now: dt.datetime,
               working_days: WorkingDays) -> dict[str, Any]:
    """The breakdowns for the cases `who` may see started in [start, end)."""
    period = [Instance.started_at >= start] + ([Instance.started_at < end] if end else [])
    cases = sa.and_(scope.instance_clause(who), application_cases(), *period)
    hour, weekday = _hour(session, Instance.started_at), _weekday(session, Instance.started_at)
    by_hour = dict(session.execute(sa.select(hour, sa.func.count()).where(cases).group_by(hour)).all())
    by_weekday = dict(session.execute(sa.select(weekday, sa.func.count()).where(cases).group_by(weekday)).all())
    level = child_level(None if who.is_admin else who.region)
    child = sa.func.substr(Instance.region, 1, level)
    by_region = session.execute(sa.select(child, sa.func.count()).where(cases, Instance.region.is_not(None))
                                .group_by(child).order_by(sa.func.count().desc(), child).limit(30)).all()
    return {
        "by_hour": [int(by_hour.get(h, 0)) for h in range(24)],
        "by_weekday": [int(by_weekday.get(d, 0)) for d in range(1, 8)],
        "by_region": [{"region": code, "cases": n} for code, n in by_region],
        "departments": departments(session, cases, now, working_days),
    }


def departments(session: Session, cases: sa.ColumnElement[bool], now: dt.datetime,
                working_days: WorkingDays) -> list[dict[str, Any]]:
    """Per department: cases dispatched to it, its steps open and overdue now, its completed
    steps, how many on time, and their average handling time in working days."""
    in_cases = sa.select(Instance.id).where(cases)
    dispatched = dict(session.execute(
        sa.select(Dispatch.target, sa.func.count(sa.distinct(Dispatch.instance_id)))
        .where(Dispatch.kind == "department", Dispatch.instance_id.in_(in_cases))
        .group_by(Dispatch.target)).all())
    # A department's steps are offered to its group alone ("dept:<code>"); completed steps keep
    # that in candidate_groups (their candidate rows go when they close).
    group = HumanTask.candidate_groups[0].as_string()
    steps = sa.select(group).where(group.like(f"{DEPARTMENT_GROUP}%"), HumanTask.instance_id.in_(in_cases))
    open_rows = session.execute(
        steps.add_columns(sa.func.count(), sa.func.sum(sa.case((HumanTask.due_at < now, 1), else_=0)))
        .where(HumanTask.state == "open").group_by(group)).all()
    done = steps.where(HumanTask.state == "completed", HumanTask.ended_at.is_not(None))
    on_time_rows = session.execute(
        done.add_columns(sa.func.count(), sa.func.sum(sa.case((HumanTask.ended_at <= HumanTask.due_at, 1), else_=0)),
                         sa.func.count(HumanTask.due_at)).group_by(group)).all()
    created, ended = _day(session, HumanTask.created_at), _day(session, HumanTask.ended_at)
    pairs = session.execute(done.add_columns(created, ended, sa.func.count()).group_by(group, created, ended)).all()

    spent: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # department → [working days, steps]
    for grp, first, last, count in pairs:
        days = working_days(_date(first), _date(last))
        spent[grp[len(DEPARTMENT_GROUP):]][0] += days * count
        spent[grp[len(DEPARTMENT_GROUP):]][1] += count
    rows: dict[str, dict[str, Any]] = {}

    def row(department: str) -> dict[str, Any]:
        return rows.setdefault(department, {"department": department, "dispatched": 0, "open": 0, "overdue": 0,
                                            "completed": 0, "on_time": 0, "with_deadline": 0, "on_time_rate": None,
                                            "working_days": None})
    for department, n in dispatched.items():
        row(department)["dispatched"] = n
    for grp, n, late in open_rows:
        r = row(grp[len(DEPARTMENT_GROUP):])
        r["open"], r["overdue"] = n, int(late or 0)
    for grp, n, on_time, with_deadline in on_time_rows:
        r = row(grp[len(DEPARTMENT_GROUP):])
        r["completed"], r["on_time"], r["with_deadline"] = n, int(on_time or 0), with_deadline
        r["on_time_rate"] = round(r["on_time"] / with_deadline, 4) if with_deadline else None
    for department, (days, count) in spent.items():
        row(department)["working_days"] = round(days / count, 2) if count else None
    return sorted(rows.values(), key=lambda r: (-r["dispatched"], -r["open"], r["department"]))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
