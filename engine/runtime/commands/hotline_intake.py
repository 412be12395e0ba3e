"""A 12345 ticket becomes a case once (J-CH-12345): the ticket row and the case are
written in one transaction, so the same ticket sent twice, even at the same moment,
is one case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine import records
from engine.runtime.commands.start_instance import StartInstance
from engine.runtime.context import CommandContext
from engine.store.models import Instance
from engine.store.worker_models import HotlineTicket


@dataclass
class HotlineIntake:
    ticket_id: str
    definition: str
    data: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    region: str | None = None  # the ticket's, else the deployment's default region
    name: str = "hotline_intake"

    def execute(self, ctx: CommandContext) -> tuple[Instance, bool]:
        """(the case, whether this call created it)."""
        existing = ctx.get(HotlineTicket, self.ticket_id)
        if existing is not None:
            return ctx.returned(ctx.instance(existing.instance_id)), False
        start = StartInstance(self.definition, self.data, business_key=f"12345-{self.ticket_id}", region=self.region)
        row = start.execute(ctx)  # a case started before with this ticket's key and data is that case
        ctx.session.add(HotlineTicket(ticket_id=self.ticket_id, instance_id=row.id, callback_url=self.callback_url,
                                      received_at=ctx.now))
        if self.callback_url:
            ctx.session.add(records.detached_job(
                row.id, records.HOTLINE_STATUS_TOPIC,
                {"ticket_id": self.ticket_id, "callback_url": self.callback_url, "status": "received",
                 "message": "已受理"}, f"12345:{self.ticket_id}:received", row.business_key, ctx.now))
        ctx.session.flush()  # a concurrent intake of the same ticket fails here, rolling back its case
        return row, start.created
