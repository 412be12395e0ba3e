"""Our task and event specs: service tasks wait for a worker, timers fire on command.

Service tasks: SpiffWorkflow would call the service inside `do_engine_steps()`; ours
evaluates its parameters and then waits (STARTED) until a worker completes the job.
Timers: SpiffWorkflow compares with the wall clock on every engine step; ours compute
their due time from the command time and fire only when the `fire timer` command marks
them, so that history and replay are deterministic. A timer expression whose value is no
date or duration fails as the diagram's error (422 naming the element), never a crash.
Multi-instance activities: the number of instances is checked against the ceiling
(`Limits.max_instances`) before any is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, ServiceTask
from SpiffWorkflow.spiff.specs.defaults import SequentialMultiInstanceTask as SequentialMultiInstance

from engine.scripting.bounds import current_limits, limit
from engine.scripting.script_engine import current_time

JOB_PARAMS = "job_params"
TIMER_FIRED = "event_fired"


class ExternalServiceTask(ServiceTask):
    """A service task handled by a worker of topic `operation_name`."""

    def _execute(self, task: Any) -> None:
        params = {name: task.workflow.script_engine.evaluate(task, p["value"])
                  for name, p in self.operation_params.items()}
        task._set_internal_data(**{JOB_PARAMS: params})
        return None  # leaves the task STARTED: a job for a worker


def _as_utc(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return TimerEventDefinition.get_datetime(value)


def _timer_value(my_task: Any, value: Any, what: str, convert: Any) -> dt.datetime:
    try:
        return convert(value)
    except (ValueError, TypeError, OverflowError, AttributeError) as err:
        raise WorkflowTaskException(f"the timer expression gave {str(value)[:80]!r}, which is not {what}: {err}",
                                    task=my_task, exception=err) from None


class CommandTimeDate(TimeDateEventDefinition):
    """timeDate whose expression (e.g. `add_working_days(now(), 2)`) is evaluated once."""

    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            due = _timer_value(my_task, value, "an ISO date and time", _as_utc)
            my_task._set_internal_data(event_value=due.isoformat())
        return bool(my_task._get_internal_data(TIMER_FIRED, False))


def _due_after(expression: Any) -> dt.datetime:
    parsed = TimerEventDefinition.parse_iso_duration(expression)
    start = current_time()
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


class CommandDuration(DurationTimerEventDefinition):
    """timeDuration counted from the command time at which the event was reached."""

    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            due = _timer_value(my_task, expression, "an ISO 8601 duration", _due_after)
            my_task._set_internal_data(event_value=due.isoformat())
        return bool(my_task._get_internal_data(TIMER_FIRED, False))


class BoundedInstances:
    """Mixed into SpiffWorkflow's multi-instance specs (`adopt_task`): the number of
    instances (cardinality or collection length) must be a whole number within the ceiling
    before any instance is made; SpiffWorkflow would make a million user tasks in one go."""

    def _check_instances(self, my_task: Any) -> None:
        spec: Any = self
        ceiling = current_limits().max_instances
        if spec.data_input is not None:
            if not spec.data_input.exists(my_task):
                return  # SpiffWorkflow names the missing collection itself
            items = spec.data_input.get(my_task)
            count = len(items) if hasattr(items, "__len__") else None
            what = f"the collection '{spec.data_input.bpmn_id}'"
        else:
            count = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
            what = "the loopCardinality"
            if isinstance(count, bool) or not isinstance(count, int):
                raise WorkflowTaskException(f"the loopCardinality gave {str(count)[:80]!r}, not a whole number",
                                            task=my_task)
        if count is None or count > ceiling:
            found = "an unsized collection" if count is None else f"{count} instances"
            err = limit("max_instances", ceiling, f"{what} asks for {found}; a multi-instance activity may have "
                                                  f"at most {ceiling} (RELIEF_MAX_INSTANCES)")
            raise WorkflowTaskException(err.message, task=my_task) from err


def timer_due(task: Any) -> dt.datetime | None:
    """The due time of a waiting timer task, once the engine has computed it."""
    value = task._get_internal_data("event_value")
    return _as_utc(value) if value else None


def adopt(event_definition: Any) -> None:
    """Swap a parsed timer definition for our command-fired one (same attributes)."""
    if type(event_definition) is TimeDateEventDefinition:
        event_definition.__class__ = CommandTimeDate
    elif type(event_definition) is DurationTimerEventDefinition:
        event_definition.__class__ = CommandDuration


class BoundedParallelMultiInstanceTask(BoundedInstances, ParallelMultiInstanceTask):
    """SpiffWorkflow's parallel multi-instance task within the instance ceiling."""

    def create_children(self, my_task: Any) -> None:
        """Every instance is made here, once the task has its data: check first."""
        self._check_instances(my_task)
        super().create_children(my_task)


class BoundedSequentialMultiInstanceTask(BoundedInstances, SequentialMultiInstance):
    """SpiffWorkflow's sequential multi-instance task within the instance ceiling."""

    def _update_hook(self, my_task: Any) -> Any:
        # one instance at a time: once the data is in, the first exists and no more
        result = super()._update_hook(my_task)
        self._check_instances(my_task)
        return result


# what the parser makes → ours (a serializer that stores specs registers ours like theirs)
BOUNDED: dict[type, type] = {ParallelMultiInstanceTask: BoundedParallelMultiInstanceTask,
                             SequentialMultiInstance: BoundedSequentialMultiInstanceTask}


def adopt_task(task_spec: Any) -> None:
    """Swap a parsed multi-instance spec for its bounded subclass (same attributes)."""
    bounded = BOUNDED.get(type(task_spec))
    if bounded is not None:
        task_spec.__class__ = bounded
    elif isinstance(task_spec, MultiInstanceTask) and not isinstance(task_spec, BoundedInstances):
        raise TypeError(f"{type(task_spec).__name__}: a multi-instance task this engine does not bound")
