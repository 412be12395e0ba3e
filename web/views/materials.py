"""A case's materials page (/cases/<id>/materials): the checklist its aid types require,
the files uploaded, who uploaded or downloaded what, an upload form; downloads as
attachments; the case's printable notices (/cases/<id>/notices/<kind>.pdf). The panel
itself is the macro `materials_panel` (templates/cases/_materials.html) for the case page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import SelectField

from api.attachments import attachment
from api.notices import KINDS, render_pdf
from api.routes.materials import UPLOADERS
from api.security import STAFF, current_principal, rule
from engine.auth import Principal
from engine.errors import ValidationFailed
from engine.materials.checklist import OTHER
from engine.tracking import Track
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine

blp = Blueprint("materials", __name__, url_prefix="/cases")
NOTICE_ROLES = ("clerk", "dispatcher", "caseworker", "leader")
# The engine's upload messages (English, for the API) as the page shows them.
UPLOAD_MESSAGES = {
    "the file is empty": _l("文件是空的"),
    "not a PDF, JPEG or PNG file": _l("只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，不看文件名）"),
    "not a material of the checklist": _l("请选择材料清单中的一项"),
}


class UploadForm(Form):
    kind = SelectField(_l("材料名称"), description=_l("这份文件是材料清单中的哪一项"))
    file = FileField(_l("文件"), description=_l("PDF、JPEG 或 PNG，按文件内容判断类型"))


def _labelled(item_label: str, item_label_en: str) -> str:
    return item_label_en if str(get_locale()) == "en" else item_label


def panel(who: Principal, instance_id: str, track: Track | None = None) -> dict[str, Any]:
    """What `materials_panel` shows of a case (its materials, checklist and their names in
    the page's language): for this page and the case page. The case page passes its `track`
    (the case read once within `who`'s scope, its aid types): nothing is read or checked twice."""
    if track is not None:
        materials = engine().materials_of_case(track.instance)
        checklist = engine().checklist_of_case(materials, track.aid_types)
        by_item = engine().checklist_by_item_of_case(materials, track.aid_types)
    else:
        materials = engine().materials_for(who, instance_id)
        checklist = engine().material_checklist(who, instance_id, materials)
        by_item = engine().material_checklist_by_item(who, instance_id, materials)
    labels = {key: _labelled(*pair) for key, pair in engine().material_checklist_file().labels().items()}
    # J-ITEMS: grouped by the aid item applied for; the flat list keeps what no item lists.
    in_items = {m.kind for group in by_item for m in group.materials}
    return {"materials": materials, "checklist": checklist, "labels": labels, "by_item": by_item,
            "other_checklist": [i for i in checklist if i.key not in in_items]}


def _page(instance_id: str, form: UploadForm | None = None, status: int = 200) -> tuple[str, int]:
    who = current_principal()
    case = engine().instance_for(who, instance_id)
    shown = panel(who, instance_id)
    form = form or UploadForm()
    kinds = dict.fromkeys([i.key for i in shown["checklist"]]
                          + [m.kind for group in shown["by_item"] for m in group.materials])
    form.kind.choices = [(k, shown["labels"].get(k, k)) for k in kinds] + [(OTHER, _("其他材料"))]
    return render_template("materials/page.html", case=case, **shown,
                           log=engine().material_log_for(who, instance_id), form=form,
                           may_upload=who.has_role(*UPLOADERS), may_print=who.has_role(*NOTICE_ROLES),
                           max_mb=engine().materials_config.max_bytes // (1024 * 1024),
                           notices=KINDS), status


@blp.get("/<instance_id>/materials")
@rule(*STAFF, "auditor")
def page(instance_id: str) -> tuple[str, int]:
    """The case's materials and checklist; the upload form for those who add materials."""
    return _page(instance_id)


@blp.post("/<instance_id>/materials")
@rule(*UPLOADERS)
def upload(instance_id: str) -> Response | tuple[str, int]:
    """Upload one material; a refused file is shown on its field and nothing is stored."""
    engine().instance_for(current_principal(), instance_id)  # a stranger's request: 403 before any field error
    form = UploadForm()
    file = form.file.data
    try:
        if file is None or not getattr(file, "filename", ""):
            raise ValidationFailed("file is missing", {"fields": {"file": [str(_("请选择要上传的文件"))]}})
        row = engine().upload_material(current_principal(), instance_id, form.kind.data or "", file.filename,
                                       file.read())
    except ValidationFailed as err:
        fields = {name: [str(UPLOAD_MESSAGES.get(m, m)) for m in messages]
                  for name, messages in (err.details.get("fields") or {}).items()}
        if any(m.startswith("named ") for m in fields.get("file", [])):  # named as one type, another inside
            fields["file"] = [_("文件名所示类型与文件内容不符（伪装文件），未保存")]
        if "file" in fields and err.details.get("max_bytes"):
            fields["file"] = [_("文件超过 %(n)d MB 上限", n=err.details["max_bytes"] // (1024 * 1024))]
        form.apply_engine_errors(ValidationFailed(err.message, {"fields": fields}))
        return _page(instance_id, form, 422)
    flash(_("已上传：%(name)s（SHA-256 %(sha)s…）", name=row.filename, sha=row.sha256[:12]), "success")
    return redirect(url_for("web.materials.page", instance_id=instance_id))


@blp.get("/<instance_id>/materials/<material_id>")
@rule(*STAFF, "auditor")
def download(instance_id: str, material_id: str) -> Response:
    """The file, only as an attachment; the download is written to the access log."""
    row, content = engine().material_download(current_principal(), instance_id, material_id)
    return attachment(content, row.media_type, row.filename)


@blp.get("/<instance_id>/notices/<kind>.pdf")
@rule(*NOTICE_ROLES)
def notice(instance_id: str, kind: str) -> Response:
    """A printable notice of the case as PDF, from the county's template (notices/*.html)."""
    facts = engine().notice_facts(current_principal(), instance_id)
    aid_labels = {key: entry.get("label", key) for key, entry in engine().material_checklist_file().aid_types.items()}
    pdf = render_pdf(current_app.extensions["relief_settings"].notices_root, kind, facts, aid_labels)
    key = facts["instance"].business_key or instance_id
    return attachment(pdf, "application/pdf", f"{KINDS[kind].title}-{key}.pdf")
