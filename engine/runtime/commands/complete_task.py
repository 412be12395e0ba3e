"""Complete a user task with form data validated against its form (X-FORMS, X-STAFF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.task import TaskState

from engine import task_queue
from engine.auth import Principal
from engine.errors import Conflict
from engine.forms import validate_submission
from engine.runtime import first_question, inspect
from engine.runtime.commands.claim_task import check_candidate, open_task
from engine.runtime.context import CommandContext
from engine.store.models import HumanTask, TaskCandidate, TaskDraft

CANDIDATES = TaskCandidate.__table__
_DROP_CANDIDATES = CANDIDATES.delete().where(CANDIDATES.c.task_id == sa.bindparam("b_task"))  # built once
DRAFTS = TaskDraft.__table__
_DROP_DRAFTS = DRAFTS.delete().where(DRAFTS.c.task_id == sa.bindparam("b_task"))


@dataclass
class CompleteTask:
    task_id: str
    who: Principal
    data: dict[str, Any] = field(default_factory=dict)
    name: str = "complete_task"

    def execute(self, ctx: CommandContext) -> HumanTask:
        row = open_task(ctx, self.task_id)
        check_candidate(row, self.who)
        taken = first_question.take(ctx.session, row, self.who, ctx.now)  # W-FIRST: a lapsed reservation
        if row.assignee not in (None, ctx.actor):
            raise Conflict(f"task {row.id} is claimed by {row.assignee}", {"task": row.id, "assignee": row.assignee})
        instance = ctx.instance(row.instance_id)
        workflow = ctx.workflow(instance)
        task = inspect.find_task(workflow, row.id)
        if task is None or not task.task_spec.manual or task.state != TaskState.READY:
            raise Conflict(f"task {row.id} is no longer waiting", {"task": row.id})
        data = dict(self.data)
        if row.form_key:
            form = ctx.specs.form(ctx.session, ctx.deployment_id(instance), row.form_key)
            # Hide conditions may read what the case already knows (e.g. the intake channel).
            data = validate_submission(form, data, context=task.data)
        # W-FIRST / J-FIRST / T-ONCE: the first-question person is the signed-in user, not a
        # typed name; in `data`, so that the case history (and its re-execution) holds it.
        first_question.record_actor(inspect.properties(task), data, task.data, ctx.actor)
        task.data.update(data)
        ctx.run_engine(workflow, task.run)
        ctx.update_rows([row], [{"state": "completed", "assignee": ctx.actor, "completed_by": ctx.actor,
                                 "ended_at": ctx.now}])
        # A Core statement: the ORM's bulk delete costs several times more on every completion.
        ctx.session.execute(_DROP_CANDIDATES, {"b_task": row.id})
        task_queue.drop(ctx.session, [row.id])
        ctx.session.execute(_DROP_DRAFTS, {"b_task": row.id})  # everyone's drafts of it: the task is done
        ctx.settled(instance, "user", row.id)
        ctx.record(instance, self.name, {"task": row.id, "element": row.bpmn_id, "data": data,
                                         **({"taken_over": taken} if taken else {})})
        return row
