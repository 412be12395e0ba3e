"""Jobs for workers (X-WORKERS): fetch-and-lock, complete, fail, BPMN error, extend the
lock, retry an incident, and queue a detached job.

Delivery is at least once: a lock that expires makes the job fetchable again, and a
worker that no longer holds the lock is refused (409) whatever it reports. A lock is a
lease of real time: it is set and checked on the lease clock (`ctx.lease_now`, the wall
clock), while when a job falls due (`run_after`, a retry's delay) stays on the engine
clock with the deadlines; moving a demo clock forward frees no job a worker holds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.task import TaskState

from engine import records
from engine.errors import Conflict
from engine.runtime import inspect, projections
from engine.runtime.context import CommandContext
from engine.store.base import UtcDateTime
from engine.store.models import Job

MAX_ERROR = 4000


def fetchable(topics: list[str] | sa.BindParameter, now: dt.datetime | sa.BindParameter,
              lease_now: dt.datetime | sa.BindParameter) -> tuple[sa.ColumnElement[bool], ...]:
    """The jobs of `topics` a fetch may lock (values, or bind parameters): due at `now` (the
    engine clock), and not locked or the lock expired at `lease_now` (the lease clock)."""
    return (Job.state == "pending", Job.topic.in_(topics), Job.run_after <= now,
            sa.or_(Job.lock_expires_at.is_(None), Job.lock_expires_at < lease_now))


_JOBS = Job.__table__
# Whether a fetch would find a job (parameters `topics`, `now`, `lease_now`): built once, as Core, since
# an idle in-process runner asks it at every round (building the ORM query cost ~3x its run).
ANY_FETCHABLE = (sa.select(_JOBS.c.id)
                 .where(*fetchable(sa.bindparam("topics", expanding=True), sa.bindparam("now", type_=UtcDateTime),
                                   sa.bindparam("lease_now", type_=UtcDateTime)))
                 .limit(1))

# The jobs a fetch locks, oldest first (parameters as ANY_FETCHABLE's, and `b_limit`): built
# once, as every worker's every fetch runs it.
_FETCH = (sa.select(Job).where(*fetchable(sa.bindparam("topics", expanding=True),
                                          sa.bindparam("now", type_=UtcDateTime),
                                          sa.bindparam("lease_now", type_=UtcDateTime)))
          .order_by(Job.created_at, Job.id).limit(sa.bindparam("b_limit")).with_for_update(skip_locked=True))


@dataclass
class FetchAndLock:
    """Lock up to `max_jobs` due jobs of `topics` for `worker_id`, oldest first.

    `lock_by_topic` overrides `lock_seconds` per topic. On PostgreSQL rows are taken with
    FOR UPDATE SKIP LOCKED so that many workers on many machines never take the same job."""

    worker_id: str
    topics: list[str]
    max_jobs: int = 10
    lock_seconds: int = 300
    lock_by_topic: dict[str, int] = field(default_factory=dict)
    name: str = "fetch_and_lock"

    def execute(self, ctx: CommandContext) -> list[Job]:
        jobs = list(ctx.session.scalars(_FETCH, {"topics": self.topics, "now": ctx.now, "lease_now": ctx.lease_now,
                                                 "b_limit": self.max_jobs}))
        ctx.update_rows(jobs, [{
            "lock_owner": self.worker_id,
            "lock_expires_at": ctx.lease_now + dt.timedelta(
                seconds=self.lock_by_topic.get(job.topic, self.lock_seconds)),
            "attempts": (job.attempts or 0) + 1,
        } for job in jobs])
        return jobs


def _job(ctx: CommandContext, job_id: str, case: bool = True) -> Job:
    """The job's row, locked; `case`: its case's row first (`CommandContext.lock`), for a
    command that changes the case. A command on the job alone (a record, a lock's
    extension) takes only the job's row, and never waits for anything else holding it."""
    return ctx.lock(Job, job_id, "job") if case else ctx.require(Job, job_id, "job", lock=True)


def locked_job(ctx: CommandContext, job_id: str, worker_id: str, case: bool = True) -> Job:
    """`_job`, refused (409) unless `worker_id` holds its lock."""
    job = _job(ctx, job_id, case)
    if job.state != "pending":
        raise Conflict(f"job {job_id} is {job.state}", {"job": job_id, "state": job.state})
    if job.lock_owner != worker_id or job.lock_expires_at is None or job.lock_expires_at < ctx.lease_now:
        raise Conflict(f"job {job_id} is not locked by {worker_id} (the lock expired or another worker holds it)",
                       {"job": job_id, "worker_id": worker_id})
    return job


def _waiting_task(ctx: CommandContext, job: Job):  # noqa: ANN202 - SpiffWorkflow Task
    row = ctx.instance(job.instance_id or "")
    workflow = ctx.workflow(row)
    task = inspect.find_task(workflow, job.task_id)
    if task is None or task.state != TaskState.STARTED:
        raise Conflict(f"job {job.id} no longer waits", {"job": job.id})
    return row, workflow, task


@dataclass
class CompleteJob:
    job_id: str
    worker_id: str
    result: dict[str, Any] = field(default_factory=dict)
    record: records.CompletionRecord | None = None  # kept in this transaction (engine/records.py)
    name: str = "complete_job"

    def execute(self, ctx: CommandContext) -> Job:
        job = locked_job(ctx, self.job_id, self.worker_id)
        result, event = self.result, {}
        if self.record is not None:
            # Before the workflow moves: the diagram's next steps see the record's columns.
            result, kept = records.keep_into(ctx.session, job, self.record, result, ctx.now)
            event = {"record": {"kind": self.record.kind, "id": kept["id"]}}
        if job.detached:
            row = ctx.instance(job.case_id)
        else:
            row, workflow, task = _waiting_task(ctx, job)
            task.data[task.task_spec.result_variable] = result
            task.complete()
            ctx.run_engine(workflow)
            ctx.settled(row, "jobs", job.task_id)
        ctx.update_rows([job], [{"state": "completed", "result": result, "ended_at": ctx.now, "lock_owner": None}])
        # The result as the workflow got it (the record's columns in it): what re-execution replays.
        ctx.record(row, self.name, {"job": job.id, "topic": job.topic, "element": job.bpmn_id,
                                    "worker": self.worker_id, "result": result, **event})
        return job


@dataclass
class FailJob:
    """A handler failed: retry later, or raise an incident when no retries are left."""

    job_id: str
    worker_id: str
    error: str
    retries: int | None = None
    retry_in_seconds: int = 60
    details: dict[str, Any] | None = None
    name: str = "fail_job"

    def execute(self, ctx: CommandContext) -> Job:
        job = locked_job(ctx, self.job_id, self.worker_id)
        job.retries = (job.retries - 1) if self.retries is None else max(self.retries, 0)
        job.error, job.error_details = self.error[:MAX_ERROR], self.details
        job.lock_owner, job.lock_expires_at = None, None
        if job.retries <= 0:
            job.state, job.incident_at = "incident", ctx.now
        else:
            job.run_after = ctx.now + dt.timedelta(seconds=max(self.retry_in_seconds, 0))
        ctx.record(ctx.instance(job.case_id if job.detached else job.instance_id), self.name,
                   {"job": job.id, "topic": job.topic, "worker": self.worker_id, "error": job.error,
                    "retries_left": job.retries, "incident": job.state == "incident"})
        return job


@dataclass
class ThrowBpmnError:
    """The handler met a business error the diagram models (an error boundary event with
    `code` on the service task): the boundary event takes over and the job ends. When no
    boundary event catches the code, the job becomes an incident instead."""

    job_id: str
    worker_id: str
    code: str
    message: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    name: str = "bpmn_error"

    def execute(self, ctx: CommandContext) -> Job:
        job = locked_job(ctx, self.job_id, self.worker_id)
        if job.detached:
            raise Conflict(f"job {job.id} belongs to no diagram element; report a failure instead",
                           {"job": job.id})
        row, workflow, task = _waiting_task(ctx, job)
        payload = {"code": self.code, "message": self.message, **self.variables}
        definition = ErrorEventDefinition(self.code, code=self.code)
        if not _catchable(workflow, definition):
            job.state, job.incident_at, job.lock_owner, job.lock_expires_at = "incident", ctx.now, None, None
            job.error = f"BPMN error '{self.code}' is caught by no boundary event of {job.bpmn_id}: {self.message}"
            job.error_details = {"bpmn_error": payload}
        else:
            workflow.top_workflow.catch(BpmnEvent(definition, payload=payload, target=task.workflow))
            ctx.run_engine(workflow)
            job.state, job.result, job.ended_at, job.lock_owner = "completed", {"bpmn_error": payload}, ctx.now, None
        ctx.record(row, self.name, {"job": job.id, "topic": job.topic, "element": job.bpmn_id,
                                    "worker": self.worker_id, "code": self.code, "message": self.message,
                                    "variables": self.variables, "caught": job.state == "completed"})
        return job


def _catchable(workflow: Any, definition: ErrorEventDefinition) -> bool:
    event = BpmnEvent(definition)
    waiting = workflow.get_tasks(state=TaskState.WAITING)
    for sub in workflow.subprocesses.values():
        waiting += sub.get_tasks(state=TaskState.WAITING)
    return any(getattr(t.task_spec, "event_definition", None) is not None
               and t.task_spec.event_definition.catches(t, event) for t in waiting)


@dataclass
class ExtendLock:
    """A long-running handler keeps its lock: `lock_seconds` more from now."""

    job_id: str
    worker_id: str
    lock_seconds: int
    name: str = "extend_lock"

    def execute(self, ctx: CommandContext) -> Job:
        job = locked_job(ctx, self.job_id, self.worker_id, case=False)
        job.lock_expires_at = ctx.lease_now + dt.timedelta(seconds=self.lock_seconds)
        return job


@dataclass
class TakeBackJobs:
    """A restarted process takes back the jobs its previous incarnation held: their locks end
    now, and any worker (first of all its own runner) fetches them at once instead of after
    the lock's expiry (issue 9, defect 12). Only for a `worker_id` no other live process
    uses: `relief serve` names its runner after the host and the port it holds."""

    worker_id: str
    name: str = "take_back_jobs"

    def execute(self, ctx: CommandContext) -> int:
        released = ctx.session.execute(
            sa.update(Job).where(Job.state == "pending", Job.lock_owner == self.worker_id)
            .values(lock_owner=None, lock_expires_at=None).execution_options(synchronize_session=False)).rowcount
        if released:
            projections.mark_jobs_queued(ctx.session)  # an in-process runner fetches again
        return released


@dataclass
class RetryIncident:
    """An operator fixed the cause: the job is fetchable again with `retries` attempts."""

    job_id: str
    retries: int = 1
    name: str = "retry_incident"

    def execute(self, ctx: CommandContext) -> Job:
        job = _job(ctx, self.job_id)
        if job.state != "incident":
            raise Conflict(f"job {job.id} is {job.state}, not an incident", {"job": job.id, "state": job.state})
        if not job.detached:
            row, _workflow, _task = _waiting_task(ctx, job)
        else:
            row = ctx.instance(job.case_id)
        # Due now; never later than it already was (the operator's machine may run ahead).
        job.run_after = min(ctx.now, job.run_after) if job.run_after else ctx.now
        job.state, job.retries, job.incident_at = "pending", max(self.retries, 1), None
        job.lock_owner, job.lock_expires_at = None, None
        ctx.record(row, self.name, {"job": job.id, "topic": job.topic, "element": job.bpmn_id,
                                    "retries": job.retries, "previous_error": job.error})
        return job


@dataclass
class QueueJob:
    """A detached job for a case: work for a worker that no diagram element waits on
    (e.g. a status update pushed back to the 12345 platform). Idempotent by `key`."""

    instance_id: str
    topic: str
    params: dict[str, Any]
    key: str
    retries: int = 5
    name: str = "queue_job"

    def execute(self, ctx: CommandContext) -> Job:
        row = ctx.instance(self.instance_id)
        task_id = records.detached_task_id(self.key)
        existing = ctx.session.scalar(sa.select(Job).where(Job.task_id == task_id))
        if existing is not None:
            return existing
        job = records.detached_job(row.id, self.topic, self.params, self.key, row.business_key, ctx.now, self.retries)
        ctx.session.add(job)
        ctx.record(row, self.name, {"job": task_id, "topic": self.topic, "params": self.params})
        return job
