"""What a person may read, as the API and the web pages show it: scoped, masked for
roles that do not need personal data in full, and every full view written to the access
log (J-SEC). The Engine offers these methods (it inherits them); callers pass the
Principal and never filter, mask or log themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine import queries
from engine.auth import Principal, personal, scope
from engine.clock import Clock
from engine.definitions.repository import SpecCache
from engine.forms import FormDefinition
from engine.store.db import Database
from engine.store.models import AccessLog, Definition, HumanTask, Instance, Job, Timer
from engine.store.records import Dispatch, LedgerEntry, Notification

HISTORY_FIELDS = ("seq", "command", "actor", "at", "input", "changes", "prev_hash", "hash")


@dataclass
class CaseView:
    """A case as `who` may see it: its data masked unless `full` (then the view was logged)."""

    instance: Instance
    data: dict[str, Any]
    full: bool
    open_tasks: list[HumanTask]


@dataclass
class TaskView:
    """A task with its form and the data to pre-fill it, masked unless `full`."""

    task: HumanTask
    form: FormDefinition | None
    data: dict[str, Any]
    full: bool


class ScopedReads:
    """Reads through the scope rule (engine/auth/scope.py); mixed into `Engine`."""

    db: Database
    clock: Clock
    specs: SpecCache

    # lists ---------------------------------------------------------------------------
    def tasks_for(self, who: Principal, f: queries.TaskFilter) -> list[HumanTask]:
        """The tasks `who` may see that match `f` (the task list of the API and the pages)."""
        with self.db.reading() as s:
            return queries.tasks(s, who, f)

    def instances_for(self, who: Principal, status: str | None = None, business_key: str | None = None,
                      definition_key: str | None = None, limit: int = 50, offset: int = 0) -> list[Instance]:
        """The cases `who` may see, newest first."""
        with self.db.reading() as s:
            return queries.instances(s, who, status, business_key, definition_key, limit, offset)

    def notifications_for(self, who: Principal, instance_id: str | None = None, status: str | None = None,
                          limit: int = 50, offset: int = 0) -> list[Notification]:
        """The SMS outbox of the cases `who` may see (phones are masked by the caller's schema)."""
        with self.db.reading() as s:
            return queries.notifications(s, who, instance_id, status, limit, offset)

    def ledger_for(self, who: Principal, on: dt.date | None = None, business_key: str | None = None,
                   stage: str | None = None, limit: int = 50, offset: int = 0,
                   late: bool | None = None) -> list[LedgerEntry]:
        """The electronic ledger entries of the cases `who` may see, oldest first."""
        with self.db.reading() as s:
            return queries.ledger_entries(s, who, on, business_key, stage, limit, offset, late)

    def dispatches_for(self, who: Principal, instance_id: str) -> list[Dispatch]:
        """The dispatch and referral records of a case `who` may see."""
        with self.db.reading() as s:
            return queries.dispatches(s, who, instance_id)

    def incidents_for(self, who: Principal, topic: str | None = None, limit: int = 50,
                      offset: int = 0) -> list[Job]:
        """Jobs in incident of the cases `who` may see."""
        with self.db.reading() as s:
            return queries.incidents(s, who, topic, limit, offset)

    def timer_incidents_for(self, who: Principal, limit: int = 50, offset: int = 0) -> list[Timer]:
        """Timer incidents of the cases `who` may see."""
        with self.db.reading() as s:
            return queries.timer_incidents(s, who, limit, offset)

    # one case or task ------------------------------------------------------------------
    def instance_for(self, who: Principal, instance_id: str) -> Instance:
        """The case if `who` may see it (404: none; 403: outside their scope)."""
        with self.db.reading() as s:
            row = scope.require_instance(s, who, instance_id)
            _ = row.definition
            return row

    def task_for(self, who: Principal, task_id: str) -> HumanTask:
        """The task if `who` may see it (404: none; 403: not for their groups in their region)."""
        with self.db.reading() as s:
            return scope.require_task(s, who, task_id)

    def case_view(self, who: Principal, instance_id: str) -> CaseView:
        """The case with its data and open tasks as `who` may see them."""
        instance = self.instance_for(who, instance_id)
        full = scope.full_personal_data(who, instance)
        data = self._shown(who, full, self.case_data(instance), f"instance:{instance.id}", instance.id)
        with self.db.reading() as s:  # every open task of a case the reader may see
            open_tasks = list(s.scalars(sa.select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state == "open").order_by(HumanTask.created_at)))
        return CaseView(instance, data, full, open_tasks)

    def task_view(self, who: Principal, task_id: str) -> TaskView:
        """The task, its form and its data (open tasks only) as `who` may see them."""
        row = self.task_for(who, task_id)
        full = who.has_role(*scope.FULL_DATA_ROLES)
        data = self.task_data(row) if row.state == "open" else {}
        return TaskView(row, self.task_form(row), self._shown(who, full, data, f"task:{row.id}", row.instance_id),
                        full)

    def history_for(self, who: Principal, instance_id: str) -> list[dict[str, Any]]:
        """The case's hash-chained events as `who` may see them: ID numbers and phones in
        their input and changes masked unless the role needs them (then the view is logged)."""
        with self.db.reading() as s:
            events = queries.history(s, who, instance_id)
            instance = s.get(Instance, instance_id)
            full = scope.full_personal_data(who, instance)
        rows = [{name: getattr(e, name) for name in HISTORY_FIELDS} for e in events]
        return self._shown(who, full, rows, f"history:{instance_id}", instance_id)

    def _shown(self, who: Principal, full: bool, value: Any, resource: str, instance_id: str | None) -> Any:
        """`value` in full (logged, when it holds personal data) or masked."""
        if not full:
            return personal.masked(value)
        if fields := personal.personal_keys(value):
            self.log_access(who.username, resource, instance_id, fields)
        return value

    def log_access(self, actor: str, resource: str, instance_id: str | None, fields: list[str]) -> None:
        """Record that `actor` saw personal data in full (J-SEC)."""
        with self.db.session() as s:
            s.add(AccessLog(at=self.clock.now(), actor=actor, instance_id=instance_id, resource=resource,
                            fields=sorted(fields)))

    # the data behind the views (unscoped: for callers that checked scope, and for workers and tests)
    def case_data(self, instance: Instance) -> dict[str, Any]:
        """The case data as the instance last left it (read-only copy): the last completed
        step's data, overlaid with what each waiting branch holds now."""
        from engine.audit.replay import case_data

        return case_data(self._restored(instance))

    def task_data(self, task: HumanTask) -> dict[str, Any]:
        """The data a user task sees (to pre-fill its form)."""
        from engine.runtime.inspect import find_task

        with self.db.reading() as s:
            instance = s.get(Instance, task.instance_id)
        found = find_task(self._restored(instance), task.id)
        return dict(found.data) if found is not None else {}

    def task_form(self, task: HumanTask) -> FormDefinition | None:
        """The form a task is rendered and validated with, as deployed with its instance."""
        if not task.form_key:
            return None
        with self.db.reading() as s:
            instance = s.get(Instance, task.instance_id)
            return self.specs.form(s, instance.definition.deployment_id, task.form_key)

    def _restored(self, instance: Instance):  # noqa: ANN202 - a SpiffWorkflow BpmnWorkflow
        from engine.runtime import state

        with self.db.reading() as s:
            process = self.specs.process(s, s.get(Definition, instance.definition_id))
        return state.load(instance.state, process.spec, process.subprocess_specs)
