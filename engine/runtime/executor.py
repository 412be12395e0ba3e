"""One command = one transaction: load, apply, run engine steps, persist, audit.

Commands are small objects with a `name` and `execute(ctx)`; this module owns what
no command may forget: the transaction, the optimistic version check with retry,
the projections, the audit event, and the in-memory cache of recent workflows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.audit import append_event
from engine.clock import Clock
from engine.definitions.repository import SpecCache
from engine.errors import Conflict, NotFound, ReliefError
from engine.runtime import inspect, projections, state
from engine.scripting import command_time
from engine.store.db import Database
from engine.store.models import Instance

MAX_ATTEMPTS = 3


class ProcessError(ReliefError):
    """The diagram failed while running (e.g. a condition referring to missing data)."""

    code = "process_error"
    status = 422


class Command(Protocol):
    name: str

    def execute(self, ctx: CommandContext) -> Any: ...


class WorkflowCache:
    """Recently used workflow objects keyed by instance id and row version.

    A command takes the object out (so a failed command can never leave a half-changed
    object behind) and the executor puts it back only after the commit."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def take(self, instance_id: str, version: int) -> BpmnWorkflow | None:
        with self._lock:
            item = self._items.pop(instance_id, None)
        return item[1] if item and item[0] == version else None

    def put(self, instance_id: str, version: int, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._items[instance_id] = (version, workflow)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass
class _Loaded:
    row: Instance
    workflow: BpmnWorkflow | None
    before: dict[str, int]


@dataclass
class CommandContext:
    """What a command works with: the session, the command time, the actor."""

    session: Session
    now: dt.datetime
    actor: str
    specs: SpecCache
    cache: WorkflowCache
    loaded: dict[str, _Loaded] = field(default_factory=dict)

    def instance(self, instance_id: str) -> Instance:
        row = self.session.get(Instance, instance_id)
        if row is None:
            raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
        return row

    def workflow(self, row: Instance) -> BpmnWorkflow:
        """The live workflow of `row`, from the cache or restored from its state."""
        if row.id in self.loaded and self.loaded[row.id].workflow is not None:
            return self.loaded[row.id].workflow
        workflow = self.cache.take(row.id, row.version)
        if workflow is None:
            process = self.specs.process(self.session, row.definition)
            workflow = state.load(row.state, process.spec, process.subprocess_specs)
        self.loaded[row.id] = _Loaded(row, workflow, inspect.snapshot(workflow))
        return workflow

    def adopt(self, row: Instance, workflow: BpmnWorkflow) -> None:
        """Register a workflow created by this command (start)."""
        self.loaded[row.id] = _Loaded(row, workflow, {})

    def run_engine(self, workflow: BpmnWorkflow) -> None:
        """Run engine steps until the instance waits; diagram failures become ProcessError."""
        try:
            workflow.do_engine_steps()
        except (SpiffWorkflowException, WorkflowException) as err:
            task = getattr(err, "task", None)
            element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
            raise ProcessError(f"the process failed at {element or 'an element'}: {err}",
                               {"element": element}) from err

    def record(self, row: Instance, command: str, input: dict[str, Any],
               extra_changes: list[dict[str, Any]] | None = None) -> None:
        """Persist `row`'s workflow (if loaded), projections and one audit event."""
        loaded = self.loaded.get(row.id)
        changes = list(extra_changes or [])
        if loaded is not None and loaded.workflow is not None:
            wf = loaded.workflow
            changes += inspect.changes(loaded.before, wf)
            row.state = state.dump(wf)
            if wf.is_completed() and row.status == "running":
                row.status, row.ended_at = ("completed" if wf.success else "error"), self.now
            projections.sync(self.session, row, wf, self.now)
            loaded.before = inspect.snapshot(wf)
        row.updated_at = self.now
        self.session.flush()  # the version check happens here (StaleDataError)
        append_event(self.session, row.id, command, self.actor, self.now, input, changes)


class Executor:
    """Runs commands, each in its own transaction, retrying on a stale version."""

    def __init__(self, db: Database, specs: SpecCache, clock: Clock) -> None:
        self.db, self.specs, self.clock = db, specs, clock
        self.cache = WorkflowCache()

    def run(self, command: Command, actor: str) -> Any:
        """Execute `command` as `actor`; 409 Conflict after repeated version races."""
        for _attempt in range(MAX_ATTEMPTS):
            now = self.clock.now()
            ctx = CommandContext(self.db.sessions(), now, actor, self.specs, self.cache)
            try:
                with command_time(now):
                    result = command.execute(ctx)
                ctx.session.commit()
            except StaleDataError:
                ctx.session.rollback()
                continue
            except BaseException:
                ctx.session.rollback()
                raise
            finally:
                ctx.session.close()
            for loaded in ctx.loaded.values():
                if loaded.workflow is not None:
                    self.cache.put(loaded.row.id, loaded.row.version, loaded.workflow)
            return result
        raise Conflict(f"{command.name}: the instance was changed by someone else; try again")
