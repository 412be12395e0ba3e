"""Bearer-token authentication and one authorization rule per endpoint.

`@rule(...)` states who may call a view; a request to a view without a rule is
refused, so an endpoint cannot be added without deciding who may use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from engine.auth import Principal, principal_from_token
from engine.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
AUTHENTICATED = "authenticated"
STAFF = ("clerk", "dispatcher", "caseworker", "leader", "supervisor")


def rule(*roles: str) -> Callable[[F], F]:
    """Who may call the view: PUBLIC, AUTHENTICATED, or any of the given roles (admin always)."""
    def mark(fn: F) -> F:
        fn._relief_rule = roles  # type: ignore[attr-defined]
        return fn
    return mark


def current_principal() -> Principal:
    return g.principal


def _authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
    engine = current_app.extensions["relief_engine"]
    with engine.db.session() as s:
        return principal_from_token(s, current_app.config["SECRET_KEY"], header[len("Bearer "):].strip())


def install(app: Flask) -> None:
    @app.before_request
    def _check() -> None:
        if request.endpoint is None:
            return  # 404/405: let Flask answer
        view = app.view_functions[request.endpoint]
        roles = getattr(view, "_relief_rule", None)
        if roles is None and request.endpoint in ("static",) or (
                request.endpoint or "").startswith("api-docs."):
            return  # static assets and the API docs are public
        if roles is None:
            raise Forbidden(f"endpoint {request.endpoint} has no authorization rule")
        if PUBLIC in roles:
            return
        g.principal = _authenticate()
        if AUTHENTICATED in roles:
            return
        if not g.principal.has_role(*roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", {"roles": list(roles)})
