"""Application factory: `create_app(settings, engine)`; no import-time side effects."""

from __future__ import annotations

import datetime as dt

from flask import Flask, redirect
from werkzeug.wrappers import Response

from api import errors, security
from api.routes import BLUEPRINTS
from api.settings import Settings
from engine.clock import Clock, SharedClock
from engine.service import Engine

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def make_engine(settings: Settings, known_topics: list[str] | None = None) -> Engine:
    """The engine for `settings`; test and demo mode get a clock that can be moved."""
    # Outside production the offset is kept in the database: `relief clock advance` in
    # one process moves the clock of the running server too.
    clock = Clock() if settings.mode == "production" else SharedClock()
    try:
        office_close = dt.time.fromisoformat(settings.office_close)
    except ValueError:
        raise ValueError(f"RELIEF_OFFICE_CLOSE must be a time such as 17:30, not '{settings.office_close}'") from None
    return Engine(settings.database_url, clock=clock, forms_root=settings.forms_root, known_topics=known_topics,
                  office_close=office_close, keyring=settings.keyring)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    """Build the Flask app around `engine` (made from `settings` when not given)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        API_TITLE="社会救助“一门受理、协同办理” API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by this app: county intranets reach no CDN.
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    )
    app.json.ensure_ascii = False
    app.extensions["relief_settings"] = settings
    app.extensions["relief_engine"] = engine or make_engine(settings)
    api = errors.ReliefApi(app)
    app.extensions["relief_api"] = api
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    errors.register(app)
    security.install(app)

    @app.get("/")
    @security.rule(security.PUBLIC)
    def index() -> Response:
        """Until the staff app exists, the front page is the interactive API docs."""
        return redirect("/api/v1/docs")

    return app
