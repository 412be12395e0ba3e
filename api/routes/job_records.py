"""Case records a worker keeps for the job it holds, and the local data platform it reads
(X-WORKERS): what lets `relief worker` run with its worker token as its only credential.

Only the worker holding the job's lock (409 otherwise), with a token for the job's topic
(403), and only the records that topic needs (403, engine/records.py). The job gives the
case and the idempotency key, so a second delivery finds the first one's record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from api import record_schemas as rs
from api import schemas
from api.routes.common import engine
from api.routes.jobs import job_for_me, owner
from api.security import WORKER, rule
from engine.errors import NotFound
from engine.forms.validators import mask_id_number

blp = Blueprint("job_records", __name__, url_prefix="/api/v1/jobs",
                description="Case records and data of a locked job (worker tokens)")

KEPT = {
    "notification": (rs.NotificationRecordIn, "Queue the job's notice to the applicant in the outbox (J-T2F)."),
    "ledger": (rs.LedgerRecordIn, "Enter the job's line in the electronic ledger, dated today (W-LEDGER)."),
    "dispatch": (rs.DispatchRecordIn, "Record the job's dispatch to a department or referral (J-DISPATCH)."),
}


def _keep_view(kind: str, schema: type[rs.WorkerArgs], summary: str) -> Callable[..., dict[str, Any]]:
    def view(args: dict[str, Any], job_id: str) -> dict[str, Any]:
        job_for_me(job_id)
        worker_id = args.pop("worker_id")
        record, created = engine().keep_record(job_id, owner(worker_id), kind, args)
        return {"record": record, "created": created}

    view.__name__ = f"keep_{kind}"
    view.__doc__ = f"{summary}\n\nOnce per job: a second delivery gets the first one's record (`created` false)."
    # The decorators of the other views, applied in the same order (innermost first).
    view = blp.alt_response(409, schema=schemas.ErrorBody, description="the lock expired or another worker holds it")(
        view)
    view = blp.alt_response(403, schema=schemas.ErrorBody)(view)
    view = blp.arguments(schema)(blp.response(200, rs.RecordOut)(view))
    return rule(WORKER)(view)


# One endpoint per kind, each with its own schema in the OpenAPI document.
for _kind, (_schema, _summary) in KEPT.items():
    blp.route(f"/<job_id>/records/{_kind}", methods=["POST"], endpoint=f"keep_{_kind}")(
        _keep_view(_kind, _schema, _summary))


@blp.route("/<job_id>/records/notification/sent", methods=["POST"])
@rule(WORKER)
@blp.arguments(rs.WorkerArgs)
@blp.response(200, rs.RecordOut)
@blp.alt_response(409, schema=schemas.ErrorBody)
def notification_sent(args: dict[str, Any], job_id: str) -> dict[str, Any]:
    """The SMS gateway accepted the job's notice: the outbox shows it sent."""
    job_for_me(job_id)
    return {"record": engine().notification_sent(job_id, owner(args["worker_id"])), "created": False}


@blp.route("/<job_id>/records/hotline-status", methods=["POST"])
@rule(WORKER)
@blp.arguments(rs.HotlineStatusIn)
@blp.response(200, rs.HotlineStatusOut)
@blp.alt_response(409, schema=schemas.ErrorBody)
def hotline_status(args: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Push the job's notice to the 12345 platform as a status update (J-CH-12345), once per
    job, if the case came from there; a detached `hotline.status` job does the pushing."""
    job_for_me(job_id)
    pushed, created = engine().queue_hotline_status(job_id, owner(args["worker_id"]), args["status"],
                                                    args["message"])
    return {"job_id": pushed, "created": created}


@blp.route("/<job_id>/data/households", methods=["GET"])
@rule(WORKER)
@blp.arguments(rs.HouseholdQuery, location="query")
@blp.response(200, rs.HouseholdOut)
@blp.alt_response(404, schema=schemas.ErrorBody, description="nobody in the registry has this ID number")
@blp.alt_response(409, schema=schemas.ErrorBody)
def household(args: dict[str, Any], job_id: str) -> dict[str, Any]:
    """T-ID: the household of an ID number in the local registry (`relief data import`)."""
    job_for_me(job_id)
    id_number = args["id_number"].upper()
    found = engine().registry_household(job_id, owner(args["worker_id"]), id_number)
    if found is None:
        masked = mask_id_number(id_number)
        raise NotFound(f"nobody with ID number {masked} is in the registry", {"id_number": masked})
    return {"household_id": found[0], "members": found[1]}


@blp.route("/<job_id>/data/grants", methods=["GET"])
@rule(WORKER)
@blp.arguments(rs.GrantsQuery, location="query")
@blp.response(200, rs.GrantOut(many=True))
@blp.alt_response(409, schema=schemas.ErrorBody)
def grants(args: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    """T-DEDUP: aid of these types already granted to any of these ID numbers."""
    job_for_me(job_id)
    return engine().registry_grants(job_id, owner(args["worker_id"]), [i.upper() for i in args["id_number"]],
                                    args["aid_type"])
