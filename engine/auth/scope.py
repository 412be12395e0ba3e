"""The one scope rule: which cases, tasks and case records a person may see and act on.

Every engine query and command that reads or changes a case applies this module; the
API routes and the web pages pass the Principal and never decide scope themselves.

- Regions are GB/T 2260 codes: county 6 digits, township 9, village 12 (a province's
  6-digit code ends in `0000`, a prefecture's in `00`). A user's region *contains* a
  case's region when the user's code, without those trailing zeros, is a prefix of it:
  a county clerk (`320281`) sees the cases of the county and of its townships and
  villages, a township clerk (`320281001`) only those of that township.
- Staff of the case-wide roles (window clerks, dispatchers, leaders, supervisors,
  auditors) see the cases of their region. Department staff (caseworkers) see only the
  cases of their region that were dispatched to their department (the dispatch records).
- A task is visible, claimable and completable only by a user in one of its candidate
  groups whose region contains the case's; a user also sees the tasks they hold or
  completed, within that region.
- Applicants see only the cases they started. Admins see everything.
- A user without a region contains only cases without a region (and never a case with
  one): a missing region narrows what a user sees, it never widens it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth.principal import Principal
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.records import Dispatch

HUMAN_TASKS = HumanTask.__table__

# Roles that see every case of their region (not only those dispatched to a department).
CASE_WIDE_ROLES = ("clerk", "dispatcher", "leader", "supervisor", "auditor")
# Roles whose work needs ID numbers and phones in full (each such view is logged);
# supervisors and auditors see them masked.
FULL_DATA_ROLES = ("clerk", "dispatcher", "caseworker", "leader")
REGION_PATTERN = r"[1-9]\d{5}(?:\d{3}){0,2}"  # GB/T 2260: county 6 digits, township 9, village 12
_REGION = re.compile(REGION_PATTERN)


def valid_region(code: Any, field: str = "region") -> str | None:
    """`code` if it is a GB/T 2260 code of 6, 9 or 12 digits (None stays None), else
    ValidationFailed naming `field`."""
    if code is None:
        return None
    if not isinstance(code, str) or not _REGION.fullmatch(code):
        raise ValidationFailed(f"{field} must be a GB/T 2260 region code of 6, 9 or 12 digits (e.g. 320281)",
                               {"fields": {field: ["a region code of 6, 9 or 12 digits"]}})
    return code


def region_prefix(code: str) -> str:
    """The prefix every region inside `code` starts with: `320000` → `32` (province),
    `320200` → `3202` (prefecture), `320281001000` → `320281001` (a township written in 12 digits)."""
    if len(code) == 12 and code.endswith("000"):
        code = code[:9]
    if len(code) == 9 and code.endswith("000"):
        code = code[:6]
    if len(code) == 6:
        code = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    return code


def region_contains(user_region: str | None, case_region: str | None) -> bool:
    """Whether a user of `user_region` may see a case of `case_region`."""
    if user_region is None or case_region is None:
        return user_region is None and case_region is None
    return case_region.startswith(region_prefix(user_region))


def region_clause(column: Any, user_region: str | None) -> sa.ColumnElement[bool]:
    """SQL: `column` holds a region `user_region` contains. A range on the prefix rather
    than LIKE, so that a plain B-tree index serves it on SQLite and on PostgreSQL in any
    collation (codes are digits only: the prefix plus one bounds every code that starts with it)."""
    if user_region is None:
        return column.is_(None)
    prefix = region_prefix(user_region)
    if set(prefix) == {"9"}:
        return column >= prefix  # no digit string above it fails to start with it
    return sa.and_(column >= prefix, column < str(int(prefix) + 1).zfill(len(prefix)))


def is_department_staff(who: Principal) -> bool:
    """Department staff see only what was dispatched to their department."""
    return "caseworker" in who.roles and not who.has_role(*CASE_WIDE_ROLES)


def dispatched_to(department: str) -> sa.Select:
    """SQL: the cases dispatched to `department` (its dispatch records)."""
    return sa.select(Dispatch.instance_id).where(Dispatch.target == department, Dispatch.kind == "department")


def instance_clause(who: Principal) -> sa.ColumnElement[bool]:
    """SQL on `Instance`: the cases `who` may see."""
    if who.is_admin:
        return sa.true()
    if who.extra.get("signed") or "system" in who.roles:
        return sa.false()  # outside systems read no cases; their messages have rules of their own
    if who.has_role(*CASE_WIDE_ROLES):
        return region_clause(Instance.region, who.region)
    if "caseworker" in who.roles:
        if not who.department:
            return sa.false()
        return sa.and_(region_clause(Instance.region, who.region), Instance.id.in_(dispatched_to(who.department)))
    if "applicant" in who.roles:
        return Instance.started_by == who.username
    return sa.false()


def case_records_clause(column: Any, who: Principal) -> sa.ColumnElement[bool]:
    """SQL: `column` (an instance id of an outbox, ledger, dispatch, job or timer row)
    names a case `who` may see."""
    if who.is_admin:
        return sa.true()
    return column.in_(sa.select(Instance.id).where(instance_clause(who)))


def task_clause(who: Principal, offered: bool = False) -> sa.ColumnElement[bool]:
    """SQL on `HumanTask`: the tasks `who` may see — offered to one of their groups in their
    region, or held or completed by them there; `offered`: only those offered to their groups.

    Made once per caller and kept (SQL elements are immutable): every task list and every
    completion's task look-up builds it, and building the union and its subqueries cost
    about a tenth of a small API request (profiled). The key holds everything it reads."""
    key = (who.username, tuple(who.roles), tuple(who.groups), who.region, bool(who.extra.get("signed")), offered)
    return _task_clause(key, who)


def _task_clause(key: tuple[Any, ...], who: Principal) -> sa.ColumnElement[bool]:
    clause = _TASK_CLAUSES.get(key)
    if clause is None:
        clause = _build_task_clause(who, key[-1])
        with _TASK_CLAUSES_LOCK:
            _TASK_CLAUSES[key] = clause
            while len(_TASK_CLAUSES) > _TASK_CLAUSES_SIZE:
                _TASK_CLAUSES.pop(next(iter(_TASK_CLAUSES)))  # the oldest made
    return clause


_TASK_CLAUSES: dict[tuple[Any, ...], sa.ColumnElement[bool]] = {}
_TASK_CLAUSES_SIZE = 1024
_TASK_CLAUSES_LOCK = threading.Lock()


def _build_task_clause(who: Principal, offered: bool) -> sa.ColumnElement[bool]:
    groups = tuple(who.groups)
    if who.is_admin:
        return _offered_to(groups, None, regional=False) if offered else sa.true()
    if not _staff(who):
        return sa.false()
    offered_here = _offered_to(groups, who.region)
    if offered:
        return sa.and_(region_clause(HumanTask.region, who.region), offered_here)
    # "Offered to my groups, or held or completed by me" as one id set (a union of three
    # index ranges) rather than an OR: with the OR, PostgreSQL read every open task of the
    # region to test each (issue 15).
    held = HUMAN_TASKS.alias("held")
    mine = [sa.select(held.c.id).where(held.c.assignee == who.username),
            sa.select(held.c.id).where(held.c.completed_by == who.username)]
    if groups:
        mine.insert(0, _candidates_in(groups, who.region))
    return sa.and_(region_clause(HumanTask.region, who.region), HumanTask.id.in_(sa.union_all(*mine)))


def _staff(who: Principal) -> bool:
    """Staff who work on tasks (a signed outside system never does)."""
    return who.has_role(*CASE_WIDE_ROLES, "caseworker") and not who.extra.get("signed")


def is_staff(who: Principal) -> bool:
    """Staff who work on tasks and see the waits of their cases (`_staff`, for other modules)."""
    return _staff(who)


def _offered_to(groups: tuple[str, ...], region: str | None, regional: bool = True) -> sa.ColumnElement[bool]:
    """SQL: the task is offered to one of `groups`, in a case `region` contains (unless
    not `regional`: an admin's own groups)."""
    if not groups:
        return sa.false()
    query = _candidates_in(groups, region) if regional else sa.select(TaskCandidate.task_id).where(
        TaskCandidate.group.in_(groups))
    return HumanTask.id.in_(query)


def _candidates_in(groups: tuple[str, ...], region: str | None) -> sa.Select:
    """SQL: the ids of the open tasks offered to one of `groups` in a case `region` contains.
    The candidate rows carry the case's region too: (group, region) is one index range."""
    return sa.select(TaskCandidate.task_id).where(TaskCandidate.group.in_(groups),
                                                  region_clause(TaskCandidate.region, region))


def sees_instance(session: Session, who: Principal, instance: Instance) -> bool:
    """Whether `who` may see `instance`: `instance_clause` asked of one row (one rule, one
    place; a primary-key look-up)."""
    if who.is_admin:
        return True
    return session.scalar(sa.select(Instance.id).where(Instance.id == instance.id, instance_clause(who))) is not None


def require_instance(session: Session, who: Principal, instance_id: str) -> Instance:
    """The case `instance_id` if `who` may see it: 404 when there is none, 403 outside their scope."""
    row = session.get(Instance, instance_id)
    if row is None:
        raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
    if not sees_instance(session, who, row):
        raise Forbidden(f"instance {instance_id} is outside your scope ({describe(who)})", {"instance": instance_id})
    return row


def require_case_of(session: Session, who: Principal, instance_id: str, what: str, ref: str) -> None:
    """403 unless `who` may see the case a row (`what` `ref`: a job, a timer) belongs to;
    the message names the row, not the case."""
    row = session.get(Instance, instance_id)
    if row is None or not sees_instance(session, who, row):
        raise Forbidden(f"{what} {ref} belongs to a case outside your scope ({describe(who)})", {what: ref})


def in_candidate_groups(who: Principal, task: HumanTask) -> bool:
    return bool(set(who.groups) & set(task.candidate_groups or []))


def sees_task(who: Principal, task: HumanTask) -> bool:
    """Whether `who` may read `task` (the same rule as `task_clause`, for one row)."""
    if who.is_admin:
        return True
    if not _staff(who):
        return False
    mine = who.username in (task.assignee, task.completed_by)
    return region_contains(who.region, task.region) and (in_candidate_groups(who, task) or mine)


def require_task(session: Session, who: Principal, task_id: str) -> HumanTask:
    """The task `task_id` if `who` may read it: 404 when there is none, 403 otherwise."""
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist", {"task": task_id})
    if not sees_task(who, row):
        raise Forbidden(f"task {task_id} is not for your groups in your region ({describe(who)})", {"task": task_id})
    return row


def check_task_action(who: Principal, task: HumanTask) -> None:
    """Forbidden unless `who` may claim or complete `task`: one of its candidate groups,
    in a region that contains the case's (admins: any task)."""
    if who.is_admin:
        return
    if not in_candidate_groups(who, task):
        raise Forbidden(f"task {task.id} is for {', '.join(task.candidate_groups or []) or 'nobody'}",
                        {"task": task.id, "candidate_groups": list(task.candidate_groups or [])})
    if not region_contains(who.region, task.region) or who.extra.get("signed"):
        raise Forbidden(f"task {task.id} belongs to a case outside your region ({describe(who)})", {"task": task.id})


def full_personal_data(who: Principal, instance: Instance) -> bool:
    """Whether `who` sees ID numbers and phones of `instance` in full (then logged):
    the roles whose work needs them, and applicants their own application."""
    return who.has_role(*FULL_DATA_ROLES) or (instance.started_by == who.username and "applicant" in who.roles)


def case_region(who: Principal, named: str | None, default: str | None) -> str | None:
    """The region a new case belongs to: the one the application names (within the
    starter's region; applicants name where they live), else the starter's, else `default`."""
    named = valid_region(named)
    if named is not None:
        if not (who.is_admin or "applicant" in who.roles or region_contains(who.region, named)):
            raise Forbidden(f"you may start cases only in your region ({describe(who)}), not in {named}",
                            {"region": named})
        return named
    return who.region or default


def describe(who: Principal) -> str:
    """The scope of `who` in words, for error messages."""
    where = f"region {who.region}" if who.region else "no region"
    return f"{where}, department {who.department}" if is_department_staff(who) else where
