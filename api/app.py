"""Application factory: `create_app(settings, engine)`; no import-time side effects."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import web
from api import errors, headers, inputs, openapi, read_routing, schema_cache, security, sessions, sign_in_limit
from api.request_hooks import ReliefFlask
from api.routes import BLUEPRINTS
from api.settings import ConfigurationError, Settings
from engine.clock import Clock, SharedClock
from engine.materials.s3 import S3FileStore
from engine.scripting import Limits
from engine.service import Engine
from web.views import portal

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def make_engine(settings: Settings, known_topics: list[str] | None = None) -> Engine:
    """The engine for `settings`; test and demo mode get a clock that can be moved."""
    # Outside production the offset is kept in the database: `relief clock advance` in
    # one process moves the clock of the running server too.
    clock = Clock() if settings.mode == "production" else SharedClock()
    try:
        office_close = dt.time.fromisoformat(settings.office_close)
    except ValueError:
        raise ConfigurationError(f"RELIEF_OFFICE_CLOSE must be a time such as 17:30, not '{settings.office_close}'") \
            from None
    return Engine(settings.database_url, clock=clock, forms_root=settings.forms_root, known_topics=known_topics,
                  office_close=office_close, default_region=settings.default_region,
                  limits=Limits(max_instances=settings.max_instances), keyring=settings.keyring,
                  read_url=settings.database_read_url or None)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    """Build the Flask app around `engine` (made from `settings` when not given)."""
    settings = settings or Settings.from_env()
    app = ReliefFlask(__name__)
    app.config.update(
        SECRET_KEY=settings.require_secret(),
        MAX_CONTENT_LENGTH=max(MAX_UPLOAD_BYTES, settings.max_material_bytes + 1024 * 1024),
        API_TITLE="社会救助“一门受理、协同办理” API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by this app: county intranets reach no CDN.
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        # The security schemes and each operation's own requirement: api/openapi.py.
        API_SPEC_OPTIONS={"security": [{"bearer": []}]},
    )
    app.json.ensure_ascii = False
    app.extensions["relief_settings"] = settings
    app.extensions["relief_engine"] = engine = engine or make_engine(settings)
    # Uploaded materials: where they are kept (RELIEF_FILES_DIR, or a bucket: RELIEF_MATERIALS_S3_*),
    # how large one may be, the checklist.
    assert settings.files_dir is not None
    files = S3FileStore(settings.materials_s3) if settings.materials_s3 else settings.files_dir
    engine.configure_materials(files, settings.max_material_bytes, settings.materials_checklist)
    api = errors.ReliefApi(app)
    app.extensions["relief_api"] = api
    openapi.register_converters(api)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    openapi.complete_document(app, api)
    errors.register(app)
    sessions.install(app, settings)
    inputs.install(app)  # before the authentication check: bad input never reaches a parser
    schema_cache.install()  # one request schema per class, not one per request
    security.install(app)
    headers.install(app)
    read_routing.install(app, engine, settings.read_your_writes_seconds)
    if settings.demo_phone:
        from api import demo_phone

        app.register_blueprint(demo_phone.blp)  # the demo's SMS operator (never in production)
    web.register(app)  # the staff web app: `/` is its sign-in or home page
    sign_in_limit.install(app, settings, ["auth.token", web.SIGN_IN_ENDPOINT])
    portal.limit(app, settings)  # the public portal's POSTs, per address
    if settings.trusted_proxies:
        # Behind N reverse proxies: the client's address and HTTPS come from their headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies, x_host=settings.trusted_proxies)
    return app
