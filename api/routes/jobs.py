"""The worker protocol (X-WORKERS): fetch-and-lock with long poll, complete, fail,
BPMN error, extend the lock. Worker tokens only, each limited to its topics; the lock
owner is the credential plus the worker id, so one worker cannot report another's job."""

from __future__ import annotations

import time
from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api import worker_schemas as ws
from api.routes.common import engine
from api.security import WORKER, current_worker, rule
from engine import records
from engine.errors import Forbidden
from engine.store.models import Job

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Jobs for workers (worker tokens)")
POLL_INTERVAL = 0.25


def owner(worker_id: str) -> str:
    """The lock owner: the calling credential plus the worker id it reports as."""
    return f"{current_worker().id}:{worker_id}"


def job_for_me(job_id: str) -> Job:
    """The job (404 when there is none), if the calling worker may handle its topic (else 403)."""
    job = engine().job(job_id)
    current_worker().check(job.topic)
    return job


@blp.route("/fetch-and-lock", methods=["POST"])
@rule(WORKER)
@blp.arguments(ws.FetchRequest)
@blp.response(200, ws.JobOut(many=True))
@blp.alt_response(403, schema=schemas.ErrorBody)
def fetch_and_lock(args: dict[str, Any]) -> list[Job]:
    """Lock due jobs of the topics; with `wait_seconds` the call waits (long poll) until
    one is due or the time is up, and answers [] then."""
    me = current_worker()
    if refused := [t["name"] for t in args["topics"] if not me.may(t["name"])]:
        raise Forbidden(f"worker '{me.name}' may not handle topic(s) {', '.join(refused)}",
                        {"topics": refused, "allowed": list(me.topics)})
    topics = [t["name"] for t in args["topics"]]
    locks = {t["name"]: t["lock_seconds"] for t in args["topics"]}
    deadline = time.monotonic() + args["wait_seconds"]
    while True:
        jobs = engine().fetch_and_lock(owner(args["worker_id"]), topics, args["max_jobs"],
                                       lock_by_topic=locks)
        if jobs or time.monotonic() >= deadline:
            return jobs
        time.sleep(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0)))


@blp.route("/<job_id>/complete", methods=["POST"])
@rule(WORKER)
@blp.arguments(ws.CompleteJobRequest)
@blp.response(200, ws.CompletedJob)
@blp.alt_response(409, schema=schemas.ErrorBody, description="the lock expired or another worker holds it")
@blp.alt_response(403, schema=schemas.ErrorBody, description="the job's topic may not keep that record")
def complete(args: dict[str, Any], job_id: str) -> Job:
    """Complete with the handler's result (the service task's result variable). With `record`,
    the job's record is kept in the same transaction (one call where keeping it first took
    two; only when nothing outside needs the record before the completion)."""
    job_for_me(job_id)
    record = args.get("record")
    kept = records.CompletionRecord(record["kind"], record["record_fields"], record["into"]) if record else None
    return engine().complete_job(job_id, owner(args["worker_id"]), args["variables"], kept)


@blp.route("/<job_id>/fail", methods=["POST"])
@rule(WORKER)
@blp.arguments(ws.FailJobRequest)
@blp.response(200, ws.JobSummary)
@blp.alt_response(409, schema=schemas.ErrorBody)
def fail(args: dict[str, Any], job_id: str) -> Job:
    """Report a failure: retried after `retry_in_seconds`, an incident when no retries are left."""
    job_for_me(job_id)
    return engine().fail_job(job_id, owner(args["worker_id"]), args["error"], args["retries"],
                             args["retry_in_seconds"], args["details"])


@blp.route("/<job_id>/bpmn-error", methods=["POST"])
@rule(WORKER)
@blp.arguments(ws.BpmnErrorRequest)
@blp.response(200, ws.JobSummary)
@blp.alt_response(409, schema=schemas.ErrorBody)
def bpmn_error(args: dict[str, Any], job_id: str) -> Job:
    """A business error the diagram catches with an error boundary event of this `code`."""
    job_for_me(job_id)
    return engine().bpmn_error(job_id, owner(args["worker_id"]), args["code"], args["message"], args["variables"])


@blp.route("/<job_id>/extend-lock", methods=["POST"])
@rule(WORKER)
@blp.arguments(ws.ExtendLockRequest)
@blp.response(200, ws.JobSummary)
@blp.alt_response(409, schema=schemas.ErrorBody)
def extend_lock(args: dict[str, Any], job_id: str) -> Job:
    """Keep the lock `lock_seconds` longer from now (0 hands the job back)."""
    job_for_me(job_id)
    return engine().extend_lock(job_id, owner(args["worker_id"]), args["lock_seconds"])
