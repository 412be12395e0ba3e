"""Runs handlers for locked jobs in-process: the embedded default (a background thread
of `relief serve`) and the tests. It speaks the same protocol as a worker process
over HTTP (workers/http_worker.py), through workers/loop.py.

An attached runner gets the jobs this process's commands create for its topics pushed
to it, already locked, in the transaction that creates them (engine/runtime/push.py): it
runs those first, without a fetch-and-lock transaction, and fetches only for the rest —
jobs of other processes, retries, expired locks, jobs that found it full."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import deque
from typing import Any

from engine.errors import ReliefError
from engine.service import Engine
from workers.context import HandlerContext, JobView
from workers.loop import handle
from workers.protocol import EngineSource, view
from workers.records import EngineRecords
from workers.registry import HANDLERS

log = logging.getLogger("relief.worker")
LOCK_SECONDS = 300
BATCH = 20  # jobs per fetch
# Pushed jobs an inbox holds before new jobs are left for a fetch: as many as one fetch locks,
# so that a job waits no longer behind the others than a fetched one (its lock runs meanwhile).
CAPACITY = BATCH


class Inbox:
    """Jobs pushed to one runner (the engine's `PushTarget`), waiting to run."""

    def __init__(self, worker_id: str, topics: frozenset[str], lock_seconds: int = LOCK_SECONDS,
                 capacity: int = CAPACITY) -> None:
        self.worker_id, self.topics = worker_id, topics
        self._lock_seconds, self._capacity = lock_seconds, capacity
        self._jobs: deque[tuple[JobView, dt.datetime]] = deque()  # with its lock's end
        self._mutex = threading.Lock()
        self.arrived = threading.Event()  # set by a push: wakes a waiting runner at once
        self.closed = False

    def lock_seconds(self, topic: str) -> int | None:
        return self._lock_seconds if topic in self.topics and not self.closed else None

    def room(self) -> int:
        return self._capacity - len(self._jobs)

    def accept(self, rows: list[dict[str, Any]]) -> None:
        # The variables as a fetch would give them: a JSON copy, not the live workflow's objects.
        jobs = [(view({**row, "variables": json.loads(json.dumps(row["variables"]))}), row["lock_expires_at"])
                for row in rows]
        with self._mutex:
            if self.closed:  # pushed by a transaction that began before the runner left
                log.info("runner %s has stopped: %d pushed job(s) run when their locks expire",
                         self.worker_id, len(jobs))
                return
            self._jobs.extend(jobs)
        self.arrived.set()

    def take(self, topics: list[str], n: int, now: dt.datetime) -> list[JobView]:
        """Up to `n` waiting jobs of `topics`, in the order they came. A job whose lock ran
        out while it waited is dropped: any worker may have fetched it meanwhile (a fetch
        of this runner locks it anew)."""
        with self._mutex:
            taken = [item for item in self._jobs if item[0].topic in topics][:n]
            for item in taken:
                self._jobs.remove(item)
        live = [job for job, until in taken if until > now]
        if len(live) < len(taken):
            log.warning("runner %s: %d pushed job(s) waited past their lock; left to a fetch", self.worker_id,
                        len(taken) - len(live))
        return live

    def close(self) -> list[JobView]:
        """Take no more; the jobs still waiting, for the runner to hand back."""
        with self._mutex:
            self.closed = True
            left, self._jobs = [job for job, _until in self._jobs], deque()
        return left


class InProcessRunner:
    """One engine's in-process runner: runs pushed jobs, fetches the others."""

    def __init__(self, engine: Engine, worker_id: str = "in-process", capacity: int = CAPACITY) -> None:
        self.engine = engine
        self.source = EngineSource(engine, worker_id)
        self.inbox = Inbox(worker_id, frozenset(HANDLERS), LOCK_SECONDS, capacity)

    def attach(self) -> None:
        """Have the engine push new jobs of the handlers' topics to this runner."""
        self.engine.push_jobs_to(self.inbox)

    def detach(self, hand_back: bool = True) -> None:
        """Take no more pushed jobs; hand those not yet run back (fetchable at once) unless
        `hand_back` is False, in which case their locks expire."""
        self.engine.stop_pushing_to(self.inbox)
        for job in self.inbox.close() if hand_back else ():
            try:
                self.engine.extend_lock(job.id, self.source.worker_id, 0)
            except ReliefError as err:  # done, cancelled or gone meanwhile: nothing to hand back
                log.info("job %s not handed back: %s", job.id, err.message)

    def run_pending(self, topics: list[str] | None = None, max_rounds: int = 1000) -> list[dict[str, Any]]:
        """Run pushed jobs, then fetch, run and complete jobs until none is due; returns what
        was done, in order."""
        done: list[dict[str, Any]] = []
        wanted = topics or sorted(HANDLERS)
        checked: int | None = None  # engine.jobs_queued when a fetch last found every due job
        for _ in range(max_rounds):
            jobs = self.inbox.take(wanted, BATCH, self.engine.wall_clock.now())  # locks' own clock
            if not jobs:
                # Nothing pushed. Fetch unless no command of this process made a job fetchable
                # since the last fetch that found every due one (a retry, a full inbox). Jobs of
                # other processes, and jobs that fall due with time (a lock expiring, a retry's
                # delay), wait for the next call, as they would have had they appeared just after
                # an empty fetch.
                queued = self.engine.jobs_queued  # read before the fetch: a job queued after it changes it
                if queued == checked:
                    break
                jobs = self._fetch(wanted)
                if len(jobs) < BATCH:
                    checked = queued
            for job in jobs:
                ctx = HandlerContext(EngineRecords(self.engine, job.id, self.source.worker_id),
                                     self.engine.clock.now())
                done.append(handle(self.source, job, HANDLERS, ctx))
        return done

    def _fetch(self, topics: list[str]) -> list[JobView]:
        # A read first: the fetch-and-lock transaction (the write lock on SQLite) only when it finds work.
        if not self.engine.has_due_jobs(topics):
            return []
        return self.source.fetch(topics, BATCH, LOCK_SECONDS)


_DEFAULT: dict[tuple[Engine, str], InProcessRunner] = {}  # (engine, worker id) → its attached runner
_DEFAULT_LOCK = threading.Lock()


def default_runner(engine: Engine, worker_id: str = "in-process") -> InProcessRunner:
    """The engine's attached runner for `worker_id`, made and attached on first use."""
    with _DEFAULT_LOCK:
        runner = _DEFAULT.get((engine, worker_id))
        if runner is None:
            runner = _DEFAULT[(engine, worker_id)] = InProcessRunner(engine, worker_id)
            runner.attach()
    return runner


def detach(engine: Engine, hand_back: bool = True) -> None:
    """Detach the engine's default runners (see `InProcessRunner.detach`)."""
    with _DEFAULT_LOCK:
        runners = [_DEFAULT.pop(key) for key in list(_DEFAULT) if key[0] is engine]
    for runner in runners:
        runner.detach(hand_back)


def run_pending(engine: Engine, worker_id: str = "in-process", topics: list[str] | None = None,
                max_rounds: int = 1000) -> list[dict[str, Any]]:
    """Run every due job of `topics` (default: all handlers') with the engine's default runner
    for `worker_id`; returns what was done, in order.

    The first call attaches that runner: from then on the jobs this process creates for the
    handlers' topics are pushed to it and wait, locked, for the next call (or for their
    locks to expire: 5 minutes). `detach(engine)` ends that."""
    return default_runner(engine, worker_id).run_pending(topics, max_rounds)


class InProcessWorker:
    """Runs jobs in a daemon thread until stopped: pushed jobs at once, and a fetch every
    `interval` seconds for the others.

    `worker_id` must be this process's own while it lives, and the same after a restart
    (`relief serve`: the host and the port it holds): starting, the worker takes back the
    jobs a previous incarnation died holding, so that they run now instead of when their
    locks expire (issue 9, defect 12)."""

    def __init__(self, engine: Engine, interval: float = 0.5, worker_id: str = "in-process") -> None:
        self.engine, self.interval = engine, interval
        self.runner = InProcessRunner(engine, worker_id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="relief-worker", daemon=True)

    def start(self) -> None:
        # Before attaching: a job pushed to this incarnation must not be taken back.
        worker_id = self.runner.source.worker_id
        try:
            taken = self.engine.take_back_jobs(worker_id)
        except Exception:  # noqa: BLE001 - those jobs then run when their locks expire
            log.exception("runner %s could not take back the jobs of its previous incarnation", worker_id)
        else:
            if taken:
                log.warning("runner %s took back %d job(s) its previous incarnation held", worker_id, taken)
        self.runner.attach()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.runner.inbox.arrived.set()
        self._thread.join(timeout=10)
        self.runner.detach()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.runner.inbox.arrived.clear()  # before the round: a push during it wakes the next one
            try:
                self.runner.run_pending(max_rounds=50)
            except Exception:  # noqa: BLE001 - keep the worker alive; the next round retries
                log.exception("worker round failed")
            self.runner.inbox.arrived.wait(self.interval)
