"""The dashboard's charts read from the summary tables (engine/store/summary_models.py, kept
by triggers in the writing transaction: engine/store/summaries.py), issue 14: a county-year
is a few thousand summary rows where it was every case and step in scope.

Readers whose scope is a region (a case-wide role, or an administrator: everything) read
them, and so do department staff (the cases of their region dispatched to their department:
the rows counted for that department); any other reader keeps the direct queries of
stats.py / stats_breakdowns.py (`reads_summaries`).
A period is whole Asia/Shanghai days, the summaries' days. What depends on the moment of
reading (a step overdue: its deadline passed) is read as the days due before today from the
summaries and today's deadlines up to now from the steps (an index range on the deadline).

Counts whose rows were all taken back stay as zero rows: every read sums and keeps sums > 0."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import scope
from engine.auth.principal import Principal
from engine.portal import items
from engine.store import models
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.summary_models import (
    LEVELS,
    StatsCase,
    StatsCaseDay,
    StatsCaseHour,
    StatsDepartmentStep,
    StatsDispatch,
    StatsOpenGroup,
    StatsStep,
)

if TYPE_CHECKING:
    from engine.portal.stats import Period

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DEPARTMENT_GROUP = "dept:"
# A department's steps are offered to its group alone ("dept:<code>"); completed steps keep
# that in candidate_groups (their candidate rows go when they close). Literal SQL, the same
# text as the partial index ix_human_tasks_department_steps (migration 0028) on PostgreSQL.
STEP_GROUP = sa.literal_column("human_tasks.candidate_groups ->> 0")
DEPARTMENT_STEP = sa.literal_column(models.DEPARTMENT_STEP.replace("candidate_groups", "human_tasks.candidate_groups"))


def reads_summaries(who: Principal) -> bool:
    """Whether `who`'s scope is a region (or everything), which the summaries' keys answer exactly."""
    if who.is_admin:
        return True
    if who.extra.get("signed") or "system" in who.roles:
        return False
    regional = who.has_role(*scope.CASE_WIDE_ROLES) or (scope.is_department_staff(who) and bool(who.department))
    return regional and (who.region is None or len(scope.region_prefix(who.region)) <= LEVELS[-1][1])


def level_of(length: int) -> int:
    """The summaries' level whose scopes are region codes cut at `length` digits or more."""
    return next(level for level, cut in LEVELS if length <= cut)


_PROCESSES: dict[tuple[str, int], list[str]] = {}  # (item list path, its mtime) → its application processes


def application_processes() -> list[str]:
    """The processes the charts count as applications (stats.application_cases): the item
    list read once while its file stays the same (a dashboard asks a dozen times)."""
    path = items.DEFAULT_PATH
    key = (str(path), os.stat(path).st_mtime_ns)
    found = _PROCESSES.get(key)
    if found is None:
        found = sorted({o.process for o in items.load(path).offices})
        _PROCESSES.clear()
        _PROCESSES[key] = found
    return found


def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of a moment."""
    return moment.astimezone(SHANGHAI).date()


def _region(model: Any, who: Principal, level: int | None = None) -> sa.ColumnElement[bool]:
    """The summary rows of the reader's region: one level (its own unless `level`), one
    scope (a range of them for a city or province); an administrator's: every one."""
    if level is None:
        level = 0 if who.is_admin or who.region is None else level_of(len(scope.region_prefix(who.region)))
    if who.is_admin:
        return sa.and_(model.level == level, model.dept == "")
    dept = model.dept == (who.department if scope.is_department_staff(who) else "")
    if who.region is None:
        return sa.and_(model.level == level, dept, model.scope == "")
    return sa.and_(model.level == level, dept, scope.region_clause(model.scope, who.region))


def _days(column: Any, p: Period) -> sa.ColumnElement[bool]:
    start = column >= local_day(p.start)
    return sa.and_(start, column < local_day(p.end)) if p.end is not None else start


def _cases(model: Any, p: Period, level: int | None = None) -> sa.ColumnElement[bool]:
    return sa.and_(_region(model, p.who, level), model.process_key.in_(application_processes()),
                   _days(model.day, p))


def _sum_cases(s: Session, p: Period, *keys: Any) -> list[Any]:
    model = keys[0].class_
    total = sa.func.sum(model.n)
    return list(s.execute(sa.select(*keys, total).where(_cases(model, p)).group_by(*keys).having(total > 0)).all())


def cases_by_month(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per month and channel."""
    by_month: dict[tuple[str, str], int] = defaultdict(int)
    for day, channel, n in _sum_cases(s, p, StatsCase.day, StatsCase.channel):
        by_month[(_date(day).strftime("%Y-%m"), channel or "unknown")] += int(n)
    months = sorted({m for m, _ in by_month})
    channels: dict[str, list[int]] = {}
    for (month, channel), n in sorted(by_month.items()):
        channels.setdefault(channel, [0] * len(months))[months.index(month)] = n
    return {"months": months, "channels": channels}


def cases_by_status(s: Session, p: Period) -> dict[str, Any]:
    """Cases by status, and their total."""
    by_status = {status: int(n) for status, n in _sum_cases(s, p, StatsCase.status)}
    return {"cases": sum(by_status.values()), "by_status": by_status}


def by_hour(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per hour of the day (Asia/Shanghai)."""
    counts = {int(h): int(n) for h, n in _sum_cases(s, p, StatsCaseHour.hour)}
    return {"by_hour": [counts.get(h, 0) for h in range(24)]}


def by_weekday(s: Session, p: Period) -> dict[str, Any]:
    """Cases started per day of the week, Monday first."""
    counts = [0] * 7
    for day, n in _sum_cases(s, p, StatsCaseDay.day):
        counts[_date(day).weekday()] += int(n)
    return {"by_weekday": counts}


def by_region(s: Session, p: Period, length: int) -> dict[str, Any]:
    """Cases per region cut at `length` digits (the thirty largest): the scopes of the level
    of that length (a shorter code as it is) in the reader's region."""
    m = StatsCaseDay
    child = sa.func.substr(m.scope, 1, length)
    total = sa.func.sum(m.n)
    rows = s.execute(sa.select(child, total).where(_cases(m, p, level_of(length)), m.scope != "").group_by(child)
                     .having(total > 0).order_by(total.desc(), child).limit(30)).all()
    return {"by_region": [{"region": code, "cases": int(n)} for code, n in rows]}


def _steps(p: Period, state: str) -> sa.ColumnElement[bool]:
    return sa.and_(_region(StatsStep, p.who), _days(StatsStep.created_day, p), StatsStep.state == state)


def backlog(s: Session, p: Period) -> dict[str, Any]:
    """Open steps by stage, most first."""
    total = sa.func.sum(StatsStep.n)
    rows = s.execute(sa.select(StatsStep.name, total).where(_steps(p, "open")).group_by(StatsStep.name)
                     .having(total > 0).order_by(total.desc(), StatsStep.name)).all()
    return {"backlog": [{"stage": name, "open": int(n)} for name, n in rows]}


def on_time(s: Session, p: Period) -> dict[str, Any]:
    """Completed steps with a deadline, and how many met it."""
    total, met = s.execute(sa.select(sa.func.sum(StatsStep.with_deadline), sa.func.sum(StatsStep.met))
                           .where(_steps(p, "completed"))).one()
    total, met = int(total or 0), int(met or 0)
    return {"on_time": {"completed": total, "on_time": met, "rate": round(met / total, 4) if total else None}}


def durations(s: Session, p: Period) -> dict[str, Any]:
    """Average calendar days of completed steps per stage."""
    total = sa.func.sum(StatsStep.n)
    rows = s.execute(sa.select(StatsStep.name, sa.func.sum(StatsStep.days), total).where(_steps(p, "completed"))
                     .group_by(StatsStep.name).having(total > 0).order_by(StatsStep.name)).all()
    return {"durations": [{"stage": name, "days": round(float(days) / int(n), 2), "completed": int(n)}
                          for name, days, n in rows]}


def _due_today(p: Period) -> sa.ColumnElement[bool]:
    """SQL on `HumanTask`: open, due today before now (the part of "overdue" summaries by day do not hold)."""
    today = dt.datetime.combine(local_day(p.now), dt.time(), SHANGHAI)
    return sa.and_(HumanTask.state == sa.literal_column("'open'"), HumanTask.due_at >= today,
                   HumanTask.due_at < p.now)


def overdue(s: Session, p: Period) -> dict[str, Any]:
    """Open steps past their deadline, per group they are offered to."""
    total = sa.func.sum(StatsOpenGroup.n)
    counts: dict[str, int] = defaultdict(int)
    for group, n in s.execute(
            sa.select(StatsOpenGroup.group, total)
            .where(_region(StatsOpenGroup, p.who), _days(StatsOpenGroup.created_day, p),
                   StatsOpenGroup.due_day < local_day(p.now)).group_by(StatsOpenGroup.group)).all():
        counts[group] += int(n)
    for group, n in s.execute(
            sa.select(TaskCandidate.group, sa.func.count()).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
            .where(p.tasks(), _due_today(p)).group_by(TaskCandidate.group)).all():
        counts[group] += int(n)
    rows = sorted(((g, n) for g, n in counts.items() if n > 0), key=lambda r: (-r[1], r[0]))
    return {"overdue": [{"group": group, "open": n} for group, n in rows]}


def department_rows(s: Session, p: Period) -> dict[str, Any]:
    """Per department: cases dispatched to it, its steps open and overdue now, its completed
    steps, how many on time, and their average handling time in working days."""
    apps = application_processes()
    d = StatsDispatch
    dispatched = s.execute(
        sa.select(d.target, sa.func.sum(d.n)).where(_region(d, p.who), d.case_process.in_(apps), _days(d.case_day, p))
        .group_by(d.target).having(sa.func.sum(d.n) > 0)).all()
    t = StatsDepartmentStep
    done = t.state == "completed"
    first = sa.case((done, t.created_day))
    last = sa.case((done, t.ended_day))
    late = sa.func.sum(sa.case((sa.and_(t.state == "open", t.due_day < local_day(p.now)), t.n), else_=0))
    rows = s.execute(
        sa.select(t.grp, t.state, first, last, sa.func.sum(t.n), late, sa.func.sum(t.met),
                  sa.func.sum(t.with_deadline))
        .where(_region(t, p.who), t.case_process.in_(apps), _days(t.case_day, p))
        .group_by(t.grp, t.state, first, last)).all()
    # Today's deadlines up to now: the department steps of the period's cases due today.
    today = dict(s.execute(
        sa.select(STEP_GROUP, sa.func.count()).select_from(HumanTask)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .where(p.cases(), p.task_region(), DEPARTMENT_STEP, _due_today(p)).group_by(STEP_GROUP)).all())
    table: dict[str, dict[str, Any]] = {}

    def row(department: str) -> dict[str, Any]:
        return table.setdefault(department, {"department": department, "dispatched": 0, "open": 0, "overdue": 0,
                                             "completed": 0, "on_time": 0, "with_deadline": 0, "on_time_rate": None,
                                             "working_days": None})
    for department, n in dispatched:
        row(department)["dispatched"] = int(n)
    spent: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # department → [working days, steps]
    for grp, state, created, ended, n, overdue_n, met, with_deadline in rows:
        if not n:
            continue
        r = row(grp[len(DEPARTMENT_GROUP):])
        if state == "open":
            r["open"] += int(n)
            r["overdue"] += int(overdue_n or 0)
        else:
            r["completed"] += int(n)
            r["on_time"] += int(met or 0)
            r["with_deadline"] += int(with_deadline or 0)
            spent[r["department"]][0] += p.working_days(_date(created), _date(ended)) * int(n)
            spent[r["department"]][1] += int(n)
    for grp, n in today.items():
        row(grp[len(DEPARTMENT_GROUP):])["overdue"] += int(n)
    for r in table.values():
        r["on_time_rate"] = round(r["on_time"] / r["with_deadline"], 4) if r["with_deadline"] else None
    for department, (days, count) in spent.items():
        table[department]["working_days"] = round(days / count, 2) if count else None
    return {"departments": sorted(table.values(), key=lambda r: (-r["dispatched"], -r["open"], r["department"]))}


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


Chart = Callable[[Session, "Period"], dict[str, Any]]
