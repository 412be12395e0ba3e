"""Verification by re-execution (X-AUDIT): a case's history, run again.

A case's audit events are the commands that made it, with their inputs (start data, form
data, messages, job results, timer firings) and their times. `replay` runs them again on
a fresh SpiffWorkflow workflow of the case's own definition version, at each event's
recorded time, in the case's region, with the working-day calendar the event recorded
(engine/audit/calendars.py; a migrated case from the version it started on, moved where its
migration event moved it), and compares what each
step does with what the event recorded: the same tasks changing state in the same order,
from the same state to the same state, reached from the same element. After the last
event the replayed workflow must hold what the stored state holds: every task's state and
data, and the case's status. The first difference is reported with its step, element and
field; the hash chain is checked first (`verify_chain`).

Task ids are random UUIDs, so a replay cannot reproduce them: each recorded task id is
paired with the replayed task that appears in the same place of the same step's changes,
and from then on must stay paired with it (a command naming a task then reaches the
replayed twin). The steps' snapshots (active elements, taken flows, case data) feed the
auditor's replay page."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition, MessageEventDefinition
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy.orm import Session

from engine.audit.calendars import Fixed, RecordedCalendars
from engine.audit.log import verify_chain
from engine.calendar.active import case_region, using
from engine.definitions.repository import SpecCache
from engine.definitions.specs import TIMER_FIRED, timer_due
from engine.records import DETACHED_ELEMENT
from engine.runtime import inspect, state
from engine.runtime.commands.migrate_instance import adopt
from engine.scripting import Limits, command_budget, command_time
from engine.store.models import AuditEvent, Definition, Instance, Job, Timer

# What a step's recorded change must match in the replayed one (the task id is paired).
COMPARED = ("element", "process", "from", "to", "prev")
ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING
_RECORDED = inspect._RECORDED  # the states an audit event records a change into
# The recorded command already ran within the engine's bounds; its re-execution keeps the
# deterministic ones (steps, sizes) but not the wall-clock ones: a verification starved of
# CPU (the nightly run beside the day's work) must not report a case as differing.
REPLAY_LIMITS = Limits(seconds=600.0, command_seconds=600.0)


@dataclass
class Divergence:
    """The first place where re-execution differs from the record."""

    seq: int  # the audit event (step); 0: the final comparison with the stored state
    command: str
    element: str | None
    field: str
    recorded: Any
    replayed: Any

    def line(self) -> str:
        where = f"step {self.seq} ({self.command})" if self.seq else "final state"
        return (f"{where}, element {self.element or '-'}, field {self.field}: recorded "
                f"{_short(self.recorded)}, re-executed {_short(self.replayed)}")


@dataclass
class Step:
    """One audit event and what re-executing it left: the replay page's frame."""

    seq: int
    command: str
    actor: str
    at: dt.datetime
    input: dict[str, Any]
    changes: list[dict[str, Any]]
    active: list[str] = field(default_factory=list)  # elements waiting or ready after the step
    completed: list[str] = field(default_factory=list)  # elements the step completed
    flows: list[list[str]] = field(default_factory=list)  # [from element, to element] taken
    data_changes: list[dict[str, Any]] = field(default_factory=list)  # {key, before, after}
    replayed: bool = False  # re-executed (False after a divergence: the recorded frame only)


@dataclass
class Replay:
    """A case's history re-executed: the chain's check, each step, the first divergence."""

    instance_id: str
    definition: str  # key:version
    definition_id: int
    chain: dict[str, Any]
    steps: list[Step]
    divergence: Divergence | None

    @property
    def ok(self) -> bool:
        return bool(self.chain.get("valid")) and self.divergence is None

    def line(self) -> str:
        """One line for the CLI and the page."""
        if not self.chain.get("valid"):
            return (f"FAILED {self.instance_id}: hash chain broken at step {self.chain.get('broken_at')} "
                    f"({self.chain.get('reason')})")
        if self.divergence is not None:
            return f"FAILED {self.instance_id}: re-execution differs at {self.divergence.line()}"
        return (f"OK {self.instance_id}: {len(self.steps)} events, chain intact, re-execution "
                f"of {self.definition} matches the stored state")


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case data as a workflow leaves it: the last completed step's data, overlaid with
    what each waiting branch holds (what the case page shows)."""
    data = dict((workflow.last_task or workflow.task_tree).data)
    for task in workflow.get_tasks(state=ACTIVE):
        data.update(task.data)
    return data


class _Runner:
    """Re-executes one case's events on a fresh workflow, pairing task ids as it goes."""

    def __init__(self, session: Session, specs: SpecCache, row: Instance, definition: Definition) -> None:
        self.session, self.row, self.specs = session, row, specs
        self.process = specs.process(session, definition)
        self.workflow: BpmnWorkflow | None = None
        self.states: dict[UUID, int] = {}
        self.paired: dict[str, Task] = {}  # recorded task id -> replayed task
        self.status = "running"
        self.jobs = dict(session.execute(sa.select(Job.id, Job.task_id).where(
            sa.or_(Job.instance_id == row.id, Job.case_id == row.id))).all())
        self.timers = dict(session.execute(sa.select(Timer.id, Timer.task_id).where(
            Timer.instance_id == row.id)).all())
        self.calendars = RecordedCalendars(session, row.id)

    # applying one event -------------------------------------------------------------
    def apply(self, event: AuditEvent) -> None:
        handler = getattr(self, f"_do_{event.command}", None)
        if handler is None:  # claims, failures, retries, renames: nothing in the workflow moves
            return
        digest, calendar, problem = self.calendars.for_event(event.seq)
        if problem is not None:
            raise _Diverged(Divergence(event.seq, event.command, None, "calendar", digest, problem))
        # The calendar recorded with the event (the one then in force), else today's.
        recorded = using(Fixed(calendar)) if calendar is not None else contextlib.nullcontext()
        with command_time(event.at), command_budget(REPLAY_LIMITS), case_region(self.row.region), recorded:
            try:
                handler(event, event.input or {})
            except (SpiffWorkflowException, WorkflowException) as err:
                raise _Diverged(Divergence(event.seq, event.command, None, "error", None, str(err))) from err

    def _task(self, event: AuditEvent, recorded_id: str | None, element: str | None, wanted: int) -> Task:
        """The replayed twin of the recorded task, in state `wanted`; by element when the
        record names no task this replay has seen (a job or timer row no longer there)."""
        task = self.paired.get(recorded_id or "")
        if task is None and element:
            found = [t for t in inspect.all_tasks(self.workflow) if inspect.bpmn_id(t) == element and t.state == wanted]
            task = found[0] if len(found) == 1 else None
        if task is None or task.state != wanted:
            raise _Diverged(Divergence(event.seq, event.command, element, "task",
                                       f"{element} {TaskState.get_name(wanted)}",
                                       TaskState.get_name(task.state) if task is not None else "absent"))
        return task

    def _do_start_instance(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        self.workflow = state.new_workflow(self.process.spec, self.process.subprocess_specs)
        self.workflow.task_tree.data.update(inp.get("data") or {})
        self.workflow.do_engine_steps()

    def _do_complete_task(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        task = self._task(event, inp.get("task"), inp.get("element"), TaskState.READY)
        task.data.update(inp.get("data") or {})
        task.run()
        self.workflow.do_engine_steps()

    def _do_complete_job(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        if inp.get("element") in (None, "", DETACHED_ELEMENT):
            return  # a detached job (the portal's SMS, a 12345 push): no element waited on it
        task = self._task(event, self.jobs.get(inp.get("job")), inp["element"], TaskState.STARTED)
        task.data[task.task_spec.result_variable] = inp.get("result") or {}
        task.complete()
        self.workflow.do_engine_steps()

    def _do_bpmn_error(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        if not inp.get("caught"):
            return  # no boundary event took it: the job became an incident
        task = self._task(event, self.jobs.get(inp.get("job")), inp.get("element"), TaskState.STARTED)
        payload = {"code": inp.get("code"), "message": inp.get("message", ""), **(inp.get("variables") or {})}
        definition = ErrorEventDefinition(inp.get("code"), code=inp.get("code"))
        self.workflow.top_workflow.catch(BpmnEvent(definition, payload=payload, target=task.workflow))
        self.workflow.do_engine_steps()

    def _do_correlate_message(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        name, payload = inp.get("message"), inp.get("payload") or {}
        department = (inp.get("scope") or {}).get("department")
        targets: list[Any] = [None]
        if department:  # only the branches of that department (CorrelateMessage's rule)
            waiters = [w for w in inspect.message_waiters(self.workflow, name)
                       if w.data.get("department", department) == department]
            targets = list({id(w.workflow): w.workflow for w in waiters}.values())
        for target in targets:
            self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), dict(payload), target=target))
            self.workflow.do_engine_steps()

    def _do_fire_timer(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        task = self._task(event, self.timers.get(inp.get("timer")), inp.get("element"), TaskState.WAITING)
        due = timer_due(task)
        if inp.get("due_at") and due is not None and due != dt.datetime.fromisoformat(inp["due_at"]):
            raise _Diverged(Divergence(event.seq, event.command, inp.get("element"), "due_at",
                                       inp["due_at"], due.isoformat()))
        task._set_internal_data(**{TIMER_FIRED: True})
        self.workflow.refresh_timers()
        self.workflow.do_engine_steps()

    def _do_recompute_deadlines(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        for moved in inp.get("timers") or []:
            if moved.get("from") != moved.get("to"):
                task = self._task(event, self.timers.get(moved.get("timer")), moved.get("element"),
                                  TaskState.WAITING)
                task._set_internal_data(event_value=moved["to"])

    def _do_migrate_instance(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        """The case moved to another version: the replay moves the same way (the same specs
        by the same mapping, engine/runtime/commands/migrate_instance.py), then runs on."""
        target = _definition(self.session, inp.get("to"))
        if target is None:
            raise _Diverged(Divergence(event.seq, event.command, None, "definition", inp.get("to"), "absent"))
        self.process = self.specs.process(self.session, target)
        try:
            adopt(self.workflow, self.process.spec, self.process.subprocess_specs, inp.get("mapping") or {})
        except KeyError as err:  # the target lacks an element the replayed case holds
            raise _Diverged(Divergence(event.seq, event.command, str(err), "element", inp.get("to"),
                                       "missing")) from err
        self.workflow.do_engine_steps()

    def _do_cancel_instance(self, event: AuditEvent, inp: dict[str, Any]) -> None:
        self.workflow.cancel()
        self.status = "cancelled"

    # comparing ------------------------------------------------------------------------
    def compare(self, event: AuditEvent) -> list[dict[str, Any]]:
        """The step's changes, compared with the recorded ones (pairing new task ids);
        returns the replayed changes."""
        if self.workflow is None:
            raise _Diverged(Divergence(event.seq, event.command, None, "command", "start_instance first",
                                       event.command))
        result = inspect.scan(self.workflow, self.states)
        self.states = result.states
        recorded, replayed = list(event.changes or []), result.changes
        for i in range(max(len(recorded), len(replayed))):
            rec = recorded[i] if i < len(recorded) else None
            new = replayed[i] if i < len(replayed) else None
            element = (rec or new or {}).get("element")
            if rec is None or new is None:
                raise _Diverged(Divergence(event.seq, event.command, element, "changes",
                                           _brief(rec), _brief(new)))
            for name in COMPARED:
                if rec.get(name) != new.get(name):
                    raise _Diverged(Divergence(event.seq, event.command, element, name, rec.get(name), new.get(name)))
            twin = inspect.find_task(self.workflow, new["task"])
            known = self.paired.get(rec["task"])
            if known is not None and known is not twin:
                raise _Diverged(Divergence(event.seq, event.command, element, "task", rec["task"], new["task"]))
            self.paired[rec["task"]] = twin
        return replayed

    def compare_final(self, event_count: int) -> None:
        """The replayed workflow against the stored state: status, each recorded task's state and data."""
        wf = self.workflow
        status = self.status if self.status != "running" or not wf.is_completed() else \
            ("completed" if wf.success else "error")
        if status != self.row.status:
            raise _Diverged(Divergence(0, "-", None, "status", self.row.status, status))
        # Through the serializer both ways, so that both sides hold the same types.
        again = state.load(json.loads(json.dumps(state.dump(wf))), self.process.spec, self.process.subprocess_specs)
        replayed = {str(t.id): t for t in inspect.all_tasks(again)}
        stored = state.load(self.row.state, self.process.spec, self.process.subprocess_specs)
        for task in inspect.all_tasks(stored):
            element = inspect.bpmn_id(task)
            if not element or not task.state & _RECORDED:
                continue
            twin_live = self.paired.get(str(task.id))
            twin = replayed.get(str(twin_live.id)) if twin_live is not None else None
            if twin is None:
                raise _Diverged(Divergence(0, "-", element, "task", TaskState.get_name(task.state), "absent"))
            if twin.state != task.state:
                raise _Diverged(Divergence(0, "-", element, "state", TaskState.get_name(task.state),
                                           TaskState.get_name(twin.state)))
            for key in sorted(set(task.data) | set(twin.data)):
                if _canonical(task.data.get(key)) != _canonical(twin.data.get(key)):
                    raise _Diverged(Divergence(0, "-", element, f"data.{key}", task.data.get(key),
                                               twin.data.get(key)))
        _ = event_count


def _definition(session: Session, label: Any) -> Definition | None:
    """The definition of a `key:version` label as audit events record it."""
    if not isinstance(label, str) or ":" not in label:
        return None
    key, _, version = label.rpartition(":")
    if not version.isdigit():
        return None
    return session.scalar(sa.select(Definition).where(Definition.key == key, Definition.version == int(version)))


def _brief(change: dict[str, Any] | None) -> Any:
    return None if change is None else {k: change.get(k) for k in ("element", "from", "to")}


def _frame(step: Step, runner: _Runner, before: dict[str, Any]) -> dict[str, Any]:
    """Fill the step's frame from the replayed workflow; returns the case data after it."""
    wf = runner.workflow
    step.active = sorted({e for t in inspect.all_tasks(wf) if t.state & ACTIVE and (e := inspect.bpmn_id(t))})
    after = case_data(wf) if wf is not None else {}
    step.data_changes = [{"key": k, "before": before.get(k), "after": after.get(k)}
                         for k in sorted(set(before) | set(after))
                         if _canonical(before.get(k)) != _canonical(after.get(k))]
    step.replayed = True
    return after


def replay(session: Session, specs: SpecCache, instance_id: str, frames: bool = True) -> Replay:
    """Check the chain of `instance_id`, then re-execute its history step by step; `frames`:
    also fill each step's frame for the replay page (active elements, data before → after),
    which verification alone does without (a tenth of its time)."""
    row = session.get(Instance, instance_id)
    definition = session.get(Definition, row.definition_id)
    chain = verify_chain(session, instance_id)
    events = list(session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                  .order_by(AuditEvent.seq)))
    steps = [Step(e.seq, e.command, e.actor, e.at, e.input or {}, e.changes or [],
                  completed=[c["element"] for c in e.changes or [] if c.get("to") == "COMPLETED"],
                  flows=[[c["prev"], c["element"]] for c in e.changes or [] if c.get("prev")])
             for e in events]
    # A migrated case started on the version its first migration left: replayed from there.
    migrations = [e for e in events if e.command == "migrate_instance"]
    first = _definition(session, (migrations[0].input or {}).get("from")) if migrations else None
    runner = _Runner(session, specs, row, first or definition)
    divergence = None
    data: dict[str, Any] = {}
    try:
        for event, step in zip(events, steps, strict=True):
            runner.apply(event)
            runner.compare(event)
            if frames:
                data = _frame(step, runner, data)
            else:
                step.replayed = True
        if runner.workflow is None:
            raise _Diverged(Divergence(0, "-", None, "events", "start_instance", "no events"))
        runner.compare_final(len(events))
    except _Diverged as stop:
        divergence = stop.divergence
    return Replay(instance_id, f"{definition.key}:{definition.version}", definition.id, chain, steps, divergence)
