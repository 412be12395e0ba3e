"""Read-only queries for task lists, case lists, history and case records (no engine
involved). Every one takes the Principal and applies the scope rule (engine/auth/scope.py):
what a person cannot see is never read, so no caller filters afterwards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import task_queue
from engine.auth import Principal, scope
from engine.crypto.columns import session_keyring
from engine.crypto.names import name_tokens
from engine.store.models import AuditEvent, Definition, DepartmentWait, HumanTask, Instance, Job, Timer
from engine.store.records import Dispatch, LedgerEntry, Notification, staff_visible

MAX_PAGE = 200
# The work list counts at most this many tasks beyond the page's offset and then says "more
# than": an exact count of a county's tens of thousands of open tasks read every one of
# them on each page view (issue 15); a capped one reads at most this many index entries.
COUNT_CAP = 1000


class CaseSummary(NamedTuple):
    """What a list row reads of its case: the summary columns, not the sealed workflow state
    (decrypted and parsed per row, it was most of a task list page's CPU time at 100,000
    cases), nor the definition (lists name the process by its key), nor the rest of the
    case as an ORM object (loading 50 of those was a fifth of a county's page, issue 15)."""

    business_key: str | None
    process_key: str | None
    channel: str | None
    green: bool
    applicant_display: str | None  # masked (张*三)


LIST_CASE = (Instance.business_key, Instance.process_key, Instance.channel, Instance.green,
             Instance.applicant_display)


def _with_case(row: sa.Row) -> tuple[Any, CaseSummary]:
    """(entity, its case's summary) of a row selecting an entity then `LIST_CASE`."""
    return row[0], CaseSummary._make(row[1:])


# A page's tasks by id with their cases' summaries: built once (a list page runs it per view).
_PAGE_TASKS = (sa.select(HumanTask, *LIST_CASE).join(Instance, Instance.id == HumanTask.instance_id)
               .where(HumanTask.id.in_(sa.bindparam("ids", expanding=True))))


@dataclass
class TaskFilter:
    """What a task list shows, within the caller's scope (which always applies)."""

    instance_id: str | None = None
    assignee: str | None = None  # held by this user ("mine")
    offered: bool = False  # only tasks offered to the caller's groups ("my groups'")
    unassigned: bool = False  # only tasks nobody holds
    completed_by: str | None = None  # completed by this user ("done by me", with state="completed")
    state: str | None = "open"
    overdue_at: dt.datetime | None = None  # due before this moment (overdue)
    due_from: dt.datetime | None = None  # with due_before: due in [due_from, due_before) (due soon)
    due_before: dt.datetime | None = None
    process_key: str | None = None  # the case's process (variant)
    stage: str | None = None  # the task's element id (bpmn_id)
    channel: str | None = None  # the case's intake channel
    text: str | None = None  # part of the business key, or the applicant's full name
    aid_type: str | None = None  # the case applies for this aid type
    provisional: bool = False  # only deadlines of a year whose calendar is not published yet
    name_tokens: list[str] | None = None  # keyed tokens of `text` as a full name (set by `prepared`)
    created_after: dt.datetime | None = None  # arrived after this moment (new-task announcements)
    limit: int = 50
    offset: int = 0


def prepared(session: Session, f: TaskFilter) -> TaskFilter:
    """`f` with the keyed tokens of its text (an exact search by the applicant's full name:
    the name is stored only as such a token, engine/crypto/names.py)."""
    if f.text and f.name_tokens is None:
        f.name_tokens = name_tokens(session_keyring(session), f.text)
    return f


def _case_clauses(f: TaskFilter) -> list[sa.ColumnElement[bool]]:
    """Conditions on `Instance` of the filter's case fields (process, channel, aid type, text):
    the same for tasks and for department waits."""
    out: list[sa.ColumnElement[bool]] = []
    if f.process_key:
        out.append(Instance.process_key == f.process_key)
    if f.channel:
        out.append(Instance.channel == f.channel)
    if f.aid_type:
        out.append(Instance.aid_types.like(f"%,{_escape(f.aid_type)},%", escape="\\"))
    if f.text:
        like = "%" + _escape(f.text) + "%"
        out.append(sa.or_(Instance.business_key.ilike(like, escape="\\"),
                          Instance.applicant_token.in_(f.name_tokens or [])))
    return out


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tasks(session: Session, who: Principal, f: TaskFilter) -> list[HumanTask]:
    """The tasks `who` may see that match `f`, soonest deadline first."""
    f = prepared(session, f)
    if f.instance_id and f.state == "open" and not f.offered:
        # One case's open tasks (a completion's next tasks, the CLI): read by the case's index
        # and each checked with the scope's rule for one row. The scope's id set would be built
        # whole by SQLite (every open task of the user's groups, every task they ever held or
        # completed: 1.8 ms at 2,000 tasks, growing with a clerk's history) to keep two rows.
        # The state is checked here too: given `state = 'open'`, SQLite chose the state's index
        # (every open task) over the case's.
        rows = session.scalars(task_clauses(sa.select(HumanTask), who, replace(f, state=None), scoped=False)
                               .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
                                         HumanTask.id))
        visible = [t for t in rows if t.state == "open" and scope.sees_task(who, t)]
        return visible[f.offset:f.offset + min(f.limit, MAX_PAGE)]
    if task_queue.serves(who, f):  # read from the queue's index in deadline order
        ids = task_queue.page_ids(session, who, f, task_queue.deadline_key)
        found = {t.id: t for t in session.scalars(sa.select(HumanTask).where(HumanTask.id.in_(ids)))}
        return [found[i] for i in ids if i in found]
    q = task_clauses(sa.select(HumanTask), who, f)
    q = q.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
    return list(session.scalars(q.limit(min(f.limit, MAX_PAGE)).offset(f.offset)))


def task_clauses(q: sa.Select, who: Principal, f: TaskFilter, scoped: bool = True) -> sa.Select:
    """`q` (a select of or over `HumanTask`) narrowed to the tasks `who` may see that match
    `f`: the one place the task lists of the API and the pages are filtered. `scoped=False`
    leaves out who may see them, for a caller that checks each row with `scope.sees_task`."""
    if scoped:
        q = q.where(scope.task_clause(who, offered=f.offered))
    if case := _case_clauses(f):
        q = q.where(HumanTask.instance_id.in_(sa.select(Instance.id).where(*case)))
    if f.provisional:
        q = q.where(HumanTask.due_provisional.is_(True))
    if f.stage:
        q = q.where(HumanTask.bpmn_id == f.stage)
    if f.created_after is not None:
        q = q.where(HumanTask.created_at > f.created_after)
    if f.instance_id:
        q = q.where(HumanTask.instance_id == f.instance_id)
    if f.state:
        q = q.where(HumanTask.state == f.state)
    if f.assignee:
        q = q.where(HumanTask.assignee == f.assignee)
    if f.unassigned:
        q = q.where(HumanTask.assignee.is_(None))
    if f.completed_by:
        q = q.where(HumanTask.completed_by == f.completed_by)
    if f.overdue_at is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at < f.overdue_at)
    if f.due_from is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at >= f.due_from)
    if f.due_before is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at < f.due_before)
    return q


def instances(session: Session, who: Principal, status: str | None = None, business_key: str | None = None,
              definition_key: str | None = None, limit: int = 50, offset: int = 0) -> list[Instance]:
    """The cases `who` may see, newest first."""
    q = sa.select(Instance).where(scope.instance_clause(who))
    if status:
        q = q.where(Instance.status == status)
    if business_key:
        q = q.where(Instance.business_key == business_key)
    if definition_key:
        q = q.join(Definition).where(Definition.key == definition_key)
    return list(session.scalars(q.order_by(Instance.started_at.desc()).limit(min(limit, MAX_PAGE)).offset(offset)))


def history(session: Session, who: Principal, instance_id: str) -> list[AuditEvent]:
    """The audit events of a case `who` may see (403/404 otherwise), oldest first. Raw:
    `engine.reads` masks them for the reader."""
    scope.require_instance(session, who, instance_id)
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))


def notifications(session: Session, who: Principal, instance_id: str | None = None, status: str | None = None,
                  limit: int = 50, offset: int = 0) -> list[Notification]:
    """Applicant notices in the outbox of the cases `who` may see, newest first."""
    q = sa.select(Notification).where(scope.case_records_clause(Notification.instance_id, who), staff_visible())
    if instance_id:
        q = q.where(Notification.instance_id == instance_id)
    if status:
        q = q.where(Notification.status == status)
    return list(session.scalars(q.order_by(Notification.id.desc()).limit(limit).offset(offset)))


def ledger_entries(session: Session, who: Principal, on: dt.date | None = None, business_key: str | None = None,
                   stage: str | None = None, limit: int = 50, offset: int = 0,
                   late: bool | None = None) -> list[LedgerEntry]:
    """Electronic ledger entries (W-LEDGER) of the cases `who` may see, oldest first. No
    page cap here: the CSV export asks for up to 10,000 at once (its schema bounds `limit`)."""
    q = sa.select(LedgerEntry).where(scope.case_records_clause(LedgerEntry.instance_id, who))
    if on:
        q = q.where(LedgerEntry.recorded_on == on)
    if business_key:
        q = q.where(LedgerEntry.business_key == business_key)
    if stage:
        q = q.where(LedgerEntry.stage == stage)
    if late is not None:
        q = q.where(LedgerEntry.late.is_(late))
    return list(session.scalars(q.order_by(LedgerEntry.recorded_at, LedgerEntry.id)
                                .limit(limit).offset(offset)))


def dispatches(session: Session, who: Principal, instance_id: str) -> list[Dispatch]:
    """The dispatch and referral records of a case `who` may see (403/404 otherwise), oldest first."""
    scope.require_instance(session, who, instance_id)
    return list(session.scalars(sa.select(Dispatch).where(Dispatch.instance_id == instance_id)
                                .order_by(Dispatch.id)))


def incidents(session: Session, who: Principal, topic: str | None = None, limit: int = 50,
              offset: int = 0) -> list[Job]:
    """Jobs in incident of the cases `who` may see, newest first."""
    q = sa.select(Job).where(Job.state == "incident", scope.case_records_clause(
        sa.func.coalesce(Job.instance_id, Job.case_id), who))
    if topic:
        q = q.where(Job.topic == topic)
    return list(session.scalars(q.order_by(Job.incident_at.desc(), Job.id).limit(limit).offset(offset)))


def timer_incidents(session: Session, who: Principal, limit: int = 50, offset: int = 0) -> list[Timer]:
    """Timers parked after repeated failed firings, of the cases `who` may see, newest first."""
    q = sa.select(Timer).where(Timer.state == "incident", scope.case_records_clause(Timer.instance_id, who))
    return list(session.scalars(q.order_by(Timer.incident_at.desc(), Timer.id).limit(limit).offset(offset)))


def task_page(session: Session, who: Principal,
              f: TaskFilter) -> tuple[list[tuple[HumanTask, CaseSummary]], int]:
    """The task list page: (task, its case) rows of `f`'s page and how many match in all.
    Open tasks: green-channel cases first (J-GREEN), then the soonest deadline; completed
    ones: the most recently ended first."""
    f = prepared(session, f)
    if task_queue.serves(who, f):  # the page's ids from the queue's index, in display order
        ids = task_queue.page_ids(session, who, f)
        found = {r[0].id: _with_case(r) for r in session.execute(_PAGE_TASKS, {"ids": ids})} if ids else {}
        return [found[i] for i in ids if i in found], count_tasks(session, who, f, cap=f.offset + COUNT_CAP)
    return direct_task_page(session, who, f)


def direct_task_page(session: Session, who: Principal,
                     f: TaskFilter) -> tuple[list[tuple[HumanTask, CaseSummary]], int]:
    """`task_page` on the task rows (scope.task_clause) rather than the queue: the searches,
    completed tasks and admins, and the reference the queue is tested against."""
    f = prepared(session, f)
    if f.state == "open":
        # The task rows' copy of the case's green channel: the order is on the task rows alone.
        order = (HumanTask.green.desc(), HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
                 HumanTask.id)  # the id: one order for ties, as the queue's (engine/task_queue.py)
    else:
        order = (HumanTask.ended_at.desc(), HumanTask.created_at.desc())
    # The page's task ids first (sorted on the task rows, no case read), then their cases by
    # primary key: joining every matching task to its case before the sort read the whole
    # case table on PostgreSQL (issue 15).
    page = (task_clauses(sa.select(HumanTask.id), who, f).order_by(*order)
            .limit(min(f.limit, MAX_PAGE)).offset(f.offset))
    q = (sa.select(HumanTask, *LIST_CASE).join(Instance, Instance.id == HumanTask.instance_id)
         .where(HumanTask.id.in_(page.scalar_subquery())).order_by(*order))
    rows = [_with_case(r) for r in session.execute(q)]
    return rows, direct_count_tasks(session, who, f, cap=f.offset + COUNT_CAP)


def count_tasks(session: Session, who: Principal, f: TaskFilter, cap: int | None = None) -> int:
    """How many tasks `who` may see match `f` (paging ignored); with `cap`, at most cap + 1
    (cap + 1 meaning "more than `cap`"), so that the count reads at most that many rows."""
    f = prepared(session, f)
    if task_queue.serves(who, f):
        return task_queue.count(session, who, f, cap)
    return direct_count_tasks(session, who, f, cap)


def count_tab_tasks(session: Session, who: Principal, filters: dict[str, TaskFilter],
                    cap: int | None = None) -> dict[str, int]:
    """`count_tasks` of each of `filters` (the work list's tabs): those the queue serves in
    one statement (engine/task_queue.py), the others one by one."""
    prepared_filters = {code: prepared(session, f) for code, f in filters.items()}
    queued = {code: f for code, f in prepared_filters.items() if task_queue.serves(who, f)}
    out = task_queue.counts(session, who, queued, cap) if queued else {}
    for code, f in prepared_filters.items():
        if code not in queued:
            out[code] = direct_count_tasks(session, who, f, cap)
    return {code: out[code] for code in filters}


def direct_count_tasks(session: Session, who: Principal, f: TaskFilter, cap: int | None = None) -> int:
    """`count_tasks` on the task rows (scope.task_clause), not the queue."""
    f = prepared(session, f)
    if cap is None:
        return session.scalar(task_clauses(sa.select(sa.func.count()).select_from(HumanTask), who, f)) or 0
    ids = task_clauses(sa.select(HumanTask.id), who, f).limit(cap + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0


def task_stages(session: Session, who: Principal) -> list[tuple[str, str]]:
    """(element id, name) of the stages of the open tasks `who` may see, by name."""
    q = task_clauses(sa.select(HumanTask.bpmn_id, HumanTask.name).distinct(), who, TaskFilter())
    return sorted({(b, n) for b, n in session.execute(q)}, key=lambda r: (r[1], r[0]))


def department_wait_clauses(q: sa.Select, who: Principal, f: TaskFilter) -> sa.Select:
    """`q` (a select over `DepartmentWait` joined to `Instance`) narrowed to the open waits for
    a department system's answer that `who` may see and that match `f`'s deadline and case
    fields: the cases `who` may see (region; department staff: dispatched to their
    department) and, for department staff, only their own department's waits."""
    if not (who.is_admin or scope.is_staff(who)):
        return q.where(sa.false())
    q = q.where(DepartmentWait.state == "open", scope.instance_clause(who), *_case_clauses(f))
    if scope.is_department_staff(who):
        q = q.where(DepartmentWait.department == who.department)
    if f.instance_id:
        q = q.where(DepartmentWait.instance_id == f.instance_id)
    if f.provisional:
        q = q.where(DepartmentWait.due_provisional.is_(True))
    if f.overdue_at is not None:
        q = q.where(DepartmentWait.due_at.is_not(None), DepartmentWait.due_at < f.overdue_at)
    if f.due_from is not None:
        q = q.where(DepartmentWait.due_at.is_not(None), DepartmentWait.due_at >= f.due_from)
    if f.due_before is not None:
        q = q.where(DepartmentWait.due_at.is_not(None), DepartmentWait.due_at < f.due_before)
    return q


def department_waits(session: Session, who: Principal,
                     f: TaskFilter) -> tuple[list[tuple[DepartmentWait, CaseSummary]], int]:
    """(wait, its case) rows of `f`'s page, green-channel cases first (J-GREEN), then the
    soonest deadline, and how many match in all."""
    prepared(session, f)
    q = department_wait_clauses(sa.select(DepartmentWait, *LIST_CASE).join(
        Instance, Instance.id == DepartmentWait.instance_id), who, f)
    q = q.order_by(Instance.green.desc(), DepartmentWait.due_at.is_(None), DepartmentWait.due_at,
                   DepartmentWait.created_at)
    rows = [_with_case(r) for r in session.execute(q.limit(min(f.limit, MAX_PAGE)).offset(f.offset))]
    return rows, count_department_waits(session, who, f)


def count_department_waits(session: Session, who: Principal, f: TaskFilter) -> int:
    """How many open department waits `who` may see match `f` (paging ignored)."""
    return count_department_waits_each(session, who, {"": f})[""]


def count_department_waits_each(session: Session, who: Principal, filters: dict[str, TaskFilter]) -> dict[str, int]:
    """`count_department_waits` of each of `filters` (the work list's tabs) in one statement."""
    counts = [department_wait_clauses(sa.select(sa.func.count()).select_from(DepartmentWait).join(
        Instance, Instance.id == DepartmentWait.instance_id), who, prepared(session, f)).scalar_subquery()
        for f in filters.values()]
    return {code: n or 0 for code, n in zip(filters, session.execute(sa.select(*counts)).one(), strict=True)}
