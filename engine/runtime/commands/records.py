"""Case records kept by the worker that holds a job's lock (engine/records.py): create a
record once per job, mark a notice sent, queue a status update for 12345, read the
local data platform. A worker that lost the lock is refused (409), like its reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine import records
from engine.runtime.commands.jobs import locked_job
from engine.runtime.context import CommandContext
from engine.store.models import AccessLog


@dataclass
class KeepRecord:
    """The job's record of `kind`, created unless an earlier delivery made it: (record, created)."""

    job_id: str
    worker_id: str
    kind: str
    fields: dict[str, Any]
    name: str = "keep_record"

    def execute(self, ctx: CommandContext) -> tuple[dict[str, Any], bool]:
        job = locked_job(ctx, self.job_id, self.worker_id, case=False)
        row, created = records.keep(ctx.session, job, self.kind, self.fields, ctx.now)
        return records.as_dict(row), created


@dataclass
class MarkNotificationSent:
    job_id: str
    worker_id: str
    name: str = "notification_sent"

    def execute(self, ctx: CommandContext) -> dict[str, Any]:
        job = locked_job(ctx, self.job_id, self.worker_id, case=False)
        return records.as_dict(records.notification_sent(ctx.session, job))


@dataclass
class QueueHotlineStatus:
    """The job's notice pushed to the 12345 platform: (the detached job's id or None, created)."""

    job_id: str
    worker_id: str
    status: str
    message: str
    name: str = "queue_hotline_status"

    def execute(self, ctx: CommandContext) -> tuple[str | None, bool]:
        job = locked_job(ctx, self.job_id, self.worker_id, case=False)
        pushed, created = records.queue_hotline_status(ctx.session, job, self.status, self.message, ctx.now)
        return (pushed.id if pushed is not None else None), created


@dataclass
class ReadForJob:
    """A read of `purpose` (e.g. the registry) for the job's handler, while it holds the lock."""

    job_id: str
    worker_id: str
    purpose: str
    read: Callable[[Any], Any]
    name: str = "read_for_job"

    def execute(self, ctx: CommandContext) -> Any:
        job = locked_job(ctx, self.job_id, self.worker_id, case=False)
        records.check_topic(job, self.purpose)
        found = self.read(ctx.session)
        # Personal data read by a system is logged like a person's full view (J-SEC).
        ctx.session.add(AccessLog(at=ctx.now, actor=f"worker:{self.worker_id}"[:80],
                                  instance_id=records.case_of(job) or None,
                                  resource=f"job:{job.id}:{self.purpose}", fields=[self.purpose]))
        return found
