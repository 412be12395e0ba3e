"""A second person's approval of a new process version (designers cannot silently replace
intake): the versions waiting, and approving one (engine/definitions/approval.py)."""

from __future__ import annotations

import re

from flask_smorest import Blueprint

from api import schemas
from api.routes.common import engine
from api.security import current_principal, rule
from engine.errors import ValidationFailed
from engine.store.models import Definition

VERSION_REF = re.compile(r"^[^/:]{1,120}:[0-9]{1,9}$")
blp = Blueprint("approvals", __name__, url_prefix="/api/v1",
                description="Approval of new process versions by a second designer")


@blp.route("/definitions/pending", methods=["GET"])
@rule("designer")
@blp.response(200, schemas.DefinitionOut(many=True))
def pending() -> list[Definition]:
    """Versions deployed while their process had cases, waiting for a second person's approval;
    until then new cases of the process start on its latest approved version."""
    return engine().pending_approvals()


@blp.route("/definitions/<ref>/approval", methods=["POST"])
@rule("designer")
# Operation parameters override the path's: the document states the KEY:VERSION shape the view checks.
@blp.doc(parameters=[{"in": "path", "name": "ref", "required": True,
                      "schema": {"type": "string", "pattern": VERSION_REF.pattern}}])
@blp.response(200, schemas.DefinitionOut)
@blp.alt_response(403, schema=schemas.ErrorBody, description="you deployed this version")
@blp.alt_response(404, schema=schemas.ErrorBody)
@blp.alt_response(409, schema=schemas.ErrorBody, description="the version is not waiting for approval")
@blp.alt_response(422, schema=schemas.ErrorBody)
def approve(ref: str) -> Definition:
    """Approve version `ref` (`KEY:VERSION`, e.g. `jiangyin_one_door:2`) as a designer or
    administrator other than its deployer; from now on it takes the new cases of its process."""
    if not VERSION_REF.fullmatch(ref):
        raise ValidationFailed("the version is named KEY:VERSION, e.g. jiangyin_one_door:2",
                               {"fields": {"ref": [f"not KEY:VERSION: '{ref[:80]}'"]}})
    key, _, version = ref.rpartition(":")
    return engine().approve_definition(key, int(version), current_principal().username)
