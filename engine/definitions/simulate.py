"""Run a draft in memory (issue 13): the path a case would take on given data and a start
moment, and when each deadline would fall on the working-day calendar. Nothing is stored.

The run is SpiffWorkflow's, on the engine's specs and restricted script engine, with the
clock held still: each person's task and each worker's job is done at the moment it is
reached (with the scenario's data), unless the scenario names the element as late, in
which case the clock moves on to its earliest deadline and that timer fires. A timer
that stands alone in the flow (an intermediate timer event) waits: the clock moves to its
due time. Messages are not sent: a case that would wait for one stops there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.definitions.parser import ParsedProcess
from engine.definitions.specs import TIMER_FIRED, ExternalServiceTask, timer_due
from engine.errors import ReliefError
from engine.runtime import inspect, state
from engine.runtime.failure import process_error
from engine.scripting import command_time

MAX_ROUNDS = 500  # people's tasks, jobs and timers handled in one simulation


@dataclass
class Step:
    element: str
    name: str
    kind: str  # the spec's BPMN type, e.g. UserTask, ExclusiveGateway
    at: dt.datetime


@dataclass
class Deadline:
    element: str  # the timer event
    name: str
    attached_to: str | None  # the activity a boundary timer watches
    due_at: dt.datetime
    outcome: str = "waiting"  # met | missed (the timer fired) | waited (a timer in the flow) | waiting


@dataclass
class Simulation:
    steps: list[Step] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    finished: bool = False
    waiting_for: list[str] = field(default_factory=list)  # elements the run stopped at
    error: dict[str, Any] | None = None  # the diagram's error: message and element


def _name(task: Task) -> str:
    return (getattr(task.task_spec, "bpmn_name", None) or "").strip()


class _Run:
    def __init__(self, process: ParsedProcess, start: dt.datetime, late: Collection[str],
                 task_data: dict[str, dict[str, Any]]) -> None:
        self.workflow = state.new_workflow(process.spec, process.subprocess_specs)
        self.now, self.late, self.task_data = start, set(late), task_data
        self.result = Simulation()
        self.seen: set[Any] = set()
        self.deadlines: dict[Any, Deadline] = {}

    def observe(self) -> None:
        """Record newly finished elements (the path) and newly computed deadlines."""
        for task in inspect.all_tasks(self.workflow):
            ident = inspect.bpmn_id(task)
            if ident is None:
                continue
            if task.state == TaskState.COMPLETED and task.id not in self.seen:
                self.seen.add(task.id)
                self.result.steps.append(Step(ident, _name(task), type(task.task_spec).__name__, self.now))
            if inspect.is_timer(task) and task.id not in self.deadlines and (due := timer_due(task)) is not None:
                deadline = Deadline(ident, _name(task), _watched(task), due)
                self.deadlines[task.id] = deadline
                self.result.deadlines.append(deadline)
            deadline = self.deadlines.get(task.id)
            if deadline is not None and deadline.outcome == "waiting":
                if task.state == TaskState.COMPLETED:
                    deadline.outcome = "missed" if deadline.attached_to else "waited"
                elif task.state == TaskState.CANCELLED:
                    deadline.outcome = "met"

    def step(self, action: Any = None) -> None:
        with command_time(self.now):
            if action is not None:
                action()
            self.workflow.do_engine_steps()
            self.workflow.refresh_waiting_tasks()
        self.observe()

    def next_action(self) -> bool:
        """Do one thing a person, a worker or the clock would do; False when nothing can."""
        tasks = list(inspect.all_tasks(self.workflow))
        for task in tasks:
            ident = inspect.bpmn_id(task)
            if task.state == TaskState.READY and task.task_spec.manual and ident not in self.late:
                self.step(lambda t=task, i=ident: (t.data.update(self.task_data.get(i, {})), t.run()))
                return True
            if task.state == TaskState.STARTED and isinstance(task.task_spec, ExternalServiceTask):
                self.step(lambda t=task, i=ident: (t.data.__setitem__(t.task_spec.result_variable,
                                                                      self.task_data.get(i, {})), t.complete()))
                return True
        timers = [(due, task) for task in tasks if task.state == TaskState.WAITING and inspect.is_timer(task)
                  and (due := timer_due(task)) is not None]
        if not timers:
            return False
        due, task = min(timers, key=lambda pair: pair[0])
        self.now = max(self.now, due)
        task._set_internal_data(**{TIMER_FIRED: True})
        self.step(self.workflow.refresh_timers)
        return True


def _watched(task: Task) -> str | None:
    """The activity a boundary timer is attached to (its sibling under the boundary split)."""
    parent = task.parent
    if parent is None or not isinstance(task.task_spec, CatchingEvent):
        return None
    for sibling in parent.children:
        if sibling is not task and not isinstance(sibling.task_spec, CatchingEvent) and inspect.bpmn_id(sibling):
            return inspect.bpmn_id(sibling)
    return None


def simulate(process: ParsedProcess, data: dict[str, Any], start: dt.datetime,
             late: Collection[str] = (), task_data: dict[str, dict[str, Any]] | None = None) -> Simulation:
    """Run `process` from `start` with start data `data`. `late`: elements (people's tasks)
    left undone until their deadline fires; `task_data`: what each task's person or worker
    adds to the case, by element id. The caller installs the calendar and the limits."""
    run = _Run(process, start, late, task_data or {})
    run.workflow.task_tree.data.update(data)
    try:
        run.step()
        for _ in range(MAX_ROUNDS):
            if run.workflow.is_completed() or not run.next_action():
                break
    except (SpiffWorkflowException, WorkflowException) as err:
        failure = process_error(err)
        run.result.error = {"message": failure.message, **failure.details}
    except ReliefError as err:  # a bound of designer code, outside SpiffWorkflow's wrapper
        run.result.error = {"message": err.message, **err.details}
    run.result.finished = run.workflow.is_completed()
    if not run.result.finished:
        run.result.waiting_for = sorted({ident for t in inspect.all_tasks(run.workflow)
                                         if t.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING)
                                         and (ident := inspect.bpmn_id(t)) is not None})
    return run.result
