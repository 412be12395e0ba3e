"""Rate limit of failed sign-in requests per client address (Flask-Limiter), on the web
sign-in form and on POST /api/v1/auth/token alike (one shared budget). Only refused
requests count: a township office whose clerks all sign in at 8:30 behind one address
is never slowed down, someone guessing passwords from it is.

It caps how fast anyone can guess; the lockout after repeated failures, per account and
per address, is kept in the database (engine/auth/lockout.py) so that every process of a
deployment counts the same failures. The limiter's own counts are per process unless
RELIEF_RATELIMIT_STORAGE names a shared store (e.g. redis://…)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from api import request_hooks
from api.settings import Settings

LIMITED = "relief_limited_endpoints"  # app.extensions: the endpoints with a limit


def install(app: Flask, settings: Settings, endpoints: list[str]) -> None:
    """Limit failed POSTs to `endpoints` (already registered) to `settings.login_rate` per address."""
    limited: set[str] = app.extensions.setdefault(LIMITED, set())
    # Its after-request hook (conditional deductions, limit headers) and teardown (its
    # per-request state) have work only on the limited endpoints: elsewhere they are skipped.
    with request_hooks.hooks_only_when(app, lambda: request.endpoint in limited):
        limiter = Limiter(get_remote_address, app=app, storage_uri=settings.ratelimit_storage,
                          headers_enabled=True, default_limits=[])
    shared = limiter.shared_limit(settings.login_rate, scope="sign-in", methods=["POST"],
                                  deduct_when=lambda response: response.status_code >= 400)
    app.extensions["relief_limiter"] = limiter
    limit_views(app, shared, endpoints)
    _check_only_where_limited(app, limiter)
    register_api_error(app)


def limit_views(app: Flask, limit: Callable[[Callable[..., Any]], Callable[..., Any]], endpoints: list[str]) -> None:
    """Wrap the views of `endpoints` (already registered) in a limit of the app's limiter.
    Limits are set only this way, on view functions: the limiter's hooks run on these
    endpoints alone (see `install`)."""
    for endpoint in endpoints:
        # Wrapping keeps the view's `@rule` (functools.wraps copies its attributes).
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
        app.extensions[LIMITED].add(endpoint)


def _check_only_where_limited(app: Flask, limiter: Limiter) -> None:
    """Drop Flask-Limiter's check of every request (its `before_request` hook). This app has
    no default or application limits: only decorated endpoints (sign-in here, the portal's
    POSTs, web/views/portal.py: decorators on view functions, not on blueprints) have limits,
    and their decorator checks them itself; the hook evaluated nothing
    on every other request, at ~4 % of a small API request (profiled, issue 15). Its
    `after_request` hook stays (it makes the conditional deductions: failed sign-ins), run
    on the limited endpoints only (`install`)."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:  # then the hook is needed
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [h for h in hooks if h != limiter._check_request_limit]  # noqa: SLF001


def retry_after(err: RateLimitExceeded) -> int:
    """Seconds until the limit that refused the request lets the address try again."""
    limiter: Limiter = current_app.extensions["relief_limiter"]
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def register_api_error(app: Flask) -> None:
    """The API's answer to a refused sign-in request: 429, JSON, and Retry-After (pages
    answer with their own error page: blueprint handlers come first)."""

    @app.errorhandler(RateLimitExceeded)
    def _too_many(err: RateLimitExceeded) -> ResponseReturnValue:
        seconds = retry_after(err)
        body = {"error": "too_many_requests",
                "message": f"too many sign-in requests from this address; try again in {seconds} s",
                "details": {"retry_after_seconds": seconds}}
        return jsonify(body), 429, {"Retry-After": str(seconds)}
