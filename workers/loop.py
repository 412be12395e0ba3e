"""Run one locked job through its handler and report the outcome to the job source."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from engine.errors import ReliefError
from workers.context import Completion, Handler, HandlerContext, JobView
from workers.errors import BpmnError, HandlerFailed
from workers.protocol import JobSource

log = logging.getLogger("relief.worker")
BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600


def retry_delay(attempt: int) -> int:
    """Exponential backoff: 1, 2, 4 … minutes, at most an hour."""
    return min(BACKOFF_SECONDS * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS)


def handle(source: JobSource, job: JobView, handlers: dict[str, Handler], ctx: HandlerContext) -> dict[str, Any]:
    """Run `job`'s handler and complete, fail or BPMN-error it; returns what happened.
    A report the source refuses (409: the lock was lost meanwhile) is logged, not raised:
    another worker has the job now, and its idempotency key makes the rerun harmless."""
    started = time.monotonic()
    outcome: dict[str, Any] = {"job": job.id, "topic": job.topic, "params": job.params}
    try:
        handler = handlers.get(job.topic)
        if handler is None:
            raise HandlerFailed(f"no handler for topic '{job.topic}' in this worker")
        result = handler(job, ctx)
    except BpmnError as err:
        outcome.update(bpmn_error=err.code, message=err.message)
        report = partial(source.bpmn_error, job.id, err.code, err.message, err.variables)
    except Exception as err:  # noqa: BLE001 - any handler failure becomes a retry or an incident
        details = dict(getattr(err, "details", None) or {}, type=type(err).__name__)
        outcome.update(error=f"{type(err).__name__}: {err}")
        report = partial(source.fail, job.id, outcome["error"], details, None, retry_delay(job.attempts))
    else:
        if isinstance(result, Completion):  # the record is kept with the completion, in one transaction
            outcome["result"] = result.result
            report = partial(source.complete, job.id, result.result, result.record)
        else:
            outcome["result"] = result
            report = partial(source.complete, job.id, result)
    try:
        stored = report()
    except ReliefError as err:
        outcome["refused"] = err.message
    else:
        if "result" in outcome and stored is not None:
            outcome["result"] = stored  # with the kept record's columns
    ms = (time.monotonic() - started) * 1000
    if "refused" in outcome:
        log.warning("job %s %s: report refused (%s) after %.0f ms", job.id, job.topic, outcome["refused"], ms)
    elif "error" in outcome:
        log.warning("job %s %s failed after %.0f ms: %s", job.id, job.topic, ms, outcome["error"])
    elif "bpmn_error" in outcome:
        log.info("job %s %s: BPMN error %s after %.0f ms", job.id, job.topic, outcome["bpmn_error"], ms)
    else:
        log.info("job %s %s completed in %.0f ms", job.id, job.topic, ms)
    return outcome
