"""Cancel a running instance; its open tasks, jobs and timers close with it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Conflict
from engine.runtime.executor import CommandContext
from engine.store.models import Instance


@dataclass
class CancelInstance:
    instance_id: str
    reason: str
    name: str = "cancel_instance"

    def execute(self, ctx: CommandContext) -> Instance:
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
        if row.status != "running":
            raise Conflict(f"instance {row.id} is {row.status}", {"instance": row.id, "status": row.status})
        workflow = ctx.workflow(row)
        ctx.run_engine(workflow, workflow.cancel)
        row.status, row.ended_at = "cancelled", ctx.now
        ctx.record(row, self.name, {"reason": self.reason})
        return ctx.returned(row)
