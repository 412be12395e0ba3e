"""Start, list, read, cancel instances and read their history (J-TRACK, X-AUDIT).

Scope (region, department, own applications), masking and the access log are the
engine's (engine/auth/scope.py, engine/reads.py): these views pass the Principal."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import STAFF, current_principal, rule
from engine.audit import verify_chain
from engine.store.models import Instance

blp = Blueprint("instances", __name__, url_prefix="/api/v1/instances", description="Cases (process instances)")


@blp.route("", methods=["POST"])
@rule("clerk", "dispatcher", "applicant")
@blp.arguments(schemas.StartRequest)
@blp.response(201, schemas.InstanceOut)
@blp.alt_response(200, schema=schemas.InstanceOut,
                  description="a retried start: the case this business key already names, started with the same data")
@blp.alt_response(404, schema=schemas.ErrorBody, description="no such definition")
@blp.alt_response(409, schema=schemas.ErrorBody,
                  description="the business key already names a case of this process, started with other data")
@blp.alt_response(422, schema=schemas.ErrorBody)
def start(args: dict[str, Any]) -> tuple[Instance, int]:
    """Start a case on a definition (J-CH-WINDOW, J-CH-ONLINE, J-CH-12345), in the region
    the application names (within yours), else in yours. A business key names one case per
    process: the same start sent again answers 200 with that case."""
    instance, created = engine().start_once(args["definition"], args["data"], args.get("business_key"),
                                            current_principal(), region=args.get("region"))
    return instance, 201 if created else 200


@blp.route("", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.arguments(schemas.InstanceQuery, location="query")
@blp.response(200, schemas.InstanceOut(many=True))
def list_instances(args: dict[str, Any]) -> list[Instance]:
    """Cases you may see (your region; department staff: those dispatched to you), newest first."""
    return engine().instances_for(current_principal(), args.get("status"), args.get("business_key"),
                                  args.get("definition"), args["limit"], args["offset"])


@blp.route("/<instance_id>", methods=["GET"])
@rule(*STAFF, "auditor", "applicant")
@blp.response(200, schemas.InstanceDetail)
@blp.alt_response(404, schema=schemas.ErrorBody)
def get_instance(instance_id: str) -> dict[str, Any]:
    """One case with its data; ID numbers and phones are masked unless your role needs them."""
    view = engine().case_view(current_principal(), instance_id)
    out: dict[str, Any] = {name: getattr(view.instance, name) for name in schemas.InstanceOut().fields
                           if name != "definition"}
    out["definition"] = view.instance.definition
    out["data"] = view.data
    out["open_tasks"] = [{"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "due_at": t.due_at}
                         for t in view.open_tasks]
    return out


@blp.route("/<instance_id>/cancel", methods=["POST"])
@rule("dispatcher")
@blp.arguments(schemas.CancelRequest)
@blp.response(200, schemas.InstanceOut)
def cancel(args: dict[str, Any], instance_id: str) -> Instance:
    """Cancel a running case, with the reason recorded."""
    return engine().cancel(instance_id, args["reason"], current_principal())


@blp.route("/<instance_id>/history", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.response(200, schemas.HistoryEvent(many=True))
def history(instance_id: str) -> list[dict[str, Any]]:
    """Every command applied to the case, hash-chained (X-AUDIT, J-TRACK); ID numbers and
    phones masked unless your role needs them (each full view is in the access log)."""
    return engine().history_for(current_principal(), instance_id)


@blp.route("/<instance_id>/verify", methods=["GET"])
@rule("auditor")
@blp.response(200)
def verify(instance_id: str) -> dict[str, Any]:
    """Recompute the hash chain of the case's history and report the first break."""
    engine().instance_for(current_principal(), instance_id)
    with engine().db.reading() as s:
        return verify_chain(s, instance_id)
