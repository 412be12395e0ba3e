"""Deliver a message to the waiting instance with a business key (staff, department
systems and the 12345 platform send them through `POST /messages`), if the sender is one
the waiting element's rule names (engine/auth/senders.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.auth import Principal, senders
from engine.errors import Conflict, Forbidden, NotFound
from engine.runtime import inspect
from engine.runtime.context import LEAN, CommandContext
from engine.store.models import Instance


@dataclass
class CorrelateMessage:
    """Deliver `message` from `who` to the running instance with `business_key`.

    Only the waiting branches whose rule admits `who` receive it: a department's answer
    reaches that department's own branch, even with several departments handling one
    case in parallel."""

    message: str
    business_key: str
    who: Principal
    payload: dict[str, Any] = field(default_factory=dict)
    name: str = "correlate_message"

    def execute(self, ctx: CommandContext) -> Instance:
        # Locked (as `CommandContext.lock` does): two messages at once for one case are
        # delivered one after the other, the second to what the first left.
        rows = ctx.session.scalars(sa.select(Instance).options(*LEAN).where(
            Instance.business_key == self.business_key, Instance.status == "running")
            .with_for_update(of=Instance).execution_options(populate_existing=True)).all()
        if not rows:
            raise NotFound(f"no running instance has business key '{self.business_key}'",
                           {"business_key": self.business_key})
        waiting = [(r, w) for r in rows if (w := inspect.message_waiters(ctx.workflow(r), self.message))]
        if not waiting:
            raise Conflict(f"no instance with business key '{self.business_key}' is waiting for "
                           f"message '{self.message}'", {"name": self.message, "business_key": self.business_key})
        if len(waiting) > 1:
            raise Conflict(f"{len(waiting)} instances with business key '{self.business_key}' wait for "
                           f"'{self.message}'; the key must be unique", {"business_key": self.business_key})
        row, waiters = waiting[0]
        admitted = [(w, v) for w in waiters
                    if (v := senders.verdict(ctx.session, self.who, senders.rule_of(w, self.message), row,
                                             w.data)).allowed]
        if not admitted:
            rules = sorted({senders.rule_of(w, self.message) or "admin only" for w in waiters})
            raise Forbidden(f"{self.who.username} may not send '{self.message}' to this case; the diagram allows: "
                            f"{'; '.join(rules)}", {"name": self.message, "business_key": self.business_key,
                                                    "element": inspect.bpmn_id(waiters[0])})
        department = next((v.department for _, v in admitted if v.department), None)
        workflow = ctx.workflow(row)
        # Aimed at the admitted branches' (sub-)workflows only, unless every waiting branch
        # admits the sender (then the event goes everywhere, as BPMN has it).
        targets = [None] if len(admitted) == len(waiters) and department is None else \
            list({id(w.workflow): w.workflow for w, _ in admitted}.values())
        for target in targets:
            event = BpmnEvent(MessageEventDefinition(self.message), dict(self.payload), target=target)
            ctx.run_engine(workflow, lambda e=event: workflow.send_event(e))
        ctx.record(row, self.name, {"message": self.message, "payload": self.payload,
                                    "scope": {"department": department} if department else None})
        return ctx.returned(row)
