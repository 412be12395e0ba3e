"""The designer's routing tables (dmn-js) and forms (form-js editor and playground), issue 13:
list them, open a deployed one or its draft, save drafts on the server, run the deploy
checks as one edits, deploy only the changed file, download it; and download a deployed
version's diagram. Designers and administrators only (the same rule as web/views/designer.py).

A file is named by its deployed path (`wuhai/lead_department.dmn`, the form key
`wuhai/convene.json`); the action comes before the name since the name holds slashes."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from api.security import current_principal, rule
from engine.definitions.drafts import check_key
from engine.errors import Conflict, DefinitionInvalid, NotFound, ValidationFailed
from web.designer_data import file_texts
from web.formjs import form_messages
from web.forms import Form
from web.i18n import lazy_text as _l
from web.lint_messages import problems_for_page
from web.pages import engine
from web.views.designer import _body, json_errors

blp = Blueprint("designer_files", __name__, url_prefix="/designer")
NAME = r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,100}$"
NEW_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_{ident}" name="{ident}" \
namespace="http://bpmn.io/schema/dmn">
  <decision id="{ident}" name="{ident}">
    <decisionTable id="DecisionTable_{ident}" hitPolicy="UNIQUE">
      <input id="Input_1" label="input"><inputExpression id="InputExpression_1" typeRef="string"><text>value</text>\
</inputExpression></input>
      <output id="Output_1" label="result" name="result" typeRef="string" />
    </decisionTable>
  </decision>
</definitions>
"""
NEW_FORM = '{{"type": "default", "id": "{ident}", "schemaVersion": 16, "components": []}}\n'


class NewFileForm(Form):
    name = StringField(_l("文件名"), description=_l("按部署时的路径，例如 wuhai/extra_check.json 或 wuhai/routing.dmn"),
                       validators=[DataRequired(_l("请输入文件名")), Length(max=100, message=_l("最多 100 个字符")),
                                   Regexp(NAME, message=_l("只能含字母、数字和 _ . - /"))],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    kind = SelectField(_l("类型"), choices=[("form", _l("表单（.json）")), ("dmn", _l("决策表（.dmn）"))])


def _content(body: dict) -> bytes:
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ValidationFailed("content is required", {"fields": {"content": ["the file's text"]}})
    return content.encode()


@blp.get("/files")
@rule("designer")
def files() -> str:
    """Every deployed routing table and form and every draft of one."""
    return render_template("designer/files.html", rows=engine().design_files(), form=NewFileForm())


@blp.post("/files/new")
@rule("designer")
def new_file() -> ResponseReturnValue:
    """A new table or form: a draft from a minimal template, opened in its editor."""
    form = NewFileForm()
    if form.validate_on_submit():
        suffix = ".dmn" if form.kind.data == "dmn" else ".json"
        name = form.name.data.strip()
        name = name if name.endswith(suffix) else name + suffix
        ident = "".join(c if c.isalnum() else "_" for c in name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        try:
            engine().design_file(name)
            form.name.errors.append(gettext("已有此文件或草稿，请打开它或换一个名字"))
        except NotFound:
            template = NEW_DMN if suffix == ".dmn" else NEW_FORM
            engine().save_file_draft(name, template.format(ident="d_" + ident).encode(),
                                     current_principal().username)
            return redirect(url_for("web.designer_files.edit_file", name=name))
    return render_template("designer/files.html", rows=engine().design_files(), form=form), 422


@blp.get("/files/edit/<path:name>")
@rule("designer")
def edit_file(name: str) -> str:
    """The dmn-js modeler on a table, or the form-js editor on a form (draft or deployed)."""
    found = engine().design_file(name)
    return render_template("designer/file.html", file=found, messages=form_messages(), data={
        "name": found.name, "kind": found.kind, "content": found.content.decode("utf-8", errors="replace"),
        "revision": found.draft.revision if found.draft else None,
        "urls": {"draft": url_for("web.designer_files.save_file", name=found.name),
                 "lint": url_for("web.designer_files.lint_file", name=found.name)},
        "texts": file_texts()})


@blp.post("/files/draft/<path:name>")
@rule("designer")
@json_errors
def save_file(name: str) -> ResponseReturnValue:
    """Save the draft (JSON {content, revision}); answers its new revision."""
    body = _body()
    revision = body.get("revision")
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
        raise ValidationFailed("revision must be a whole number", {"fields": {"revision": ["a whole number"]}})
    draft = engine().save_file_draft(name, _content(body), current_principal().username, revision)
    return jsonify({"revision": draft.revision, "saved_at": draft.updated_at.isoformat()})


@blp.post("/files/lint/<path:name>")
@rule("designer")
@json_errors
def lint_file(name: str) -> ResponseReturnValue:
    """The deploy checks on the content posted (JSON {content}), nothing stored: {problems}."""
    return jsonify({"problems": problems_for_page(engine().lint_file(name, _content(_body())))})


@blp.post("/files/deploy/<path:name>")
@rule("designer")
def deploy_file(name: str) -> ResponseReturnValue:
    """Deploy the saved draft with the processes that use it (their other files as deployed)."""
    try:
        result = engine().deploy_file_draft(name, current_principal().username)
    except DefinitionInvalid as err:
        problems = problems_for_page(err.details.get("problems") or [])
        flash(gettext("未部署：%(n)d 处问题，第一处：%(m)s", n=len(problems),
                      m=problems[0]["message"] if problems else err.message), "error")
        return redirect(url_for("web.designer_files.edit_file", name=name))
    except Conflict:
        flash(gettext("未部署：还没有已部署的流程使用此文件。请在流程图中引用它，再部署该流程图。"), "error")
        return redirect(url_for("web.designer_files.edit_file", name=name))
    versions = "、".join(f"{d.key} {gettext('第 %(v)d 版', v=d.version)}" for d in result.definitions)
    flash(gettext("已部署：%(list)s。", list=versions or "—"), "success")
    return redirect(url_for("web.designer_files.files"))


@blp.post("/files/discard/<path:name>")
@rule("designer")
def discard_file(name: str) -> ResponseReturnValue:
    """Throw the draft of a table or form away (what is deployed stays)."""
    engine().discard_file_draft(name)
    flash(gettext("草稿已删除。"), "success")
    return redirect(url_for("web.designer_files.files"))


@blp.get("/files/download/<path:name>")
@rule("designer")
def download_file(name: str) -> Response:
    """The table or form as a file: the draft, or with ?deployed=1 the newest deployed one."""
    found = engine().design_file(name)
    content = found.deployed if request.args.get("deployed") == "1" else found.content
    if content is None:
        raise NotFound(f"'{found.name}' has not been deployed", {"file": found.name})
    return _attachment(content, found.name.rsplit("/", 1)[-1],
                       "application/xml" if found.kind == "dmn" else "application/json")


@blp.get("/<key>/versions/<version>/diagram.bpmn")
@rule("designer")
def download_version(key: str, version: str) -> Response:
    """The diagram (.bpmn) of a deployed version, as deployed (byte for byte)."""
    if not version.isdigit() or len(version) > 9:
        raise NotFound(f"no deployed definition '{key}:{version}'", {"definition": f"{key}:{version}"})
    definition = engine().process_version(check_key(key), int(version))
    return _attachment(engine().definition_diagram(definition), f"{key}.v{version}.bpmn", "application/xml")


def _attachment(content: bytes, filename: str, mimetype: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{safe}"'})
