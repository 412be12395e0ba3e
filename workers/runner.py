"""Runs handlers for locked jobs. In the embedded default it runs in-process, in a
background thread of `relief serve`; the same loop serves the tests."""

from __future__ import annotations

import logging
import threading
from typing import Any

from engine.errors import ReliefError
from engine.service import Engine
from workers.context import HandlerContext, JobView
from workers.registry import HANDLERS

log = logging.getLogger("relief.worker")


def run_pending(engine: Engine, worker_id: str = "in-process", topics: list[str] | None = None,
                max_rounds: int = 1000) -> list[dict[str, Any]]:
    """Fetch, run and complete jobs until none is due; returns what was done, in order."""
    done: list[dict[str, Any]] = []
    wanted = topics or sorted(HANDLERS)
    for _ in range(max_rounds):
        jobs = engine.fetch_and_lock(worker_id, wanted, max_jobs=20, lock_seconds=300)
        if not jobs:
            break
        for job in jobs:
            view = JobView(job.id, job.topic, job.instance_id, job.variables.get("params", {}),
                           job.variables.get("case", {}), job.idempotency_key, job.variables.get("business_key"))
            ctx = HandlerContext(engine.db, engine.clock.now())
            try:
                result = HANDLERS[job.topic](view, ctx)
            except Exception as err:  # noqa: BLE001 - a handler failure becomes a retry or incident
                log.warning("job %s (%s) failed: %s", job.id, job.topic, err)
                engine.fail_job(job.id, worker_id, f"{type(err).__name__}: {err}")
                done.append({"job": job.id, "topic": job.topic, "error": str(err)})
                continue
            try:
                engine.complete_job(job.id, worker_id, result)
            except ReliefError as err:
                log.warning("job %s (%s) could not be completed: %s", job.id, job.topic, err.message)
                done.append({"job": job.id, "topic": job.topic, "error": err.message})
                continue
            done.append({"job": job.id, "topic": job.topic, "params": view.params, "result": result})
    return done


class InProcessWorker:
    """Polls for jobs in a daemon thread until stopped."""

    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self.engine, self.interval = engine, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="relief-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending(self.engine, max_rounds=50)
            except Exception:  # noqa: BLE001 - keep the worker alive; the next round retries
                log.exception("worker round failed")
            self._stop.wait(self.interval)
