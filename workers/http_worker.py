"""A worker process: long-polls the API with a worker token, runs handlers, reports.

`relief worker --url URL --token TOKEN [--topics a,b] [--concurrency N]`. Each of the
N threads holds at most one job at a time, so a stopping worker never sits on jobs it
has not started. On SIGTERM (or SIGINT) the threads stop fetching, finish the job in
hand and report it; a job fetched but not yet started is unlocked at once. The worker
token is its only credential: handlers keep case records through the API."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from typing import Any

from engine.errors import ReliefError
from workers.context import Handler, HandlerContext
from workers.loop import handle
from workers.protocol import HttpSource
from workers.records import HttpRecords
from workers.registry import HANDLERS

log = logging.getLogger("relief.worker")


class HttpWorker:
    def __init__(self, url: str, token: str, topics: list[str] | None = None, concurrency: int = 1,
                 lock_seconds: int = 300, wait_seconds: float = 20,
                 handlers: dict[str, Handler] | None = None, name: str | None = None) -> None:
        self.handlers = handlers or HANDLERS
        unknown = [t for t in topics or [] if t not in self.handlers]
        if unknown:
            raise ValueError(f"no handler for topic(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(self.handlers))})")
        self.url, self.token = url, token
        self.topics = topics or sorted(self.handlers)
        self.concurrency, self.lock_seconds, self.wait_seconds = max(concurrency, 1), lock_seconds, wait_seconds
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.stopping = threading.Event()
        self.done: list[dict[str, Any]] = []

    def run(self) -> None:
        """Run until SIGTERM/SIGINT (or `stop()`); returns when every thread has finished."""
        # The handlers only note the signal; the loop below stops the threads. Setting the Event
        # inside a handler could deadlock: a second signal arriving while the first handler holds
        # the Event's lock (SIGTERM to the process group, then to the process) waits on it forever.
        signalled: list[int] = []
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda signum, _frame: signalled.append(signum))
            signal.signal(signal.SIGINT, lambda signum, _frame: signalled.append(signum))
        threads = [threading.Thread(target=self._loop, args=(i,), name=f"relief-worker-{i}")
                   for i in range(self.concurrency)]
        log.info("worker %s: %d thread(s) on %s for %s", self.name, len(threads), self.url, ", ".join(self.topics))
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if signalled:
                self.stop()
            for t in threads:
                t.join(timeout=0.5)
        log.info("worker %s stopped", self.name)

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("worker %s stopping: finishing the jobs in hand", self.name)
        self.stopping.set()

    def _loop(self, index: int) -> None:
        source = HttpSource(self.url, self.token, f"{self.name}/{index}")
        while not self.stopping.is_set():
            try:
                jobs = source.fetch(self.topics, 1, self.lock_seconds, self.wait_seconds)
            except ReliefError as err:
                log.error("worker %s: fetch refused: %s", source.worker_id, err.message)
                self.stopping.wait(5)
                continue
            except Exception as err:  # noqa: BLE001 - the API is away; try again shortly
                log.warning("worker %s: fetch failed: %s", source.worker_id, err)
                self.stopping.wait(2)
                continue
            for job in jobs:
                if self.stopping.is_set():
                    self._unlock(source, job.id)
                    continue
                # Case records go through the API with the worker token, the only credential here.
                ctx = HandlerContext(HttpRecords(source, job.id), dt.datetime.now(dt.UTC))
                self.done.append(handle(source, job, self.handlers, ctx))

    @staticmethod
    def _unlock(source: HttpSource, job_id: str) -> None:
        try:
            source.extend_lock(job_id, 0)
        except Exception as err:  # noqa: BLE001 - the lock expires by itself anyway
            log.warning("could not unlock job %s: %s", job_id, err)
