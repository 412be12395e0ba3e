"""The blueprint tree of the web app: `web` (templates, /assets) and one child per area."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory
from werkzeug.wrappers import Response

from api.security import FIRST_SIGN_IN, PUBLIC, rule
from web.views import (
    account,
    archive,
    audit,
    auth,
    cases,
    dashboard,
    definitions,
    designer,
    designer_files,
    designer_scenarios,
    home,
    materials,
    portal,
    portal_applicant,
    tasks,
    users,
)

HERE = Path(__file__).resolve().parent.parent
STATIC = HERE / "static"


def blueprint() -> Blueprint:
    """A fresh `web` blueprint with every area under it (one per app: tests build many)."""
    web = Blueprint("web", __name__, template_folder=str(HERE / "templates"))

    @web.get("/assets/<path:filename>")
    @rule(PUBLIC, FIRST_SIGN_IN)
    def asset(filename: str) -> Response:
        """The web app's own CSS and JavaScript modules (web/static)."""
        return send_from_directory(STATIC, filename)

    for area in (home.blp, auth.blp, account.blp, users.blp, definitions.blp, tasks.blp, audit.blp,
                 portal.blp, dashboard.blp, designer.blp, materials.blp, cases.blp, designer_files.blp,
                 designer_scenarios.blp, archive.blp, portal_applicant.blp):
        web.register_blueprint(area)
    return web
