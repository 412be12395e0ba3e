"""Authentication (bearer token or web session cookie) and one authorization rule per endpoint.

`@rule(...)` states who may call a view; a request to a view without a rule is
refused, so an endpoint cannot be added without deciding who may use it. A principal
from a session cookie (api/sessions.py) and one from a bearer token pass the same
check; cookie requests that change state must also carry the CSRF token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from api import sessions
from engine.auth import Principal, signatures, worker_tokens
from engine.auth.worker_tokens import WorkerIdentity
from engine.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
AUTHENTICATED = "authenticated"  # any person's account (not a system account)
STAFF = ("clerk", "dispatcher", "caseworker", "leader", "supervisor")
# Job endpoints: worker tokens only (and a worker token is good for nothing else).
WORKER = "worker"
# Outside systems may sign the request (HMAC, engine/auth/signatures.py) instead of
# sending a bearer token; the principal is then the sender (`12345`, `dept:<code>`).
SIGNED = "signed"
# System accounts (role `system`, e.g. `hotline`) get only the routes whose rule names
# "system" (none today: the 12345 platform signs its one route, the intake): a bearer
# token of theirs opens nothing else (issue 9, defect 9).
SYSTEM = "system"
# Also open to a user who must still replace a password someone else set (sign-out, the
# password page); every other route refuses them until they have.
FIRST_SIGN_IN = "first-sign-in"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"


def rule(*roles: str) -> Callable[[F], F]:
    """Who may call the view: PUBLIC, AUTHENTICATED, or any of the given roles (admin always)."""
    def mark(fn: F) -> F:
        fn._relief_rule = roles  # type: ignore[attr-defined]
        return fn
    return mark


def current_principal() -> Principal:
    """Who is calling the view (bearer token or session cookie)."""
    return g.principal


def is_page() -> bool:
    """Whether the request is for a web page (the `web` blueprints) rather than the API."""
    return (request.blueprint or "").split(".")[0] == "web"


def current_worker() -> WorkerIdentity:
    """The worker credential calling a job endpoint."""
    return g.worker


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
    return header[len("Bearer "):].strip()


def _authenticate() -> Principal:
    if "HTTP_AUTHORIZATION" not in request.environ:  # the header, without building werkzeug's view of them all
        if (who := sessions.principal()) is not None:
            return who
        if ended := g.get("session_ended"):
            raise Unauthorized(ended)  # the cookie named a session that was revoked or expired
    token = _bearer()
    if worker_tokens.is_worker_token(token):
        raise Unauthorized("a worker token is valid only on the job endpoints (/api/v1/jobs)")
    # Its session is read on every request: a revoked token is refused on the next one,
    # whichever process revoked it.
    return current_app.extensions["relief_engine"].users.token_principal(current_app.config["SECRET_KEY"], token)


def _worker() -> WorkerIdentity:
    token = _bearer()
    if not worker_tokens.is_worker_token(token):
        raise Unauthorized("the job endpoints take a worker token (relief worker-token create)")
    return current_app.extensions["relief_engine"].identify_worker(token)


def _signed() -> Principal:
    """The sender of a signed request, after checking signature, window and replay."""
    from workers.departments import sender_secret

    sender = request.headers.get(signatures.SENDER, "")
    secret = sender_secret(sender) if sender else None
    if secret is None:
        raise Unauthorized(f"unknown sender '{sender}' (or no secret configured for it)",
                           {"header": signatures.SENDER})
    signature = request.headers.get(signatures.SIGNATURE, "")
    signatures.verify(secret, request.get_data(cache=True), request.headers.get(signatures.TIMESTAMP, ""), signature)
    engine = current_app.extensions["relief_engine"]
    with engine.db.session() as s:
        # The wall clock, like the window: the engine's clock may be moved in test and demo mode.
        signatures.remember(s, sender, signature, dt.datetime.now(dt.UTC))
    department = sender[len("dept:"):] if sender.startswith("dept:") else None
    return Principal(sender, (SYSTEM,), department=department, extra={"signed": True})


def _check_password_change(who: Principal | None, roles: tuple[str, ...]) -> None:
    if who is not None and who.extra.get("must_change_password") and FIRST_SIGN_IN not in roles:
        raise PasswordChangeRequired("choose your own password first (the password page)")


def install(app: Flask) -> None:
    @app.before_request
    def _check() -> None:
        # `request` and `g` are proxies, each use a context look-up: taken once here (this
        # runs on every request).
        endpoint = request.endpoint
        if endpoint is None:
            return  # 404/405: let Flask answer
        if endpoint == "static" or endpoint.startswith("api-docs."):
            return  # static assets and the API docs are public
        roles = getattr(app.view_functions[endpoint], "_relief_rule", None)
        if roles is None:
            raise Forbidden(f"endpoint {endpoint} has no authorization rule")
        context = g._get_current_object()
        if PUBLIC in roles:
            if is_page():
                context.principal = sessions.principal()  # a public page may still greet who is signed in
                sessions.check_csrf()  # the sign-in form too (login CSRF)
                _check_password_change(context.principal, roles)
            return
        if WORKER in roles:
            context.worker = _worker()
            return
        if SIGNED in roles and request.headers.get(signatures.SIGNATURE):
            context.principal = _signed()
            return
        context.principal = who = _authenticate()
        if who.extra.get("kind") == "web":
            sessions.check_csrf()  # first: a forged request is refused as such, whoever's cookie it carries
        if SYSTEM in who.roles and SYSTEM not in roles and not who.is_admin:
            raise Forbidden("a system account has no access here (the 12345 platform signs its intake requests)",
                            {"roles": list(roles)})
        _check_password_change(who, roles)
        if AUTHENTICATED in roles:
            return
        if not who.has_role(*roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", {"roles": list(roles)})
