"""The applicant portal (J-PORTAL, T-MOBILE), public and phone first: the item list and
each item's service guide (J-ITEMS), online application with the variant's start form
(J-CH-ONLINE), progress look-up by application number plus a second factor, a rating
and a complaint once the case has ended (J-FEEDBACK, W-COMPLAIN), and public notices
(J-PUBLIC, W-NOTICE). No sign-in; nothing personal is cached (Cache-Control: no-store);
the POSTs are rate-limited per address (`limit`, installed by api/app.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_limiter import Limiter
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api import sign_in_limit
from api.security import PUBLIC, rule
from api.settings import Settings
from engine.errors import Conflict, ValidationFailed
from web.formjs import form_messages
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import engine
from web.views.materials import UPLOAD_MESSAGES

blp = Blueprint("portal", __name__, url_prefix="/portal")
CASE = "portal_case"  # the case whose progress this browser has proved (session), for rating it
RECEIPT = "portal_receipt"  # the application number just given, shown once on the receipt page
LIMITED = ("web.portal.apply_submit", "web.portal.lookup", "web.portal.rate", "web.portal.complain",
           "web.portal_applicant.sign_in", "web.portal_applicant.sign_in_code")
MAX_UPLOADS = 5  # materials one application may carry (an item lists at most a handful)


@blp.after_request
def no_store(response: Response) -> Response:
    """Every portal page: progress, receipts, forms and an applicant's list of cases hold
    personal data, so no browser or proxy keeps a copy (web/views/portal_applicant.py too)."""
    response.headers["Cache-Control"] = "no-store"
    return response


class LookupForm(Form):
    business_key = StringField(_l("申办流水号"), validators=[DataRequired(_l("请输入申办流水号")), Length(max=120)],
                               description=_l("提交申请后页面和短信中给出的编号，如 WS20261207-ABCDEFGH"),
                               render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    secret = StringField(_l("验证信息"), validators=[DataRequired(_l("请输入验证信息")), Length(min=4, max=4,
                         message=_l("请输入 4 个字符"))],
                         description=_l("申请人身份证号码或手机号码的后 4 位"),
                         render_kw={"autocomplete": "off", "maxlength": "4"})


class RatingForm(Form):
    score = SelectField(_l("满意程度"), default="5", choices=[
        SelectChoice("5", _l("5 非常满意")), SelectChoice("4", _l("4 满意")), SelectChoice("3", _l("3 基本满意")),
        SelectChoice("2", _l("2 不满意")), SelectChoice("1", _l("1 非常不满意"))])
    comment = TextAreaField(_l("评价说明"), validators=[Optional(), Length(max=500)],
                            description=_l("评为“不满意”或“非常不满意”时请写明原因，中心将在 5 个工作日内回访"))


class ComplaintForm(Form):
    text = TextAreaField(_l("投诉内容"), validators=[DataRequired(_l("请填写投诉内容")), Length(max=2000)],
                         description=_l("请写明事情经过和您的诉求；中心受理后会与您联系"))


@blp.get("")
@rule(PUBLIC)
def index() -> str:
    """The item list and the ways in: apply, look up progress, notices."""
    return render_template("portal/index.html", listing=engine().item_list())


@blp.get("/items/<key>")
@rule(PUBLIC)
def item(key: str) -> str:
    """An item's service guide: who, what, how, the materials and how they are reviewed."""
    listing = engine().item_list()
    it = listing.item(key)
    return render_template("portal/item.html", item=it, offices=listing.offices_for(it))


@blp.get("/items/<key>/apply/<region>")
@rule(PUBLIC)
def apply(key: str, region: str) -> str:
    """The start form of the region's variant, rendered by form-js, with the item's prefill,
    and an upload field for each material of the item that can be uploaded."""
    listing = engine().item_list()
    it = listing.item(key)
    office = listing.office_for(it, region)
    schema = dict(engine().start_form(office.process).raw)
    # The channel is the portal's (the server sets it): the applicant is not asked which.
    schema["components"] = [c for c in schema.get("components", []) if c.get("key") != "channel"]
    uploads = [m for m in it.materials if m.get("kind")]
    return render_template("portal/apply.html", item=it, office=office, schema=schema, uploads=uploads,
                           max_bytes=engine().materials_config.max_bytes,
                           data=dict(it.prefill, channel=office.channel), messages=form_messages())


def _application() -> tuple[Any, dict[str, tuple[str | None, bytes]]]:
    """The application's data and uploaded materials: a JSON body (data only), or the page's
    multipart form (`data` as JSON text, each material as the file `material_<kind>`)."""
    if request.mimetype == "multipart/form-data":
        try:
            data = json.loads(request.form.get("data", ""))
        except ValueError:
            data = None
        files = {name[len("material_"):]: (f.filename, f.read()) for name, f in request.files.items()
                 if name.startswith("material_") and f.filename}
        return data, files
    return request.get_json(silent=True), {}


def _upload_messages(err: ValidationFailed) -> dict[str, Any]:
    """The engine's refusal with a material's messages as the page says them."""
    details = dict(err.details)
    fields = dict(details.get("fields") or {})
    for name, messages in fields.items():
        if not name.startswith("material_"):
            continue
        shown = []
        for m in messages:
            if str(m).startswith("named "):
                shown.append(gettext("文件名所示类型与文件内容不符（伪装文件），未保存"))
            elif str(m).startswith("larger than ") and details.get("max_bytes"):
                shown.append(gettext("文件超过 %(n)d MB 上限", n=details["max_bytes"] // (1024 * 1024)))
            elif str(m) == "not a material of this item":
                shown.append(gettext("不是此事项可以上传的材料"))
            else:
                shown.append(str(UPLOAD_MESSAGES.get(str(m), m)))
        fields[name] = shown
    details["fields"] = fields
    return details


@blp.post("/items/<key>/apply/<region>")
@rule(PUBLIC)
def apply_submit(key: str, region: str) -> ResponseReturnValue:
    """The application from the page's module (multipart, or JSON without materials): 201 with
    the receipt's address, or 422 with the fields at fault (nothing is stored then)."""
    # Several materials in one request: room for each (one file's limit is the engine's check).
    per_file = engine().materials_config.max_bytes
    request.max_content_length = per_file * MAX_UPLOADS + 1024 * 1024
    data, files = _application()
    if not isinstance(data, dict):
        return jsonify(error="validation_failed", message="a JSON object is expected",
                       details={"fields": {"_schema": ["a JSON object"]}}), 422
    try:
        case = engine().apply_online(key, region, data, files)
    except ValidationFailed as err:
        return jsonify(error="validation_failed", message=err.message, details=_upload_messages(err)), 422
    session[RECEIPT] = case.business_key
    return jsonify(business_key=case.business_key, receipt=url_for("web.portal.receipt")), 201


@blp.get("/receipt")
@rule(PUBLIC)
def receipt() -> ResponseReturnValue:
    """The application number just given (from this browser's session only)."""
    key = session.get(RECEIPT)
    if not key:
        return redirect(url_for("web.portal.lookup"))
    return render_template("portal/receipt.html", business_key=key)


@blp.route("/progress", methods=["GET", "POST"])
@rule(PUBLIC)
def lookup() -> ResponseReturnValue:
    """Progress by number + second factor; one refusal whichever part is wrong."""
    form = LookupForm()
    refused = False
    if form.validate_on_submit():
        found = engine().progress(form.business_key.data, form.secret.data)
        if found is not None:
            session[CASE] = found.instance_id
            return redirect(url_for("web.portal.case"))
        refused = True
    form.secret.data = ""  # never written back into the page
    status = 422 if form.errors else 200
    return render_template("portal/lookup.html", form=form, refused=refused), status


def _proved() -> Any:
    """The progress of the case this browser proved, or None."""
    instance_id = session.get(CASE)
    return engine().progress_of(instance_id) if instance_id else None


@blp.get("/case")
@rule(PUBLIC)
def case() -> ResponseReturnValue:
    """The proved case's stages and dates, and once it has ended its rating and complaint forms."""
    found = _proved()
    if found is None:
        return redirect(url_for("web.portal.lookup"))
    return render_template("portal/case.html", case=found, rating=RatingForm(), complaint=ComplaintForm())


@blp.post("/case/rating")
@rule(PUBLIC)
def rate() -> ResponseReturnValue:
    """Rate the proved case (once, after it has ended)."""
    found = _proved()
    if found is None:
        return redirect(url_for("web.portal.lookup"))
    form, complaint = RatingForm(), ComplaintForm(formdata=None)
    if form.validate_on_submit():
        try:
            engine().rate_case(found.instance_id, int(form.score.data), form.comment.data or "")
        except ValidationFailed as err:
            form.comment.errors = list(form.comment.errors) + [gettext("评为不满意时请写明原因")]
            if not err.details.get("fields", {}).get("comment"):
                raise
        except Conflict:
            flash(gettext("此申请已评价过，或尚未办结。"), "warning")
            return redirect(url_for("web.portal.case"))
        else:
            flash(gettext("感谢您的评价。"), "success")
            return redirect(url_for("web.portal.case"))
    return render_template("portal/case.html", case=found, rating=form, complaint=complaint), 422


@blp.post("/case/complaint")
@rule(PUBLIC)
def complain() -> ResponseReturnValue:
    """A complaint about the proved case, stored for the county centre."""
    found = _proved()
    if found is None:
        return redirect(url_for("web.portal.lookup"))
    form = ComplaintForm()
    if form.validate_on_submit():
        engine().file_complaint(found.instance_id, form.text.data)
        flash(gettext("投诉已提交，县救助中心将与您联系。"), "success")
        return redirect(url_for("web.portal.case"))
    return render_template("portal/case.html", case=found, rating=RatingForm(formdata=None), complaint=form), 422


@blp.get("/notices")
@rule(PUBLIC)
def notices() -> str:
    """Public notices in their posting period: masked name, household size, item, amount."""
    return render_template("portal/notices.html", notices=engine().public_notices())


def limit(app: Flask, settings: Settings) -> None:
    """Rate-limit the portal's POSTs per address (`settings.portal_rate`, one budget for all)."""
    limiter: Limiter = app.extensions["relief_limiter"]
    sign_in_limit.limit_views(app, limiter.shared_limit(settings.portal_rate, scope="portal", methods=["POST"]),
                              list(LIMITED))
