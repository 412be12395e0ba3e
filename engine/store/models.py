"""The engine's own tables: users, definitions, instances and what they wait on, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.crypto.columns import SealedDocument, SealedJSON, SealedText
from engine.store.base import Base, UtcDateTime, new_id


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    department: Mapped[str | None] = mapped_column(sa.String(80))
    region: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Set when someone else chose the password (an admin, an import): the user must pick
    # their own at the next web sign-in before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Remembered per user across devices: {"locale": "en", "large_font": true}.
    preferences: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")


class Deployment(Base):
    """One deploy call: the exact files, content-hashed; never changed afterwards."""

    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    files: Mapped[list[DeploymentFile]] = relationship(order_by="DeploymentFile.name", lazy="select")


class DeploymentFile(Base):
    __tablename__ = "deployment_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(sa.ForeignKey("deployments.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(8))  # bpmn | dmn | form
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    __table_args__ = (sa.UniqueConstraint("deployment_id", "name"),)


class Definition(Base):
    """A startable process of a deployment, with a version number per process key."""

    __tablename__ = "definitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), index=True)
    version: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    deployment_id: Mapped[int] = mapped_column(sa.ForeignKey("deployments.id"))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    start_form_key: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # A new version of a process that already has cases takes none until a second person
    # (a designer or admin other than its deployer) approves it (engine/definitions/approval.py).
    deployed_by: Mapped[str | None] = mapped_column(sa.String(80))  # its deployment's creator
    approval_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    approved_by: Mapped[str | None] = mapped_column(sa.String(80))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    deployment: Mapped[Deployment] = relationship(lazy="select")
    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_definitions_key_version"),
        sa.UniqueConstraint("key", "content_hash", name="uq_definitions_key_hash"),
    )


class Instance(Base):
    __tablename__ = "instances"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    definition_id: Mapped[int] = mapped_column(sa.ForeignKey("definitions.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # running|completed|cancelled|error
    version: Mapped[int] = mapped_column(default=1)
    # Written pre-encoded by the incremental dump (`engine.runtime.incremental`), sealed whole.
    state: Mapped[dict[str, Any]] = mapped_column(SealedDocument)
    started_by: Mapped[str] = mapped_column(sa.String(80))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    region: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    # The definition's key (its process, whatever the version): a business key names one
    # case per process, for ever (issue 9, defect 10; migration 0007).
    process_key: Mapped[str | None] = mapped_column(sa.String(120))
    # The case's summary for task lists (engine/runtime/summary.py), kept from its data by
    # every command: how it came in, whether it is a green-channel case (J-GREEN), who applied.
    channel: Mapped[str | None] = mapped_column(sa.String(20))
    green: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Emptied by migration 0018 and `Engine.upgrade_schema` (engine/crypto/names.py), never
    # written since: the name is kept masked for lists and as a keyed token for search.
    applicant_name: Mapped[str | None] = mapped_column(sa.String(120))
    applicant_display: Mapped[str | None] = mapped_column(sa.String(40))  # 张*三
    applicant_token: Mapped[str | None] = mapped_column(sa.String(96), index=True)  # HMAC of the full name
    aid_types: Mapped[str | None] = mapped_column(sa.String(200))  # ",code,code," (LIKE ",code,")
    # T-ARCHIVE: keyed hash of the applicant's ID number (migration 0025), the household file's key.
    household_token: Mapped[str | None] = mapped_column(sa.String(96), index=True)
    # Keyed hash of the applicant's mobile (engine/crypto/lookup.py, kind "phone"): an applicant
    # signed in on the portal by that phone finds their cases, the phone itself never in clear.
    applicant_phone_token: Mapped[str | None] = mapped_column(sa.String(96), index=True)
    definition: Mapped[Definition] = relationship(lazy="joined")
    # Optimistic concurrency: every UPDATE checks and bumps the version.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (sa.Index("uq_instances_process_business_key", "process_key", "business_key", unique=True),
                      sa.Index("ix_instances_region_started", "region", "started_at"),
                      # The dashboard's counts of a region's cases by start (engine/portal/stats.py),
                      # from the index alone on PostgreSQL (migration 0028).
                      sa.Index("ix_instances_stats", "region", "started_at",
                               postgresql_include=["channel", "status", "process_key", "id"]))


# A department's step: offered to the department's group first ("dept:<code>"); the same
# text in the dashboard's query (engine/portal/stats_breakdowns.py) and its partial index.
DEPARTMENT_STEP = "substr(candidate_groups ->> 0, 1, 5) = 'dept:'"


class HumanTask(Base):
    """Denormalised open and past user tasks, so task lists never touch the engine."""

    __tablename__ = "human_tasks"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[str] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    process_id: Mapped[str] = mapped_column(sa.String(120))
    bpmn_id: Mapped[str] = mapped_column(sa.String(120))
    name: Mapped[str] = mapped_column(sa.String(255))
    form_key: Mapped[str | None] = mapped_column(sa.String(255))
    candidate_groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    assignee: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # open|completed|cancelled
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    # The requirement and its words behind the deadline (the deadline timer's documentation).
    statutory_basis: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(sa.String(80))
    # W-FIRST / J-FIRST / T-ONCE: set when the task was given to the case's first-question
    # person at its opening (property `preferredAssignee`), not claimed by them: until then
    # only they may take it; after it (or when they are disabled) any candidate may.
    reserved_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The case's region (instances.region, which never changes), so that scoped task lists
    # (engine/auth/scope.py) are an index range.
    region: Mapped[str | None] = mapped_column(sa.String(40))
    # The case's green channel (instances.green, J-GREEN), kept on its open tasks, so that
    # the work list's order (green first, then the deadline) is on the task rows alone:
    # PostgreSQL sorts the scoped tasks and joins only the page's cases (migration 0024).
    green: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    __table_args__ = (sa.Index("ix_human_tasks_region_state", "region", "state"),
                      # The overdue and due-soon lists; the API's order (deadline first).
                      sa.Index("ix_human_tasks_state_due", "state", "due_at", "created_at"),
                      # "done by me" newest first, and the "held or completed by me" half of a scope.
                      sa.Index("ix_human_tasks_completed_by", "completed_by", "ended_at"),
                      # The dashboard's open and completed steps of a region by creation, and the
                      # department steps of a region (engine/portal/stats*.py, migration 0028).
                      sa.Index("ix_human_tasks_open_stats", "region", "created_at",
                               postgresql_include=["name", "due_at", "instance_id", "id"],
                               postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'")),
                      sa.Index("ix_human_tasks_done_stats", "region", "created_at",
                               postgresql_include=["name", "due_at", "ended_at", "instance_id"],
                               postgresql_where=sa.text("state = 'completed'"),
                               sqlite_where=sa.text("state = 'completed'")),
                      sa.Index("ix_human_tasks_department_steps", "region", sa.text("(candidate_groups ->> 0)"),
                               postgresql_include=["instance_id", "state", "due_at", "created_at", "ended_at",
                                                   "candidate_groups"],
                               postgresql_where=sa.text(DEPARTMENT_STEP), sqlite_where=sa.text(DEPARTMENT_STEP)))


class DepartmentWait(Base):
    """A case waiting for a department system's answer (a webhook department's receive task):
    no task row exists for it, so the overdue and due-soon lists read these (issue 10).
    Kept by every command like the task rows (engine/runtime/projections.py)."""

    __tablename__ = "department_waits"
    task_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the receive task's id
    instance_id: Mapped[str] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    bpmn_id: Mapped[str] = mapped_column(sa.String(120))
    name: Mapped[str] = mapped_column(sa.String(255))
    department: Mapped[str | None] = mapped_column(sa.String(80))  # its code (department staff's scope)
    department_name: Mapped[str | None] = mapped_column(sa.String(120))  # as the dispatch named it
    state: Mapped[str] = mapped_column(sa.String(16))  # open|ended
    # The earliest deadline timer on the wait; kept after it fired (still overdue while waiting).
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    due_provisional: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    region: Mapped[str | None] = mapped_column(sa.String(40))  # the case's
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_department_waits_state_due", "state", "due_at"),)


class TaskDraft(Base):
    """A user's unfinished form of an open task, saved on the server (autosave and an
    explicit save); deleted when the task is completed. Personal values sealed."""

    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("human_tasks.id"), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    saved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SavedView(Base):
    """A task-list filter saved under a name, shared by the users of one role in one region."""

    __tablename__ = "saved_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[str] = mapped_column(sa.String(40))
    region: Mapped[str | None] = mapped_column(sa.String(40))
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_saved_views_role_region", "role", "region"),)


class TaskCandidate(Base):
    """One row per (open task, group) so "tasks of my groups in my region" is an indexed query."""

    __tablename__ = "task_candidates"
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("human_tasks.id"), primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    region: Mapped[str | None] = mapped_column(sa.String(40))  # the case's, as on the task row
    __table_args__ = (sa.Index("ix_task_candidates_group_region", "group", "region"),)


class TaskQueueEntry(Base):
    """The work list in the order it is shown, one row per (open task, candidate group,
    region level of its case): the case's region cut at each level a user can have
    (province 2, prefecture 4, county 6, township 9, village 12 digits; '' for no region;
    group '' for a task offered to no group, so that its holder still finds it),
    so that any user's group list is an equality on (group, scope) read from the index in
    display order (green channel first, then the deadline), never a sort of the whole
    region (issue 15). Kept with the task rows (engine/task_queue.py)."""

    __tablename__ = "task_queue"
    task_id: Mapped[str] = mapped_column(sa.ForeignKey("human_tasks.id"), primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    green: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    assignee: Mapped[str | None] = mapped_column(sa.String(80))  # the task's holder
    __table_args__ = (
        sa.Index("ix_task_queue_order", "group", "scope", "green", "due_at", "created_at", "task_id"),
        # "unassigned": the same order over the rows nobody holds.
        sa.Index("ix_task_queue_unassigned", "group", "scope", "green", "due_at", "created_at", "task_id",
                 postgresql_where=sa.text("assignee IS NULL"), sqlite_where=sa.text("assignee IS NULL")),
        # "mine" and the held half of a user's scope: their tasks in their region, in order.
        sa.Index("ix_task_queue_held", "assignee", "scope", "green", "due_at", "created_at", "task_id",
                 postgresql_where=sa.text("assignee IS NOT NULL"), sqlite_where=sa.text("assignee IS NOT NULL")))


class Job(Base):
    """A service task waiting for a worker of its topic."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    # None for a detached job, whose case is `case_id`: the rows of an instance's waits
    # are kept in step with its diagram, and a detached job is no such wait.
    instance_id: Mapped[str | None] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(sa.String(120))
    topic: Mapped[str] = mapped_column(sa.String(120))
    variables: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    state: Mapped[str] = mapped_column(sa.String(16))  # pending|completed|failed|incident|cancelled
    retries: Mapped[int] = mapped_column(default=3)
    lock_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lock_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    run_after: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80))
    result: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    error: Mapped[str | None] = mapped_column(SealedText)
    # What the worker reported with its failure (stack trace, HTTP status of the outside system).
    error_details: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    # Detached jobs wait on no task of the diagram (e.g. status pushed back to the 12345
    # platform): completing one changes no workflow, it is only recorded in the case's audit log.
    detached: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    incident_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_jobs_fetch", "state", "topic", "run_after"),
                      sa.Index("ix_jobs_state_incident", "state", "incident_at"))


class Timer(Base):
    """A waiting timer event; the database, not the scheduler, is the truth."""

    __tablename__ = "timers"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(sa.String(120))
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    provisional: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(sa.String(16))  # pending|fired|cancelled|incident
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")  # failed firings since pending
    last_error: Mapped[str | None] = mapped_column(SealedText)
    incident_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_timers_due", "state", "due_at"),)


class AuditEvent(Base):
    """Append-only, hash-chained per instance: who did what, when, with what result."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    instance_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    seq: Mapped[int] = mapped_column()
    command: Mapped[str] = mapped_column(sa.String(40))
    actor: Mapped[str] = mapped_column(sa.String(80))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Personal values sealed (engine.crypto.seal); the hash covers their commitments.
    input: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(SealedJSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    __table_args__ = (sa.UniqueConstraint("instance_id", "seq", name="uq_audit_instance_seq"),)


class AuditSeal(Base):
    """A sealed checkpoint of the global chain over case heads (X-AUDIT): every case's
    (id, last seq, last hash) at `sealed_at`, chained to the previous seal, so that a case
    deleted whole or truncated below its sealed seq is found and named."""

    __tablename__ = "audit_seals"
    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3 …: unique, so two seals made at once cannot both follow the same one.
    seq: Mapped[int] = mapped_column(unique=True)
    sealed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(sa.String(80))
    cases: Mapped[int] = mapped_column()
    # [[instance_id, seq, hash], …] ordered by instance id; `digest` is their SHA-256.
    heads: Mapped[list[list[Any]]] = mapped_column(sa.JSON, default=list)
    digest: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditRun(Base):
    """One scheduled (nightly) verification of every case: what it checked and found."""

    __tablename__ = "audit_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(sa.String(80))
    checked: Mapped[int] = mapped_column()
    failed: Mapped[int] = mapped_column()
    # The first lines that failed (cases and seals), at most RUN_LINES of them.
    failures: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class AuditCalendar(Base):
    """A working-day calendar as it was when a command computed deadlines with it: overrides,
    imported years and office close, stored once under the SHA-256 of its canonical JSON."""

    __tablename__ = "audit_calendars"
    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AuditEventCalendar(Base):
    """Which calendar (digest) the command of audit event (instance, seq) used: re-execution
    of that step uses it, not today's (X-AUDIT)."""

    __tablename__ = "audit_event_calendars"
    instance_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64))


class AuditCaseCheck(Base):
    """A case's last verification by re-execution (nightly or explicit): the auditor's badge."""

    __tablename__ = "audit_case_checks"
    instance_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    ok: Mapped[bool] = mapped_column()
    line: Mapped[str] = mapped_column(sa.String(500))
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(sa.String(20))  # "nightly", "cli", "api", "page"


class AccessLog(Base):
    """Each view of a full personal record (DESIGN rule 8, J-SEC); kept apart from the
    instance's audit chain so reading never contends with commands."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(sa.String(80), index=True)
    instance_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    resource: Mapped[str] = mapped_column(sa.String(200))
    fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
