"""The blueprint tree of the web app: `web` (templates, /assets) and one child per area."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from web.views import account, auth, definitions, home, users

HERE = Path(__file__).resolve().parent.parent


def blueprint() -> Blueprint:
    """A fresh `web` blueprint with every area under it (one per app: tests build many)."""
    web = Blueprint("web", __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                    static_url_path="/assets")
    for area in (home.blp, auth.blp, account.blp, users.blp, definitions.blp):
        web.register_blueprint(area)
    return web
