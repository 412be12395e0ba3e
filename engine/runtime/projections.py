"""Keep the denormalised rows (open user tasks, jobs, timers) in step with a workflow.

Run at the end of every command, in its transaction, so the rows never disagree
with the stored instance state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.orm import Session

from engine.calendar import is_provisional
from engine.runtime import inspect
from engine.store.models import HumanTask, Instance, Job, TaskCandidate, Timer

DEFAULT_JOB_RETRIES = 3


def _case_data(task: Any) -> dict[str, Any]:
    return dict(task.data)


def sync(session: Session, instance: Instance, workflow: BpmnWorkflow, now: dt.datetime) -> None:
    """Insert rows for new waits and close rows whose wait is over."""
    _sync_user_tasks(session, instance, workflow, now)
    _sync_jobs(session, instance, workflow, now)
    _sync_timers(session, instance, workflow, now)


def _sync_user_tasks(session: Session, instance: Instance, workflow: BpmnWorkflow, now: dt.datetime) -> None:
    open_rows = {r.id: r for r in session.scalars(
        sa.select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open"))}
    current = {str(u.task.id): u for u in inspect.open_user_tasks(workflow)}
    for task_id, row in open_rows.items():
        if task_id not in current:
            row.state, row.ended_at = "cancelled", now
            session.execute(sa.delete(TaskCandidate).where(TaskCandidate.task_id == task_id))
        elif row.due_at != current[task_id].due_at:
            row.due_at = current[task_id].due_at
            row.due_provisional = bool(row.due_at and is_provisional(row.due_at.date()))
    for task_id, u in current.items():
        if task_id in open_rows:
            continue
        session.add(HumanTask(
            id=task_id, instance_id=instance.id, process_id=u.task.workflow.spec.name,
            bpmn_id=inspect.bpmn_id(u.task), name=u.task.task_spec.bpmn_name or inspect.bpmn_id(u.task),
            form_key=u.form_key, candidate_groups=u.candidate_groups, state="open", due_at=u.due_at,
            due_provisional=bool(u.due_at and is_provisional(u.due_at.date())), created_at=now,
        ))
        session.flush()
        session.add_all([TaskCandidate(task_id=task_id, group=g) for g in dict.fromkeys(u.candidate_groups)])


def _sync_jobs(session: Session, instance: Instance, workflow: BpmnWorkflow, now: dt.datetime) -> None:
    live = {r.task_id: r for r in session.scalars(sa.select(Job).where(
        Job.instance_id == instance.id, Job.state.in_(("pending", "failed", "incident"))))}
    current = {str(t.id): (t, topic, params) for t, topic, params in inspect.waiting_jobs(workflow)}
    for task_id, row in live.items():
        if task_id not in current:
            row.state, row.ended_at, row.lock_owner = "cancelled", now, None
    for task_id, (task, topic, params) in current.items():
        if task_id in live:
            continue
        session.add(Job(
            instance_id=instance.id, task_id=task_id, bpmn_id=inspect.bpmn_id(task), topic=topic,
            variables={"params": params, "case": _case_data(task)}, state="pending",
            retries=getattr(task.task_spec, "retries", None) or DEFAULT_JOB_RETRIES, run_after=now,
            idempotency_key=f"{instance.id}:{task_id}", created_at=now,
        ))


def _sync_timers(session: Session, instance: Instance, workflow: BpmnWorkflow, now: dt.datetime) -> None:
    pending = {r.task_id: r for r in session.scalars(
        sa.select(Timer).where(Timer.instance_id == instance.id, Timer.state == "pending"))}
    current = {str(t.id): (t, due) for t, due in inspect.waiting_timers(workflow)}
    for task_id, row in pending.items():
        if task_id not in current:
            row.state = "cancelled"
    for task_id, (task, due) in current.items():
        if task_id not in pending:
            session.add(Timer(instance_id=instance.id, task_id=task_id, bpmn_id=inspect.bpmn_id(task),
                              due_at=due, provisional=is_provisional(due.date()), state="pending",
                              created_at=now))
