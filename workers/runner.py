"""Runs handlers for locked jobs in-process: the embedded default (a background thread
of `relief serve`) and the tests. It speaks the same protocol as a worker process
over HTTP (workers/http_worker.py), through workers/loop.py."""

from __future__ import annotations

import logging
import threading
from typing import Any

from engine.service import Engine
from workers.context import HandlerContext
from workers.loop import handle
from workers.protocol import EngineSource
from workers.records import EngineRecords
from workers.registry import HANDLERS

log = logging.getLogger("relief.worker")
LOCK_SECONDS = 300
BATCH = 20  # jobs per fetch


def run_pending(engine: Engine, worker_id: str = "in-process", topics: list[str] | None = None,
                max_rounds: int = 1000) -> list[dict[str, Any]]:
    """Fetch, run and complete jobs until none is due; returns what was done, in order."""
    done: list[dict[str, Any]] = []
    source = EngineSource(engine, worker_id)
    wanted = topics or sorted(HANDLERS)
    for _ in range(max_rounds):
        queued = engine.jobs_queued  # read before the fetch: a job queued after it changes the count
        jobs = source.fetch(wanted, BATCH, LOCK_SECONDS)
        if not jobs:
            break
        for job in jobs:
            ctx = HandlerContext(EngineRecords(engine, job.id, source.worker_id), engine.clock.now())
            done.append(handle(source, job, HANDLERS, ctx))
        # A short batch was every due job; if no command of this process queued one since
        # (a completion reaching the next service task, a retry), another fetch would find
        # nothing: skip its transaction. Jobs of other processes, and jobs that fall due
        # with time (a lock expiring, a retry's delay), wait for the next call, as they
        # would have had they appeared just after an empty fetch.
        if len(jobs) < BATCH and engine.jobs_queued == queued:
            break
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
