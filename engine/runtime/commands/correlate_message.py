"""Deliver a message to the waiting instance with a business key (staff, department
systems and the 12345 platform send them through `POST /messages`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.errors import Conflict, NotFound
from engine.runtime import inspect
from engine.runtime.executor import CommandContext
from engine.store.models import Instance


@dataclass
class CorrelateMessage:
    message: str
    business_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    name: str = "correlate_message"

    def execute(self, ctx: CommandContext) -> Instance:
        rows = ctx.session.scalars(sa.select(Instance).where(
            Instance.business_key == self.business_key, Instance.status == "running")).all()
        if not rows:
            raise NotFound(f"no running instance has business key '{self.business_key}'",
                           {"business_key": self.business_key})
        waiting = [r for r in rows if self.message in inspect.waiting_messages(ctx.workflow(r))]
        if not waiting:
            raise Conflict(f"no instance with business key '{self.business_key}' is waiting for "
                           f"message '{self.message}'", {"name": self.message, "business_key": self.business_key})
        if len(waiting) > 1:
            raise Conflict(f"{len(waiting)} instances with business key '{self.business_key}' wait for "
                           f"'{self.message}'; the key must be unique", {"business_key": self.business_key})
        row = waiting[0]
        workflow = ctx.workflow(row)
        event = BpmnEvent(MessageEventDefinition(self.message), dict(self.payload))
        ctx.run_engine(workflow, lambda: workflow.send_event(event))
        ctx.record(row, self.name, {"message": self.message, "payload": self.payload})
        return row
