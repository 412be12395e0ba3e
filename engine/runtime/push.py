"""Job push (X-WORKERS): a job a command creates goes, already locked, to an in-process
runner that serves its topic and has room, so that no fetch-and-lock transaction is
needed for it (cf. Zeebe's job streaming). Jobs nobody takes this way stay fetchable.

The engine never imports workers/: a runner registers a `PushTarget` here. A pushed job
is an ordinary locked job — lock owner, lock expiry, one attempt — written in the
transaction that creates it and handed to its runner only after that transaction
commits. If the runner never reports (stopped, crashed, its process died), the lock
expires and any worker fetches the job: delivery stays at least once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, Protocol

from sqlalchemy.orm import Session

log = logging.getLogger("relief.push")
PUSHED = "jobs_pushed"  # session.info key: [(target, row)] to hand over after the commit
REGISTRY = "job_push"  # session.info key: the JobPush a command's projections may push to
LEASE_NOW = "lease_now"  # session.info key: the lease clock's time of the command (job locks)


class PushTarget(Protocol):
    """An in-process runner's inbox, as the engine sees it."""

    worker_id: str

    def lock_seconds(self, topic: str) -> int | None:
        """How long a pushed job of `topic` stays locked; None: this runner does not serve it."""
        ...

    def room(self) -> int:
        """How many more jobs it takes now (what it holds and has not finished counts)."""
        ...

    def accept(self, rows: list[dict[str, Any]]) -> None:
        """Jobs locked for it by a committed transaction (the job rows as inserted).
        Called in the committing thread: must not block and must not raise."""
        ...


class JobPush:
    """The push targets of one executor (one per process and database)."""

    def __init__(self) -> None:
        self._targets: list[PushTarget] = []
        self._lock = threading.Lock()

    def register(self, target: PushTarget) -> None:
        """Push jobs of the target's topics to it from now on."""
        with self._lock:
            if target not in self._targets:
                self._targets.append(target)

    def unregister(self, target: PushTarget) -> None:
        """Push no more to `target`; transactions already under way may still hand it jobs."""
        with self._lock:
            if target in self._targets:
                self._targets.remove(target)

    def registered(self, target: PushTarget) -> bool:
        with self._lock:
            return target in self._targets

    def __bool__(self) -> bool:
        return bool(self._targets)

    def lock(self, session: Session, row: dict[str, Any]) -> bool:
        """Lock the new job `row` (about to be inserted) for a target serving its topic with
        room left, counting what this transaction already gave it; False when none has.

        Room is checked, not reserved: transactions committing at the same moment may each
        give a runner its last free place. It then holds a few more than it asked for,
        which only delays them; their locks are long enough to be run first."""
        with self._lock:
            targets = list(self._targets)
        pushed: list[tuple[PushTarget, dict[str, Any]]] = session.info.setdefault(PUSHED, [])
        for target in targets:
            seconds = target.lock_seconds(row["topic"])
            if seconds is None or target.room() <= sum(1 for t, _ in pushed if t is target):
                continue
            # The lease runs on the lease clock (the wall clock), not the engine's (executor.py).
            lease_now = session.info.get(LEASE_NOW) or dt.datetime.now(dt.UTC)
            row.update(lock_owner=target.worker_id, lock_expires_at=lease_now + dt.timedelta(seconds=seconds),
                       attempts=1)
            pushed.append((target, row))
            return True
        return False


def hand_over(session: Session) -> None:
    """After the commit: give each target the jobs this transaction locked for it."""
    pushed: list[tuple[PushTarget, dict[str, Any]]] = session.info.pop(PUSHED, [])
    by_target: dict[int, tuple[PushTarget, list[dict[str, Any]]]] = {}
    for target, row in pushed:
        by_target.setdefault(id(target), (target, []))[1].append(row)
    for target, rows in by_target.values():
        try:
            target.accept(rows)
        except Exception:  # noqa: BLE001 - the command committed; the locks' expiry delivers the jobs
            log.exception("push to %s failed; its %d job(s) run when their locks expire", target.worker_id,
                          len(rows))
