"""Deploy BPMN, DMN and forms as new versions; list definitions (X-DESIGN)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import AUTHENTICATED, current_principal, rule
from engine.definitions.bundle import MAX_FILES, bundle_file
from engine.definitions.repository import DeployResult
from engine.errors import NotFound, ValidationFailed
from engine.store.models import Definition

blp = Blueprint("deployments", __name__, url_prefix="/api/v1", description="Process definitions")


@blp.route("/deployments", methods=["POST"])
@rule("designer")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": schemas.DeploymentUpload}}})
@blp.response(201, schemas.DeploymentOut)
@blp.alt_response(422, schema=schemas.ErrorBody)
def deploy() -> DeployResult:
    """Upload .bpmn, .dmn and form .json files (field `files`; a form's file name is its form key,
    e.g. `jiangyin/accept.json`). Checked before anything is stored."""
    uploads = request.files.getlist("files")
    if not uploads:
        raise ValidationFailed("no files uploaded", {"fields": {"files": ["upload one or more files"]}})
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files", {"fields": {"files": ["too many files"]}})
    files = [bundle_file(u.filename or "", u.read()) for u in uploads]
    return engine().deploy(files, current_principal().username)


@blp.route("/definitions", methods=["GET"])
@rule(AUTHENTICATED)
@blp.response(200, schemas.DefinitionOut(many=True))
def definitions() -> list[Definition]:
    """Every deployed definition version."""
    return engine().definitions()


def definition_by_id(definition_id: str) -> Definition:
    """The definition of a path's id (404 naming it when there is none)."""
    if not definition_id.isdigit() or len(definition_id) > 18:
        raise NotFound(f"definition {definition_id} does not exist", {"definition": definition_id})
    return engine().definition(int(definition_id))


@blp.route("/definitions/<definition_id>/diagram", methods=["GET"])
@rule(AUTHENTICATED)
@blp.response(200, content_type="application/xml", description="the BPMN 2.0 XML with its diagram (DI)")
@blp.alt_response(404, schema=schemas.ErrorBody)
def diagram(definition_id: str) -> Response:
    """The BPMN file of a definition version, as deployed (for the bpmn-js viewer)."""
    xml = engine().definition_diagram(definition_by_id(definition_id))
    return Response(xml, mimetype="application/xml")


@blp.route("/definitions/<definition_id>/forms", methods=["GET"])
@rule(AUTHENTICATED)
@blp.response(200, schemas.FormKeys)
@blp.alt_response(404, schema=schemas.ErrorBody)
def forms(definition_id: str) -> dict[str, Any]:
    """The keys of the forms deployed with a definition version."""
    return {"forms": engine().definition_forms(definition_by_id(definition_id))}


@blp.route("/definitions/<definition_id>/forms/<path:form_key>", methods=["GET"])
@rule(AUTHENTICATED)
@blp.response(200, content_type="application/json", description="the form-js schema, as deployed")
@blp.alt_response(404, schema=schemas.ErrorBody)
def form(definition_id: str, form_key: str) -> Response:
    """One form (form-js JSON) as deployed with a definition version."""
    found = engine().definition_form(definition_by_id(definition_id), form_key)
    return jsonify(found.raw)


@blp.route("/definitions/<key>/start-form", methods=["GET"])
@rule("clerk", "dispatcher", "applicant")
@blp.response(200, schemas.StartFormOut)
@blp.alt_response(404, schema=schemas.ErrorBody, description="no such process, or it has no start form")
def start_form(key: str) -> dict[str, Any]:
    """The start form of a process (by key): the form-js schema of the version a start
    (`POST /api/v1/instances` with `definition` = key) takes now (J-CH-WINDOW, X-FORMS)."""
    definition, form = engine().start_form_of(key)
    return {"definition": definition, "form_key": definition.start_form_key, "schema": form.raw}
