"""The engine's public face: a few commands and queries. API, CLI, workers and tests
use only this; it builds a command and hands it to the executor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.auth import Principal
from engine.clock import AdjustableClock, Clock
from engine.definitions import repository
from engine.definitions.bundle import BundleFile, read_paths
from engine.errors import Conflict, Forbidden
from engine.forms import FormDefinition
from engine.runtime import commands as cmd
from engine.runtime.executor import Executor
from engine.store import migrate
from engine.store.db import Database
from engine.store.models import Definition, HumanTask, Instance, Job, Timer


class Engine:
    """One engine per process and database."""

    def __init__(self, database_url: str, clock: Clock | None = None, forms_root: Path | None = None,
                 known_topics: Collection[str] | None = None) -> None:
        self.db = Database(database_url)
        self.clock = clock or Clock()
        self.specs = repository.SpecCache()
        self.executor = Executor(self.db, self.specs, self.clock)
        self.forms_root = forms_root
        self.known_topics = known_topics

    # schema ---------------------------------------------------------------
    def upgrade_schema(self) -> None:
        """Run the Alembic migrations up to head."""
        migrate.upgrade(self.db.url)

    # definitions ------------------------------------------------------------
    def deploy(self, files: list[BundleFile], actor: str) -> repository.DeployResult:
        """Deploy files as new versions (or return the versions identical content has)."""
        with self.db.session() as s:
            return repository.deploy(s, files, actor, self.clock.now(), self.forms_root, self.known_topics)

    def deploy_paths(self, paths: list[Path], actor: str) -> repository.DeployResult:
        return self.deploy(read_paths(paths), actor)

    def definitions(self) -> list[Definition]:
        with self.db.session() as s:
            return list(s.scalars(sa.select(Definition).order_by(Definition.key, Definition.version)))

    # commands ---------------------------------------------------------------
    def start(self, definition: str, data: dict[str, Any], business_key: str | None, actor: str,
              region: str | None = None) -> Instance:
        return self.executor.run(cmd.StartInstance(definition, data, business_key, region), actor)

    def claim(self, task_id: str, who: Principal) -> HumanTask:
        return self.executor.run(cmd.ClaimTask(task_id, list(who.groups), who.is_admin), who.username)

    def unclaim(self, task_id: str, who: Principal) -> HumanTask:
        return self.executor.run(cmd.UnclaimTask(task_id, who.is_admin), who.username)

    def complete(self, task_id: str, data: dict[str, Any], who: Principal) -> HumanTask:
        return self.executor.run(cmd.CompleteTask(task_id, data, list(who.groups), who.is_admin), who.username)

    def correlate(self, message: str, business_key: str, payload: dict[str, Any], actor: str) -> Instance:
        return self.executor.run(cmd.CorrelateMessage(message, business_key, payload), actor)

    def cancel(self, instance_id: str, reason: str, actor: str) -> Instance:
        return self.executor.run(cmd.CancelInstance(instance_id, reason), actor)

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_jobs: int = 10,
                       lock_seconds: int = 300) -> list[Job]:
        return self.executor.run(cmd.FetchAndLock(worker_id, topics, max_jobs, lock_seconds), worker_id)

    def complete_job(self, job_id: str, worker_id: str, result: dict[str, Any]) -> Job:
        return self.executor.run(cmd.CompleteJob(job_id, worker_id, result), worker_id)

    def fail_job(self, job_id: str, worker_id: str, error: str, retries: int | None = None,
                 retry_in_seconds: int = 60) -> Job:
        return self.executor.run(cmd.FailJob(job_id, worker_id, error, retries, retry_in_seconds), worker_id)

    def fire_timer(self, timer_id: str) -> Timer:
        return self.executor.run(cmd.FireTimer(timer_id), "scheduler")

    def fire_due_timers(self, limit: int = 1000) -> int:
        """Fire every timer due by now, oldest first; returns how many fired."""
        with self.db.session() as s:
            due = s.scalars(sa.select(Timer.id).where(Timer.state == "pending", Timer.due_at <= self.clock.now())
                            .order_by(Timer.due_at).limit(limit)).all()
        fired = 0
        for timer_id in due:
            try:
                self.fire_timer(timer_id)
                fired += 1
            except Conflict:
                continue  # fired by another scheduler, or no longer waiting
        return fired

    def advance_clock(self, delta: dt.timedelta) -> dt.datetime:
        """Move an adjustable clock (test and demo mode only)."""
        if not isinstance(self.clock, AdjustableClock):
            raise Forbidden("the clock can only be moved in test or demo mode")
        return self.clock.advance(delta)

    # queries ----------------------------------------------------------------
    def instance(self, instance_id: str) -> Instance:
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is None:
                from engine.errors import NotFound

                raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
            return row

    def task_form(self, task: HumanTask) -> FormDefinition | None:
        """The form a task is rendered and validated with, as deployed with its instance."""
        if not task.form_key:
            return None
        with self.db.session() as s:
            instance = s.get(Instance, task.instance_id)
            return self.specs.form(s, instance.definition.deployment_id, task.form_key)

    def log_access(self, actor: str, resource: str, instance_id: str | None, fields: list[str]) -> None:
        """Record that `actor` saw personal data in full (J-SEC)."""
        from engine.store.models import AccessLog

        with self.db.session() as s:
            s.add(AccessLog(at=self.clock.now(), actor=actor, instance_id=instance_id, resource=resource,
                            fields=sorted(fields)))

    def dispose(self) -> None:
        self.db.dispose()

    def _restored(self, instance: Instance):  # noqa: ANN202 - a SpiffWorkflow BpmnWorkflow
        from engine.runtime import state

        with self.db.session() as s:
            process = self.specs.process(s, s.get(Definition, instance.definition_id))
        return state.load(instance.state, process.spec, process.subprocess_specs)

    def case_data(self, instance: Instance) -> dict[str, Any]:
        """The case data as the instance last left it (read-only copy): the last completed
        step's data, overlaid with what each waiting branch holds now."""
        from SpiffWorkflow.task import TaskState

        workflow = self._restored(instance)
        data = dict((workflow.last_task or workflow.task_tree).data)
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING):
            data.update(task.data)
        return data

    def task_data(self, task: HumanTask) -> dict[str, Any]:
        """The data a user task sees (to pre-fill its form)."""
        from engine.runtime.inspect import find_task

        with self.db.session() as s:
            instance = s.get(Instance, task.instance_id)
        found = find_task(self._restored(instance), task.id)
        return dict(found.data) if found is not None else {}
