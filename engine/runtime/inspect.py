"""Read what a workflow is doing: its tasks, waits, jobs, timers and state changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.definitions.specs import JOB_PARAMS, CommandDuration, CommandTimeDate, ExternalServiceTask, timer_due
from engine.errors import ProcessError
from engine.runtime.failure import process_error, refused_by_a_check

_RECORDED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | \
    TaskState.CANCELLED | TaskState.ERROR


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the instance once, in creation order, sub-processes and call
    activities included (finished ones too). Reads the task dictionaries directly:
    SpiffWorkflow's tree iterator is several times slower and skips finished sub-processes."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:  # noqa: BLE001 - unknown or malformed id
        return None


def bpmn_id(task: Task) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


def properties(task: Task) -> dict[str, str]:
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}) or {}


def previous_element(task: Task, workflow: BpmnWorkflow) -> str | None:
    """The nearest ancestor that is a BPMN element (crossing into the calling process)."""
    node = task.parent
    while node is not None:
        if bpmn_id(node):
            return bpmn_id(node)
        node = node.parent
    parent_id = getattr(task.workflow, "parent_task_id", None)
    if parent_id is not None:
        caller = workflow.get_task_from_id(parent_id)
        return bpmn_id(caller) if caller is not None else None
    return None


def _wait_kind(task: Task, state: int) -> str | None:
    """What the instance waits for at `task`: "user", "job", "timer", "dept" (a department
    system's answer) or None (one rule for the scan after a command and for the summary of
    a restored workflow)."""
    if state == TaskState.READY and task.task_spec.manual:
        return "user"
    if state == TaskState.STARTED and isinstance(task.task_spec, ExternalServiceTask):
        return "job"
    if state == TaskState.WAITING and is_timer(task):
        return "timer"
    if state == TaskState.WAITING and is_department_wait(task):
        return "dept"
    return None


def is_department_wait(task: Task) -> bool:
    """A wait for a message only a department system may send (`allowedSenders` dept:…):
    a webhook department's case, which has no task row."""
    return (properties(task).get("allowedSenders") or "").startswith("dept:") and any(
        isinstance(d, MessageEventDefinition) for d in _definitions(task))


def department_waits(workflow: BpmnWorkflow) -> dict[str, tuple[Task, dt.datetime | None, list[str]]]:
    """The waits for a department system's answer a workflow has now: each with its deadline
    and the task ids of the timers attached to it, fired ones too (the rows a case had before
    migration 0018 are made from these)."""
    out = {}
    for t in all_tasks(workflow):
        if bpmn_id(t) and _wait_kind(t, t.state) == "dept":
            siblings = t.parent.children if t.parent is not None else []
            out[str(t.id)] = (t, _deadline(t)[0], [str(x.id) for x in siblings if x is not t and is_timer(x)])
    return out


def department_of(task: Task) -> tuple[str | None, str | None]:
    """(code, name) of the department a wait is for: the sub-process's `department` variable
    and the name its dispatch result gave (`dispatch.department_name`)."""
    value = task.data.get("department")
    dispatch = task.data.get("dispatch")
    name = dispatch.get("department_name") if isinstance(dispatch, dict) else None
    return (value[:80] if isinstance(value, str) and value else None,
            name[:120] if isinstance(name, str) and name else None)


def current(workflow: BpmnWorkflow) -> tuple[dict[UUID, int], dict[str, Any]]:
    """Task states and the waits' signature of a workflow as restored from its stored state.

    The projection rows are written in the same transaction as that state, so they say
    the same: summarising the workflow replaces reading the rows back (three SELECTs
    per command on the cold path, e.g. each timer of a drain)."""
    states: dict[UUID, int] = {}
    users: dict[str, dt.datetime | None] = {}
    jobs: set[str] = set()
    timers: dict[str, dt.datetime] = {}
    depts: dict[str, dt.datetime | None] = {}
    for t in all_tasks(workflow):
        if not bpmn_id(t):
            continue
        st = t.state
        states[t.id] = st
        kind = _wait_kind(t, st)
        if kind == "user":
            users[str(t.id)] = _deadline(t)[0]
        elif kind == "job":
            jobs.add(str(t.id))
        elif kind == "timer" and (due := timer_due(t)) is not None:
            timers[str(t.id)] = due
        elif kind == "dept":
            depts[str(t.id)] = _deadline(t)[0]
    return states, {"user": users, "jobs": jobs, "timers": timers, "dept": depts}


@dataclass
class Waits:
    """What an instance waits for, in one pass over its tasks."""

    user_tasks: dict[str, OpenUserTask]
    jobs: dict[str, tuple[Task, str, dict[str, Any]]]
    timers: dict[str, tuple[Task, dt.datetime]]
    depts: dict[str, tuple[Task, dt.datetime | None]]

    def signature(self) -> dict[str, Any]:
        """A small comparable summary, kept with the cached workflow."""
        return {
            "user": {k: u.due_at for k, u in self.user_tasks.items()},
            "jobs": set(self.jobs),
            "timers": {k: due for k, (_, due) in self.timers.items()},
            "dept": {k: due for k, (_, due) in self.depts.items()},
        }


@dataclass
class Scan:
    changes: list[dict[str, Any]]
    # Keyed by the task's UUID: every command scans every task, and turning each id into
    # text was ~4 % of a command's CPU time (uuid.__str__ is Python code).
    states: dict[UUID, int]
    waits: Waits


def _change(task: Task, element: str, before: dict[UUID, int], workflow: BpmnWorkflow) -> dict[str, Any]:
    return {
        "task": str(task.id),
        "element": element,
        "name": task.task_spec.bpmn_name,
        "process": task.workflow.spec.name,
        "from": TaskState.get_name(before[task.id]) if task.id in before else None,
        "to": TaskState.get_name(task.state),
        "prev": previous_element(task, workflow),
    }


def scan(workflow: BpmnWorkflow, before: dict[UUID, int]) -> Scan:
    """One pass over the tasks after a command: what changed since `before` (audit and
    flow coverage), the new task states, and what the instance now waits for."""
    changes: list[dict[str, Any]] = []
    states: dict[UUID, int] = {}
    users: dict[str, OpenUserTask] = {}
    jobs: dict[str, tuple[Task, str, dict[str, Any]]] = {}
    timers: dict[str, tuple[Task, dt.datetime]] = {}
    depts: dict[str, tuple[Task, dt.datetime | None]] = {}
    for t in all_tasks(workflow):
        element = bpmn_id(t)
        if not element:
            continue
        st = t.state
        states[t.id] = st
        was = before.get(t.id)
        if was != st and st & _RECORDED:
            changes.append(_change(t, element, before, workflow))
        kind = _wait_kind(t, st)
        if not kind:
            continue
        key = str(t.id)
        if kind == "user":
            due, basis = _deadline(t)
            opened = was != st
            groups = _candidate_groups(t, opened=opened)
            preferred, days = _preferred(t) if opened else (None, None)
            users[key] = OpenUserTask(t, properties(t).get("formKey"), groups, due, basis, preferred, days)
        elif kind == "job":
            jobs[key] = (t, t.task_spec.operation_name, t._get_internal_data(JOB_PARAMS) or {})
        elif kind == "timer" and (due := timer_due(t)) is not None:
            timers[key] = (t, due)
        elif kind == "dept":
            depts[key] = (t, _deadline(t)[0])
    return Scan(changes, states, Waits(users, jobs, timers, depts))


@dataclass
class OpenUserTask:
    task: Task
    form_key: str | None
    candidate_groups: list[str]
    due_at: dt.datetime | None
    statutory_basis: str | None = None
    # W-FIRST / J-FIRST / T-ONCE: the user the task goes to first, and for how many working days.
    preferred: str | None = None
    preferred_days: int | None = None


DEFAULT_PREFERRED_DAYS = 1


def _preferred(task: Task) -> tuple[str | None, int | None]:
    """The first-question person a task opening now goes to first (`preferredAssignee`, an
    expression on the case data, e.g. `first_question_user`) and the working days they keep
    it (`preferredAssigneeDays`, default 1). No person (the expression names none, or a name
    the case does not hold yet) means the task goes to its groups, as without the property."""
    props = properties(task)
    if not props.get("preferredAssignee"):
        return None, None
    expression = props["preferredAssignee"].strip()
    if expression.isidentifier() and expression not in task.data:
        # The usual "no person yet": a bare case variable the case does not hold. Evaluating it
        # would end the same way, but SpiffWorkflow's NameError suggests similar names, a
        # Levenshtein pass over every variable (~2.5 % of a Jiangyin case, profiled).
        # Any other name would be a host function, never a person (not a string).
        return None, None
    engine = task.workflow.script_engine
    try:
        who = engine.evaluate(task, props["preferredAssignee"])
        days = engine.evaluate(task, props["preferredAssigneeDays"]) if props.get("preferredAssigneeDays") \
            else DEFAULT_PREFERRED_DAYS
    except SpiffWorkflowException as err:
        if refused_by_a_check(err):
            raise process_error(err) from err  # a bound met: said, never taken for "no person"
        return None, None  # e.g. a case started before the first-question person was recorded
    if not isinstance(who, str) or not who.strip():
        return None, None
    days = days if isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 90 else DEFAULT_PREFERRED_DAYS
    return who.strip(), days


def _candidate_groups(task: Task, opened: bool) -> list[str]:
    """The groups who may claim `task`; a task `opened` by this command must have one (its
    rows are written now: a task nobody can claim would wait for ever)."""
    props = properties(task)
    if props.get("candidateGroupsExpression"):
        try:
            value = task.workflow.script_engine.evaluate(task, props["candidateGroupsExpression"])
        except SpiffWorkflowException as err:
            raise process_error(err) from err
        groups = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    elif props.get("candidateGroups"):
        groups = props["candidateGroups"].split(",")
    else:
        groups = [task.task_spec.lane] if getattr(task.task_spec, "lane", None) else []
    found = [g.strip() for g in groups if isinstance(g, str) and g.strip()]
    if not found and opened:
        raise ProcessError(f"the process failed at {bpmn_id(task)}: the task has no candidate group "
                           "(candidateGroups, candidateGroupsExpression or a lane), so nobody could claim it",
                           {"element": bpmn_id(task)})
    return found


def _deadline(task: Task) -> tuple[dt.datetime | None, str | None]:
    """The earliest timer attached to `task` (its deadline): due time and its basis, the
    timer's `basis` property as the designer wrote it for clerks, else its documentation
    (written for designers; the task page tidies that up)."""
    parent = task.parent
    if parent is None:
        return None, None
    timers = [(due, (properties(sibling).get("basis") or sibling.task_spec.documentation or "").strip()[:500]
               or None)
              for sibling in parent.children
              if sibling is not task and sibling.state == TaskState.WAITING and is_timer(sibling)
              and (due := timer_due(sibling)) is not None]
    return min(timers, key=lambda t: t[0]) if timers else (None, None)


def _definitions(task: Task) -> list[Any]:
    """The event definitions a catching task waits on (several for an event-based gateway)."""
    if not isinstance(task.task_spec, CatchingEvent):
        return []
    definition = task.task_spec.event_definition
    return list(getattr(definition, "event_definitions", None) or [definition])


def event_definitions(task: Task) -> list[Any]:
    """The event definitions a catching task (or receive task) waits on."""
    return _definitions(task)


def is_timer(task: Task) -> bool:
    return any(isinstance(d, (CommandTimeDate, CommandDuration)) for d in _definitions(task))


def message_waiters(workflow: BpmnWorkflow, name: str) -> list[Task]:
    """The tasks waiting now for the message `name` (one per parallel sub-process)."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.WAITING
            and any(isinstance(d, MessageEventDefinition) and d.name == name for d in _definitions(t))]
