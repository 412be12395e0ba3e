"""What a command's changes become in the database: the instance row (one UPDATE with its
version check), the projections of what it waits for, and one audit event; and the plain
UPDATE by id of rows a command loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import task_queue
from engine.audit import append_event
from engine.audit.calendars import record_used as record_calendar
from engine.crypto.columns import session_keyring
from engine.runtime import ended, incremental, inspect, projections, summary
from engine.store.models import HumanTask, Instance

if TYPE_CHECKING:
    from engine.runtime.context import CommandContext

INSTANCES = Instance.__table__
_UPDATE_BY_ID: dict[str, sa.Update] = {}  # per table, for `update_rows`
# Built once (its cache key is then computed once); the SET clause follows the parameters given.
_UPDATE_INSTANCE = INSTANCES.update().where(INSTANCES.c.id == sa.bindparam("b_id"),
                                            INSTANCES.c.version == sa.bindparam("b_version"))
# The open task rows' copy of their instance's green-channel flag.
_GREEN_TASKS = (HumanTask.__table__.update()
                .where(HumanTask.__table__.c.instance_id == sa.bindparam("b_instance"),
                       HumanTask.__table__.c.state == "open")
                .values(green=sa.bindparam("b_green")))
# Columns a command may set on its instance row besides what `record` writes.
_INSTANCE_COLUMNS = ("business_key", "status", "ended_at", "region", "definition_id")


def update_rows(session: Session, rows: list[Any], values: list[dict[str, Any]]) -> None:
    """Write `values[i]` to `rows[i]` (rows this command loaded, all of one table, the same
    columns each) with one Core UPDATE by primary key, and mark them committed on the
    objects. On the hot commands (complete a task or a job, lock fetched jobs) the ORM's
    unit of work cost more than the statement itself. A row that is gone raises
    StaleDataError, as the ORM's flush did (the executor retries)."""
    if not rows:
        return
    table = type(rows[0]).__table__
    statement = _UPDATE_BY_ID.get(table.name)
    if statement is None:
        statement = _UPDATE_BY_ID[table.name] = table.update().where(table.c.id == sa.bindparam("b_id"))
    params = [{**v, "b_id": r.id} for r, v in zip(rows, values, strict=True)]
    with session.no_autoflush:  # the rows' other changes, if any, are flushed later by the ORM
        result = session.execute(statement, params if len(params) > 1 else params[0])
    counted = len(rows) == 1 or session.get_bind().dialect.supports_sane_multi_rowcount
    if counted and result.rowcount != len(rows):
        raise StaleDataError(f"{table.name}: {len(rows)} row(s) to update, {result.rowcount} matched")
    for row, v in zip(rows, values, strict=True):
        for key, value in v.items():
            set_committed_value(row, key, value)


def record(ctx: CommandContext, row: Instance, command: str, input: dict[str, Any],
           extra_changes: list[dict[str, Any]] | None = None) -> None:
    """Persist `row`'s workflow (if the command changed it), projections and one audit event."""
    loaded = ctx.load(row, restore=False)
    new_case = sa.inspect(row).pending  # its task rows are made below, green already
    changes = list(extra_changes or [])
    values: dict[str, Any] = {"updated_at": ctx.now}
    changed = loaded is not None and loaded.changed
    if changed:
        wf = loaded.workflow
        result = inspect.scan(wf, loaded.states)
        changes += result.changes
        values["state"] = incremental.dump_encoded(wf)  # only what changed is encoded again
        values.update(summary.changed(row, (wf.last_task or wf.task_tree).data, session_keyring(ctx.session)))
        if wf.is_completed() and row.status == "running":
            values["status"], values["ended_at"] = ("completed" if wf.success else "error"), ctx.now
            # The end event's data is the workflow's own at the end (the last step's may be older).
            ended.case_ended(ctx.session, row, values["status"],
                             {**(wf.last_task or wf.task_tree).data, **wf.data}, ctx.now)
    if _ended_by_command(row):  # e.g. cancelled: what hangs on the case ends with it too
        data = (loaded.workflow.last_task or loaded.workflow.task_tree).data if loaded is not None else {}
        ended.case_ended(ctx.session, row, row.status, dict(data), ctx.now)
    # First, so that a command that lost the race stops here, and a new instance's row
    # exists before the rows that refer to it.
    _write_instance(ctx.session, row, values)
    if "green" in values and not new_case:
        # The work list orders by the task rows' copy (engine/store/models.py HumanTask.green).
        ctx.session.execute(_GREEN_TASKS, {"b_instance": row.id, "b_green": values["green"]})
        task_queue.set_green(ctx.session, row.id, values["green"])
    if changed:
        loaded.waits = projections.sync(ctx.session, row, result.waits, ctx.now, loaded.waits)
        loaded.states = result.states
    ctx.session.flush()  # what the command changed on other rows (a job, a task row)
    head = append_event(ctx.session, row.id, command, ctx.actor, ctx.now, input, changes,
                        head=loaded.head if loaded is not None else None)
    record_calendar(ctx.session, row.id, head[0], ctx.now)  # the calendar in force, for re-execution
    if loaded is not None:
        loaded.head = head


def _ended_by_command(row: Instance) -> bool:
    """Whether the command set `row`'s status from running to an end (a cancellation) itself."""
    history = sa.inspect(row).attrs.status.history
    return list(history.deleted) == ["running"] and bool(history.added) and history.added[0] != "running"


def _write_instance(session: Session, row: Instance, values: dict[str, Any]) -> None:
    """One UPDATE of the instance row with its version check, as a Core statement.

    The ORM's unit of work added ~0.3 ms to every command (measured: ~4 % of a case).
    What the command itself changed on the row (e.g. a cancelled
    status) is written in the same statement; the ORM then sees the row as clean. A
    row that lost the race (another transaction bumped the version) raises
    StaleDataError, as the ORM's own check did, so the executor retries."""
    insp = sa.inspect(row)
    if insp.pending:  # a new instance (start): the ORM inserts it
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
        return
    for attr in _INSTANCE_COLUMNS:
        if attr not in values and insp.attrs[attr].history.has_changes():
            values[attr] = getattr(row, attr)
    version = row.version
    values["version"] = version + 1
    with session.no_autoflush:  # an autoflush would write the row's own changes first, via the ORM
        result = session.execute(_UPDATE_INSTANCE, {**values, "b_id": row.id, "b_version": version})
    if result.rowcount != 1:
        raise StaleDataError(f"instance {row.id}: version {version} is no longer current")
    for key, value in values.items():
        set_committed_value(row, key, value)
