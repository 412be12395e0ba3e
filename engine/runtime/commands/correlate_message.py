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
from engine.runtime.executor import LEAN, CommandContext
from engine.store.models import Instance


@dataclass
class CorrelateMessage:
    """Deliver `message` to the running instance with `business_key`.

    `scope` narrows delivery to the waiting branch whose data matches it, e.g.
    `{"department": "education"}` for a department system's answer: with several
    departments handling one case in parallel, each answer must reach its own branch."""

    message: str
    business_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    scope: dict[str, Any] | None = None
    name: str = "correlate_message"

    def _waiters(self, ctx: CommandContext, row: Instance) -> list[Any]:
        waiters = inspect.message_waiters(ctx.workflow(row), self.message)
        if self.scope:
            waiters = [t for t in waiters if all(t.data.get(k) == v for k, v in self.scope.items())]
        return waiters

    def execute(self, ctx: CommandContext) -> Instance:
        # Locked (as `CommandContext.lock` does): two messages at once for one case are
        # delivered one after the other, the second to what the first left.
        rows = ctx.session.scalars(sa.select(Instance).options(*LEAN).where(
            Instance.business_key == self.business_key, Instance.status == "running")
            .with_for_update(of=Instance).execution_options(populate_existing=True)).all()
        if not rows:
            raise NotFound(f"no running instance has business key '{self.business_key}'",
                           {"business_key": self.business_key})
        waiting = [(r, w) for r in rows if (w := self._waiters(ctx, r))]
        if not waiting:
            scope = f" for {self.scope}" if self.scope else ""
            raise Conflict(f"no instance with business key '{self.business_key}' is waiting for "
                           f"message '{self.message}'{scope}",
                           {"name": self.message, "business_key": self.business_key})
        if len(waiting) > 1:
            raise Conflict(f"{len(waiting)} instances with business key '{self.business_key}' wait for "
                           f"'{self.message}'; the key must be unique", {"business_key": self.business_key})
        row, waiters = waiting[0]
        workflow = ctx.workflow(row)
        # With a scope the event is aimed at the matching branch's (sub-)workflow only.
        target = waiters[0].workflow if self.scope else None
        event = BpmnEvent(MessageEventDefinition(self.message), dict(self.payload), target=target)
        ctx.run_engine(workflow, lambda: workflow.send_event(event))
        ctx.record(row, self.name, {"message": self.message, "payload": self.payload, "scope": self.scope})
        return ctx.returned(row)
