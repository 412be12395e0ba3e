"""Incidents: jobs whose retries ran out and timers that kept failing, listed and retried by operators."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api import worker_schemas as ws
from api.routes.common import engine
from api.security import current_principal, rule
from engine.store.models import Job, Timer

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents", description="Failed jobs and timers")
OPERATORS = ("dispatcher", "supervisor")


@blp.route("", methods=["GET"])
@rule(*OPERATORS)
@blp.arguments(ws.IncidentQuery, location="query")
@blp.response(200, ws.JobSummary(many=True))
def list_incidents(args: dict[str, Any]) -> list[Job]:
    """Jobs in incident of the cases you may see, newest first, with the last error the worker reported."""
    return engine().incidents_for(current_principal(), args.get("topic"), args["limit"], args["offset"])


@blp.route("/<job_id>/retry", methods=["POST"])
@rule(*OPERATORS)
@blp.arguments(ws.RetryRequest)
@blp.response(200, ws.JobSummary)
@blp.alt_response(409, schema=schemas.ErrorBody, description="the job is not an incident")
def retry(args: dict[str, Any], job_id: str) -> Job:
    """Make the job fetchable again with `retries` attempts (after fixing the cause)."""
    return engine().retry_incident(job_id, current_principal(), args["retries"])


@blp.route("/timers", methods=["GET"])
@rule(*OPERATORS)
@blp.arguments(ws.PageQuery, location="query")
@blp.response(200, ws.TimerIncident(many=True))
def list_timer_incidents(args: dict[str, Any]) -> list[Timer]:
    """Timers of the cases you may see whose firing failed repeatedly (the diagram errs on
    their path), newest first."""
    return engine().timer_incidents_for(current_principal(), args["limit"], args["offset"])


@blp.route("/timers/<timer_id>/retry", methods=["POST"])
@rule(*OPERATORS)
@blp.response(200, ws.TimerIncident)
@blp.alt_response(409, schema=schemas.ErrorBody, description="the timer is not an incident")
def retry_timer(timer_id: str) -> Timer:
    """Make the timer pending again (after fixing the cause); it fires at the next round."""
    return engine().retry_timer_incident(timer_id, current_principal())
