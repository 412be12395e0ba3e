"""Start, list, read, cancel instances and read their history (J-TRACK, X-AUDIT)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import STAFF, current_principal, rule
from engine import queries
from engine.audit import verify_chain
from engine.auth import Principal
from engine.errors import Forbidden
from engine.store.models import AuditEvent, Instance

blp = Blueprint("instances", __name__, url_prefix="/api/v1/instances", description="Cases (process instances)")
FULL_DATA_ROLES = ("clerk", "dispatcher", "caseworker", "leader")


def _visible(instance: Instance, who: Principal) -> Instance:
    """Region scope: staff see cases of their region (and below); admins and auditors all."""
    if who.has_role("auditor") or not who.region or (instance.region or "").startswith(who.region):
        return instance
    if instance.started_by == who.username:
        return instance
    raise Forbidden(f"instance {instance.id} is outside your region {who.region}", {"instance": instance.id})


@blp.route("", methods=["POST"])
@rule("clerk", "dispatcher", "applicant", "system")
@blp.arguments(schemas.StartRequest)
@blp.response(201, schemas.InstanceOut)
@blp.alt_response(200, schema=schemas.InstanceOut,
                  description="a retried start: the case this business key already names, started with the same data")
@blp.alt_response(409, schema=schemas.ErrorBody,
                  description="the business key already names a case of this process, started with other data")
@blp.alt_response(422, schema=schemas.ErrorBody)
def start(args: dict[str, Any]) -> tuple[Instance, int]:
    """Start a case on a definition (J-CH-WINDOW, J-CH-ONLINE, J-CH-12345). A business key
    names one case per process: the same start sent again answers 200 with that case."""
    who = current_principal()
    region = args.get("region") or who.region
    if who.region and not who.is_admin and not (region or "").startswith(who.region):
        raise Forbidden(f"you may start cases only in your region {who.region}", {"region": region})
    instance, created = engine().start_once(args["definition"], args["data"], args.get("business_key"),
                                            who.username, region=region)
    return instance, 201 if created else 200


@blp.route("", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.arguments(schemas.InstanceQuery, location="query")
@blp.response(200, schemas.InstanceOut(many=True))
def list_instances(args: dict[str, Any]) -> list[Instance]:
    """Cases, newest first, within the caller's region."""
    who = current_principal()
    region = None if who.is_admin or who.has_role("auditor") else who.region
    with engine().db.reading() as s:
        return queries.instances(s, args.get("status"), args.get("business_key"), region,
                                 args.get("definition"), args["limit"], args["offset"])


@blp.route("/<instance_id>", methods=["GET"])
@rule(*STAFF, "auditor", "applicant")
@blp.response(200, schemas.InstanceDetail)
@blp.alt_response(404, schema=schemas.ErrorBody)
def get_instance(instance_id: str) -> dict[str, Any]:
    """One case with its data; ID numbers and phones are masked unless your role needs them."""
    who = current_principal()
    instance = _visible(engine().instance(instance_id), who)
    if who.roles == ("applicant",) and instance.started_by != who.username:
        raise Forbidden("applicants see only their own applications", {"instance": instance_id})
    data = engine().case_data(instance)
    full = who.has_role(*FULL_DATA_ROLES) or instance.started_by == who.username
    with engine().db.reading() as s:
        open_tasks = queries.tasks(s, queries.TaskFilter(instance_id=instance.id))
    out: dict[str, Any] = {name: getattr(instance, name) for name in schemas.InstanceOut().fields
                           if name != "definition"}
    out["definition"] = instance.definition
    out["data"] = data if full else schemas.masked(data)
    if full and schemas.personal_keys(data):
        engine().log_access(who.username, f"instance:{instance.id}", instance.id, schemas.personal_keys(data))
    out["open_tasks"] = [{"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "due_at": t.due_at} for t in open_tasks]
    return out


@blp.route("/<instance_id>/cancel", methods=["POST"])
@rule("dispatcher")
@blp.arguments(schemas.CancelRequest)
@blp.response(200, schemas.InstanceOut)
def cancel(args: dict[str, Any], instance_id: str) -> Instance:
    """Cancel a running case, with the reason recorded."""
    _visible(engine().instance(instance_id), current_principal())
    return engine().cancel(instance_id, args["reason"], current_principal().username)


@blp.route("/<instance_id>/history", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.response(200, schemas.HistoryEvent(many=True))
def history(instance_id: str) -> list[AuditEvent]:
    """Every command applied to the case, hash-chained (X-AUDIT, J-TRACK)."""
    _visible(engine().instance(instance_id), current_principal())
    with engine().db.reading() as s:
        return queries.history(s, instance_id)


@blp.route("/<instance_id>/verify", methods=["GET"])
@rule("auditor")
@blp.response(200)
def verify(instance_id: str) -> dict[str, Any]:
    """Recompute the hash chain of the case's history and report the first break."""
    engine().instance(instance_id)
    with engine().db.reading() as s:
        return verify_chain(s, instance_id)
