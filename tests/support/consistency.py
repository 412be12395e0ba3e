"""Is every case exactly before or after each command? The checks the crash suite runs
after every kill (tests/reliability/test_crash.py), usable on any database.

For each case: its audit chain verifies and has one event per row version (a command
bumps the version and appends one event, in one transaction: a half-written command
shows as a mismatch); the workflow restored from its stored state agrees with its rows —
the open user tasks (with their deadlines and candidate groups), the live jobs, the
waiting timers — and with its status. Over the whole database: no task, job or timer row
without its case, no two live rows for one waiting task."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import verify_chain
from engine.runtime import inspect, state
from engine.service import Engine
from engine.store.models import AuditEvent, Definition, DepartmentWait, HumanTask, Instance, Job, TaskCandidate, Timer

LIVE_JOBS = ("pending", "failed", "incident")
WAITING_TIMERS = ("pending", "incident")


@dataclass
class Report:
    """What a check found: cases looked at, and every problem by case."""

    cases: int = 0
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # case id → the version found consistent

    def add(self, instance_id: str, what: str) -> None:
        self.problems.append(f"case {instance_id}: {what}")


def check(engine: Engine, known: dict[str, int] | None = None) -> Report:
    """Check every case of `engine`'s database; a case in `known` at the same version was
    found consistent before and is only counted (its rows are still checked globally)."""
    report = Report()
    known = known or {}
    with engine.db.reading() as s:
        versions = dict(s.execute(sa.select(Instance.id, Instance.version)).all())
        events = dict(s.execute(sa.select(AuditEvent.instance_id, sa.func.count())
                                .group_by(AuditEvent.instance_id)).all())
        report.cases = len(versions)
        changed = [i for i, v in versions.items() if known.get(i) != v]
        report.checked.update((i, v) for i, v in versions.items() if known.get(i) == v)
        for row in s.scalars(sa.select(Instance).where(Instance.id.in_(changed))) if changed else ():
            before = len(report.problems)
            _check_case(engine, s, row, events.get(row.id, 0), report)
            if len(report.problems) == before:
                report.checked[row.id] = row.version
        _check_rows(s, set(versions), report)
    return report


def _check_case(engine: Engine, s: Session, row: Instance, events: int, report: Report) -> None:
    chain = verify_chain(s, row.id)
    if not chain["valid"]:
        report.add(row.id, f"audit chain broken at event {chain['broken_at']}: {chain['reason']}")
    if events != row.version:
        report.add(row.id, f"version {row.version} but {events} audit events (a command half written?)")
    process = engine.specs.process(s, s.get(Definition, row.definition_id))
    workflow = state.load(row.state, process.spec, process.subprocess_specs)
    _states, waits = inspect.current(workflow)
    ended = workflow.is_completed()
    if row.status == "running" and ended:
        report.add(row.id, "status running but its workflow has ended")
    if row.status in ("completed", "error") and not ended:
        report.add(row.id, f"status {row.status} but its workflow still runs")
    tasks = {t.id: t for t in s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == row.id,
                                                                   HumanTask.state == "open"))}
    if set(tasks) != set(waits["user"]):
        report.add(row.id, f"open task rows {sorted(tasks)} but the workflow waits on {sorted(waits['user'])}")
    for task_id, due in waits["user"].items():
        # A task whose deadline timer fired keeps its deadline (the overdue list shows it).
        if task_id in tasks and tasks[task_id].due_at != due and due is not None:
            report.add(row.id, f"task {task_id} is due {tasks[task_id].due_at}, its deadline timer {due}")
    groups = Counter(s.execute(sa.select(TaskCandidate.task_id, TaskCandidate.group)
                               .where(TaskCandidate.task_id.in_(list(tasks)))).all())
    for task_id, task in tasks.items():
        if {g for (t, g) in groups if t == task_id} != set(task.candidate_groups):
            report.add(row.id, f"task {task_id}: candidate rows differ from its groups {task.candidate_groups}")
    jobs = set(s.scalars(sa.select(Job.task_id).where(Job.instance_id == row.id, Job.state.in_(LIVE_JOBS))))
    if jobs != waits["jobs"]:
        report.add(row.id, f"live job rows {sorted(jobs)} but the workflow waits on {sorted(waits['jobs'])}")
    timers = dict(s.execute(sa.select(Timer.task_id, Timer.due_at).where(Timer.instance_id == row.id,
                                                                        Timer.state.in_(WAITING_TIMERS))).all())
    if timers != waits["timers"]:
        report.add(row.id, f"waiting timer rows {timers} but the workflow waits on {waits['timers']}")
    depts = set(s.scalars(sa.select(DepartmentWait.task_id).where(DepartmentWait.instance_id == row.id,
                                                                  DepartmentWait.state == "open")))
    if depts != set(waits["dept"]):
        report.add(row.id, f"open department wait rows {sorted(depts)} but the workflow waits on "
                           f"{sorted(waits['dept'])}")


def _check_rows(s: Session, cases: set[str], report: Report) -> None:
    """Rows of no case, candidates of closed tasks, two live rows for one waiting task."""
    for model, column in ((HumanTask, HumanTask.instance_id), (Job, sa.func.coalesce(Job.instance_id, Job.case_id)),
                          (Timer, Timer.instance_id)):
        for owner, in s.execute(sa.select(column).distinct()):
            if owner not in cases:
                report.add(owner, f"{model.__tablename__} rows of a case that does not exist")
    stale = s.scalars(sa.select(TaskCandidate.task_id).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
                      .where(HumanTask.state != "open").distinct()).all()
    for task_id in stale:
        report.add("-", f"task {task_id} is closed but still offered to its groups")
    for model, states in ((Job, LIVE_JOBS), (Timer, WAITING_TIMERS)):
        doubles = s.execute(sa.select(model.task_id, sa.func.count()).where(model.state.in_(states))
                            .group_by(model.task_id).having(sa.func.count() > 1)).all()
        for task_id, n in doubles:
            report.add("-", f"{n} live {model.__tablename__} rows for task {task_id}")
