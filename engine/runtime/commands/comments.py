"""Comment on a case (issue 10): any staff member who may see the case; the comment is
stored for the case page and recorded in the case's audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from engine.auth import Principal, scope
from engine.errors import Forbidden, ValidationFailed
from engine.runtime.context import CommandContext
from engine.store.models import Instance
from engine.store.records import CaseComment

MAX_COMMENT = 2000


@dataclass
class AddComment:
    instance_id: str
    text: str
    who: Principal
    name: str = "add_comment"

    def execute(self, ctx: CommandContext) -> CaseComment:
        text = self.text.strip() if isinstance(self.text, str) else ""
        if not text or len(text) > MAX_COMMENT:
            raise ValidationFailed(f"a comment is 1-{MAX_COMMENT} characters",
                                   {"fields": {"text": [f"1-{MAX_COMMENT} characters"]}})
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
        if not scope.sees_instance(ctx.session, self.who, row):
            raise Forbidden(f"instance {row.id} is outside your scope ({scope.describe(self.who)})",
                            {"instance": row.id})
        comment = CaseComment(instance_id=row.id, author=ctx.actor, created_at=ctx.now, text=text)
        ctx.session.add(comment)
        ctx.record(row, self.name, {"text": text})
        return comment
