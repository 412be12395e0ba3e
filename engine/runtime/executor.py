"""One command = one transaction: load, apply, run engine steps, persist, audit.

Commands are small objects with a `name` and `execute(ctx)`; this module owns what
no command may forget: the transaction, the optimistic version check with retry, and
putting the workflows a command committed back into the cache. What a command works with
is `context`, what it writes is `recording`, the cache is `cache`.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock
from engine.definitions.repository import SpecCache
from engine.errors import Conflict, ProcessError  # noqa: F401 - ProcessError: its old home
from engine.runtime import projections, push
from engine.runtime.cache import CachedInstance, WorkflowCache
from engine.runtime.context import Command, CommandContext
from engine.runtime.push import JobPush
from engine.scripting import Limits, command_budget, command_time
from engine.store.db import Database
from engine.store.models import Job

MAX_ATTEMPTS = 3
_COUNTER_LOCK = threading.Lock()
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen to
# give way; running it again is what the server asks for.
RETRYABLE_SQLSTATES = ("40P01", "40001")


def _watch_jobs(session: Session, _context: Any, _instances: Any) -> None:
    """Before each flush: a new Job row, or a pending one without a lock (a retry, a retried
    incident), makes the transaction one that queued a job. Covers every ORM path, so that
    no command has to remember it; the Core inserts of the projections mark it themselves."""
    if session.info.get(projections.JOBS_QUEUED):
        return
    if any(isinstance(o, Job) for o in session.new) or any(
            isinstance(o, Job) and o.state == "pending" and o.lock_owner is None for o in session.dirty):
        projections.mark_jobs_queued(session)


class Executor:
    """Runs commands, each in its own transaction, retrying on a stale version."""

    def __init__(self, db: Database, specs: SpecCache, clock: Clock) -> None:
        self.db, self.specs, self.clock = db, specs, clock
        self.lease_clock: Clock = Clock()  # job locks' time: the wall clock (the Engine may give another)
        self.cache = WorkflowCache()
        # Committed commands of this process that queued a job: an in-process runner that
        # found every due job needs no other fetch while this stays the same.
        self.jobs_queued = 0
        # In-process runners that take new jobs of their topics already locked (push.py).
        self.push = JobPush()
        # Bounds on designer code; every command's evaluations share one budget of them.
        self.limits = Limits()
        if not sa.event.contains(db.sessions, "before_flush", _watch_jobs):
            sa.event.listen(db.sessions, "before_flush", _watch_jobs)

    def run(self, command: Command, actor: str) -> Any:
        """Execute `command` as `actor`; 409 Conflict after repeated version races."""
        for _attempt in range(MAX_ATTEMPTS):
            now = self.clock.now()
            ctx = CommandContext(self.db.sessions(), now, actor, self.specs, self.cache, serialised=self.db.is_sqlite,
                                 lease_now=self.lease_clock.now())
            if self.push:
                ctx.session.info[push.REGISTRY] = self.push
                ctx.session.info[push.LEASE_NOW] = ctx.lease_now
            try:
                with command_time(now), command_budget(self.limits):
                    result = command.execute(ctx)
                ctx.session.commit()
            except StaleDataError:
                ctx.session.rollback()
                continue
            except sa.exc.DBAPIError as err:
                ctx.session.rollback()
                if getattr(err.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
                    continue
                raise
            except BaseException:
                ctx.session.rollback()
                raise
            finally:
                ctx.session.close()
            if ctx.session.info.get(projections.JOBS_QUEUED):
                with _COUNTER_LOCK:
                    self.jobs_queued += 1
            for loaded in ctx.loaded.values():
                if loaded.head is not None:
                    self.cache.put(loaded.row.id, CachedInstance(loaded.row.version, loaded.workflow,
                                                                 loaded.states, loaded.waits, loaded.head))
            if ctx.session.info.get(push.PUSHED):
                # Only now: a job must not run before its row is committed, and its completion
                # (in the runner's thread) should find this instance back in the cache.
                push.hand_over(ctx.session)
            return result
        raise Conflict(f"{command.name}: the instance was changed by someone else; try again")
