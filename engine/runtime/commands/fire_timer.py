"""Fire a due timer: the scheduler calls this once per timer (X-TIMERS)."""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.task import TaskState

from engine.definitions.specs import TIMER_FIRED
from engine.errors import Conflict
from engine.runtime import inspect
from engine.runtime.context import CommandContext
from engine.store.models import Timer


@dataclass
class FireTimer:
    timer_id: str
    name: str = "fire_timer"

    def execute(self, ctx: CommandContext) -> Timer:
        timer = ctx.lock(Timer, self.timer_id, "timer")
        if timer.state != "pending":
            raise Conflict(f"timer {timer.id} is {timer.state}", {"timer": timer.id, "state": timer.state})
        if timer.due_at > ctx.now:
            raise Conflict(f"timer {timer.id} is not due until {timer.due_at.isoformat()}", {"timer": timer.id})
        row = ctx.instance(timer.instance_id)
        workflow = ctx.workflow(row)
        task = inspect.find_task(workflow, timer.task_id)
        if task is None or task.state != TaskState.WAITING:
            raise Conflict(f"timer {timer.id} no longer waits", {"timer": timer.id})
        task._set_internal_data(**{TIMER_FIRED: True})
        ctx.run_engine(workflow, workflow.refresh_timers)
        timer.state, timer.fired_at = "fired", ctx.now
        ctx.settled(row, "timers", timer.task_id)
        lateness = (ctx.now - timer.due_at).total_seconds()
        ctx.record(row, self.name, {"timer": timer.id, "element": timer.bpmn_id,
                                    "due_at": timer.due_at.isoformat(), "late_seconds": round(lateness, 3)})
        return timer
