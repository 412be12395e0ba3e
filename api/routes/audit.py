"""The auditor's API (X-AUDIT): verify a case by re-execution, download its audit file.

Scoped like every read (an auditor sees the cases of their region), each call written to
the access log; the work is the engine's (engine/audit)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import current_principal, rule

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit: re-execution and export")


def verification(result: Any) -> dict[str, Any]:
    """A re-execution's outcome as JSON (the API's answer and the replay page's panel)."""
    d = result.divergence
    return {"ok": result.ok, "line": result.line(), "definition": result.definition, "events": len(result.steps),
            "chain": result.chain,
            "divergence": None if d is None else {"seq": d.seq, "command": d.command, "element": d.element,
                                                  "field": d.field}}


@blp.route("/cases/<instance_id>/verification", methods=["GET"])
@rule("auditor")
@blp.response(200, description="`ok`, one `line`, the chain's check and the first divergence (step, element, field)")
@blp.alt_response(404, schema=schemas.ErrorBody)
def verify_case(instance_id: str) -> dict[str, Any]:
    """Check the case's hash chain, then re-execute its history on a fresh workflow of its
    definition version and compare each step with the record (X-AUDIT)."""
    result = engine().audit_replay_for(current_principal(), instance_id)
    engine().record_case_checks([(result.instance_id, result.ok, result.line())], "api")
    return verification(result)


@blp.route("/cases/<instance_id>/export", methods=["GET"])
@rule("auditor")
@blp.response(200, content_type="application/zip",
              description="manifest.json, events.json, the definition version's files and verify_chain.py")
@blp.alt_response(404, schema=schemas.ErrorBody)
def export_case(instance_id: str) -> Response:
    """The case's audit file: `python3 verify_chain.py FILE.zip` checks it without the database."""
    content = engine().audit_export_for(current_principal(), instance_id)
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="audit-{instance_id}.zip"'})
