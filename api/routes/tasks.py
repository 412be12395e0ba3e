"""Task lists and claim / unclaim / complete (X-STAFF, X-FORMS, W-FIRST).

Which tasks a user sees and may act on is the engine's scope rule (candidate groups and
the case's region, engine/auth/scope.py); these views pass the Principal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import STAFF, current_principal, rule
from engine import queries
from engine.store.models import HumanTask

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks")


@blp.route("", methods=["GET"])
@rule(*STAFF)
@blp.arguments(schemas.TaskQuery, location="query")
@blp.response(200, schemas.TaskOut(many=True))
def list_tasks(args: dict[str, Any]) -> list[HumanTask]:
    """Tasks, soonest deadline first: those offered to your groups in your region, and
    those you hold or completed (admins: all)."""
    who = current_principal()
    f = _filter(args)
    f.instance_id, f.state, f.offered = args.get("instance"), args["state"], args["my_groups"]
    if args["mine"]:
        f.assignee = who.username
    return engine().tasks_for(who, f)


def _filter(args: dict[str, Any]) -> queries.TaskFilter:
    """The engine's filter of the query's case and deadline fields (the page builds the same)."""
    f = queries.TaskFilter(process_key=args.get("process"), stage=args.get("stage"), channel=args.get("channel"),
                           aid_type=args.get("aid_type"), provisional=args["provisional"],
                           text=(args.get("q") or "").strip() or None, limit=args["limit"], offset=args["offset"])
    now = engine().clock.now()
    if args["overdue"]:
        f.overdue_at = now
    if args["due_soon"]:
        f.due_from, f.due_before = now, now + dt.timedelta(hours=args["due_within_hours"])
    return f


@blp.route("/department-waits", methods=["GET"])
@rule(*STAFF)
@blp.arguments(schemas.DepartmentWaitQuery, location="query")
@blp.response(200, schemas.DepartmentWaitOut(many=True))
def department_waits(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Cases waiting for a department system's answer (a webhook department: no task row),
    with their deadline in your scope (region; department staff: their department's), green
    channel first, then by deadline: the overdue and due-soon lists' "等待部门回复" rows."""
    rows, _ = engine().department_wait_page(current_principal(), _filter(args))
    now = engine().clock.now()
    return [{"task_id": r.wait.task_id, "instance_id": r.wait.instance_id, "business_key": r.business_key,
             "process_key": r.process_key, "applicant": r.applicant_name, "bpmn_id": r.wait.bpmn_id,
             "name": r.wait.name, "department": r.wait.department, "due_at": r.wait.due_at,
             "due_provisional": r.wait.due_provisional, "overdue": bool(r.wait.due_at and r.wait.due_at < now),
             "created_at": r.wait.created_at} for r in rows]


@blp.route("/<task_id>", methods=["GET"])
@rule(*STAFF)
@blp.response(200, schemas.TaskDetail)
def get_task(task_id: str) -> dict[str, Any]:
    """A task with its form (form-js schema) and the data to pre-fill it; ID numbers and
    phones masked unless your role needs them."""
    view = engine().task_view(current_principal(), task_id)
    out = {name: getattr(view.task, name) for name in schemas.TaskOut().fields if hasattr(view.task, name)}
    out["form"] = view.form.raw if view.form is not None else None
    out["data"] = view.data
    return out


@blp.route("/<task_id>/claim", methods=["POST"])
@rule(*STAFF)
@blp.response(200, schemas.TaskOut)
def claim(task_id: str) -> HumanTask:
    """Take the task: you are then responsible for it (W-FIRST)."""
    return engine().claim(task_id, current_principal())


@blp.route("/<task_id>/unclaim", methods=["POST"])
@rule(*STAFF)
@blp.response(200, schemas.TaskOut)
def unclaim(task_id: str) -> HumanTask:
    return engine().unclaim(task_id, current_principal())


@blp.route("/<task_id>/complete", methods=["POST"])
@rule(*STAFF)
@blp.arguments(schemas.CompleteRequest)
@blp.response(200, schemas.CompletedTaskOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def complete(args: dict[str, Any], task_id: str) -> HumanTask | _Completed:
    """Submit the task's form; the data is validated against the same form on the server.
    With `next_tasks`, the answer lists the case's open tasks you may work on now (read
    after the completion committed), so that a client need not ask the task list next."""
    who = current_principal()
    task = engine().complete(task_id, args["data"], who)
    if not args["next_tasks"]:
        return task
    return _Completed(task, engine().tasks_for(who, queries.TaskFilter(instance_id=task.instance_id)))


class _Completed:
    """A completed task with the tasks it leaves open to the caller (CompletedTaskOut)."""

    def __init__(self, task: HumanTask, next_tasks: list[HumanTask]) -> None:
        self._task, self.next_tasks = task, next_tasks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)
