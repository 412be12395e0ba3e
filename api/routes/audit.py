"""The auditor's API (X-AUDIT): verify a case by re-execution, download its audit file;
read the seals of the global chain and check them; read the nightly verification runs.

Scoped like every read (an auditor sees the cases of their region), each call written to
the access log; the work is the engine's (engine/audit)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api import audit_schemas as aus
from api import schemas
from api.routes.common import engine
from api.security import current_principal, rule
from engine.errors import NotFound

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
              description="manifest.json, events.json, seals.json, the definition version's files, "
                          "history.pdf and verify_chain.py")
@blp.alt_response(404, schema=schemas.ErrorBody)
def export_case(instance_id: str) -> Response:
    """The case's audit file: `python3 verify_chain.py FILE.zip` checks it without the database."""
    content = engine().audit_export_for(current_principal(), instance_id)
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="audit-{instance_id}.zip"'})


@blp.route("/seals", methods=["GET"])
@rule("supervisor", "auditor")
@blp.arguments(aus.PageQuery, location="query")
@blp.response(200, aus.SealPage)
def seals(args: dict[str, Any]) -> dict[str, Any]:
    """The sealed checkpoints of the global chain over case heads, newest first (without the
    heads themselves: they name the cases of every region)."""
    rows, total = engine().audit_seals(args["limit"], args["offset"])
    return {"total": total, "seals": rows}


@blp.route("/seals/verification", methods=["GET"])
@rule("supervisor", "auditor")
@blp.response(200, aus.SealCheckOut)
def seal_verification() -> dict[str, Any]:
    """Check every seal now: its own chain, and each case head it holds against the events
    (a case deleted, cut short or rewritten after a seal is named)."""
    count, problems = engine().audit_seal_check_for(current_principal())
    return {"ok": not problems, "seals": count, "problems": problems}


@blp.route("/runs", methods=["GET"])
@rule("supervisor", "auditor")
@blp.arguments(aus.PageQuery, location="query")
@blp.response(200, aus.RunPage)
def runs(args: dict[str, Any]) -> dict[str, Any]:
    """The nightly verification runs, newest first: when, how many cases, how many failed."""
    rows, total = engine().audit_runs(args["limit"], args["offset"])
    return {"total": total, "runs": rows}


@blp.route("/runs/<run_id>", methods=["GET"])
@rule("supervisor", "auditor")
@blp.response(200, aus.RunDetailOut)
@blp.alt_response(404, schema=schemas.ErrorBody)
def run_detail(run_id: str) -> dict[str, Any]:
    """One verification run with its failures on the cases you may see (and the seals' own)."""
    # A string in the route, so that an unknown role meets the rule (403) before the id (404).
    run, failures = (engine().audit_run_for(current_principal(), int(run_id)) if run_id.isdigit() and
                     len(run_id) < 10 else (None, []))
    if run is None:
        raise NotFound(f"verification run {run_id} does not exist", {"run": run_id})
    return {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at, "actor": run.actor,
            "checked": run.checked, "failed": run.failed, "failures": failures}
