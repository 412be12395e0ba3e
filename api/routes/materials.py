"""Materials of a case (J-TRACK electronic archiving, J-ONCE): upload a PDF, JPEG or PNG
(judged by content), list them with the checklist the case's aid types require, download
one as an attachment. Scope, the file store, the history event of an upload and the
access-log entry of a download are the engine's (engine/materials/face.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from api.attachments import attachment
from api.inputs import ApiSchema as Schema
from api.routes.common import engine
from api.schemas import ErrorBody
from api.security import STAFF, current_principal, rule

F = TypeVar("F", bound=Callable[..., Any])
blp = Blueprint("materials", __name__, url_prefix="/api/v1/instances",
                description="Materials of a case: typed uploads, checklist, downloads")
# Who may add a material: those who take and handle applications (leaders and supervisors read).
UPLOADERS = ("clerk", "dispatcher", "caseworker")


class MaterialOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    kind = fields.String(metadata={"description": "the checklist item it provides, or `other`"})
    filename = fields.String()
    media_type = fields.String(metadata={"description": "application/pdf, image/jpeg or image/png, by content"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.DateTime()


class ChecklistItemOut(Schema):
    key = fields.String()
    label = fields.String()
    label_en = fields.String()
    aid_types = fields.List(fields.String(), metadata={"description": "the aid types asking for it; empty: all"})
    provided = fields.Integer(metadata={"description": "how many uploaded materials are of this kind"})


class ItemMaterialOut(Schema):
    kind = fields.String(metadata={"description": "the material kind an upload names to provide it"})
    name = fields.String()
    form = fields.String(metadata={"description": "the form it is accepted in (原件、电子证照…)"})
    key_points = fields.String(metadata={"description": "what the reviewer checks"})
    common_problems = fields.String()
    wrong_examples = fields.String()
    provided = fields.Integer(metadata={"description": "how many uploaded materials are of this kind"})


class ItemChecklistOut(Schema):
    key = fields.String(metadata={"description": "the aid item (workflows/items.json)"})
    name = fields.String()
    department = fields.String()
    complete = fields.Boolean(metadata={"description": "every material of the item is provided"})
    provided = fields.Integer()
    required = fields.Integer()
    materials = fields.List(fields.Nested(ItemMaterialOut))


class MaterialEntryOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String(metadata={"description": "upload or download"})
    material_id = fields.String()
    filename = fields.String()


class MaterialsOut(Schema):
    materials = fields.List(fields.Nested(MaterialOut))
    checklist = fields.List(fields.Nested(ChecklistItemOut))
    by_item = fields.List(fields.Nested(ItemChecklistOut),
                          metadata={"description": "J-ITEMS: the checklist per aid item, with review guidance"})
    log = fields.List(fields.Nested(MaterialEntryOut), metadata={"description": "every upload and download"})


class UploadForm(Schema):
    kind = fields.String(required=True, validate=validate.Length(1, 60),
                         metadata={"description": "a checklist item's key (GET …/materials), or `other`"})


class UploadFile(Schema):
    file = Upload(required=True, metadata={"description": "a PDF, JPEG or PNG, judged by its content"})


@blp.route("/<instance_id>/materials", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.response(200, MaterialsOut)
@blp.alt_response(404, schema=ErrorBody)
def list_materials(instance_id: str) -> dict[str, Any]:
    """The case's materials, oldest first, the checklist of what its aid types require, and
    who uploaded or downloaded which material when."""
    who = current_principal()
    rows = engine().materials_for(who, instance_id)
    items = engine().material_checklist(who, instance_id, rows)
    by_item = engine().material_checklist_by_item(who, instance_id, rows)
    return {"materials": rows, "checklist": [i.as_dict() for i in items], "by_item": [g.as_dict() for g in by_item],
            "log": engine().material_log_for(who, instance_id)}


def scope_first(view: F) -> F:
    """Refuse a case outside the caller's scope before the upload is parsed: a stranger
    learns nothing from how their request was malformed (403 before any 422)."""
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        engine().instance_for(current_principal(), kwargs["instance_id"])
        return view(*args, **kwargs)
    return checked  # type: ignore[return-value]


@blp.route("/<instance_id>/materials", methods=["POST"])
@rule(*UPLOADERS)
@scope_first
@blp.arguments(UploadForm, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, MaterialOut)
@blp.alt_response(404, schema=ErrorBody)
@blp.alt_response(422, schema=ErrorBody, description="an unknown `kind`; an empty, oversized or disguised `file`")
def upload(form: dict[str, Any], files: dict[str, Any], instance_id: str) -> tuple[Any, int]:
    """Add a material to a case (multipart/form-data: `kind`, `file`). The SHA-256 is
    recorded and the upload is an event in the case history; nothing is stored when refused."""
    file = files["file"]
    return engine().upload_material(current_principal(), instance_id, form["kind"], file.filename,
                                    file.read()), 201


@blp.route("/<instance_id>/materials/<material_id>", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.response(200, content_type="application/octet-stream",
              description="the file as uploaded, as an attachment (its own type in Content-Type)")
@blp.alt_response(404, schema=ErrorBody)
def download(instance_id: str, material_id: str) -> Response:
    """Download a material (always as an attachment); the download is written to the access log."""
    row, content = engine().material_download(current_principal(), instance_id, material_id)
    return attachment(content, row.media_type, row.filename)
