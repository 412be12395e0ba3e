"""Cancel a running instance; its open tasks, jobs and timers close with it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.auth import Principal, scope
from engine.errors import Conflict, Forbidden
from engine.runtime.context import CommandContext
from engine.store.models import Instance


@dataclass
class CancelInstance:
    instance_id: str
    reason: str
    who: Principal | None = None  # a person: only a case in their scope; None: the system itself
    name: str = "cancel_instance"

    def execute(self, ctx: CommandContext) -> Instance:
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
        if self.who is not None and not scope.sees_instance(ctx.session, self.who, row):
            raise Forbidden(f"instance {row.id} is outside your scope ({scope.describe(self.who)})",
                            {"instance": row.id})
        if row.status != "running":
            raise Conflict(f"instance {row.id} is {row.status}", {"instance": row.id, "status": row.status})
        workflow = ctx.workflow(row)
        ctx.run_engine(workflow, workflow.cancel)
        row.status, row.ended_at = "cancelled", ctx.now
        ctx.record(row, self.name, {"reason": self.reason})
        return ctx.returned(row)
