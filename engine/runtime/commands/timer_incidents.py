"""A timer whose firing keeps failing becomes an incident instead of a retry every second.

A timer fails to fire when the diagram errs on the path it starts (a condition on missing
data, a broken expression): retrying cannot help until someone fixes the cause, and the
scheduler would otherwise try it at every watch. After `FAILURES_BEFORE_INCIDENT` failed
firings the timer is parked as an incident (listed with jobs' incidents) and audited;
an operator retries it once the cause is fixed (X-TIMERS, X-WORKERS)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Conflict
from engine.runtime.context import CommandContext
from engine.store.models import Timer

FAILURES_BEFORE_INCIDENT = 3
MAX_ERROR = 2000


@dataclass
class RecordTimerFailure:
    """Count one failed firing of a pending timer; the n-th makes it an incident."""

    timer_id: str
    error: str
    name: str = "timer_incident"

    def execute(self, ctx: CommandContext) -> Timer:
        timer = ctx.lock(Timer, self.timer_id, "timer")
        if timer.state != "pending":
            return timer  # fired or cancelled meanwhile (another scheduler, a completed task)
        timer.failures = (timer.failures or 0) + 1
        timer.last_error = self.error[:MAX_ERROR]
        if timer.failures >= FAILURES_BEFORE_INCIDENT:
            timer.state, timer.incident_at = "incident", ctx.now
            ctx.record(ctx.instance(timer.instance_id), self.name,
                       {"timer": timer.id, "element": timer.bpmn_id, "due_at": timer.due_at.isoformat(),
                        "failures": timer.failures, "error": timer.last_error})
        return timer


@dataclass
class RetryTimerIncident:
    """An operator fixed the cause: the timer is pending again and fires at the next round."""

    timer_id: str
    name: str = "retry_timer_incident"

    def execute(self, ctx: CommandContext) -> Timer:
        timer = ctx.lock(Timer, self.timer_id, "timer")
        if timer.state != "incident":
            raise Conflict(f"timer {timer.id} is {timer.state}, not an incident",
                           {"timer": timer.id, "state": timer.state})
        previous = timer.last_error
        timer.state, timer.failures, timer.incident_at = "pending", 0, None
        ctx.record(ctx.instance(timer.instance_id), self.name,
                   {"timer": timer.id, "element": timer.bpmn_id, "previous_error": previous})
        return timer
