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
    f = queries.TaskFilter(instance_id=args.get("instance"), state=args["state"], limit=args["limit"],
                           offset=args["offset"], offered=args["my_groups"])
    if args["mine"]:
        f.assignee = who.username
    now = engine().clock.now()
    if args["overdue"]:
        f.overdue_at = now
    if args["due_soon"]:
        f.due_from, f.due_before = now, now + dt.timedelta(hours=args["due_within_hours"])
    return engine().tasks_for(who, f)


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
@blp.response(200, schemas.TaskOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def complete(args: dict[str, Any], task_id: str) -> HumanTask:
    """Submit the task's form; the data is validated against the same form on the server."""
    return engine().complete(task_id, args["data"], current_principal())
