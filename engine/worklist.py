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
from engine.definitions.repository import SpecCache
from engine.errors import Conflict, ValidationFailed
from engine.runtime import commands as cmd
from engine.runtime.executor import Executor
from engine.stages import StageChoices
from engine.store.db import Database
from engine.store.models import Definition, DepartmentWait, HumanTask, Instance, TaskDraft, Timer, User

# The filter values the task list accepts (its page and GET /api/v1/tasks alike).
CHANNELS = ("window", "online", "hotline", "grid", "village", "mobile")  # the start forms' channel values
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,119}$"  # process keys, element ids, aid-type codes
MAX_DRAFT = 100_000  # characters of JSON: a form's worth, never a file
# Every definition's id, key and name, by version then key (the order of the work list's
# process filter: a process where its first version falls).
_DEFINITION_NAMES = sa.select(Definition.id, Definition.key, Definition.name).order_by(Definition.version,
                                                                                      Definition.key)


@dataclass
class TaskRow:
    """A task of the list with what its case shows there (no personal data but the masked name)."""

    task: HumanTask
    business_key: str | None
    process_key: str | None
    channel: str | None
    green: bool
    applicant_name: str | None  # masked (张*三): lists need no more


@dataclass
class WaitRow:
    """A case waiting for a department system's answer (no task row), for the overdue and
    due-soon lists: the wait (deadline, department) and its case's summary."""

    wait: DepartmentWait
    business_key: str | None
    process_key: str | None
    channel: str | None
    green: bool
    applicant_name: str | None  # masked


class WorkList:
    """The task list and drafts; mixed into `Engine`."""

    db: Database
    clock: Clock
    executor: Executor
    specs: SpecCache

    def task_page(self, who: Principal, f: queries.TaskFilter) -> tuple[list[TaskRow], int]:
        """One page of the tasks `who` may see matching `f` and how many match in all:
        open tasks green channel first (J-GREEN), then by deadline; completed ones newest first."""
        with self.db.reading() as s:
            rows, total = queries.task_page(s, who, f)
        return [TaskRow(t, i.business_key, i.process_key, i.channel, bool(i.green), i.applicant_display)
                for t, i in rows], total

    def department_wait_page(self, who: Principal, f: queries.TaskFilter) -> tuple[list[WaitRow], int]:
        """One page of the open waits for a department system's answer `who` may see matching
        `f`'s deadline and case fields (overdue: `f.overdue_at`; due soon: `f.due_from`/`due_before`),
        and how many match in all. Task-only fields of `f` (tab, stage, assignee) do not apply."""
        with self.db.reading() as s:
            rows, total = queries.department_waits(s, who, f)
        return [WaitRow(w, i.business_key, i.process_key, i.channel, bool(i.green), i.applicant_display)
                for w, i in rows], total

    def department_wait_count(self, who: Principal, f: queries.TaskFilter) -> int:
        """How many open department waits `who` may see match `f`."""
        with self.db.reading() as s:
            return queries.count_department_waits(s, who, f)

    def department_wait_counts(self, who: Principal, filters: dict[str, queries.TaskFilter]) -> dict[str, int]:
        """`department_wait_count` of each of `filters` (the work list's tabs), one round trip."""
        with self.db.reading() as s:
            return queries.count_department_waits_each(s, who, filters)

    def task_count(self, who: Principal, f: queries.TaskFilter, cap: int | None = None) -> int:
        """How many tasks `who` may see match `f` (the tabs' counts, the new-task poll); with
        `cap`, at most cap + 1 ("more than cap", queries.count_tasks)."""
        with self.db.reading() as s:
            return queries.count_tasks(s, who, f, cap)

    def task_counts(self, who: Principal, filters: dict[str, queries.TaskFilter],
                    cap: int | None = None) -> dict[str, int]:
        """`task_count` of each of `filters` (the work list's tabs), read together."""
        with self.db.reading() as s:
            return queries.count_tab_tasks(s, who, filters, cap)

    def task_stages(self, who: Principal) -> list[tuple[str, str]]:
        """(element id, name) of the stages of the deployed processes offered to `who`'s
        groups, for the stage filter: from the definitions, not from the open tasks (which
        a county has tens of thousands of, engine/stages.py)."""
        with self.db.reading() as s:
            return self._stages().for_user(s, who)

    def process_names(self) -> dict[str, str]:
        """Each deployed process's name (its newest version's; its key when it has none), in
        the order of a process filter."""
        with self.db.reading() as s:
            return _names(s.execute(_DEFINITION_NAMES).all())

    def task_list_choices(self, who: Principal) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """The work list's filter choices in one read of the definitions: `process_names()`
        and `task_stages(who)`."""
        with self.db.reading() as s:
            rows = s.execute(_DEFINITION_NAMES).all()
            return _names(rows), self._stages().for_definitions(s, who, (r[0] for r in rows))

    def _stages(self) -> StageChoices:
        stages = getattr(self, "_stage_choices", None)
        if stages is None:
            stages = self._stage_choices = StageChoices(self.specs)
        return stages

    def case_of_task(self, who: Principal, task_id: str) -> Instance:
        """The case of a task `who` may see (its business key and summary for the task
        page's header): 404 when there is no such task, 403 outside their scope."""
        with self.db.reading() as s:
            task = scope.require_task(s, who, task_id)
            row = s.get(Instance, task.instance_id)
            _ = row.definition
            return row

    def backfill_department_waits(self) -> int:
        """Rows for the department waits of running cases dispatched to a webhook department
        before migration 0018 (a command writes them only when a wait begins); how many were
        written. A wait whose deadline timer already fired gets that timer's due time."""
        from engine.runtime import projections
        from engine.runtime.inspect import department_waits
        from engine.store.records import Dispatch

        with self.db.session() as s:
            ids = list(s.scalars(sa.select(Instance.id).where(
                Instance.status == "running",
                Instance.id.in_(sa.select(Dispatch.instance_id).where(Dispatch.mode == "webhook")),
                ~Instance.id.in_(sa.select(DepartmentWait.instance_id)))))
            written = 0
            for instance_id in ids:
                row = s.get(Instance, instance_id)
                found = department_waits(self._restored(row))  # type: ignore[attr-defined]
                fired = {t.task_id: t.due_at for t in s.scalars(sa.select(Timer).where(
                    Timer.instance_id == instance_id, Timer.state == "fired"))}
                waits = {k: (task, due or min((fired[i] for i in timers if i in fired), default=None))
                         for k, (task, due, timers) in found.items()}
                written += projections.insert_department_waits(s, row, waits, self.clock.now())
            return written

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

    def reservation_lapsed(self, task: HumanTask) -> bool:
        """W-FIRST: whether a task held for the case's first-question person may now be taken by
        a colleague (its reservation ran out, or the holder's account is disabled)."""
        from engine.runtime import first_question
        with self.db.reading() as s:
            return task.state == "open" and first_question.lapsed(s, task, self.clock.now()) is not None

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


def _names(rows: list[sa.Row]) -> dict[str, str]:
    """Process key → name from `_DEFINITION_NAMES` rows (by version: the newest version's stays)."""
    return {key: name or key for _, key, name in rows}
