"""Our task and event specs: service tasks wait for a worker, timers fire on command.

Service tasks: SpiffWorkflow would call the service inside `do_engine_steps()`; ours
evaluates its parameters and then waits (STARTED) until a worker completes the job.
Timers: SpiffWorkflow compares with the wall clock on every engine step; ours compute
their due time from the command time and fire only when the `fire timer` command marks
them, so that history and replay are deterministic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

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


class CommandTimeDate(TimeDateEventDefinition):
    """timeDate whose expression (e.g. `add_working_days(now(), 2)`) is evaluated once."""

    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=_as_utc(value).isoformat())
        return bool(my_task._get_internal_data(TIMER_FIRED, False))


class CommandDuration(DurationTimerEventDefinition):
    """timeDuration counted from the command time at which the event was reached."""

    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = current_time()
            due = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            my_task._set_internal_data(event_value=due.isoformat())
        return bool(my_task._get_internal_data(TIMER_FIRED, False))


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
