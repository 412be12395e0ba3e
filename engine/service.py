"""The engine's public face: a few commands and queries. API, CLI, workers and tests
use only this; it builds a command and hands it to the executor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import archive
from engine.audit.checks import AuditChecks
from engine.audit.reads import AuditReads
from engine.auth import Principal, scope
from engine.auth.directory import UserDirectory
from engine.calendar import OFFICE_CLOSE
from engine.calendar.executor import CalendarExecutor
from engine.calendar.shared import SharedSettings
from engine.calendar.store import DatabaseCalendar
from engine.clock import AdjustableClock, Clock, SharedClock
from engine.crypto import keys, names, rotate
from engine.crypto.keys import Keyring
from engine.definitions import repository
from engine.definitions.bundle import BundleFile, read_paths
from engine.designer import Designer
from engine.designer_scenarios import DesignerScenarios
from engine.errors import Forbidden, NotFound, ProcessError, ValidationFailed
from engine.file_designer import FileDesigner
from engine.forms import FormDefinition
from engine.materials.face import MaterialsFace
from engine.portal import phone_tokens
from engine.portal.service import PortalService
from engine.reads import ScopedReads
from engine.records import CompletionRecord
from engine.runtime import commands as cmd
from engine.runtime.commands.jobs import ANY_FETCHABLE
from engine.runtime.executor import Executor
from engine.runtime.push import PushTarget
from engine.saved_views import SavedViews
from engine.scripting import Limits, command_budget
from engine.store import migrate
from engine.store.db import Database
from engine.store.models import Definition, DeploymentFile, HumanTask, Instance, Job, Timer
from engine.tracking import CaseTracking
from engine.worklist import WorkList


class Engine(ScopedReads, WorkList, SavedViews, AuditReads, PortalService, Designer, MaterialsFace, CaseTracking,
             AuditChecks, FileDesigner, DesignerScenarios):
    """One engine per process and database; its scoped reads (tasks_for, case_view, …)
    are in engine/reads.py, the work list and drafts in engine/worklist.py, saved views in
    engine/saved_views.py, the audit in engine/audit/reads.py, the portal in engine/portal/,
    the designer in engine/designer.py, materials in engine/materials/face.py, the case pages' reads
    (start forms, case_track, …) in engine/tracking.py."""

    def __init__(self, database_url: str, clock: Clock | None = None, forms_root: Path | None = None,
                 known_topics: Collection[str] | None = None, office_close: dt.time | None = None,
                 default_region: str | None = None, limits: Limits | None = None,
                 keyring: Keyring | None = None, read_url: str | None = None,
                 wall_clock: Clock | None = None) -> None:
        # The data keys that seal personal data at rest: given, or RELIEF_DATA_KEY(_FILE).
        # `read_url`: a PostgreSQL read replica for the pages' reads (Database.replica_reads).
        self.db = Database(database_url, keyring or keys.from_environment(), read_url=read_url)
        self.clock = clock or Clock()
        # Real time, whatever `clock` says: what must not move with a demo's or test's clock
        # (job locks are leases of real time; an applicant's sign-in and its SMS code last real
        # minutes; deadlines use `clock`). Tests give an adjustable one to let a lease run out.
        self.wall_clock: Clock = wall_clock or Clock()
        self.specs = repository.SpecCache()
        # The clock's offset (demo/test) and the calendar's overrides live in the database.
        if hasattr(self.clock, "bind"):
            self.clock.bind(self.db)
        self.settings = SharedSettings(self.db)
        # Deadlines end at office close (Asia/Shanghai), 17:30 unless configured.
        self.calendar = DatabaseCalendar(self.db, self.settings, office_close or OFFICE_CLOSE)
        self.executor: Executor = CalendarExecutor(self.db, self.specs, self.clock, self.calendar)
        # Bounds on designer code (steps, time, sizes, multi-instance ceiling, ...).
        self.executor.limits = limits or Limits()
        self.executor.lease_clock = self.wall_clock  # job locks: leases of real time
        self.forms_root = forms_root
        self.known_topics = known_topics
        # The region of cases whose starter has none and names none (12345 tickets).
        self.default_region = scope.valid_region(default_region, "RELIEF_DEFAULT_REGION")
        # People: sign-in, sessions and tokens, lockout, user administration.
        self.users = UserDirectory(self.db)

    # schema ---------------------------------------------------------------
    def upgrade_schema(self) -> None:
        """Run the Alembic migrations up to head, then seal what a migration left in clear in
        the tables looked up by ID number (Alembic holds no data keys; engine.crypto.rotate)."""
        migrate.upgrade(self.db.url)
        rotate.seal_lookup_tables(self.db)
        names.protect_clear_names(self.db)  # migration 0018 left the names to hash (it has no keys)
        self.backfill_department_waits()  # waits begun before 0018 have no rows yet
        archive.backfill_household_tokens(self)  # cases begun before 0025 have no household key yet
        phone_tokens.backfill_phone_tokens(self)  # nor those before 0026 the applicant's phone's (portal sign-in)

    # definitions ------------------------------------------------------------
    def deploy(self, files: list[BundleFile], actor: str, require_approval: bool = True) -> repository.DeployResult:
        """Deploy files as new versions (or return the versions identical content has); a new
        version of a process with cases awaits approval unless `require_approval` is off."""
        from sqlalchemy.exc import IntegrityError

        def run() -> repository.DeployResult:
            # The checks evaluate designer code: under this engine's limits.
            with self.db.session() as s, command_budget(self.executor.limits):
                return repository.deploy(s, files, actor, self.clock.now(), self.forms_root, self.known_topics,
                                         require_approval, self.items_path)
        try:
            return run()
        except IntegrityError:  # a deployment at the same moment took the version number or the audit seq
            return run()

    def deploy_paths(self, paths: list[Path], actor: str, require_approval: bool = True) -> repository.DeployResult:
        return self.deploy(read_paths(paths), actor, require_approval)

    def approve_definition(self, key: str, version: int, approver: str) -> Definition:
        """A second person's approval of a pending version (the caller checks that `approver`
        is a designer or administrator); 403 for its deployer, 409 unless pending."""
        from engine.definitions import approval

        with self.db.session() as s:
            return approval.approve(s, key, version, approver, self.clock.now())

    def pending_approvals(self) -> list[Definition]:
        """Versions awaiting a second person's approval."""
        from engine.definitions import approval

        with self.db.reading() as s:
            return approval.pending(s)

    def definitions(self) -> list[Definition]:
        with self.db.reading() as s:
            return list(s.scalars(sa.select(Definition).order_by(Definition.key, Definition.version)))

    def definition(self, definition_id: int) -> Definition:
        with self.db.reading() as s:
            row = s.get(Definition, definition_id)
        if row is None:
            raise NotFound(f"definition {definition_id} does not exist", {"definition": definition_id})
        return row

    def definition_diagram(self, definition: Definition) -> bytes:
        """The BPMN file (with its diagram) that holds `definition`'s process, as deployed."""
        with self.db.reading() as s:
            name = self.specs.process(s, definition).file
            return s.scalar(sa.select(DeploymentFile.content).where(
                DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.name == name))

    def definition_forms(self, definition: Definition) -> list[str]:
        """The keys of the forms deployed with `definition`."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(DeploymentFile.name).where(
                DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.kind == "form")
                .order_by(DeploymentFile.name)))

    def definition_form(self, definition: Definition, key: str) -> FormDefinition:
        """A form as deployed with `definition` (404 when it is not part of it)."""
        with self.db.reading() as s:
            return self.specs.form(s, definition.deployment_id, key)

    # commands ---------------------------------------------------------------
    def start(self, definition: str, data: dict[str, Any], business_key: str | None, who: Principal | str,
              region: str | None = None) -> Instance:
        """Start a case. A person (`who` a Principal) starts it in the region the application
        names (`region`, or `region` in the data) within their own, else in their own region
        (engine/auth/scope.py); a bare actor name is the system itself (tests, benchmarks)."""
        return self.start_once(definition, data, business_key, who, region)[0]

    def start_once(self, definition: str, data: dict[str, Any], business_key: str | None, who: Principal | str,
                   region: str | None = None) -> tuple[Instance, bool]:
        """Start a case (as `start`), or return the case `business_key` already names if this is
        a retry of its start (same data): (the case, whether this call started it). Another
        start with a taken key is refused (409 naming `business_key`)."""
        if isinstance(who, Principal):
            self.check_may_start(who, definition)  # a region's variant only in that region (issue 10)
            named = region or (data.get("region") if isinstance(data.get("region"), str) else None)
            region = scope.case_region(who, named, self.default_region)
            who = who.username
        command = cmd.StartInstance(definition, data, business_key, region)
        # Two starts with one key at once: the second one's insert fails on the unique
        # index, and its second run finds the first one's case.
        instance = self._run_keyed(command, who)
        return instance, command.created

    def claim(self, task_id: str, who: Principal) -> HumanTask:
        return self.executor.run(cmd.ClaimTask(task_id, who), who.username)

    def unclaim(self, task_id: str, who: Principal) -> HumanTask:
        return self.executor.run(cmd.UnclaimTask(task_id, who.is_admin), who.username)

    def complete(self, task_id: str, data: dict[str, Any], who: Principal) -> HumanTask:
        return self.executor.run(cmd.CompleteTask(task_id, who, data), who.username)

    def add_comment(self, instance_id: str, text: str, who: Principal) -> Any:
        """A comment on a case `who` may see (stored, and in the case's audit chain)."""
        return self.executor.run(cmd.AddComment(instance_id, text, who), who.username)

    def correlate(self, message: str, business_key: str, payload: dict[str, Any], who: Principal) -> Instance:
        """Deliver a message from `who`, if the waiting element's rule names them (engine/auth/senders.py)."""
        return self.executor.run(cmd.CorrelateMessage(message, business_key, who, payload), who.username)

    def cancel(self, instance_id: str, reason: str, who: Principal | str) -> Instance:
        """Cancel a running case; a person only one in their scope (a bare actor name: the system)."""
        if isinstance(who, Principal):
            return self.executor.run(cmd.CancelInstance(instance_id, reason, who), who.username)
        return self.executor.run(cmd.CancelInstance(instance_id, reason), who)

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_jobs: int = 10,
                       lock_seconds: int = 300, lock_by_topic: dict[str, int] | None = None) -> list[Job]:
        return self.executor.run(cmd.FetchAndLock(worker_id, topics, max_jobs, lock_seconds, lock_by_topic or {}),
                                 worker_id)

    def complete_job(self, job_id: str, worker_id: str, result: dict[str, Any],
                     record: CompletionRecord | None = None) -> Job:
        """Complete the job with its handler's `result`; with `record`, keep the job's record
        in the same transaction and put its columns into the result (engine/records.py)."""
        return self._settle_job(cmd.CompleteJob(job_id, worker_id, result, record), job_id, worker_id)

    def fail_job(self, job_id: str, worker_id: str, error: str, retries: int | None = None,
                 retry_in_seconds: int = 60, details: dict[str, Any] | None = None) -> Job:
        return self.executor.run(cmd.FailJob(job_id, worker_id, error, retries, retry_in_seconds, details),
                                 worker_id)

    def bpmn_error(self, job_id: str, worker_id: str, code: str, message: str = "",
                   variables: dict[str, Any] | None = None) -> Job:
        """The handler reports a business error the diagram models with an error boundary event."""
        return self._settle_job(cmd.ThrowBpmnError(job_id, worker_id, code, message, variables or {}), job_id,
                                worker_id)

    def _settle_job(self, command: Any, job_id: str, worker_id: str) -> Job:
        """Run a job's completion; when the diagram's code fails on what follows the job (a
        bound hit, a bad expression), the job becomes an incident for an operator (422 to the
        worker): retrying would fail the same way."""
        try:
            return self.executor.run(command, worker_id)
        except ProcessError as err:
            self.executor.run(cmd.FailJob(job_id, worker_id, err.message, 0, 0, err.details), worker_id)
            raise

    def push_jobs_to(self, target: PushTarget) -> None:
        """From now on, jobs that commands of this process create for `target`'s topics go to
        it already locked while it has room (an in-process runner; engine/runtime/push.py)."""
        self.executor.push.register(target)

    def stop_pushing_to(self, target: PushTarget) -> None:
        """Push no more jobs to `target` (it hands back, or lets expire, those it holds)."""
        self.executor.push.unregister(target)

    def pushing_to(self, target: PushTarget) -> bool:
        return self.executor.push.registered(target)

    def has_due_jobs(self, topics: list[str]) -> bool:
        """Whether a fetch-and-lock for `topics` would find a job now: one read, no write
        transaction, so that a runner with nothing to do does not take the write lock."""
        with self.db.reading() as s:
            found = s.connection().execute(ANY_FETCHABLE, {"topics": topics, "now": self.clock.now(),
                                                           "lease_now": self.wall_clock.now()}).first()
        return found is not None

    @property
    def jobs_queued(self) -> int:
        """How many committed commands of this process have queued a job (a new job, a
        retry): unchanged since an in-process fetch took every due job means none is new."""
        return self.executor.jobs_queued

    def extend_lock(self, job_id: str, worker_id: str, lock_seconds: int) -> Job:
        return self.executor.run(cmd.ExtendLock(job_id, worker_id, lock_seconds), worker_id)

    def take_back_jobs(self, worker_id: str) -> int:
        """At a restart: end the locks of the jobs `worker_id` holds (its previous incarnation
        died holding them), so that they run now rather than when the locks expire. Only for
        a worker id no other live process uses. Returns how many jobs were taken back."""
        return self.executor.run(cmd.TakeBackJobs(worker_id), worker_id)

    def retry_incident(self, job_id: str, who: Principal | str, retries: int = 1) -> Job:
        """Make an incident's job fetchable again (after its cause was fixed); a person only
        for a case they may see (a bare actor name: an operator's CLI)."""
        if isinstance(who, Principal):
            with self.db.reading() as s:
                job = s.get(Job, job_id)
                if job is not None and (job.instance_id or job.case_id):
                    scope.require_case_of(s, who, job.instance_id or job.case_id, "job", job_id)
            who = who.username
        return self.executor.run(cmd.RetryIncident(job_id, retries), who)

    def queue_job(self, instance_id: str, topic: str, params: dict[str, Any], key: str, actor: str) -> Job:
        """A detached job for a case (no diagram element waits on it); idempotent by `key`."""
        return self.executor.run(cmd.QueueJob(instance_id, topic, params, key), actor)

    # case records, kept by the worker holding a job's lock (engine/records.py) ----------
    def _run_keyed(self, command: Any, actor: str) -> Any:
        """Run a command that creates a row with a unique key unless it exists; when another
        caller created it at the same moment (IntegrityError), the second run finds that row."""
        from sqlalchemy.exc import IntegrityError

        try:
            return self.executor.run(command, actor)
        except IntegrityError:
            return self.executor.run(command, actor)

    def keep_record(self, job_id: str, worker_id: str, kind: str,
                    fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The job's record of `kind` (notification, ledger, dispatch), created unless an
        earlier delivery of the job made it: (record, created)."""
        return self._run_keyed(cmd.KeepRecord(job_id, worker_id, kind, fields), worker_id)

    def notification_sent(self, job_id: str, worker_id: str) -> dict[str, Any]:
        """Mark the job's notice sent (the SMS gateway accepted it)."""
        return self.executor.run(cmd.MarkNotificationSent(job_id, worker_id), worker_id)

    def queue_hotline_status(self, job_id: str, worker_id: str, status: str, message: str) -> tuple[str | None, bool]:
        """Push the job's notice to the 12345 platform if its case came from there:
        (the status job's id or None, whether this call queued it)."""
        return self._run_keyed(cmd.QueueHotlineStatus(job_id, worker_id, status, message), worker_id)

    def registry_household(self, job_id: str, worker_id: str,
                           id_number: str) -> tuple[str, list[dict[str, Any]]] | None:
        """T-ID: the household of `id_number` in the local registry, for the job's handler."""
        from engine import records

        return self.executor.run(cmd.ReadForJob(job_id, worker_id, "registry",
                                                lambda s: records.household(s, id_number)), worker_id)

    def registry_grants(self, job_id: str, worker_id: str, id_numbers: list[str],
                        aid_types: list[str]) -> list[dict[str, Any]]:
        """T-DEDUP: aid already granted to `id_numbers`, for the job's handler."""
        from engine import records

        return self.executor.run(cmd.ReadForJob(job_id, worker_id, "registry",
                                                lambda s: records.grants(s, id_numbers, aid_types)), worker_id)

    def job(self, job_id: str) -> Job:
        with self.db.reading() as s:
            row = s.get(Job, job_id)
        if row is None:
            from engine.errors import NotFound

            raise NotFound(f"job {job_id} does not exist", {"job": job_id})
        return row

    def jobs(self, state: str | None = None, topic: str | None = None, limit: int = 50, offset: int = 0) -> list[Job]:
        """Jobs, newest first; `state='incident'` lists the incidents."""
        q = sa.select(Job)
        if state:
            q = q.where(Job.state == state)
        if topic:
            q = q.where(Job.topic == topic)
        with self.db.reading() as s:
            return list(s.scalars(q.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)))

    def hotline_intake(self, ticket_id: str, definition: str, data: dict[str, Any],
                       callback_url: str | None, actor: str, region: str | None = None) -> tuple[Instance, bool]:
        """Start the case of a 12345 ticket once: (the case, whether this call created it).
        Its region is the ticket's, else the default region (RELIEF_DEFAULT_REGION)."""
        region = scope.valid_region(region) or self.default_region
        # The same ticket arriving twice at the same moment: the second run finds the first's case.
        return self._run_keyed(cmd.HotlineIntake(ticket_id, definition, data, callback_url, region), actor)

    # worker credentials -------------------------------------------------------
    def create_worker_token(self, name: str, topics: list[str], actor: str) -> tuple[Any, str]:
        """A worker token limited to `topics` (all when empty); the token is returned only now."""
        from engine.auth import worker_tokens

        known = list(self.known_topics) if self.known_topics is not None else None
        with self.db.session() as s:
            return worker_tokens.create(s, name, topics, actor, self.clock.now(), known)

    def identify_worker(self, token: str) -> Any:
        from engine.auth import worker_tokens

        with self.db.reading() as s:
            return worker_tokens.identify(s, token)

    def fire_timer(self, timer_id: str) -> Timer:
        return self.executor.run(cmd.FireTimer(timer_id), "scheduler")

    def fire_due_timers(self, limit: int | None = None, actor: str = "scheduler") -> int:
        """Fire every timer due by now, oldest first, each in its own transaction; returns
        how many fired. Safe to run in several processes at once (X-TIMERS)."""
        from engine.timers import firing

        return firing.fire_due(self, limit, actor)

    def timer_incidents(self, limit: int = 50, offset: int = 0) -> list[Timer]:
        """Timers parked after repeated failed firings, newest first, with the last error."""
        with self.db.reading() as s:
            return list(s.scalars(sa.select(Timer).where(Timer.state == "incident")
                                  .order_by(Timer.incident_at.desc(), Timer.id).limit(limit).offset(offset)))

    def retry_timer_incident(self, timer_id: str, who: Principal | str) -> Timer:
        """Make an incident timer pending again (after its cause was fixed); it fires at the
        next round. A person only for a case they may see (a bare actor name: an operator's CLI)."""
        if isinstance(who, Principal):
            with self.db.reading() as s:
                timer = s.get(Timer, timer_id)
                if timer is not None:
                    scope.require_case_of(s, who, timer.instance_id, "timer", timer_id)
            who = who.username
        return self.executor.run(cmd.RetryTimerIncident(timer_id), who)

    def next_timer_due(self) -> dt.datetime | None:
        """When the earliest pending timer is due (engine time), or None."""
        with self.db.reading() as s:
            return s.scalar(sa.select(sa.func.min(Timer.due_at)).where(Timer.state == "pending"))

    def recompute_provisional_deadlines(self, reason: str, actor: str = "calendar") -> list[dict[str, Any]]:
        """Recompute every pending provisional deadline with the calendar as it stands;
        one audited command per instance. Returns the timers that changed."""
        from engine.timers import firing

        return firing.recompute_provisional(self, reason, actor)

    def check_calendar_upgrade(self) -> list[dict[str, Any]]:
        """At start-up: if the installed `chinesecalendar` knows more years than the last
        start, recompute the provisional deadlines those years now decide."""
        from engine.timers import firing

        return firing.check_calendar_upgrade(self)

    def set_calendar_day(self, day: dt.date, kind: str, actor: str, region: str | None = None,
                         note: str = "", source: str = "") -> dict[str, Any]:
        """Declare a day a holiday or a working day, nationally or for a region."""
        return self.calendar.set_day(day, kind, actor, self.clock.now(), region, note, source)

    def import_calendar(self, text: str, filename: str, actor: str, source: str = "") -> dict[str, Any]:
        """Import a year's State Council arrangement (CSV or YAML); the provisional
        deadlines of that year are then recomputed and audited."""
        from engine.calendar.importer import parse

        arrangement = parse(text, filename, source)
        result = self.calendar.import_arrangement(arrangement, actor, self.clock.now())
        result["recomputed"] = self.recompute_provisional_deadlines(
            f"calendar {arrangement.year} imported ({arrangement.source or filename or 'no source given'})", actor)
        return result

    def add_working_days(self, start: dt.datetime | dt.date | str, n: int,
                         region: str | None = None) -> tuple[str, bool]:
        """The deadline `n` working days after `start` and whether it is provisional."""
        from engine.calendar.working_days import as_local_datetime

        cal = self.calendar.current()
        try:
            due = cal.add_working_days(start, n, region)
        except OverflowError:
            raise ValidationFailed(f"{n} working days after {start} falls after 9999-12-31, the last date there is",
                                   {"fields": {"start": [str(start)], "n": [n]}}) from None
        return due, cal.is_provisional(as_local_datetime(due).date())

    def working_days_between(self, after: dt.date, through: dt.date, region: str | None = None) -> int:
        """Working days after `after` up to and including `through` (deadline badges)."""
        return self.calendar.current().working_days_between(after, through, region)

    def advance_clock(self, delta: dt.timedelta) -> dt.datetime:
        """Move an adjustable clock (test and demo mode only)."""
        if not isinstance(self.clock, AdjustableClock):
            raise Forbidden("the clock can only be moved in test or demo mode")
        return self.clock.advance(delta)

    def reset_clock(self) -> dt.datetime:
        """Put a shared test or demo clock back on the wall clock (`relief clock reset`)."""
        if not isinstance(self.clock, SharedClock):
            raise Forbidden("the clock can only be reset in test or demo mode")
        return self.clock.reset()

    # queries ----------------------------------------------------------------
    def instance(self, instance_id: str) -> Instance:
        with self.db.reading() as s:
            row = s.get(Instance, instance_id)
            if row is None:
                raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
            return row

    def dispose(self) -> None:
        self.settings.dispose()
        self.db.dispose()
