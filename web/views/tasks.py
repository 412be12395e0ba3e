"""My work (X-STAFF): the task list with tabs, counts, filters and green-channel cases first
(J-GREEN), and the task page: the case's header, the task's form rendered by form-js and
pre-filled, claim, unclaim, hand over with a reason, drafts kept on the server, complete.
Every read and command goes through the engine (scope: groups, region, department)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api.security import STAFF, current_principal, rule
from engine import queries
from engine.auth import Principal, personal
from engine.errors import NotFound, ReliefError, ValidationFailed
from web import deadlines, drawn_fields, people, task_rows
from web.formjs import form_messages
from web.forms import Form
from web.i18n import datetime_filter
from web.i18n import lazy_text as _l
from web.nav import ROLE_LABELS
from web.pages import PAGE_SIZE, Page, engine, page_offset

blp = Blueprint("tasks", __name__, url_prefix="/tasks")
SOON_DAYS = 2  # "due soon": within this many working days (web/deadlines.py turns amber there too)
CHANNELS = {"window": _l("服务窗口"), "online": _l("线上自助"), "hotline": _l("12345 热线"), "grid": _l("网格员代办"),
            "village": _l("村（社区）代办"), "mobile": _l("手机端申请")}
# The start forms' aid types (forms/*/application.json), for the aid-type filter.
AID_TYPES = {"dibao": _l("最低生活保障"), "tekun": _l("特困人员供养"), "temporary": _l("临时救助"),
             "medical": _l("医疗救助"), "education": _l("教育救助"), "housing": _l("住房救助"),
             "employment": _l("就业救助"), "disaster": _l("受灾人员救助"), "legal": _l("法律援助"),
             "disability": _l("残疾人帮扶"), "women_children": _l("妇女儿童帮扶"),
             "worker_hardship": _l("困难职工帮扶"), "family_planning": _l("计生特殊家庭救助"),
             "youth": _l("困境青少年救助"), "red_cross": _l("红十字人道救助"), "charity": _l("慈善项目救助"),
             "other": _l("其他困难")}
WAIT_TABS = ("overdue", "soon")  # the tabs that list department waits too (they have deadlines)


@dataclass(frozen=True)
class Tab:
    code: str
    label: object


TABS = [Tab("groups", _l("本组待办")), Tab("mine", _l("我的任务")), Tab("unassigned", _l("待认领")),
        Tab("overdue", _l("已超期")), Tab("soon", _l("即将到期")), Tab("done", _l("我已办结"))]
TAB_CODES = {t.code for t in TABS}


class FilterForm(Form):
    tab = HiddenField()
    q = StringField(_l("业务编号或申请人全名"), validators=[Optional(), Length(max=80)],
                    render_kw={"placeholder": _l("业务编号或申请人全名")})
    variant = SelectField(_l("流程"), validators=[Optional()], validate_choice=False)
    stage = SelectField(_l("环节"), validators=[Optional()], validate_choice=False)
    channel = SelectField(_l("申请渠道"), choices=[SelectChoice("", _l("全部渠道")), *(
        SelectChoice(code, label) for code, label in CHANNELS.items())], validators=[Optional()])
    aid_type = SelectField(_l("救助类型"), choices=[SelectChoice("", _l("全部类型")), *(
        SelectChoice(code, label) for code, label in AID_TYPES.items())], validators=[Optional()])
    due = SelectField(_l("期限"), choices=[SelectChoice("", _l("全部")), SelectChoice("overdue", _l("已超期")),
                                         SelectChoice("soon", _l("即将到期"))], validators=[Optional()])
    provisional = SelectField(_l("暂定期限"), choices=[SelectChoice("", _l("全部")), SelectChoice(
        "yes", _l("仅暂定期限（当年节假日未公布）"))], validators=[Optional()])


FILTER_KEYS = ("tab", "q", "variant", "stage", "channel", "aid_type", "due", "provisional")


class SaveViewForm(Form):
    name = StringField(_l("视图名称"), validators=[DataRequired(_l("请填写视图名称")), Length(max=80)],
                       description=_l("本区划内同一角色的同事都能使用"))
    role = SelectField(_l("共享给角色"), validate_choice=False)


class HandOverForm(Form):
    to = SelectField(_l("移交给"), validators=[DataRequired(_l("请选择同事"))], validate_choice=False)
    reason = TextAreaField(_l("移交原因"), validators=[
        DataRequired(_l("请填写移交原因")), Length(max=500, message=_l("最多 500 个字"))],
        description=_l("将记入案件办理记录"))


def _soon(now: dt.datetime) -> dt.datetime:
    """The end of the due-soon window: SOON_DAYS working days from now (office close); once
    per request (each tab's count, the waits and the page ask: the calendar's look-up is a
    round trip)."""
    memo: dict[dt.datetime, dt.datetime] = g.setdefault("relief_soon", {})
    if now not in memo:
        # The request's calendar, which the deadline badges use too (one revision check).
        due = deadlines.calendar().add_working_days(now, SOON_DAYS)
        # Inclusive: a deadline at office close of the last of those days is due soon too (the
        # engine's range is half-open).
        memo[now] = dt.datetime.fromisoformat(due) + dt.timedelta(minutes=1)
    return memo[now]


def _filter(who: Principal, tab: str, form: FilterForm, now: dt.datetime) -> queries.TaskFilter:
    """The engine's task filter of a tab and the filter form."""
    valid = not form.errors  # a value not among a select's choices filters nothing rather than everything
    f = queries.TaskFilter(process_key=form.variant.data or None, stage=form.stage.data or None,
                           channel=(form.channel.data or None) if "channel" not in form.errors else None,
                           aid_type=(form.aid_type.data or None) if "aid_type" not in form.errors else None,
                           provisional=valid and form.provisional.data == "yes",
                           text=(form.q.data or "").strip() or None)
    if tab == "mine":
        f.assignee = who.username
    elif tab == "groups":
        f.offered = True
    elif tab == "unassigned":
        f.offered, f.unassigned = True, True
    elif tab == "done":
        f.state, f.completed_by = "completed", who.username
    if tab == "overdue" or form.due.data == "overdue":
        f.overdue_at = now
    if tab == "soon" or form.due.data == "soon":
        f.due_from, f.due_before = now, _soon(now)
    return f


# The other tabs' badges stop at 99 ("99+", as a phone's badges do): each is a count over
# several index ranges, and at a county's size reading 1,000 entries a range for four tabs
# was most of the page's SQL time (23 ms at a million cases). The open tab's badge is its
# list's own count, which stops at engine.queries.COUNT_CAP like the pager.
TAB_COUNT_CAP = 99


def _shown(count: int, cap: int) -> int | str:
    """A count as shown: "99+" (or "1000+") beyond its cap."""
    return f"{cap}+" if count > cap else count


@blp.get("")
@rule(*STAFF)
def index() -> str:
    """The work list: one tab's tasks, 50 a page, with each tab's count under the same filters."""
    who, now = current_principal(), engine().clock.now()
    form = FilterForm(request.args)
    form.validate()
    tab = form.tab.data if form.tab.data in TAB_CODES else "groups"
    names, stages = engine().task_list_choices(who)  # each process's name, the stages: one read
    form.variant.choices = [SelectChoice("", _l("全部流程")), *(SelectChoice(k, v) for k, v in names.items())]
    form.stage.choices = [SelectChoice("", _l("全部环节")), *(SelectChoice(b, n) for b, n in stages)]
    # All tabs' counts in one round trip (engine/task_queue.py).
    counts = engine().task_counts(who, {t.code: _filter(who, t.code, form, now) for t in TABS if t.code != tab},
                                  TAB_COUNT_CAP)
    waits, wait_total = [], 0
    if not form.stage.data:  # a wait has no stage: a stage filter lists tasks only
        # The other tabs' waits here; the open tab's are its page's own count below.
        others = {code: _filter(who, code, form, now) for code in WAIT_TABS if code != tab}
        for code, n in (engine().department_wait_counts(who, others) if others else {}).items():
            counts[code] += n
        if tab in WAIT_TABS:
            wf = _filter(who, tab, form, now)
            wf.limit = PAGE_SIZE
            waits, wait_total = engine().department_wait_page(who, wf)
    f = _filter(who, tab, form, now)
    f.limit, f.offset = PAGE_SIZE, page_offset()
    rows, total = engine().task_page(who, f)
    shown = {code: _shown(n, TAB_COUNT_CAP) for code, n in counts.items()}
    shown[tab] = _shown(total + wait_total, queries.COUNT_CAP)  # the open tab: its list's own count
    page = Page(rows, total, f.offset, more=total > f.offset + queries.COUNT_CAP)
    save_view = SaveViewForm(prefix="view")
    save_view.role.choices = [SelectChoice(r, ROLE_LABELS.get(r, r)) for r in who.roles if r in STAFF]
    filters = {k: v for k in FILTER_KEYS if (v := request.args.get(k, "").strip())}
    people.know(r.task.assignee for r in rows)
    table = task_rows.task_table(rows, me=who.username, now=now, done=tab == "done", names=names, channels=CHANNELS)
    filter_fields = drawn_fields.fields([form.q, form.variant, form.stage, form.channel, form.aid_type, form.due,
                                         form.provisional])
    return render_template("tasks/list.html", form=form, filter_fields=filter_fields, tab=tab, tabs=TABS, counts=shown,
                           page=page, task_table=table, since=now.isoformat(), views=engine().views_for(who),
                           save_view=save_view, filters=filters, waits=waits, wait_total=wait_total,
                           wait_table=task_rows.wait_table(waits, names=names))


@blp.post("/views")
@rule(*STAFF)
def save_view() -> ResponseReturnValue:
    """Save the list's current filters (sent as `filter-<key>` fields) as a shared view."""
    form = SaveViewForm(prefix="view")
    filters = {k: v for k in FILTER_KEYS if (v := request.form.get(f"filter-{k}", "").strip())}
    back = url_for("web.tasks.index", **filters)
    if not form.validate():
        flash(gettext("未保存视图：") + "；".join(str(e) for es in form.errors.values() for e in es), "error")
        return redirect(back)
    try:
        engine().save_view(current_principal(), form.name.data, form.role.data, filters)
    except ValidationFailed as err:
        fields = err.details.get("fields", {})
        flash(gettext("未保存视图：") + "；".join(str(m) for ms in fields.values() for m in ms), "error")
        return redirect(back)
    flash(gettext("已保存视图“%(name)s”。", name=form.name.data.strip()), "success")
    return redirect(back)


@blp.post("/views/<view_id>/delete")
@rule(*STAFF)
def delete_view(view_id: str) -> ResponseReturnValue:
    """Delete a saved view (its author)."""
    if not view_id.isdigit() or len(view_id) > 12:
        raise NotFound(f"saved view {view_id} does not exist", {"view": view_id})
    engine().delete_view(current_principal(), int(view_id))
    flash(gettext("已删除视图。"), "info")
    return redirect(url_for("web.tasks.index"))


@blp.get("/new.json")
@rule(*STAFF)
def new_tasks() -> ResponseReturnValue:
    """For the list's poll: how many tasks offered to the user's groups, held by nobody,
    arrived after `since` (an ISO moment the page was rendered at)."""
    try:
        since = dt.datetime.fromisoformat(request.args.get("since", ""))
    except ValueError:
        return _json_error(ValidationFailed("since must be an ISO 8601 moment with its offset",
                                            {"fields": {"since": ["ISO 8601"]}}))
    if since.tzinfo is None:
        return _json_error(ValidationFailed("since must carry its UTC offset", {"fields": {"since": ["offset"]}}))
    f = queries.TaskFilter(offered=True, unassigned=True, created_after=since)
    return jsonify({"count": engine().task_count(current_principal(), f)})


def _json_error(err: ReliefError) -> ResponseReturnValue:
    """An engine error as the API answers it ({error, message, details}), for the page's modules."""
    return jsonify({"error": err.code, "message": err.message, "details": err.details}), err.status


def _options(schema: dict[str, Any] | None, key: str) -> dict[Any, str]:
    """value → label of a select/radio/checklist field `key` of a form-js schema."""
    for c in (schema or {}).get("components", []):
        if c.get("key") == key:
            return {v.get("value"): v.get("label", "") for v in c.get("values", []) if isinstance(v, dict)}
        if inner := _options(c, key):
            return inner
    return {}


def _header(view: Any, instance: Any) -> dict[str, Any]:
    """What the task page's case header shows: ID number masked whoever reads it."""
    data = view.data
    start = None
    if instance.definition.start_form_key:
        try:
            start = engine().definition_form(instance.definition, instance.definition.start_form_key).raw
        except ReliefError:
            start = None
    aid = _options(start, "aid_types")
    channels = _options(start, "channel")
    masked = personal.masked({"applicant_id_number": data.get("applicant_id_number")})["applicant_id_number"]
    aid_types = data.get("aid_types") if isinstance(data.get("aid_types"), list) else []
    # Masked (张*三) like the lists: the task page's work needs the case, not the full name.
    return {"business_key": instance.business_key, "applicant": instance.applicant_display,
            "id_number": masked, "aid_types": [aid.get(a, str(a)) for a in aid_types],
            "channel": channels.get(instance.channel) or CHANNELS.get(instance.channel or "") or instance.channel,
            "green": instance.green, "process": instance.definition.name or instance.definition.key}


@blp.get("/<task_id>")
@rule(*STAFF)
def show(task_id: str) -> str:
    """A task: its case's header, its form (form-js) pre-filled with the task's data and the
    user's draft; claim, unclaim, hand over, save, complete."""
    who = current_principal()
    view = engine().task_view(who, task_id)  # 404 / 403 outside the user's scope
    instance = engine().case_of_task(who, task_id)
    task = view.task
    mine = task.state == "open" and task.assignee == who.username
    draft = engine().draft(who, task_id) if mine else None
    data = {**view.data, **(draft.data if draft else {})}
    hand_over = HandOverForm(prefix="handover")
    hand_over.to.choices = [SelectChoice("", _l("请选择"))] + [
        SelectChoice(u, f"{name}（{u}）") for u, name in engine().colleagues_for(who, task)] if mine else []
    takeover = not mine and task.assignee is not None and engine().reservation_lapsed(task)
    return render_template("tasks/show.html", task=task, header=_header(view, instance), mine=mine, takeover=takeover,
                           schema=view.form.raw if view.form is not None else None, data=data, draft=draft,
                           messages=form_messages(), hand_over=hand_over)


@blp.post("/<task_id>/claim")
@rule(*STAFF)
def claim(task_id: str) -> ResponseReturnValue:
    """Take the task (W-FIRST): you are named on it and fill its form."""
    task = engine().claim(task_id, current_principal())
    flash(gettext("已认领：%(name)s", name=task.name), "success")
    return redirect(url_for("web.tasks.show", task_id=task_id))


@blp.post("/<task_id>/unclaim")
@rule(*STAFF)
def unclaim(task_id: str) -> ResponseReturnValue:
    """Give the task back to the group."""
    task = engine().unclaim(task_id, current_principal())
    flash(gettext("已放弃认领，任务退回本组：%(name)s", name=task.name), "info")
    return redirect(url_for("web.tasks.show", task_id=task_id))


@blp.post("/<task_id>/hand-over")
@rule(*STAFF)
def hand_over(task_id: str) -> ResponseReturnValue:
    """Hand the task to a colleague who may take it, with a reason (case history)."""
    who = current_principal()
    form = HandOverForm(prefix="handover")
    if not form.validate():
        flash(gettext("未移交：") + "；".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("web.tasks.show", task_id=task_id))
    try:
        task = engine().hand_over(task_id, who, form.to.data, form.reason.data)
    except ValidationFailed as err:
        fields = err.details.get("fields", {})
        flash(gettext("未移交：") + "；".join(str(m) for ms in fields.values() for m in ms), "error")
        return redirect(url_for("web.tasks.show", task_id=task_id))
    flash(gettext("已将“%(name)s”移交给 %(to)s。", name=task.name, to=task.assignee), "success")
    return redirect(url_for("web.tasks.index", tab="mine"))


@blp.post("/<task_id>/draft")
@rule(*STAFF)
def save_draft(task_id: str) -> ResponseReturnValue:
    """Keep the user's unfinished form of the task (JSON {data}); autosave and the save button."""
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object {data: {...}}", {"fields": {"data": ["JSON object"]}})
        draft = engine().save_draft(current_principal(), task_id, body.get("data"))
    except ReliefError as err:
        return _json_error(err)
    return jsonify({"saved_at": draft.saved_at.isoformat(), "saved_at_text": datetime_filter(draft.saved_at)})


@blp.post("/<task_id>/complete")
@rule(*STAFF)
def complete(task_id: str) -> ResponseReturnValue:
    """Submit the task's form (JSON {data}); the engine validates it against the same form
    definition: a 422 names each field, and the page puts the messages on them."""
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise ValidationFailed("send a JSON object {data: {...}}", {"fields": {"data": ["JSON object"]}})
        task = engine().complete(task_id, body["data"], current_principal())
    except ReliefError as err:
        return _json_error(err)
    flash(gettext("已提交：%(name)s", name=task.name), "success")
    return jsonify({"next": url_for("web.tasks.index", tab="done")})
