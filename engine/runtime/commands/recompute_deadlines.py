"""Recompute an instance's provisional deadlines once the calendar knows their year (X-TIMERS).

A timer expression such as `add_working_days(now(), 2)` was evaluated at the command
time the timer was reached (its row's `created_at`); it is evaluated again at that same
time with the calendar as it stands now. The new due time goes into the task's internal
`event_value` (what SpiffWorkflow and the projections read) and into the Timer row, and
`record` re-syncs the task rows (HumanTask.due_at, due_provisional) and audits the change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.calendar import SHANGHAI
from engine.calendar.active import case_region, current
from engine.definitions.specs import CommandTimeDate
from engine.runtime import inspect
from engine.runtime.context import CommandContext
from engine.scripting import command_time
from engine.store.models import HumanTask, Instance, Timer


def _as_utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(dt.UTC)
    return TimerEventDefinition.get_datetime(str(value)).astimezone(dt.UTC)


def _time_date_expression(task: Any) -> str | None:
    definition = getattr(task.task_spec, "event_definition", None)
    for d in [definition, *(getattr(definition, "event_definitions", None) or [])]:
        if isinstance(d, CommandTimeDate):
            return d.expression
    return None


@dataclass
class RecomputeDeadlines:
    """Re-evaluate the pending provisional timers of one instance; returns what changed."""

    instance_id: str
    reason: str
    name: str = "recompute_deadlines"

    def execute(self, ctx: CommandContext) -> list[dict[str, Any]]:
        # The instance first (as `CommandContext.lock`): its timers are then read as they are
        # now, not as before a firing that commits meanwhile.
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
        timers = list(ctx.session.scalars(sa.select(Timer).where(
            Timer.instance_id == self.instance_id, Timer.state == "pending", Timer.provisional.is_(True))
            .order_by(Timer.due_at)))
        if not timers:
            return []
        workflow = ctx.workflow(row)
        calendar = current()
        changed = []
        for timer in timers:
            task = inspect.find_task(workflow, timer.task_id)
            expression = _time_date_expression(task) if task is not None else None
            due = timer.due_at
            if expression is not None:
                with command_time(timer.created_at), case_region(row.region):
                    due = _as_utc(task.workflow.script_engine.evaluate(task, expression))
            provisional = calendar.is_provisional(due.astimezone(SHANGHAI).date())
            if due == timer.due_at and provisional == timer.provisional:
                continue
            if due != timer.due_at:
                task._set_internal_data(event_value=due.isoformat())
            changed.append({"timer": timer.id, "element": timer.bpmn_id, "from": timer.due_at.isoformat(),
                            "to": due.isoformat(), "provisional": provisional})
            timer.due_at, timer.provisional = due, provisional
        if changed:
            ctx.record(row, self.name, {"reason": self.reason, "timers": changed})
            # The projections rewrite a task row when its due time moves; a deadline that
            # the import confirms keeps its time and only loses the provisional flag.
            for task in ctx.session.scalars(sa.select(HumanTask).where(
                    HumanTask.instance_id == row.id, HumanTask.state == "open", HumanTask.due_at.is_not(None))):
                task.due_provisional = calendar.is_provisional(task.due_at.astimezone(SHANGHAI).date())
        return changed
