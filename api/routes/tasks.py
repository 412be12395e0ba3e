"""Task lists and claim / unclaim / complete (X-STAFF, X-FORMS, W-FIRST)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import STAFF, current_principal, rule
from engine import queries
from engine.errors import Forbidden, NotFound
from engine.store.models import HumanTask

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks")


def _task(task_id: str) -> HumanTask:
    with engine().db.reading() as s:
        row = s.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"task {task_id} does not exist", {"task": task_id})
    who = current_principal()
    if not who.is_admin and not (set(who.groups) & set(row.candidate_groups)) and row.assignee != who.username \
            and row.completed_by != who.username:
        raise Forbidden(f"task {task_id} is not for your groups", {"task": task_id})
    return row


@blp.route("", methods=["GET"])
@rule(*STAFF)
@blp.arguments(schemas.TaskQuery, location="query")
@blp.response(200, schemas.TaskOut(many=True))
def list_tasks(args: dict[str, Any]) -> list[HumanTask]:
    """Tasks, soonest deadline first. Non-admins see only tasks of their groups or their own."""
    who = current_principal()
    f = queries.TaskFilter(instance_id=args.get("instance"), state=args["state"], limit=args["limit"],
                           offset=args["offset"])
    if args["mine"]:
        f.assignee = who.username
    if args["my_groups"] or (not who.is_admin and not args["mine"]):
        f.groups = tuple(who.groups)
    now = engine().clock.now()
    if args["overdue"]:
        f.overdue_at = now
    if args["due_soon"]:
        f.due_from, f.due_before = now, now + dt.timedelta(hours=args["due_within_hours"])
    with engine().db.reading() as s:
        return queries.tasks(s, f)


@blp.route("/<task_id>", methods=["GET"])
@rule(*STAFF)
@blp.response(200, schemas.TaskDetail)
def get_task(task_id: str) -> dict[str, Any]:
    """A task with its form (form-js schema) and the data to pre-fill it."""
    row = _task(task_id)
    form = engine().task_form(row)
    out = {name: getattr(row, name) for name in schemas.TaskOut().fields if hasattr(row, name)}
    out["form"] = form.raw if form is not None else None
    out["data"] = engine().task_data(row) if row.state == "open" else {}
    if schemas.personal_keys(out["data"]):
        engine().log_access(current_principal().username, f"task:{row.id}", row.instance_id,
                            schemas.personal_keys(out["data"]))
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
@blp.response(200, schemas.TaskOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def complete(args: dict[str, Any], task_id: str) -> HumanTask:
    """Submit the task's form; the data is validated against the same form on the server."""
    return engine().complete(task_id, args["data"], current_principal())
