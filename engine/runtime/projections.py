"""Keep the denormalised rows (open user tasks, jobs, timers) in step with a workflow.

Run at the end of every command, in its transaction, so the rows never disagree with
the stored instance state. Only the differences from the previous summary of the waits
are written: the one kept with the cached workflow, or the one of the workflow as
restored from its stored state (which the rows agree with, by the rule above)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import task_queue
from engine.calendar import is_provisional
from engine.runtime import first_question
from engine.runtime.inspect import Waits, bpmn_id, department_of
from engine.runtime.push import REGISTRY, JobPush
from engine.store.base import new_id
from engine.store.models import DepartmentWait, HumanTask, Instance, Job, TaskCandidate, Timer

DEFAULT_JOB_RETRIES = 3
JOBS_QUEUED = "jobs_queued"  # session.info key: this transaction made a job fetchable (Executor.jobs_queued)
TASKS = HumanTask.__table__
CANDIDATES = TaskCandidate.__table__
JOBS = Job.__table__
TIMERS = Timer.__table__
WAITS = DepartmentWait.__table__
# An incident timer still waits in the workflow: it is cancelled with its task, never re-inserted.
WAITING_TIMER_STATES = ("pending", "incident")
LIVE_JOB_STATES = ("pending", "failed", "incident")
# Statements built once with bound parameters: building one costs as much as running it
# (coercing the IN list, a fresh cache key), and these run on most commands.
_CANCEL_TASKS = (TASKS.update().where(TASKS.c.id.in_(sa.bindparam("b_ids", expanding=True)), TASKS.c.state == "open")
                 .values(state="cancelled", ended_at=sa.bindparam("b_now")))
_DROP_CANDIDATES = CANDIDATES.delete().where(CANDIDATES.c.task_id.in_(sa.bindparam("b_ids", expanding=True)))
_MOVE_DEADLINE = TASKS.update().where(TASKS.c.id == sa.bindparam("b_id"))
_INSERT_TASKS, _INSERT_CANDIDATES, _INSERT_TIMERS = TASKS.insert(), CANDIDATES.insert(), TIMERS.insert()
_CANCEL_TIMERS = (TIMERS.update().where(TIMERS.c.task_id.in_(sa.bindparam("b_ids", expanding=True)),
                                        TIMERS.c.state.in_(WAITING_TIMER_STATES))
                  .values(state="cancelled"))


def mark_jobs_queued(session: Session) -> None:
    """Note that this transaction inserts a job or makes one fetchable again, so that an
    in-process runner fetches once more (the executor counts such commands)."""
    session.info[JOBS_QUEUED] = True


def sync(session: Session, instance: Instance, waits: Waits, now: dt.datetime,
         previous: dict[str, Any]) -> dict[str, Any]:
    """Write the differences between `previous` and `waits`.

    Uses Core statements on the tables (this runs on every command; the ORM's unit of
    work costs more than the statements themselves); pending ORM changes are flushed first."""
    session.flush()
    before, after = previous, waits.signature()
    _user_tasks(session, instance, waits, before["user"], after["user"], now)
    _jobs(session, instance, waits, before["jobs"], after["jobs"], now)
    _timers(session, instance, waits, before["timers"], now)
    # A workflow cached before department waits were projected has no "dept" summary.
    _department_waits(session, instance, waits, before.get("dept", {}), after["dept"], now)
    return after


def _user_tasks(session: Session, instance: Instance, waits: Waits, before: dict, after: dict,
                now: dt.datetime) -> None:
    gone = [k for k in before if k not in after]
    if gone:
        session.execute(_CANCEL_TASKS, {"b_ids": gone, "b_now": now})
        session.execute(_DROP_CANDIDATES, {"b_ids": gone})
        task_queue.drop(session, gone)
    for task_id, due in after.items():
        # A deadline timer that fired leaves the task without a waiting timer: the task
        # keeps its deadline, so that it stays in the overdue list until it is done.
        if task_id in before and before[task_id] != due and due is not None:
            session.execute(_MOVE_DEADLINE, {
                "b_id": task_id, "due_at": due, "due_provisional": bool(due and is_provisional(due.date())),
                "statutory_basis": waits.user_tasks[task_id].statutory_basis})
            task_queue.move_deadline(session, task_id, due)
    new = [waits.user_tasks[k] for k in after if k not in before]
    if new:
        rows = [{
            "id": str(u.task.id), "instance_id": instance.id, "process_id": u.task.workflow.spec.name,
            "bpmn_id": bpmn_id(u.task), "name": u.task.task_spec.bpmn_name or bpmn_id(u.task),
            "form_key": u.form_key, "candidate_groups": u.candidate_groups, "state": "open",
            "due_at": u.due_at, "due_provisional": bool(u.due_at and is_provisional(u.due_at.date())),
            "statutory_basis": u.statutory_basis, "created_at": now, "ended_at": None, "completed_by": None,
            "region": instance.region, "green": bool(instance.green),
            **first_question.reservation(session, instance, u, now),
        } for u in new]
        session.execute(_INSERT_TASKS, rows)
        task_queue.insert(session, rows)  # the work list's order (engine/task_queue.py)
        # The case's region on both rows: scoped task lists are index ranges (engine/auth/scope.py).
        session.execute(_INSERT_CANDIDATES, [{"task_id": str(u.task.id), "group": g, "region": instance.region}
                                             for u in new for g in dict.fromkeys(u.candidate_groups)])


def _jobs(session: Session, instance: Instance, waits: Waits, before: set, after: set, now: dt.datetime) -> None:
    gone = [k for k in before if k not in after]
    if gone:
        session.execute(JOBS.update().where(JOBS.c.task_id.in_(gone), JOBS.c.state.in_(LIVE_JOB_STATES))
                        .values(state="cancelled", ended_at=now, lock_owner=None))
    new = sorted(after - before)
    if new:
        rows = [{
            "id": new_id(), "instance_id": instance.id, "task_id": task_id, "bpmn_id": bpmn_id(task),
            "topic": topic, "state": "pending", "run_after": now, "created_at": now,
            "variables": {"params": params, "case": dict(task.data), "business_key": instance.business_key},
            "retries": getattr(task.task_spec, "retries", None) or DEFAULT_JOB_RETRIES,
            "idempotency_key": f"{instance.id}:{task_id}", "lock_owner": None, "lock_expires_at": None,
            "attempts": 0, "result": None, "error": None, "ended_at": None,
        } for task_id in new for task, topic, params in [waits.jobs[task_id]]]
        # An in-process runner serving the topic takes the job already locked (engine/runtime/push.py);
        # only the others need a fetch.
        pusher: JobPush | None = session.info.get(REGISTRY)
        fetchable = [r for r in rows if not (pusher and pusher.lock(session, r))]
        if fetchable:
            mark_jobs_queued(session)  # a Core insert: the executor's flush watch does not see it
        session.execute(JOBS.insert(), rows)


def _timers(session: Session, instance: Instance, waits: Waits, before: dict, now: dt.datetime) -> None:
    gone = [k for k in before if k not in waits.timers]
    if gone:
        session.execute(_CANCEL_TIMERS, {"b_ids": gone})
    new = [(k, task, due) for k, (task, due) in waits.timers.items() if k not in before]
    if new:
        session.execute(_INSERT_TIMERS, [{
            "id": new_id(), "instance_id": instance.id, "task_id": k, "bpmn_id": bpmn_id(task), "due_at": due,
            "provisional": is_provisional(due.date()), "state": "pending", "created_at": now, "fired_at": None,
        } for k, task, due in new])


def _department_waits(session: Session, instance: Instance, waits: Waits, before: dict, after: dict,
                      now: dt.datetime) -> None:
    """Waits for a department system's answer: ended when answered (or cancelled); a deadline
    timer that fired leaves the wait its deadline, so that it stays overdue while it waits."""
    gone = [k for k in before if k not in after]
    if gone:
        session.execute(WAITS.update().where(WAITS.c.task_id.in_(gone), WAITS.c.state == "open")
                        .values(state="ended", ended_at=now))
    for task_id, due in after.items():
        if task_id in before and before[task_id] != due and due is not None:
            session.execute(WAITS.update().where(WAITS.c.task_id == task_id).values(
                due_at=due, due_provisional=is_provisional(due.date())))
    insert_department_waits(session, instance, {k: waits.depts[k] for k in after if k not in before}, now)


def insert_department_waits(session: Session, instance: Instance, new: dict[str, tuple[Any, dt.datetime | None]],
                            now: dt.datetime) -> int:
    """Rows for new waits for a department system's answer (task id → (task, deadline))."""
    if new:
        session.execute(WAITS.insert(), [{
            "task_id": k, "instance_id": instance.id, "bpmn_id": bpmn_id(task) or "",
            "name": task.task_spec.bpmn_name or bpmn_id(task) or "", "department": department_of(task)[0],
            "department_name": department_of(task)[1],
            "state": "open", "due_at": due, "due_provisional": bool(due and is_provisional(due.date())),
            "region": instance.region, "created_at": now, "ended_at": None,
        } for k, (task, due) in new.items()])
    return len(new)
