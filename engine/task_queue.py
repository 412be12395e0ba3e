"""The work list served in display order from an index (issue 10, issue 15).

`task_queue` holds one row per (open task, candidate group, region level of its case):
the case's region cut at each level a user's region can have (GB/T 2260: province 2,
prefecture 4, county 6, township 9, village 12 digits; '' for a case without region).
A user's region, as `scope.region_prefix` cuts it, is then one of those levels, so "the
open tasks offered to group g that I may see" is the equality (g, my prefix) and the
index (group, scope, green, due_at, created_at, task_id) hands them out in the order the
list shows them: green channel first (J-GREEN), then the soonest deadline. A page reads
its rows and stops; before, PostgreSQL read and sorted every open task of the region.

The rows carry the task's holder too: partial indexes in the same order serve
"unassigned" (nobody holds it) and "mine" (assignee, scope).

Maintenance (same transaction as the task rows, engine/runtime/projections.py and the
commands): rows inserted with a task, deleted when it is completed or cancelled, moved
with its deadline and its case's green channel, re-held on claim, unclaim and hand-over.
Reads: a list is a UNION ALL of one LIMITed index range per (group, green) plus the tasks
the user holds, merged here; a tab's count is the same ranges capped
(`queries.COUNT_CAP`), so a count reads at most cap + 1 index entries per range whatever
the size of the database. tests/engine/test_task_queue.py compares every list and count
with the same read on the task rows after each kind of change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.auth import Principal, scope
from engine.store.base import UtcDateTime
from engine.store.models import HumanTask, Instance, TaskQueueEntry

if TYPE_CHECKING:
    from engine.queries import TaskFilter

QUEUE = TaskQueueEntry.__table__
TASKS = HumanTask.__table__
LEVELS = (2, 4, 6, 9, 12)  # the lengths `scope.region_prefix` gives a user's region
NO_REGION = ""  # the scope of a case without a region (seen only by users without one)
NO_GROUP = ""  # the group of a task offered to none (only its holder lists it)
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)  # a missing deadline sorts last

# Built once with bound parameters (these run on most commands, engine/runtime/projections.py).
_DROP = QUEUE.delete().where(QUEUE.c.task_id.in_(sa.bindparam("b_ids", expanding=True)))
_HOLD = QUEUE.update().where(QUEUE.c.task_id == sa.bindparam("b_task")).values(assignee=sa.bindparam("b_who"))
_MOVE = QUEUE.update().where(QUEUE.c.task_id == sa.bindparam("b_task")).values(due_at=sa.bindparam("b_due"))
_GREEN = (QUEUE.update().where(QUEUE.c.task_id.in_(
    sa.select(TASKS.c.id).where(TASKS.c.instance_id == sa.bindparam("b_instance"), TASKS.c.state == "open")))
    .values(green=sa.bindparam("b_green")))
_INSERT = QUEUE.insert()


def scopes(region: str | None) -> list[str]:
    """The queue's scope values of a case in `region`: its code cut at every level."""
    if region is None:
        return [NO_REGION]
    return [region[:n] for n in LEVELS if len(region) >= n]


def user_scope(who: Principal) -> str | None:
    """The one scope value of the cases `who`'s region contains, or None when their region
    cuts to no level (then the lists take the general path, `engine.queries`)."""
    if who.region is None:
        return NO_REGION
    prefix = scope.region_prefix(who.region)
    return prefix if len(prefix) in LEVELS else None


# maintenance ------------------------------------------------------------------------
def insert(session: Session, tasks: Iterable[dict[str, Any]]) -> None:
    """Rows for new open tasks: each a dict with id, candidate groups, region, green,
    due_at, created_at (the task row's values)."""
    rows = [{"task_id": t["id"], "group": g, "scope": s, "green": bool(t["green"]), "due_at": t["due_at"],
             "created_at": t["created_at"], "assignee": t.get("assignee")}
            for t in tasks for g in (dict.fromkeys(t["candidate_groups"] or []) or [NO_GROUP])
            for s in scopes(t["region"])]
    if rows:
        session.execute(_INSERT, rows)


def drop(session: Session, task_ids: Sequence[str]) -> None:
    """The tasks left the list (completed or cancelled)."""
    if task_ids:
        session.execute(_DROP, {"b_ids": list(task_ids)})


def move_deadline(session: Session, task_id: str, due: dt.datetime | None) -> None:
    """A task's deadline moved."""
    session.execute(_MOVE, {"b_task": task_id, "b_due": due})


def set_holder(session: Session, task_id: str, assignee: str | None) -> None:
    """A task was claimed, given back or handed over."""
    session.execute(_HOLD, {"b_task": task_id, "b_who": assignee})


def set_green(session: Session, instance_id: str, green: bool) -> None:
    """A case turned green-channel (or back): its open tasks move in the list."""
    session.execute(_GREEN, {"b_instance": instance_id, "b_green": bool(green)})


def rebuild(session: Session) -> int:
    """Write the queue again from the open task rows and their candidate groups (as
    migration 0027 fills it; bulk loads, bench/seed.py); how many rows it holds."""
    from engine.store.models import TaskCandidate

    session.execute(QUEUE.delete())
    cand = TaskCandidate.__table__
    groups = sa.union_all(
        sa.select(cand.c.task_id, cand.c.group),
        sa.select(TASKS.c.id, sa.literal(NO_GROUP)).where(TASKS.c.state == "open", ~sa.exists().where(
            cand.c.task_id == TASKS.c.id))).subquery()
    columns = ["task_id", "group", "scope", "green", "due_at", "created_at", "assignee"]
    levels = [(sa.func.substr(TASKS.c.region, 1, n), sa.func.length(TASKS.c.region) >= n) for n in LEVELS]
    for cut, where in [*levels, (sa.literal(NO_REGION), TASKS.c.region.is_(None))]:
        session.execute(QUEUE.insert().from_select(columns, sa.select(
            groups.c.task_id, groups.c.group, cut, TASKS.c.green, TASKS.c.due_at, TASKS.c.created_at,
            TASKS.c.assignee).join(TASKS, TASKS.c.id == groups.c.task_id).where(TASKS.c.state == "open", where)))
    return session.scalar(sa.select(sa.func.count()).select_from(QUEUE)) or 0


# reads ------------------------------------------------------------------------------
def serves(who: Principal, f: TaskFilter) -> bool:
    """Whether the queue serves `f` for `who`: open tasks of a staff member's scope (a
    search by text, one case's tasks, completed tasks and admins take the general path,
    each served by an index of its own)."""
    return (f.state == "open" and not f.text and not f.instance_id and not f.completed_by
            and not who.is_admin and scope.is_staff(who) and user_scope(who) is not None)


def _task_clauses(f: TaskFilter) -> list[sa.ColumnElement[bool]]:
    """Conditions of `f` on the task row and its case (the queue has the order and the holder)."""
    from engine.queries import _case_clauses

    out: list[sa.ColumnElement[bool]] = []
    if f.stage:
        out.append(HumanTask.bpmn_id == f.stage)
    if f.provisional:
        out.append(HumanTask.due_provisional.is_(True))
    if case := _case_clauses(f):
        out.append(sa.exists().where(Instance.id == HumanTask.instance_id, *case))
    return out


def _due_clauses(column: Any, f: TaskFilter, tag: str = "") -> list[sa.ColumnElement[bool]]:
    """`f`'s moments as conditions on `column`, each a bound parameter (`_moments` gives
    their values), so that a statement is built once per shape (`_cached`)."""
    out: list[sa.ColumnElement[bool]] = []
    if f.overdue_at is not None:
        out.append(column < sa.bindparam(f"{tag}overdue_at", type_=column.type))
    if f.due_from is not None:
        out.append(column >= sa.bindparam(f"{tag}due_from", type_=column.type))
    if f.due_before is not None:
        out.append(column < sa.bindparam(f"{tag}due_before", type_=column.type))
    return out


_MOMENTS = ("overdue_at", "due_from", "due_before", "created_after")
_SKIP = {"limit", "offset"}  # a branch's limit is a part of the shape of its own
_STATEMENTS: dict[tuple, sa.Select] = {}
_STATEMENTS_MAX = 512  # shapes are per user and filter: a bound number of them kept


def _moments(f: TaskFilter, tag: str = "") -> dict[str, dt.datetime]:
    """The values of `f`'s moments, named as `_due_clauses` binds them."""
    return {f"{tag}{name}": value for name in _MOMENTS if (value := getattr(f, name)) is not None}


def _shape(who: Principal, f: TaskFilter, limit: int | None) -> tuple:
    """Everything the branches of `f` for `who` are built from but the moments (bound
    parameters): the same shape is the same statement."""
    values: list[object] = [who.username, tuple(who.groups), user_scope(who), limit]
    for field in dataclasses.fields(f):
        if field.name in _SKIP:
            continue
        value = getattr(f, field.name)
        values.append(value is not None if field.name in _MOMENTS else
                      tuple(value) if isinstance(value, list) else value)
    return tuple(values)


def _cached(key: tuple, build: Callable[[], sa.Select]) -> sa.Select:
    """The statement of `key`, built once: building the union of a list's index ranges
    (SQLAlchemy's Python) cost more than the database's time to run it (docs/bench.md)."""
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        stmt = _STATEMENTS[key] = build()
    return stmt


def _branches(who: Principal, f: TaskFilter, limit: int | None, tag: str = "") -> list[sa.Select]:
    """One select of (task_id, green, due_at, created_at) per index range, in the range's
    order, at most `limit` tasks each: each of `who`'s groups × green or not, and (unless `f`
    lists only tasks offered to their groups) the open tasks `who` holds in their region."""
    q, here = QUEUE.c, user_scope(who)
    task_filters = _task_clauses(f)
    order = (q.due_at.asc().nulls_last(), q.created_at, q.task_id)  # within one green value: the index's

    def narrowed(b: sa.Select) -> sa.Select:
        b = b.where(q.scope == here, *_due_clauses(q.due_at, f, tag))
        if f.created_after is not None:
            b = b.where(q.created_at > sa.bindparam(f"{tag}created_after", type_=q.created_at.type))
        if task_filters:
            b = b.join(HumanTask, HumanTask.id == q.task_id).where(*task_filters)
        return b

    out = []
    mine_only = f.assignee is not None and f.assignee == who.username
    groups = list(dict.fromkeys(who.groups))
    if not mine_only and groups:
        for green in (True, False):
            for group in groups:
                b = narrowed(sa.select(q.task_id, q.green, q.due_at, q.created_at).where(
                    q.group == group, q.green == green))
                if f.unassigned:
                    b = b.where(q.assignee.is_(None))  # ix_task_queue_unassigned
                elif f.assignee is not None:
                    b = b.where(q.assignee == f.assignee)
                out.append(b.order_by(*order).limit(limit))
    if not f.offered and (f.assignee is None or mine_only) and not f.unassigned:
        for green in (True, False):
            # A held task has a row per candidate group: DISTINCT over the index's order
            # (the rows of one task are adjacent) keeps the LIMIT a number of tasks.
            b = narrowed(sa.select(q.task_id, q.green, q.due_at, q.created_at).distinct().where(
                q.assignee == who.username, q.green == green))
            out.append(b.order_by(*order).limit(limit))
    return out


def _branches_exist(who: Principal, f: TaskFilter) -> bool:
    """Whether `_branches` gives any: none when `f` lists only tasks offered to the
    caller's groups and they have none."""
    mine_only = f.assignee is not None and f.assignee == who.username
    return bool((not mine_only and who.groups)
                or (not f.offered and (f.assignee is None or mine_only) and not f.unassigned))


_COLUMNS = {"task_id": sa.String(), "green": sa.Boolean(), "due_at": UtcDateTime(), "created_at": UtcDateTime()}


def _union(branches: list[sa.Select]) -> sa.Subquery:
    # Each branch as a subquery of its own: SQLite allows no ORDER BY/LIMIT in a compound's
    # members. Its columns named as text: SQLAlchemy's column collections of each subquery
    # cost more to build than the page's SQL takes to run.
    star = [sa.literal_column(c, type_) for c, type_ in _COLUMNS.items()]
    return sa.union_all(*(sa.select(*star).select_from(b.subquery()) for b in branches)).subquery()


def display_key(green: bool, due: dt.datetime | None, created: dt.datetime, task_id: str) -> tuple:
    """The work list's order: green channel first (J-GREEN), the soonest deadline, the oldest."""
    return (not green, due is None, due or _FAR, created, task_id)


def deadline_key(green: bool, due: dt.datetime | None, created: dt.datetime, task_id: str) -> tuple:
    """The task API's order: the soonest deadline, the oldest."""
    return (due is None, due or _FAR, created, task_id)


def page_ids(session: Session, who: Principal, f: TaskFilter, key: Any = display_key) -> list[str]:
    """The ids of `f`'s page (limit, offset) in the order `key` gives: each range read only
    up to the page's end, merged and de-duplicated (a task offered to two of the user's
    groups is in two ranges); exact, since a task among the first k of the union is among
    the first k of each range it is in."""
    from engine.queries import MAX_PAGE

    end = f.offset + min(f.limit, MAX_PAGE)
    if not _branches_exist(who, f):  # offered to my groups, and I have none
        return []
    stmt = _cached(("page", _shape(who, f, end)), lambda: sa.select(_union(_branches(who, f, end))))
    rows = sorted(session.execute(stmt, _moments(f)).all(), key=lambda r: key(r[1], r[2], r[3], r[0]))
    seen: dict[str, None] = {}
    for r in rows:
        seen.setdefault(r[0])
        if len(seen) >= end:
            break
    return list(seen)[f.offset:end]


def count(session: Session, who: Principal, f: TaskFilter, cap: int | None) -> int:
    """How many tasks match `f` (as `queries.count_tasks`): each range read at most cap + 1
    entries, so more than `cap` distinct tasks in the union is reported as cap + 1."""
    return counts(session, who, {"": f}, cap)[""]


def counts(session: Session, who: Principal, filters: dict[str, TaskFilter], cap: int | None) -> dict[str, int]:
    """`count` of each of `filters` (the work list's tabs) in one statement: one round trip."""
    limit = None if cap is None else cap + 1
    # Each tab's moments bound under a name of its own (the tabs' "now" may differ).
    tags = {code: f"t{i}_" for i, code in enumerate(filters)}
    counted = [code for code, f in filters.items() if _branches_exist(who, f)]

    def build() -> sa.Select:
        return sa.select(*(sa.select(sa.func.count(sa.distinct(_union(_branches(
            who, filters[code], limit, tags[code])).c.task_id))).scalar_subquery() for code in counted))

    found: dict[str, int] = {}
    if counted:
        stmt = _cached(("counts", *((code, _shape(who, filters[code], limit)) for code in counted)), build)
        params = {k: v for code in counted for k, v in _moments(filters[code], tags[code]).items()}
        found = dict(zip(counted, session.execute(stmt, params).one(), strict=True))
    return {code: min(found.get(code) or 0, cap + 1) if cap is not None else found.get(code) or 0
            for code in filters}
