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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth.principal import Principal
from engine.portal import stats_summaries
from engine.portal.stats import Chart, Period, WorkingDays, period_of, state_is, summarised
from engine.store.models import HumanTask, Instance
from engine.store.records import Dispatch

SHANGHAI_HOURS = 8
DEPARTMENT_GROUP = "dept:"
# GB/T 2260: province 2 digits, city 4, county 6, township 9, village 12.
LEVELS = (2, 4, 6, 9, 12)


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


def by_hour(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per hour of the day (Asia/Shanghai)."""
    hour = _hour(s, Instance.started_at)
    counts = dict(s.execute(sa.select(hour, sa.func.count()).where(p.cases()).group_by(hour)).all())
    return {"by_hour": [int(counts.get(h, 0)) for h in range(24)]}


def by_weekday(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per day of the week, Monday first."""
    weekday = _weekday(s, Instance.started_at)
    counts = dict(s.execute(sa.select(weekday, sa.func.count()).where(p.cases()).group_by(weekday)).all())
    return {"by_weekday": [int(counts.get(d, 0)) for d in range(1, 8)]}


def by_region(s: Session, p: Period) -> dict[str, Any]:
    """Cases per region one level below the reader's (the thirty largest)."""
    level = child_level(None if p.who.is_admin else p.who.region)
    child = sa.func.substr(Instance.region, 1, level)
    rows = s.execute(sa.select(child, sa.func.count()).where(p.cases(), Instance.region.is_not(None))
                     .group_by(child).order_by(sa.func.count().desc(), child).limit(30)).all()
    return {"by_region": [{"region": code, "cases": n} for code, n in rows]}


def breakdowns(session: Session, who: Principal, start: dt.datetime, end: dt.datetime | None, now: dt.datetime,
               working_days: WorkingDays) -> dict[str, Any]:
    """The breakdowns for the cases `who` may see started in [start, end)."""
    p = period_of(session, who, start, end, now, working_days)
    result: dict[str, Any] = {}
    for chart in CHARTS.values():
        result.update(chart(session, p))
    return result


# A department's step and its department (stats_summaries says why literal SQL).
STEP_GROUP, DEPARTMENT_STEP = stats_summaries.STEP_GROUP, stats_summaries.DEPARTMENT_STEP


def department_rows(s: Session, p: Period) -> dict[str, Any]:
    """Per department: cases dispatched to it, its steps open and overdue now, its completed
    steps, how many on time, and their average handling time in working days."""
    cases = p.cases()
    dispatched = dict(s.execute(
        sa.select(Dispatch.target, sa.func.count(sa.distinct(Dispatch.instance_id)))
        .join(Instance, Instance.id == Dispatch.instance_id)
        .where(Dispatch.kind == "department", cases).group_by(Dispatch.target)).all())
    # One pass over the department steps of the period's cases: open ones (and how many
    # overdue) per group; completed ones per (group, day created, day completed), the day
    # pairs that become working days below (a few hundred a month, however many cases).
    done = sa.and_(state_is("completed"), HumanTask.ended_at.is_not(None))
    created = sa.case((done, _day(s, HumanTask.created_at)))
    ended = sa.case((done, _day(s, HumanTask.ended_at)))
    rows = s.execute(
        sa.select(STEP_GROUP, HumanTask.state, created, ended, sa.func.count(),
                  sa.func.sum(sa.case((HumanTask.due_at < p.now, 1), else_=0)),
                  sa.func.sum(sa.case((HumanTask.ended_at <= HumanTask.due_at, 1), else_=0)),
                  sa.func.count(HumanTask.due_at))
        .join(Instance, Instance.id == HumanTask.instance_id)
        .where(cases, p.task_region(), DEPARTMENT_STEP, HumanTask.state.in_(("open", "completed")))
        .group_by(STEP_GROUP, HumanTask.state, created, ended)).all()
    table: dict[str, dict[str, Any]] = {}

    def row(department: str) -> dict[str, Any]:
        return table.setdefault(department, {"department": department, "dispatched": 0, "open": 0, "overdue": 0,
                                             "completed": 0, "on_time": 0, "with_deadline": 0, "on_time_rate": None,
                                             "working_days": None})
    for department, n in dispatched.items():
        row(department)["dispatched"] = n
    spent: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # department → [working days, steps]
    for grp, state, first, last, n, late, met, with_deadline in rows:
        r = row(grp[len(DEPARTMENT_GROUP):])
        if state == "open":
            r["open"] += n
            r["overdue"] += int(late or 0)
        elif first is not None:
            r["completed"] += n
            r["on_time"] += int(met or 0)
            r["with_deadline"] += with_deadline
            spent[r["department"]][0] += p.working_days(_date(first), _date(last)) * n
            spent[r["department"]][1] += n
    for r in table.values():
        r["on_time_rate"] = round(r["on_time"] / r["with_deadline"], 4) if r["with_deadline"] else None
    for department, (days, count) in spent.items():
        table[department]["working_days"] = round(days / count, 2) if count else None
    return {"departments": sorted(table.values(), key=lambda r: (-r["dispatched"], -r["open"], r["department"]))}


def _summary_by_region(s: Session, p: Period) -> dict[str, Any]:
    return stats_summaries.by_region(s, p, child_level(None if p.who.is_admin else p.who.region))


CHARTS: dict[str, Chart] = {
    "by_hour": summarised(stats_summaries.by_hour, by_hour),
    "by_weekday": summarised(stats_summaries.by_weekday, by_weekday),
    "by_region": summarised(_summary_by_region, by_region),
    "departments": summarised(stats_summaries.department_rows, department_rows)}


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
