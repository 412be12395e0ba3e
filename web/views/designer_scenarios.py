"""Saved simulation scenarios of the process designer (issue 13): the list of a process's
scenarios with their results on the draft (or the latest version), a form to save one, the
run of all of them on the drawing in the modeler (JSON), and the check before deploying
(the deploy dialog): every scenario run on the saved draft; when one fails, the deploy
needs an explicit confirmation (web/views/designer.py `deploy`, audited by the engine).
Designers and administrators only."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from api.security import current_principal, rule
from engine.definitions.drafts import check_key
from engine.definitions.scenarios import MAX_NAME, MAX_SCENARIO
from engine.errors import DefinitionInvalid, NotFound, ValidationFailed
from web.designer_data import scenario_rows, simulation_json
from web.forms import Form
from web.i18n import lazy_text as _l
from web.lint_messages import problems_for_page
from web.pages import engine
from web.views.designer import json_errors

blp = Blueprint("designer_scenarios", __name__, url_prefix="/designer")
EXAMPLE = '{"start": "2026-09-29T10:00", "data": {"approved": "no"}, "task_data": {}, "late": [], "messages": []}'


class ScenarioForm(Form):
    name = StringField(_l("场景名称"), validators=[DataRequired(_l("请输入场景名称")),
                                                 Length(max=MAX_NAME, message=_l("最多 120 个字符"))])
    scenario = TextAreaField(
        _l("场景数据（JSON）"), validators=[DataRequired(_l("请填写场景数据"))],
        description=_l("start 开始时间；data 开始数据；task_data 各环节填写的数据（按元素标识）；"
                       "late 超期的任务；messages 部门系统或申请人发来的消息："
                       "name、payload 和 at（时间）或 after_hours（等待后几小时）"),
        render_kw={"rows": 6, "spellcheck": "false"})
    expected = TextAreaField(
        _l("预期结果（JSON）"), validators=[DataRequired(_l("请填写预期结果"))],
        description=_l("end 到达的结束事件；path 依次经过的元素；finished 是否走完；deadlines 各定时事件的 "
                       "outcome（met 按时、missed 超期、waited 等待后继续）和 due_at（到期时间）"),
        render_kw={"rows": 4, "spellcheck": "false"})


def _json_field(field: Any) -> Any:
    if len(field.data or "") > MAX_SCENARIO:
        field.errors.append(gettext("最多 64 KB"))
        return None
    try:
        return json.loads(field.data)
    except ValueError as err:
        field.errors.append(gettext("不是有效的 JSON：%(e)s", e=str(err)))
        return None


def _page(key: str, form: ScenarioForm, status: int = 200) -> ResponseReturnValue:
    rows, problems = [], []
    try:
        rows = scenario_rows(engine().scenarios(key), engine().run_scenarios(key))
    except DefinitionInvalid as err:  # the draft would not deploy: the scenarios cannot run on it
        problems = problems_for_page(err.details.get("problems") or [])
        rows = scenario_rows(engine().scenarios(key), [])
    return render_template("designer/scenarios.html", key=key, rows=rows, form=form, problems=problems,
                           draft=engine().process_draft(key), example=EXAMPLE), status


def _known(key: str) -> str:
    check_key(key)
    if engine().process_draft(key) is None and not engine().process_versions(key):
        raise NotFound(f"no process or draft '{key}'", {"process": key})
    return key


@blp.get("/<key>/scenarios")
@rule("designer")
def scenarios(key: str) -> ResponseReturnValue:
    """The saved scenarios of `key`, each run on the draft (or the latest version)."""
    return _page(_known(key), ScenarioForm())


@blp.post("/<key>/scenarios")
@rule("designer")
def save(key: str) -> ResponseReturnValue:
    """Save a scenario (replacing one of the same name); 422 naming the field at fault."""
    _known(key)
    form = ScenarioForm()
    if form.validate_on_submit():
        scenario, expected = _json_field(form.scenario), _json_field(form.expected)
        if not form.scenario.errors and not form.expected.errors:
            try:
                engine().save_scenario(key, form.name.data, scenario, expected, current_principal().username)
            except ValidationFailed as err:
                for name, messages in err.details.get("fields", {}).items():
                    target = form.expected if name.startswith("expected") else \
                        form.name if name == "name" else form.scenario
                    target.errors.append(f"{name}：{'；'.join(messages)}")
            else:
                flash(gettext("场景“%(n)s”已保存。", n=form.name.data.strip()), "success")
                return redirect(url_for("web.designer_scenarios.scenarios", key=key))
    return _page(key, form, 422)


@blp.post("/<key>/scenarios/delete")
@rule("designer")
def delete(key: str) -> ResponseReturnValue:
    """Delete the scenario named in the form."""
    name = request.form.get("name", "")
    engine().delete_scenario(_known(key), name)
    flash(gettext("场景“%(n)s”已删除。", n=name), "success")
    return redirect(url_for("web.designer_scenarios.scenarios", key=key))


@blp.post("/<key>/scenarios/run")
@rule("designer")
@json_errors
def run(key: str) -> ResponseReturnValue:
    """Every saved scenario run on the XML posted (JSON {xml}; without it, on the draft or
    the latest version): {results: [{name, passed, failures, simulation}]}. Nothing stored."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", {"fields": {"body": ["a JSON object"]}})
    xml = body.get("xml")
    if xml is not None and (not isinstance(xml, str) or not xml.strip()):
        raise ValidationFailed("xml must be the diagram's BPMN XML", {"fields": {"xml": ["the diagram's BPMN XML"]}})
    try:
        results = engine().run_scenarios(_known(key), xml.encode() if xml else None)
    except DefinitionInvalid as err:
        return jsonify({"problems": problems_for_page(err.details.get("problems") or [])}), 422
    return jsonify({"results": [{"name": r.name, "passed": r.passed, "failures": r.failures,
                                 "simulation": simulation_json(r.simulation) if r.simulation else None}
                                for r in results]})


@blp.get("/<key>/deploy")
@rule("designer")
def deploy_check(key: str) -> ResponseReturnValue:
    """The deploy dialog: every saved scenario run on the saved draft, and the deploy
    button; when one fails, a confirmation the designer must tick."""
    check_key(key)
    draft = engine().process_draft(key)
    if draft is None:
        raise NotFound(f"no draft of '{key}' to deploy", {"process": key})
    problems, results = [], []
    try:
        results = engine().run_scenarios(key, draft.xml)
    except DefinitionInvalid as err:
        problems = problems_for_page(err.details.get("problems") or [])
    rows = scenario_rows(engine().scenarios(key), results)
    return render_template("designer/deploy_check.html", key=key, rows=rows, problems=problems, draft=draft,
                           failing=[r for r in rows if r["result"] == "failed"])
