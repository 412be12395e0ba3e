"""Claim and unclaim a user task (W-FIRST: whoever takes a case is named on it)."""

from __future__ import annotations

from dataclasses import dataclass

from engine import task_queue
from engine.auth import Principal, scope
from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.runtime import first_question
from engine.runtime.context import CommandContext
from engine.store.models import HumanTask


def open_task(ctx: CommandContext, task_id: str) -> HumanTask:
    row = ctx.lock(HumanTask, task_id, "task")  # after a racing claim or completion commits: 409 here
    if row.state != "open":
        raise Conflict(f"task {task_id} is {row.state}", {"task": task_id, "state": row.state})
    return row


def check_candidate(row: HumanTask, who: Principal) -> None:
    """The scope rule for acting on a task: its candidate groups and the case's region."""
    scope.check_task_action(who, row)


@dataclass
class ClaimTask:
    task_id: str
    who: Principal
    name: str = "claim_task"

    def execute(self, ctx: CommandContext) -> HumanTask:
        row = open_task(ctx, self.task_id)
        check_candidate(row, self.who)
        # W-FIRST: a task reserved for the first-question person passes to a colleague once
        # the reservation has lapsed (or its holder is disabled); the take-over is recorded.
        taken = first_question.take(ctx.session, row, self.who, ctx.now)
        if row.assignee not in (None, ctx.actor):
            raise Conflict(f"task {row.id} is already claimed by {row.assignee}",
                           {"task": row.id, "assignee": row.assignee})
        row.assignee = ctx.actor
        task_queue.set_holder(ctx.session, row.id, row.assignee)
        ctx.record(ctx.instance(row.instance_id), self.name,
                   {"task": row.id, "element": row.bpmn_id, **(taken or {})})
        return row


@dataclass
class UnclaimTask:
    task_id: str
    is_admin: bool = False
    name: str = "unclaim_task"

    def execute(self, ctx: CommandContext) -> HumanTask:
        row = open_task(ctx, self.task_id)
        if row.assignee != ctx.actor and not self.is_admin:
            raise Forbidden(f"task {row.id} is claimed by {row.assignee or 'nobody'}, not by you",
                            {"task": row.id})
        row.assignee, row.reserved_until = None, None
        task_queue.set_holder(ctx.session, row.id, None)
        ctx.record(ctx.instance(row.instance_id), self.name, {"task": row.id, "element": row.bpmn_id})
        return row


MAX_REASON = 500


@dataclass
class HandOverTask:
    """The holder of a task (or an admin) hands it to a colleague who may take it (its
    candidate groups, the case's region), with a reason written in the case history."""

    task_id: str
    who: Principal
    to: Principal
    reason: str
    name: str = "hand_over_task"

    def execute(self, ctx: CommandContext) -> HumanTask:
        reason = (self.reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise ValidationFailed(f"a reason of 1 to {MAX_REASON} characters is required",
                                   {"fields": {"reason": [f"请填写 1 至 {MAX_REASON} 字的移交原因 (reason required)"]}})
        row = open_task(ctx, self.task_id)
        if row.assignee != ctx.actor and not self.who.is_admin:
            raise Forbidden(f"task {row.id} is held by {row.assignee or 'nobody'}: only its holder hands it over",
                            {"task": row.id})
        if self.to.username == row.assignee:
            raise ValidationFailed(f"{self.to.username} already holds task {row.id}",
                                   {"fields": {"to": ["已是该任务的办理人 (already holds the task)"]}})
        try:
            scope.check_task_action(self.to, row)
        except Forbidden:
            message = "该同事不在本任务的工作组或辖区内 (not a candidate for the task)"
            raise ValidationFailed(f"{self.to.username} may not take task {row.id}",
                                   {"fields": {"to": [message]}}) from None
        previous, row.assignee, row.reserved_until = row.assignee, self.to.username, None
        task_queue.set_holder(ctx.session, row.id, row.assignee)
        ctx.record(ctx.instance(row.instance_id), self.name, {
            "task": row.id, "element": row.bpmn_id, "from": previous, "to": self.to.username, "reason": reason})
        return row
