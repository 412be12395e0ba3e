"""Auditors (X-AUDIT): find a case, replay its history step by step on its own diagram
version, verify it by re-execution, download its audit file.

Every page is the engine's scoped read (engine/audit/reads.py): an auditor sees the cases
of their region only, personal data masked unless revealed with a reason, and every read
is in the access log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from api.routes.audit import verification
from api.security import current_principal, rule
from engine.audit.reads import MAX_REASON
from engine.errors import ValidationFailed
from web.forms import Form
from web.i18n import lazy_text as _l
from web.pages import PAGE_SIZE, Page, engine, page_offset

blp = Blueprint("audit", __name__, url_prefix="/audit")

# The commands of the audit log in the page's language.
COMMANDS = {
    "start_instance": _l("受理登记（启动案件）"), "complete_task": _l("办理任务"), "claim_task": _l("领取任务"),
    "unclaim_task": _l("退回任务"), "complete_job": _l("系统作业完成"), "fail_job": _l("系统作业失败"),
    "bpmn_error": _l("系统作业报告业务错误"), "retry_incident": _l("重试故障作业"), "queue_job": _l("排入系统作业"),
    "correlate_message": _l("收到消息"), "fire_timer": _l("期限到达"), "timer_incident": _l("期限触发故障"),
    "retry_timer_incident": _l("重试期限触发"), "recompute_deadlines": _l("重算暂定期限"),
    "cancel_instance": _l("撤销案件"), "rename_business_key": _l("更正业务编号"),
    "migrate_instance": _l("迁移到新版本流程"),
}


# What an access-log entry says was read (AccessEntry.what), in the page's language.
READS = {
    "audit:reveal": _l("审计回放，显示完整个人信息"), "audit:replay": _l("审计回放"),
    "audit:export": _l("导出审计文件"), "history": _l("案件历史"), "instance": _l("案件详情"),
    "task": _l("任务表单"), "job": _l("系统作业读取"),
}


class SearchForm(Form):
    business_key = StringField(_l("业务编号"), validators=[Optional(), Length(max=120)],
                               description=_l("输入编号的全部或一部分"))
    variant = SelectField(_l("流程"), validators=[Optional()], validate_choice=False)
    started_from = DateField(_l("受理日期自"), validators=[Optional()])
    started_until = DateField(_l("受理日期至"), validators=[Optional()])
    verification = SelectField(_l("最近一次核验"), validators=[Optional()], choices=[
        SelectChoice("", _l("全部")), SelectChoice("failed", _l("未通过")), SelectChoice("passed", _l("已通过")),
        SelectChoice("unchecked", _l("尚未核验"))])
    late = SelectField(_l("期限"), validators=[Optional()], choices=[
        SelectChoice("", _l("全部")), SelectChoice("yes", _l("有超期环节"))])


class AccessLogForm(Form):
    user = StringField(_l("用户名"), validators=[Optional(), Length(max=80)])
    business_key = StringField(_l("业务编号"), validators=[Optional(), Length(max=120)],
                               description=_l("输入编号的全部或一部分"))
    since = DateField(_l("日期自"), validators=[Optional()])
    until = DateField(_l("日期至"), validators=[Optional()])


def _valid(form: Form, name: str) -> Any:
    """A filter's value, None when empty or invalid (the page then says which field, with 400)."""
    return None if name in form.errors else (getattr(form, name).data or None)


class RevealForm(Form):
    reason = StringField(_l("查看原因"), validators=[
        DataRequired(_l("请说明查看完整个人信息的原因")),
        Length(max=MAX_REASON, message=_l("原因不超过 %(n)d 个字", n=MAX_REASON))],
        description=_l("将记入访问日志，例如：核对申请人身份证号"))


@blp.get("/cases")
@rule("auditor")
def cases() -> ResponseReturnValue:
    """The cases of the auditor's region, newest first; search by business key."""
    form = SearchForm(request.args)
    form.variant.choices = [SelectChoice("", _l("全部流程")), *(
        SelectChoice(k, v) for k, v in engine().process_names().items())]
    form.validate()
    key = (_valid(form, "business_key") or "").strip()
    who = current_principal()
    rows, total = engine().audit_cases_for(
        who, key or None, PAGE_SIZE, page_offset(), process_key=_valid(form, "variant"),
        started_from=_valid(form, "started_from"), started_until=_valid(form, "started_until"),
        verification=_valid(form, "verification"), late=_valid(form, "late") == "yes")
    run, failures = engine().audit_run_for(who)
    return render_template("audit/cases.html", form=form, page=Page(rows, total, page_offset()), run=run,
                           failures=failures, checks=engine().case_checks([r.id for r in rows])), \
        400 if form.errors else 200


@blp.get("/access-log")
@rule("auditor")
def access_log() -> ResponseReturnValue:
    """Who saw whose data, when and why, on the cases of the auditor's region (J-SEC)."""
    form = AccessLogForm(request.args)
    form.validate()
    rows, total = engine().access_log_for(
        current_principal(), (_valid(form, "user") or "").strip() or None,
        (_valid(form, "business_key") or "").strip() or None, _valid(form, "since"), _valid(form, "until"),
        PAGE_SIZE, page_offset())
    return render_template("audit/access_log.html", form=form, page=Page(rows, total, page_offset()),
                           reads=READS), 400 if form.errors else 200


@blp.get("/verification")
@rule("supervisor", "auditor")
def verification_run() -> str:
    """The newest nightly verification: when, how many cases, which failed (of the viewer's region)."""
    run, failures = engine().audit_run_for(current_principal())
    return render_template("audit/verification.html", run=run, failures=failures)


def _page(instance_id: str, reveal: str | None = None, form: RevealForm | None = None,
          status: int = 200) -> ResponseReturnValue:
    who = current_principal()
    result = engine().audit_replay_for(who, instance_id, reveal)
    instance = engine().instance_for(who, instance_id)
    count = len(result.steps)
    raw = request.values.get("step", "")
    current = min(max(int(raw), 1), count) if raw.isdigit() and len(raw) < 7 and count else 1
    names: dict[str, Any] = {}
    for step in result.steps:
        names.update({c["element"]: c.get("name") for c in step.changes if c.get("element")})
    frames = [{"seq": s.seq, "active": s.active, "completed": s.completed, "flows": s.flows} for s in result.steps]
    return render_template(
        "audit/replay.html", instance=instance, result=result, current=current, frames=frames, names=names,
        commands=COMMANDS, verify=_verified(result) if request.values.get("verify") else None,
        revealed=reveal is not None, form=form or RevealForm()), status


def _verified(result: Any) -> dict[str, Any]:
    """The page's explicit verification, stored as the case's last one."""
    engine().record_case_checks([(result.instance_id, result.ok, result.line())], "page")
    return verification(result)


@blp.get("/cases/<instance_id>")
@rule("auditor")
def replay(instance_id: str) -> ResponseReturnValue:
    """The case's history, one step at a time (?step=N), beside its diagram."""
    return _page(instance_id)


@blp.post("/cases/<instance_id>/reveal")
@rule("auditor")
def reveal(instance_id: str) -> ResponseReturnValue:
    """The same page with personal data in full, the reason written to the access log."""
    form = RevealForm()
    if not form.validate_on_submit():
        return _page(instance_id, form=form, status=400)
    try:
        return _page(instance_id, form.reason.data)
    except ValidationFailed as err:
        form.apply_engine_errors(err)
        return _page(instance_id, form=form, status=400)


@blp.get("/cases/<instance_id>/export.zip")
@rule("auditor")
def export(instance_id: str) -> Response:
    """The case's audit file (zip): checks offline with the verify_chain.py inside it."""
    content = engine().audit_export_for(current_principal(), instance_id)
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="audit-{instance_id}.zip"'})
