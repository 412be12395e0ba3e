"""The process designer (issue 13): open a deployed process or a new one in the bpmn-js
modeler, save drafts on the server, lint as one edits, simulate on the working-day
calendar, deploy through the one deploy command; versions and the diff of two.

The page's module calls the JSON routes below with the session cookie and the CSRF token
(js/api.js); their errors are JSON like the API's. Designers and administrators only."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from functools import wraps
from typing import Any
from xml.sax.saxutils import quoteattr

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from api.security import current_principal, rule
from engine.calendar import SHANGHAI
from engine.definitions.bundle import FORMS_DIR
from engine.definitions.drafts import KEY, check_key
from engine.definitions.scenarios import parse_scenario
from engine.errors import Conflict, DefinitionInvalid, Forbidden, NotFound, ReliefError, ValidationFailed
from web.designer_data import diff_rows, file_diff_rows, lint_texts, obstacle_texts, parse_mapping, simulation_json
from web.designer_forms import simulation_form
from web.forms import Form
from web.i18n import lazy_text as _l
from web.lint_messages import problems_for_page
from web.pages import engine

blp = Blueprint("designer", __name__, url_prefix="/designer")
MAX_MIGRATE = 200  # cases moved in one request
MAX_SCENARIO = 64 * 1024  # characters of a simulation's start data (JSON)
NEW_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_{key}" \
targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name={name} isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name={start} />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="160" y="100" width="36" \
height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


class NewProcessForm(Form):
    key = StringField(_l("流程标识"), description=_l("英文字母开头，可含字母、数字和 _ . -，例如 wuhai_temporary_aid"),
                      validators=[DataRequired(_l("请输入流程标识")), Length(max=120, message=_l("最多 120 个字符")),
                                  Regexp(KEY.pattern, message=_l("只能以字母或 _ 开头，只含字母、数字和 _ . -"))],
                      render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name = StringField(_l("流程名称"), validators=[DataRequired(_l("请输入流程名称")),
                                                 Length(max=255, message=_l("最多 255 个字符"))])


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Engine errors of a JSON route as the API's JSON body, not an error page."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        try:
            return view(*args, **kwargs)
        except ReliefError as err:
            return jsonify({"error": err.code, "message": err.message, "details": err.details}), err.status
    return wrapped


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", {"fields": {"body": ["a JSON object"]}})
    return body


def _xml(body: dict[str, Any]) -> bytes:
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise ValidationFailed("xml is required", {"fields": {"xml": ["the diagram's BPMN XML"]}})
    return xml.encode()


@blp.get("")
@rule("designer")
def index() -> str:
    """Every process (its latest version) and every draft, and a form for a new process."""
    return render_template("designer/index.html", rows=_processes(), form=NewProcessForm())


def _processes() -> list[dict[str, Any]]:
    latest: dict[str, Any] = {}
    for d in engine().definitions():
        latest[d.key] = d  # ordered by key, version: the last is the newest
    drafts = {d.key: d for d in engine().process_drafts()}
    return [{"key": k, "latest": latest.get(k), "draft": drafts.get(k)} for k in sorted(set(latest) | set(drafts))]


@blp.post("/new")
@rule("designer")
def new() -> ResponseReturnValue:
    """A new process: a draft with one start event, opened in the modeler."""
    form = NewProcessForm()
    if form.validate_on_submit():
        key = form.key.data.strip()
        if engine().process_versions(key) or engine().process_draft(key) is not None:
            form.key.errors.append(gettext("已有此标识的流程或草稿，请打开它或换一个标识"))
        else:
            xml = NEW_PROCESS.format(key=key, name=quoteattr(form.name.data.strip()), start=quoteattr(gettext("开始")))
            engine().save_process_draft(key, xml.encode(), current_principal().username)
            return redirect(url_for("web.designer.edit", key=key))
    return render_template("designer/index.html", rows=_processes(), form=form), 422


@blp.get("/<key>")
@rule("designer")
def edit(key: str) -> str:
    """The modeler on the draft of `key`, or on its latest version when there is no draft."""
    check_key(key)
    draft = engine().process_draft(key)
    versions = engine().process_versions(key)
    if draft is None and not versions:
        raise NotFound(f"no process or draft '{key}'", {"process": key})
    xml = draft.xml if draft is not None else engine().definition_diagram(versions[0])
    base = draft.base_definition_id if draft is not None else versions[0].id
    start = engine().clock.now().astimezone(SHANGHAI)  # the simulation's default start: now
    saved = engine().scenarios(key)
    return render_template("designer/edit.html", key=key, draft=draft, versions=versions, data={
        "key": key, "xml": xml.decode("utf-8", errors="replace"),
        "revision": draft.revision if draft else None, "base": base,
        "urls": {"draft": url_for("web.designer.save", key=key), "lint": url_for("web.designer.lint", key=key),
                 "simulate": url_for("web.designer.simulation", key=key)},
        "scenarios": [{"name": s.name, "scenario": s.scenario} for s in saved],
        "texts": lint_texts()}, sim_form=simulation_form(start.strftime("%Y-%m-%dT%H:%M"), saved),
        scenario_count=len(saved))


@blp.post("/<key>/draft")
@rule("designer")
@json_errors
def save(key: str) -> ResponseReturnValue:
    """Save the draft (JSON {xml, revision, base}); answers its new revision."""
    body = _body()
    revision, base = body.get("revision"), body.get("base")
    for name, value in (("revision", revision), ("base", base)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationFailed(f"{name} must be a whole number", {"fields": {name: ["a whole number"]}})
    draft = engine().save_process_draft(check_key(key), _xml(body), current_principal().username, base, revision)
    return jsonify({"revision": draft.revision, "saved_at": draft.updated_at.isoformat()})


@blp.post("/<key>/lint")
@rule("designer")
@json_errors
def lint(key: str) -> ResponseReturnValue:
    """The deploy checks on the XML posted (JSON {xml}), nothing stored: {problems}."""
    xml = _xml(_body())
    try:
        problems = engine().lint_draft(check_key(key), xml)
    except (DefinitionInvalid, ValidationFailed) as err:  # not even a diagram of this process
        problems = err.details.get("problems") or [{"element": None, "line": None, "message": err.message}]
    return jsonify({"problems": problems_for_page(problems)})


@blp.post("/<key>/simulate")
@rule("designer")
@json_errors
def simulation(key: str) -> ResponseReturnValue:
    """Run the XML posted in memory (JSON {xml, data, start, late, task_data, messages}, as
    in a saved scenario: engine/definitions/scenarios.py); nothing is stored."""
    body = _body()
    xml = _xml(body)
    data, late = body.get("data", {}), body.get("late", [])
    if not isinstance(data, dict) or len(str(data)) > MAX_SCENARIO:
        raise ValidationFailed("data must be a JSON object", {"fields": {"data": ["a JSON object (at most 64 KB)"]}})
    if not isinstance(late, list) or not all(isinstance(x, str) for x in late) or len(late) > 200:
        raise ValidationFailed("late must be a list of element ids", {"fields": {"late": ["a list of element ids"]}})
    try:
        start = dt.datetime.fromisoformat(str(body.get("start", "")))
    except ValueError:
        raise ValidationFailed("start must be a date and time", {"fields": {"start": ["YYYY-MM-DDTHH:MM"]}}) from None
    start = start if start.tzinfo else start.replace(tzinfo=SHANGHAI)
    task_data, messages = body.get("task_data", {}), body.get("messages", [])
    scenario = parse_scenario({"start": start.isoformat(), "task_data": task_data, "messages": messages})
    try:
        result = engine().simulate_draft(check_key(key), xml, data, start, late, scenario.task_data,
                                         scenario.messages)
    except DefinitionInvalid as err:
        return jsonify({"problems": problems_for_page(err.details.get("problems") or [])}), 422
    return jsonify(simulation_json(result))


@blp.post("/<key>/deploy")
@rule("designer")
def deploy(key: str) -> ResponseReturnValue:
    """Deploy the saved draft through the deploy command (its checks and approval)."""
    confirm = request.form.get("confirm_failing") == "yes"
    try:
        result = engine().deploy_draft(check_key(key), current_principal().username, confirm_failing=confirm)
    except Conflict as err:  # a saved scenario fails on the draft: the deploy dialog says which
        if "scenarios" not in err.details:
            raise
        flash(gettext("未部署：%(n)d 个保存的场景在此草稿上未通过。确认后才能部署。", n=len(err.details["scenarios"])),
              "error")
        return redirect(url_for("web.designer_scenarios.deploy_check", key=key))
    except DefinitionInvalid as err:
        problems = problems_for_page(err.details.get("problems") or [])
        flash(gettext("未部署：%(n)d 处问题，第一处：%(m)s", n=len(problems),
                      m=problems[0]["message"] if problems else err.message), "error")
        return redirect(url_for("web.designer.edit", key=key))
    mine = [d for d in result.definitions if d.key == key]
    if mine and mine[0].approval_required and mine[0].approved_at is None:
        flash(gettext("已部署为第 %(v)d 版。此流程已有案件，新版本需另一位设计人员或管理员批准后才接收新案件。",
                      v=mine[0].version), "warning")
    elif mine:
        flash(gettext("已部署：第 %(v)d 版。", v=mine[0].version), "success")
    return redirect(url_for("web.designer.versions", key=key))


@blp.post("/<key>/discard")
@rule("designer")
def discard(key: str) -> ResponseReturnValue:
    """Throw the draft away (the deployed versions stay)."""
    engine().discard_process_draft(check_key(key))
    flash(gettext("草稿已删除。"), "success")
    return redirect(url_for("web.designer.index"))


@blp.get("/<key>/versions")
@rule("designer")
def versions(key: str) -> str:
    """The deployed versions of `key`, and a choice of two to compare."""
    rows = engine().process_versions(check_key(key))
    if not rows:
        raise NotFound(f"no deployed process '{key}'", {"process": key})
    startable = [d for d in rows if not d.approval_required or d.approved_at is not None]
    target = startable[0] if startable else None
    cases = [(d, c) for d in rows if target is not None and d.version < target.version
             for c in engine().running_cases(d)]
    return render_template("designer/versions.html", key=key, versions=rows, draft=engine().process_draft(key),
                           target=target, cases=cases)


@blp.post("/<key>/migrate")
@rule("designer")
def migrate(key: str) -> ResponseReturnValue:
    """Move the chosen running cases to the version named, each only if it is safe, with the
    element mapping given (one `old id = new id` a line); `action=preview` shows what would
    move and why not, changing nothing."""
    version = request.form.get("version", "")
    ids = request.form.getlist("case")[:MAX_MIGRATE]
    if not version.isdigit() or len(version) > 9:
        raise ValidationFailed("version must be a version number", {"fields": {"version": ["a version number"]}})
    mapping = parse_mapping(request.form.get("mapping", ""))
    if not ids:
        flash(gettext("请先选择要迁移的案件。"), "warning")
        return redirect(url_for("web.designer.versions", key=key))
    user = current_principal().username
    if request.form.get("action") == "preview":
        plans, errors = [], []
        for case_id in ids:
            try:
                plans.append(engine().preview_migration(case_id, int(version), user, check_key(key), mapping))
            except (Conflict, NotFound) as err:
                errors.append(gettext("%(c)s：%(r)s", c=case_id[:8], r=err.message))
        return render_template("designer/migrate_preview.html", key=key, version=int(version), plans=plans,
                               errors=errors, mapping_text=", ".join(f"{a} = {b}" for a, b in mapping.items()),
                               reasons={p.instance: obstacle_texts(p.obstacles) for p in plans})
    moved, refused = 0, []
    for case_id in ids:
        try:
            engine().migrate_case(case_id, int(version), user, check_key(key), mapping)
            moved += 1
        except (Conflict, NotFound) as err:
            obstacles = err.details.get("obstacles") or []
            refused.append(gettext("%(c)s：%(r)s", c=case_id[:8], r="、".join(obstacle_texts(obstacles))
                                   or err.message))
    if moved:
        flash(gettext("已迁移 %(n)d 个案件到第 %(v)s 版。", n=moved, v=version), "success")
    if refused:
        flash(gettext("%(n)d 个案件未迁移（新版本中缺少或改变了这些案件已到达的环节）：%(list)s", n=len(refused),
                      list="；".join(refused[:5])), "error")
    return redirect(url_for("web.designer.versions", key=key))


@blp.post("/<key>/versions/<version>/approve")
@rule("designer")
def approve(key: str, version: str) -> ResponseReturnValue:
    """A second person's approval of a pending version (engine/definitions/approval.py):
    refused for its own deployer and unless it is pending, with the reason shown."""
    if not version.isdigit() or len(version) > 9:
        raise NotFound(f"no deployed definition '{key}:{version}'", {"definition": f"{key}:{version}"})
    try:
        engine().approve_definition(check_key(key), int(version), current_principal().username)
    except (Forbidden, Conflict) as err:
        flash(gettext("未批准：%(e)s", e=_approval_refusal(err)), "error")
    else:
        flash(gettext("已批准第 %(v)s 版，新案件从现在起按此版本办理。", v=version), "success")
    return redirect(url_for("web.designer.versions", key=key))


def _approval_refusal(err: ReliefError) -> str:
    if isinstance(err, Forbidden):
        return gettext("部署此版本的人不能批准它，须由另一位设计人员或管理员批准。")
    return gettext("此版本不需要批准，或已经批准过。")


@blp.get("/<key>/versions/<version>/download")
@rule("designer")
def download(key: str, version: str) -> ResponseReturnValue:
    """Version `version`'s files as a zip: the diagrams and tables at the top, the forms
    under forms/ by form key; `relief deploy` of the unpacked folder gives that same version."""
    if not version.isdigit() or len(version) > 9:
        raise NotFound(f"no deployed definition '{key}:{version}'", {"definition": f"{key}:{version}"})
    files = engine().version_files(check_key(key), int(version))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.writestr(f"{FORMS_DIR}/{f.name}" if f.kind == "form" else f.name, f.content)
    return Response(buffer.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{key}-v{int(version)}.zip"'})


@blp.get("/<key>/diff")
@rule("designer")
def diff(key: str) -> str:
    """What changed from version `old` to version `new`: a table and markers on the diagram."""
    numbers = []
    for name in ("old", "new"):
        value = request.args.get(name, "")
        if not value.isdigit() or len(value) > 9:
            raise ValidationFailed(f"{name} must be a version number", {"fields": {name: ["a version number"]}})
        numbers.append(int(value))
    old, new = (engine().process_version(check_key(key), n) for n in numbers)
    changes = engine().diff_versions(old, new)
    return render_template("designer/diff.html", key=key, old=old, new=new, rows=diff_rows(changes),
                           marks={c.element: c.change for c in changes},
                           files=file_diff_rows(engine().diff_version_files(old, new)))
