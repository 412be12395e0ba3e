"""Deployed process definitions, read-only: the list, each version's diagram in the
bpmn-js navigated viewer, and a preview of each of its forms rendered by form-js
(designers check a form as staff will see it; nothing is submitted)."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.routes.deployments import definition_by_id
from api.security import rule
from web.formjs import form_messages
from web.pages import engine

blp = Blueprint("definitions", __name__, url_prefix="/definitions")


@blp.get("")
@rule("designer", "auditor")
def index() -> str:
    """Every deployed version, newest first within each process."""
    rows = sorted(engine().definitions(), key=lambda d: (d.key, -d.version))
    return render_template("definitions/list.html", definitions=rows)


@blp.get("/<definition_id>")
@rule("designer", "auditor")
def show(definition_id: str) -> str:
    """One version: its diagram (the viewer fetches the XML from the API) and its forms."""
    definition = definition_by_id(definition_id)
    return render_template("definitions/show.html", definition=definition,
                           forms=engine().definition_forms(definition))


@blp.get("/<definition_id>/forms/<path:form_key>")
@rule("designer")
def form_preview(definition_id: str, form_key: str) -> str:
    """A deployed form rendered as staff will see it, with its checks (in the page's language)."""
    definition = definition_by_id(definition_id)
    form = engine().definition_form(definition, form_key)  # 404 when the form is not part of it
    return render_template("definitions/form_preview.html", definition=definition, form_key=form_key,
                           schema=form.raw, messages=form_messages())
