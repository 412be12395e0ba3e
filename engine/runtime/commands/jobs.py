"""Jobs for workers: fetch-and-lock, complete, fail (X-WORKERS)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.errors import Conflict, NotFound
from engine.runtime import inspect
from engine.runtime.executor import CommandContext
from engine.store.models import Job


@dataclass
class FetchAndLock:
    """Lock up to `max_jobs` due jobs of `topics` for `worker_id`.

    On PostgreSQL rows are taken with FOR UPDATE SKIP LOCKED so that many workers on
    many machines never take the same job."""

    worker_id: str
    topics: list[str]
    max_jobs: int = 10
    lock_seconds: int = 300
    name: str = "fetch_and_lock"

    def execute(self, ctx: CommandContext) -> list[Job]:
        q = (sa.select(Job).where(Job.state == "pending", Job.topic.in_(self.topics), Job.run_after <= ctx.now,
                                  sa.or_(Job.lock_expires_at.is_(None), Job.lock_expires_at < ctx.now))
             .order_by(Job.created_at).limit(self.max_jobs).with_for_update(skip_locked=True))
        jobs = list(ctx.session.scalars(q))
        for job in jobs:
            job.lock_owner = self.worker_id
            job.lock_expires_at = ctx.now + dt.timedelta(seconds=self.lock_seconds)
        return jobs


def _locked_job(ctx: CommandContext, job_id: str, worker_id: str) -> Job:
    job = ctx.session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist", {"job": job_id})
    if job.state != "pending":
        raise Conflict(f"job {job_id} is {job.state}", {"job": job_id, "state": job.state})
    if job.lock_owner != worker_id or job.lock_expires_at is None or job.lock_expires_at < ctx.now:
        raise Conflict(f"job {job_id} is not locked by {worker_id}", {"job": job_id, "worker_id": worker_id})
    return job


@dataclass
class CompleteJob:
    job_id: str
    worker_id: str
    result: dict[str, Any] = field(default_factory=dict)
    name: str = "complete_job"

    def execute(self, ctx: CommandContext) -> Job:
        job = _locked_job(ctx, self.job_id, self.worker_id)
        row = ctx.instance(job.instance_id)
        workflow = ctx.workflow(row)
        task = inspect.find_task(workflow, job.task_id)
        if task is None:
            raise Conflict(f"job {job.id} no longer waits", {"job": job.id})
        task.data[task.task_spec.result_variable] = self.result
        task.complete()
        ctx.run_engine(workflow)
        job.state, job.result, job.ended_at, job.lock_owner = "completed", self.result, ctx.now, None
        ctx.record(row, self.name, {"job": job.id, "topic": job.topic, "element": job.bpmn_id,
                                    "worker": self.worker_id, "result": self.result})
        return job


@dataclass
class FailJob:
    """A handler failed: retry later, or raise an incident when no retries are left."""

    job_id: str
    worker_id: str
    error: str
    retries: int | None = None
    retry_in_seconds: int = 60
    name: str = "fail_job"

    def execute(self, ctx: CommandContext) -> Job:
        job = _locked_job(ctx, self.job_id, self.worker_id)
        job.retries = (job.retries - 1) if self.retries is None else self.retries
        job.error, job.lock_owner, job.lock_expires_at = self.error[:4000], None, None
        if job.retries <= 0:
            job.state = "incident"
        else:
            job.run_after = ctx.now + dt.timedelta(seconds=self.retry_in_seconds)
        ctx.record(ctx.instance(job.instance_id), self.name,
                   {"job": job.id, "topic": job.topic, "error": self.error[:4000], "retries_left": job.retries})
        return job
