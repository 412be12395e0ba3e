"""Run a draft in memory (issue 13): the path a case would take on given data and a start
moment, and when each deadline would fall on the working-day calendar. Nothing is stored.

The run is SpiffWorkflow's, on the engine's specs and restricted script engine, with the
clock held still: each person's task and each worker's job is done at the moment it is
reached (with the scenario's data), unless the scenario names the element as late, in
which case the clock moves on to its earliest deadline and that timer fires. A timer
that stands alone in the flow (an intermediate timer event) waits: the clock moves to its
due time. A message the case waits for (a department system's answer, a receive task, a
message catch event) is delivered when the scenario gives it (`messages`: name, payload and
when: at a moment, some hours after the wait began, or at once); a deadline that falls
earlier fires first. A wait for a message the scenario does not give stops the run there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
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
class Message:
    """A message the scenario sends when the case waits for it: `at` a moment, or
    `after_hours` after the wait began, or (neither) at once."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    at: dt.datetime | None = None
    after_hours: float | None = None
    delivered_at: dt.datetime | None = None
    element: str | None = None  # the element that received it


@dataclass
class Simulation:
    steps: list[Step] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    finished: bool = False
    waiting_for: list[str] = field(default_factory=list)  # elements the run stopped at
    messages: list[Message] = field(default_factory=list)  # what the scenario sent, delivered or not
    error: dict[str, Any] | None = None  # the diagram's error: message and element


def _name(task: Task) -> str:
    return (getattr(task.task_spec, "bpmn_name", None) or "").strip()


class _Run:
    def __init__(self, process: ParsedProcess, start: dt.datetime, late: Collection[str],
                 task_data: dict[str, dict[str, Any]], messages: list[Message]) -> None:
        self.workflow = state.new_workflow(process.spec, process.subprocess_specs)
        self.now, self.late, self.task_data = start, set(late), task_data
        self.result = Simulation(messages=messages)
        self.seen: set[Any] = set()
        self.deadlines: dict[Any, Deadline] = {}
        self.waiting_since: dict[Any, dt.datetime] = {}  # message waits: when each began

    def observe(self) -> None:
        """Record newly finished elements (the path) and newly computed deadlines."""
        for task in inspect.all_tasks(self.workflow):
            ident = inspect.bpmn_id(task)
            if ident is None:
                continue
            if task.state == TaskState.WAITING and task.id not in self.waiting_since and _messages_of(task):
                self.waiting_since[task.id] = self.now
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
        message = self.next_message(tasks)
        if message is not None and (not timers or message[0] <= min(due for due, _ in timers)):
            at, sent, task = message
            self.now = max(self.now, at)
            sent.delivered_at, sent.element = self.now, inspect.bpmn_id(task)
            event = BpmnEvent(MessageEventDefinition(sent.name), dict(sent.payload))
            self.step(lambda: self.workflow.send_event(event))
            return True
        if not timers:
            return False
        due, task = min(timers, key=lambda pair: pair[0])
        self.now = max(self.now, due)
        task._set_internal_data(**{TIMER_FIRED: True})
        self.step(self.workflow.refresh_timers)
        return True

    def next_message(self, tasks: list[Task]) -> tuple[dt.datetime, Message, Task] | None:
        """The earliest delivery of a scenario message some element waits for now: the
        first undelivered message of each name, at its moment."""
        found = []
        for task in tasks:
            if task.state != TaskState.WAITING:
                continue
            for name in _messages_of(task):
                sent = next((m for m in self.result.messages if m.name == name and m.delivered_at is None), None)
                if sent is None:
                    continue
                since = self.waiting_since.get(task.id, self.now)
                at = sent.at if sent.at is not None else \
                    since + dt.timedelta(hours=sent.after_hours) if sent.after_hours is not None else self.now
                found.append((max(at, self.now), sent, task))
        return min(found, key=lambda item: item[0]) if found else None


def _messages_of(task: Task) -> list[str]:
    """The names of the messages a waiting catch event or receive task waits for."""
    return [d.name for d in inspect.event_definitions(task) if isinstance(d, MessageEventDefinition)]


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
             late: Collection[str] = (), task_data: dict[str, dict[str, Any]] | None = None,
             messages: list[Message] | None = None) -> Simulation:
    """Run `process` from `start` with start data `data`. `late`: elements (people's tasks)
    left undone until their deadline fires; `task_data`: what each task's person or worker
    adds to the case, by element id; `messages`: what is sent to the case when it waits.
    The caller installs the calendar and the limits."""
    run = _Run(process, start, late, task_data or {}, [replace(m) for m in messages or []])
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
