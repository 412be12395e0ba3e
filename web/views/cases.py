"""Cases: start one from a process's start form (window and grid clerks, the centre), the
list of the cases a person may see, and one case's page — whole-process tracking on its
own diagram version (J-TRACK), timeline, deadlines and records, the applicant masked
unless shown in full on demand (written to the access log, J-SEC)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api.security import STAFF, current_principal, rule
from engine.auth import scope
from engine.errors import ReliefError, ValidationFailed
from engine.tracking import CASE_STATUSES, CaseFilter
from web import people
from web.errors import error_page
from web.formjs import form_messages
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import PAGE_SIZE, Page, engine, page_offset
from web.timeline import timeline
from web.views import materials

blp = Blueprint("cases", __name__, url_prefix="/cases")

STARTERS = ("clerk", "dispatcher")  # who starts cases from a page (applicants use the portal)
STATUS_LABELS = {"running": _l("办理中"), "completed": _l("已办结"), "cancelled": _l("已撤销"), "error": _l("出错")}
STATUS_TONES = {"running": "info", "completed": "success", "cancelled": "neutral", "error": "danger"}
CHANNEL_LABELS = {"window": _l("窗口"), "online": _l("线上"), "hotline": _l("12345 热线"), "grid": _l("网格员代办")}


class FilterForm(Form):
    q = StringField(_l("业务编号"), validators=[Optional(), Length(max=120)],
                    description=_l("输入编号开头部分即可"))
    definition = SelectField(_l("流程"), validators=[Optional()], validate_choice=False)
    status = SelectField(_l("状态"), validators=[Optional()],
                         choices=[SelectChoice("", _l("全部状态"))] +
                         [SelectChoice(s, STATUS_LABELS[s]) for s in CASE_STATUSES])
    stage = SelectField(_l("当前环节"), validators=[Optional()], validate_choice=False)


class StartForm(Form):
    business_key = StringField(_l("业务编号（可选）"), validators=[Optional(), Length(max=120)],
                               description=_l("如窗口登记号；同一流程内不能重复，不能含身份证号或手机号。"))
    # The case's region decides who sees its tasks: a case accepted at the county window
    # whose next steps are a village's (W-FLOW 张榜公示, J-REPORT 入户调查) must name that
    # village, or no village worker ever sees them (issue 10).
    region = StringField(_l("案件归属区划代码（可选）"), validators=[Optional(), Length(max=12)],
                         description=_l("申请人所在乡镇（街道）9 位或村（社区）12 位代码，须在您的辖区内；"
                                        "不填则归属您所在的区划。"))


class CommentForm(Form):
    text = TextAreaField(_l("添加意见"), validators=[
        DataRequired(_l("请填写意见")), Length(max=2000, message=_l("意见最多 2000 个字符"))],
        description=_l("同事们都能看到，并记入案件的办理记录。请勿填写身份证号、电话等个人信息。"))


@blp.get("")
@rule(*STAFF, "auditor")
def index() -> str:
    """The cases the reader may see (their region; department staff: those dispatched to them)."""
    who = current_principal()
    form = FilterForm(request.args)
    definitions = engine().startable_definitions()
    form.definition.choices = [SelectChoice("", _l("全部流程"))] + [
        SelectChoice(d.key, d.name or d.key) for d in definitions]
    form.stage.choices = [SelectChoice("", _l("全部环节"))] + [
        SelectChoice(name, name) for name in engine().case_stages(who)]
    form.validate()
    f = CaseFilter(definition_key=form.definition.data or None,
                   status=form.status.data if form.status.data in CASE_STATUSES else None,
                   stage=form.stage.data or None, business_key=(form.q.data or "").strip() or None,
                   limit=PAGE_SIZE, offset=page_offset())
    rows, total = engine().case_page(who, f)
    names = {d.key: d.name or d.key for d in definitions}
    return render_template("cases/list.html", form=form, page=Page(rows, total, f.offset), names=names,
                           can_start=who.has_role(*STARTERS), **_labels())


@blp.get("/new")
@rule(*STARTERS)
def choose() -> str:
    """The processes the reader may start from a form."""
    return render_template("cases/choose.html", definitions=engine().startable_for(current_principal()))


@blp.get("/new/<key>")
@rule(*STARTERS)
def new(key: str) -> ResponseReturnValue:
    """A process's start form, rendered by form-js; the page posts it back as JSON."""
    who = current_principal()
    if not engine().may_start(who, key):  # another region's variant (the chooser does not offer it)
        return error_page(403, _not_here(key, who.region))
    definition, form = engine().start_form_of(key)
    return render_template("cases/new.html", definition=definition, schema=form.raw, messages=form_messages(),
                           region=who.region, form=StartForm())


@blp.post("/new/<key>")
@rule(*STARTERS)
def start(key: str) -> ResponseReturnValue:
    """Start the case (the engine's start, as `POST /api/v1/instances`: in the region the
    application names within the clerk's, else the clerk's). JSON in, JSON out: the
    page puts a 422's field errors on the form's fields."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return _json_error(400, gettext("提交的内容不是表单数据。"))
    if not engine().may_start(current_principal(), key):
        return _json_error(403, _not_here(key, current_principal().region), {"definition": key})
    business_key, region = body.get("business_key"), body.get("region")
    if business_key is not None and not isinstance(business_key, str):
        return _json_error(422, gettext("业务编号格式不正确。"), {"fields": {"business_key": ["text"]}})
    if region is not None and not isinstance(region, str):
        message = gettext("区划代码格式不正确。")
        return _json_error(422, message, {"fields": {"region": [message]}})
    region = (region or "").strip() or None
    try:
        instance, created = engine().start_once(key, body["data"], (business_key or "").strip() or None,
                                                current_principal(), region)
    except ReliefError as err:
        details = err.details
        if region is not None and isinstance(details, dict) and "region" in details and "fields" not in details:
            # Outside the clerk's own region: said on the field, in the page's language.
            details = {"fields": {"region": [gettext("不在您的辖区（%(region)s）内。",
                                                     region=current_principal().region or "—")]}}
        elif region is not None and isinstance(details, dict) and "region" in details.get("fields", {}):
            details = {"fields": {"region": [gettext("请填写 6、9 或 12 位数字的区划代码。")]}}
        return _json_error(err.status, err.message, details)
    flash(gettext("已受理。业务编号 %(key)s", key=instance.business_key or instance.id[:8]) if created else
          gettext("此业务编号的案件已存在，已为您打开。"), "success")
    return jsonify({"id": instance.id, "url": url_for("web.cases.show", instance_id=instance.id)}), \
        201 if created else 200


def _not_here(key: str, region: str | None) -> str:
    """Why a clerk may not start `key`: it is another region's variant (items.json offices)."""
    return gettext("流程“%(key)s”是其他地区的救助流程，您所在的行政区划（%(region)s）不能受理此流程的申请。",
                   key=key, region=region or gettext("未设置"))


def _json_error(status: int, message: str, details: dict[str, Any] | None = None) -> ResponseReturnValue:
    return jsonify({"error": str(status), "message": message, "details": details or {}}), status


@blp.get("/<instance_id>")
@rule(*STAFF, "auditor")
def show(instance_id: str) -> str:
    """The case page, the applicant masked."""
    return _case_page(instance_id, reveal=False)


@blp.post("/<instance_id>/reveal")
@rule(*scope.FULL_DATA_ROLES)
def reveal(instance_id: str) -> str:
    """The case page with the applicant's ID number and phone in full; the view is written
    to the access log (only roles whose work needs them, J-SEC)."""
    return _case_page(instance_id, reveal=True)


@blp.post("/<instance_id>/comments")
@rule(*STAFF)
def comment(instance_id: str) -> ResponseReturnValue:
    """Add a comment to the case (shown in its timeline)."""
    form = CommentForm()
    if form.validate():
        try:
            engine().add_comment(instance_id, form.text.data, current_principal())
        except ValidationFailed as err:
            form.apply_engine_errors(err)
        else:
            flash(gettext("已添加意见。"), "success")
            return redirect(url_for("web.cases.show", instance_id=instance_id, _anchor="timeline-title"))
    return _case_page(instance_id, reveal=False, comment_form=form), 422


def _case_page(instance_id: str, reveal: bool, comment_form: CommentForm | None = None) -> str:
    who = current_principal()
    track = engine().case_track(who, instance_id)  # 403/404 outside the reader's scope
    applicant, full = engine().case_applicant_in_full(who, instance_id) if reveal else (track.applicant, False)
    markers = {"completed": track.completed, "current": track.current, "flows": track.flows}
    people.know([e["actor"] for e in track.events] + [t.assignee for t in track.open_tasks])
    return render_template("cases/show.html", track=track, instance=track.instance, applicant=applicant,
                           full=full, can_reveal=who.has_role(*scope.FULL_DATA_ROLES) and not full,
                           open_tasks=track.open_tasks, markers=markers,
                           current_names=[track.names.get(e) or e for e in track.current],
                           comment_form=comment_form or CommentForm(formdata=None),
                           can_comment=who.has_role(*STAFF),
                           events=timeline(track.events, track.names),
                           **materials.panel(who, instance_id, track), **_labels())


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "status_tones": STATUS_TONES, "option_label": _option_label}


def _option_label(definition: Any, key: str, value: Any) -> str:
    """The label a start form gives an option's value (aid types, channel), as the applicant
    chose it; the value itself when the form has no such option."""
    if not isinstance(value, str):
        return str(value)
    if key == "channel" and value in CHANNEL_LABELS:  # our short words, in the page's language
        return str(CHANNEL_LABELS[value])
    cache = g.setdefault("start_form_options", {})
    if definition.id not in cache:
        options: dict[str, dict[str, str]] = {}
        if definition.start_form_key:
            form = engine().definition_form(definition, definition.start_form_key)
            for c in form.raw.get("components", []):
                if isinstance(c, dict) and c.get("key") and isinstance(c.get("values"), list):
                    options[c["key"]] = {str(v.get("value")): str(v.get("label")) for v in c["values"]
                                         if isinstance(v, dict)}
        cache[definition.id] = options
    return cache[definition.id].get(key, {}).get(value) or value
