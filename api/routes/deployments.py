"""Deploy BPMN, DMN and forms as new versions; list definitions (X-DESIGN)."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import AUTHENTICATED, current_principal, rule
from engine.definitions.bundle import MAX_FILES, bundle_file
from engine.definitions.repository import DeployResult
from engine.errors import ValidationFailed
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
