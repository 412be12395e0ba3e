"""The staff's work list (the "my work" page): tasks with their case's summary, counted
per tab, the stages there are, form drafts kept on the server per task and user, and
handing a task over to a colleague. Mixed into `Engine`, scoped like every read: the
caller passes the Principal (engine/auth/scope.py decides)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine import queries
from engine.auth import Principal, scope
from engine.auth.users import to_principal
from engine.clock import Clock
from engine.errors import Conflict, ValidationFailed
from engine.runtime import commands as cmd
from engine.runtime.executor import Executor
from engine.store.db import Database
from engine.store.models import HumanTask, Instance, TaskDraft, User

MAX_DRAFT = 100_000  # characters of JSON: a form's worth, never a file


@dataclass
class TaskRow:
    """A task of the list with what its case shows there (no personal data but the name)."""

    task: HumanTask
    business_key: str | None
    process_key: str | None
    channel: str | None
    green: bool
    applicant_name: str | None


class WorkList:
    """The task list and drafts; mixed into `Engine`."""

    db: Database
    clock: Clock
    executor: Executor

    def task_page(self, who: Principal, f: queries.TaskFilter) -> tuple[list[TaskRow], int]:
        """One page of the tasks `who` may see matching `f` and how many match in all:
        open tasks green channel first (J-GREEN), then by deadline; completed ones newest first."""
        with self.db.reading() as s:
            rows, total = queries.task_page(s, who, f)
        return [TaskRow(t, i.business_key, i.process_key, i.channel, bool(i.green), i.applicant_name)
                for t, i in rows], total

    def task_count(self, who: Principal, f: queries.TaskFilter, cap: int | None = None) -> int:
        """How many tasks `who` may see match `f` (the tabs' counts, the new-task poll); with
        `cap`, at most cap + 1 ("more than cap", queries.count_tasks)."""
        with self.db.reading() as s:
            return queries.count_tasks(s, who, f, cap)

    def task_stages(self, who: Principal) -> list[tuple[str, str]]:
        """(element id, name) of the stages `who` has open tasks at, for the stage filter."""
        with self.db.reading() as s:
            return queries.task_stages(s, who)

    def case_of_task(self, who: Principal, task_id: str) -> Instance:
        """The case of a task `who` may see (its business key and summary for the task
        page's header): 404 when there is no such task, 403 outside their scope."""
        with self.db.reading() as s:
            task = scope.require_task(s, who, task_id)
            row = s.get(Instance, task.instance_id)
            _ = row.definition
            return row

    # handing over -----------------------------------------------------------------------
    def hand_over(self, task_id: str, who: Principal, to_username: str, reason: str) -> HumanTask:
        """Give a task `who` holds to a colleague who may take it, with a reason (case history)."""
        with self.db.reading() as s:
            scope.require_task(s, who, task_id)
            user = s.scalar(sa.select(User).where(User.username == to_username, User.active.is_(True)))
        if user is None:
            raise ValidationFailed(f"no active user '{to_username}'",
                                   {"fields": {"to": ["没有这个在用账号 (no such active user)"]}})
        return self.executor.run(cmd.HandOverTask(task_id, who, to_principal(user), reason), who.username)

    def colleagues_for(self, who: Principal, task: HumanTask) -> list[tuple[str, str]]:
        """(username, display name) of the active users, other than the holder, who may take
        `task` (its candidate groups, the case's region): whom it can be handed to."""
        with self.db.reading() as s:
            users = list(s.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.username)))
        out = []
        for user in users:
            if user.username == task.assignee or "admin" in (user.roles or []):
                continue
            p = to_principal(user)
            if scope.in_candidate_groups(p, task) and scope.region_contains(p.region, task.region):
                out.append((user.username, user.display_name or user.username))
        return out

    # drafts ----------------------------------------------------------------------------
    def save_draft(self, who: Principal, task_id: str, data: Any) -> TaskDraft:
        """Keep `who`'s unfinished form of an open task they may work on (replacing the last)."""
        if not isinstance(data, dict):
            raise ValidationFailed("a draft is a JSON object of form fields",
                                   {"fields": {"data": ["应为对象 (must be an object)"]}})
        if len(json.dumps(data, ensure_ascii=False, default=str)) > MAX_DRAFT:
            raise ValidationFailed(f"a draft may hold at most {MAX_DRAFT} characters",
                                   {"fields": {"data": [f"草稿过大 (more than {MAX_DRAFT} characters)"]}})
        with self.db.session() as s:
            task = scope.require_task(s, who, task_id)
            scope.check_task_action(who, task)
            if task.state != "open":
                raise Conflict(f"task {task_id} is {task.state}", {"task": task_id, "state": task.state})
            row = s.get(TaskDraft, (task_id, who.username))
            if row is None:
                row = TaskDraft(task_id=task_id, username=who.username)
                s.add(row)
            row.data, row.saved_at = data, self.clock.now()
            return row

    def draft(self, who: Principal, task_id: str) -> TaskDraft | None:
        """`who`'s saved draft of a task they may see, or None."""
        with self.db.reading() as s:
            scope.require_task(s, who, task_id)
            return s.get(TaskDraft, (task_id, who.username))

    def discard_draft(self, who: Principal, task_id: str) -> bool:
        """Delete `who`'s draft of a task; whether there was one."""
        with self.db.session() as s:
            scope.require_task(s, who, task_id)
            row = s.get(TaskDraft, (task_id, who.username))
            if row is not None:
                s.delete(row)
            return row is not None
