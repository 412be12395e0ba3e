"""One command = one transaction: load, apply, run engine steps, persist, audit.

Commands are small objects with a `name` and `execute(ctx)`; this module owns what
no command may forget: the transaction, the optimistic version check with retry,
the projections, the audit event, and the in-memory cache of recent workflows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from sqlalchemy.orm import Session, defer, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from engine import task_queue
from engine.audit import GENESIS, append_event
from engine.audit.calendars import record_used as record_calendar
from engine.audit.log import chain_heads
from engine.calendar.active import case_region
from engine.clock import Clock
from engine.crypto.columns import session_keyring
from engine.definitions.repository import SpecCache
from engine.errors import Conflict, NotFound, ProcessError, ReliefError  # noqa: F401 - ProcessError: its old home
from engine.runtime import ended, follow_ups, incremental, inspect, projections, push, state, summary
from engine.runtime.failure import process_error
from engine.runtime.push import JobPush
from engine.scripting import Limits, command_budget, command_time
from engine.store.db import Database
from engine.store.models import HumanTask, Instance, Job

MAX_ATTEMPTS = 3
_COUNTER_LOCK = threading.Lock()
INSTANCES = Instance.__table__
_UPDATE_BY_ID: dict[str, sa.Update] = {}  # per table, for `update_rows`
# Built once (its cache key is then computed once); the SET clause follows the parameters given.
_UPDATE_INSTANCE = INSTANCES.update().where(INSTANCES.c.id == sa.bindparam("b_id"),
                                            INSTANCES.c.version == sa.bindparam("b_version"))
# The stored state of an instance at the version the command read (the cold path).
_STATE_AT = sa.select(INSTANCES.c.state).where(INSTANCES.c.id == sa.bindparam("b_id"),
                                               INSTANCES.c.version == sa.bindparam("b_version"))
# A command reads an instance row without its state: decoding it is wasted whenever the
# cache holds the live workflow at that version (nearly every command); `_load` reads it
# on the cold path only. Nor is its definition joined (the API's reads join it): the cold
# path loads it, a form's deployment comes from the SpecCache, and a command that returns
# its instance to the caller loads it itself (`CommandContext.returned`).
LEAN = (defer(Instance.state), lazyload(Instance.definition))
_BY_ID: dict[tuple[type, bool], sa.Select] = {}  # per model and lock, for `CommandContext.get`
_OWNER_LOCK: dict[type, sa.Select] = {}  # per model: lock the instance a row belongs to, for `CommandContext.lock`
_WITH_OWNER: dict[type, sa.Select] = {}  # per model: a row with its instance's, for `CommandContext.lock` on SQLite
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen to
# give way; running it again is what the server asks for.
RETRYABLE_SQLSTATES = ("40P01", "40001")
T = TypeVar("T")
# Columns a command may set on its instance row besides what `record` writes.
_GREEN_TASKS = (HumanTask.__table__.update()
                .where(HumanTask.__table__.c.instance_id == sa.bindparam("b_instance"),
                       HumanTask.__table__.c.state == "open")
                .values(green=sa.bindparam("b_green")))
_INSTANCE_COLUMNS = ("business_key", "status", "ended_at", "region", "definition_id")


class Command(Protocol):
    name: str

    def execute(self, ctx: CommandContext) -> Any: ...


@dataclass
class CachedInstance:
    """A live workflow with what the next command needs to skip database reads."""

    version: int
    workflow: BpmnWorkflow
    states: dict[str, int]  # task states, for the audit's "changes"
    waits: dict[str, Any]  # summary of the projection rows
    head: tuple[int, str]  # audit chain head (seq, hash)


class WorkflowCache:
    """Recently used instances keyed by id and row version.

    A command takes the entry out (so a failed command can never leave a half-changed
    object behind) and the executor puts it back only after the commit."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, CachedInstance] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def holds(self, instance_id: str, version: int) -> bool:
        with self._lock:
            item = self._items.get(instance_id)
        return item is not None and item.version == version

    def take(self, instance_id: str, version: int) -> CachedInstance | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        return item if item is not None and item.version == version else None

    def put(self, instance_id: str, item: CachedInstance) -> None:
        with self._lock:
            self._items[instance_id] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass
class _Loaded:
    row: Instance
    workflow: BpmnWorkflow
    states: dict[str, int]
    waits: dict[str, Any]  # what the projection rows say now
    head: tuple[int, str] | None  # None: unknown, read it from the audit table
    changed: bool = False  # the command may have changed the workflow


@dataclass
class CommandContext:
    """What a command works with: the session, the command time, the actor."""

    session: Session
    now: dt.datetime  # the engine clock's time: deadlines, records, audit events
    actor: str
    specs: SpecCache
    cache: WorkflowCache
    loaded: dict[str, _Loaded] = field(default_factory=dict)
    rows: dict[str, Instance] = field(default_factory=dict)  # prefetched instance rows
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # prefetched audit chain heads
    locked: set[tuple[type, Any]] = field(default_factory=set)  # (model, id) read by `lock` (or as if)
    # The database serialises writers itself (SQLite's BEGIN IMMEDIATE): `lock` has no row locks
    # to take in order, and reads a row and its instance in one statement.
    serialised: bool = False
    # The lease clock's time (the wall clock): job locks are about real elapsed time, so a
    # demo clock moved forward days never frees a job a worker still holds.
    lease_now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def get(self, model: type[T], row_id: Any, lock: bool = False) -> T | None:
        """`session.get(model, row_id)`, `lock`: with FOR UPDATE (then always read, as `get`
        does), through a statement built once per model: `get` builds and caches its own
        statement on every call, measured ~0.1 ms a row. Instances come without their state
        and definition (see `LEAN`)."""
        if not lock and identity_key(model, row_id) in self.session.identity_map:
            return self.session.get(model, row_id)  # no SQL, exactly `get`'s own check
        statement = _BY_ID.get((model, lock))
        if statement is None:
            (key,) = sa.inspect(model).primary_key
            statement = sa.select(model).where(key == sa.bindparam("b_id"))
            if model is Instance:
                statement = statement.options(*LEAN)
            if lock:  # a locked read is the current row: it replaces what the session holds
                statement = statement.with_for_update().execution_options(populate_existing=True)
            _BY_ID[(model, lock)] = statement
        return self.session.execute(statement, {"b_id": row_id}).scalar_one_or_none()

    def require(self, model: type[T], row_id: Any, what: str, lock: bool = False) -> T:
        """`get`, or 404 naming the row as `what` (task, job, timer, instance)."""
        row = self.get(model, row_id, lock)
        if row is None:
            raise NotFound(f"{what} {row_id} does not exist", {what: row_id})
        return row

    def lock(self, model: type[T], row_id: Any, what: str) -> T:
        """`require` a row that belongs to an instance (a task, job or timer) for a command
        acting on it: first the instance's row, then this row, each locked (FOR UPDATE on
        PostgreSQL; SQLite's writers are serialised already) and read as now committed.

        Locked in that order by every command, the rows of one instance are never taken in
        opposite orders (no deadlocks), and a command that waited for another one's commit
        sees what that one did (a task completed, a job reported, a timer fired) and is
        refused, instead of acting on what it read before (issue 9, defect 3). The locked
        instance is then `instance`'s answer, without another read."""
        if (model, row_id) in self.locked:
            return self.require(model, row_id, what)
        if self.serialised:
            return self._read_with_owner(model, row_id, what)
        statement = _OWNER_LOCK.get(model)
        if statement is None:
            table = model.__table__
            owner = (sa.func.coalesce(table.c.instance_id, table.c.case_id) if "case_id" in table.c
                     else table.c.instance_id)  # a detached job belongs to its case
            statement = _OWNER_LOCK[model] = (
                sa.select(Instance).options(*LEAN)
                .where(Instance.id == sa.select(owner).where(table.c.id == sa.bindparam("b_id")).scalar_subquery())
                .with_for_update(of=Instance).execution_options(populate_existing=True))
        owner_row = self.session.execute(statement, {"b_id": row_id}).scalar_one_or_none()
        if owner_row is not None:
            self.rows[owner_row.id] = owner_row
        row = self.require(model, row_id, what, lock=True)
        self.locked.add((model, row_id))
        return row

    def _read_with_owner(self, model: type[T], row_id: Any, what: str) -> T:
        """`lock` where the transaction holds the whole database already (SQLite): the row and
        its instance's row in one statement, both read as now committed. (One statement less
        on every command acting on a task or job: ~0.4 ms each, profiled.)"""
        statement = _WITH_OWNER.get(model)
        if statement is None:
            table = model.__table__
            owner = (sa.func.coalesce(table.c.instance_id, table.c.case_id) if "case_id" in table.c
                     else table.c.instance_id)
            statement = _WITH_OWNER[model] = (
                sa.select(model, Instance).outerjoin(Instance, Instance.id == owner)
                .where(table.c.id == sa.bindparam("b_id")).options(*LEAN)
                .execution_options(populate_existing=True))
        found = self.session.execute(statement, {"b_id": row_id}).first()
        if found is None:
            raise NotFound(f"{what} {row_id} does not exist", {what: row_id})
        row, owner_row = found
        if owner_row is not None:
            self.rows[owner_row.id] = owner_row
        self.locked.add((model, row_id))
        return row

    def instance(self, instance_id: str) -> Instance:
        return self.rows.get(instance_id) or self.require(Instance, instance_id, "instance")

    def returned(self, row: Instance) -> Instance:
        """`row` with its definition loaded, for a command that hands its instance back to
        the caller (the API shows the definition once the session is closed)."""
        _ = row.definition
        return row

    def deployment_id(self, row: Instance) -> int:
        """The deployment of `row`'s definition (its forms), without loading the definition."""
        return self.specs.deployment_of(self.session, row.definition_id)

    def prefetch(self, instance_ids: list[str]) -> None:
        """Load the rows of several instances a command is about to work on (a batch of
        timers) and the audit chain heads of those not in the cache: two queries instead
        of two per instance. (Held here: the session's identity map keeps clean rows
        only weakly.)"""
        ids = list(dict.fromkeys(instance_ids))
        if not ids:
            return
        rows = self.session.scalars(sa.select(Instance).where(Instance.id.in_(ids)).options(*LEAN)).all()
        self.rows.update((r.id, r) for r in rows)
        cold = [r.id for r in rows if not self.cache.holds(r.id, r.version)]
        self.heads.update({i: (0, GENESIS) for i in cold})
        self.heads.update(chain_heads(self.session, cold))

    def _load(self, row: Instance, restore: bool) -> _Loaded | None:
        if row.id in self.loaded:
            return self.loaded[row.id]
        cached = self.cache.take(row.id, row.version)
        if cached is not None:
            loaded = _Loaded(row, cached.workflow, cached.states, cached.waits, cached.head)
        elif restore:
            process = self.specs.process(self.session, row.definition)
            workflow = state.load(self._stored_state(row), process.spec, process.subprocess_specs)
            states, waits = inspect.current(workflow)
            loaded = _Loaded(row, workflow, states, waits, self.heads.get(row.id))
        else:
            return None
        self.loaded[row.id] = loaded
        return loaded

    def _stored_state(self, row: Instance) -> Any:
        """The row's stored state, read now unless the row was loaded with it. Read at the
        version the command saw: on PostgreSQL (read committed) a newer committed state
        would not match that version, so a row that moved on is a lost race (retried)."""
        if "state" not in sa.inspect(row).unloaded:
            return row.state
        stored = self.session.execute(_STATE_AT, {"b_id": row.id, "b_version": row.version}).first()
        if stored is None:
            raise StaleDataError(f"instance {row.id}: version {row.version} is no longer current")
        return stored.state

    def workflow(self, row: Instance) -> BpmnWorkflow:
        """The live workflow of `row`, from the cache or restored from its state."""
        loaded = self._load(row, restore=True)
        assert loaded is not None
        loaded.changed = True
        return loaded.workflow

    def adopt(self, row: Instance, workflow: BpmnWorkflow) -> None:
        """Register a workflow created by this command (start): nothing is stored yet."""
        self.loaded[row.id] = _Loaded(row, workflow, {}, {"user": {}, "jobs": set(), "timers": {}, "dept": {}},
                                      (0, GENESIS),
                                      changed=True)

    def settled(self, row: Instance, kind: str, task_id: str) -> None:
        """The command closed the row of this wait itself (a completed task or job, a fired
        timer): the projections need not cancel it (`kind`: "user", "jobs" or "timers")."""
        loaded = self.loaded.get(row.id)
        if loaded is not None:
            waits = loaded.waits[kind]
            waits.discard(task_id) if isinstance(waits, set) else waits.pop(task_id, None)

    def run_engine(self, workflow: BpmnWorkflow, action: Callable[[], Any] | None = None) -> None:
        """Apply `action` (completing a task, delivering an event, …), then run engine steps
        until the instance waits; a failure of the diagram's code becomes ProcessError."""
        row = next((it.row for it in self.loaded.values() if it.workflow is workflow), None)
        try:
            with case_region(row.region if row is not None else None):
                if action is not None:
                    action()
                workflow.do_engine_steps()
        except (SpiffWorkflowException, WorkflowException) as err:
            raise process_error(err) from err
        thrown = workflow.get_events()  # messages nothing in the case caught: follow-up cases
        if thrown and row is not None:
            follow_ups.start_thrown(self, row, thrown)

    def update_rows(self, rows: list[Any], values: list[dict[str, Any]]) -> None:
        """Write `values[i]` to `rows[i]` (rows this command loaded, all of one table, the same
        columns each) with one Core UPDATE by primary key, and mark them committed on the
        objects. On the hot commands (complete a task or a job, lock fetched jobs) the ORM's
        unit of work cost more than the statement itself. A row that is gone raises
        StaleDataError, as the ORM's flush did (the executor retries)."""
        if not rows:
            return
        table = type(rows[0]).__table__
        statement = _UPDATE_BY_ID.get(table.name)
        if statement is None:
            statement = _UPDATE_BY_ID[table.name] = table.update().where(table.c.id == sa.bindparam("b_id"))
        params = [{**v, "b_id": r.id} for r, v in zip(rows, values, strict=True)]
        with self.session.no_autoflush:  # the rows' other changes, if any, are flushed later by the ORM
            result = self.session.execute(statement, params if len(params) > 1 else params[0])
        counted = len(rows) == 1 or self.session.get_bind().dialect.supports_sane_multi_rowcount
        if counted and result.rowcount != len(rows):
            raise StaleDataError(f"{table.name}: {len(rows)} row(s) to update, {result.rowcount} matched")
        for row, v in zip(rows, values, strict=True):
            for key, value in v.items():
                set_committed_value(row, key, value)

    def record(self, row: Instance, command: str, input: dict[str, Any],
               extra_changes: list[dict[str, Any]] | None = None) -> None:
        """Persist `row`'s workflow (if the command changed it), projections and one audit event."""
        loaded = self._load(row, restore=False)
        new_case = sa.inspect(row).pending  # its task rows are made below, green already
        changes = list(extra_changes or [])
        values: dict[str, Any] = {"updated_at": self.now}
        changed = loaded is not None and loaded.changed
        if changed:
            wf = loaded.workflow
            result = inspect.scan(wf, loaded.states)
            changes += result.changes
            values["state"] = incremental.dump_encoded(wf)  # only what changed is encoded again
            values.update(summary.changed(row, (wf.last_task or wf.task_tree).data, session_keyring(self.session)))
            if wf.is_completed() and row.status == "running":
                values["status"], values["ended_at"] = ("completed" if wf.success else "error"), self.now
                # The end event's data is the workflow's own at the end (the last step's may be older).
                ended.case_ended(self.session, row, values["status"],
                                 {**(wf.last_task or wf.task_tree).data, **wf.data}, self.now)
        if _ended_by_command(row):  # e.g. cancelled: what hangs on the case ends with it too
            data = (loaded.workflow.last_task or loaded.workflow.task_tree).data if loaded is not None else {}
            ended.case_ended(self.session, row, row.status, dict(data), self.now)
        # First, so that a command that lost the race stops here, and a new instance's row
        # exists before the rows that refer to it.
        self._write_instance(row, values)
        if "green" in values and not new_case:
            # The work list orders by the task rows' copy (engine/store/models.py HumanTask.green).
            self.session.execute(_GREEN_TASKS, {"b_instance": row.id, "b_green": values["green"]})
            task_queue.set_green(self.session, row.id, values["green"])
        if changed:
            loaded.waits = projections.sync(self.session, row, result.waits, self.now, loaded.waits)
            loaded.states = result.states
        self.session.flush()  # what the command changed on other rows (a job, a task row)
        head = append_event(self.session, row.id, command, self.actor, self.now, input, changes,
                            head=loaded.head if loaded is not None else None)
        record_calendar(self.session, row.id, head[0], self.now)  # the calendar in force, for re-execution
        if loaded is not None:
            loaded.head = head

    def _write_instance(self, row: Instance, values: dict[str, Any]) -> None:
        """One UPDATE of the instance row with its version check, as a Core statement.

        The ORM's unit of work added ~0.3 ms to every command (measured: ~4 % of a case).
        What the command itself changed on the row (e.g. a cancelled
        status) is written in the same statement; the ORM then sees the row as clean. A
        row that lost the race (another transaction bumped the version) raises
        StaleDataError, as the ORM's own check did, so the executor retries."""
        insp = sa.inspect(row)
        if insp.pending:  # a new instance (start): the ORM inserts it
            for key, value in values.items():
                setattr(row, key, value)
            self.session.flush()
            return
        for attr in _INSTANCE_COLUMNS:
            if attr not in values and insp.attrs[attr].history.has_changes():
                values[attr] = getattr(row, attr)
        version = row.version
        values["version"] = version + 1
        with self.session.no_autoflush:  # an autoflush would write the row's own changes first, via the ORM
            result = self.session.execute(_UPDATE_INSTANCE, {**values, "b_id": row.id, "b_version": version})
        if result.rowcount != 1:
            raise StaleDataError(f"instance {row.id}: version {version} is no longer current")
        for key, value in values.items():
            set_committed_value(row, key, value)


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


def _ended_by_command(row: Instance) -> bool:
    """Whether the command set `row`'s status from running to an end (a cancellation) itself."""
    history = sa.inspect(row).attrs.status.history
    return list(history.deleted) == ["running"] and bool(history.added) and history.added[0] != "running"
