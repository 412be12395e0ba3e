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
from engine.auth import Principal, principal_from_token, signatures, worker_tokens
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
    if "Authorization" not in request.headers:
        if (who := sessions.principal()) is not None:
            return who
        if ended := g.get("session_ended"):
            raise Unauthorized(ended)  # the cookie named a session that was revoked or expired
    token = _bearer()
    if worker_tokens.is_worker_token(token):
        raise Unauthorized("a worker token is valid only on the job endpoints (/api/v1/jobs)")
    engine = current_app.extensions["relief_engine"]
    with engine.db.reading() as s:
        return principal_from_token(s, current_app.config["SECRET_KEY"], token, engine.users.now())


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
        if request.endpoint is None:
            return  # 404/405: let Flask answer
        if request.endpoint == "static" or request.endpoint.startswith("api-docs."):
            return  # static assets and the API docs are public
        roles = getattr(app.view_functions[request.endpoint], "_relief_rule", None)
        if roles is None:
            raise Forbidden(f"endpoint {request.endpoint} has no authorization rule")
        if PUBLIC in roles:
            if is_page():
                g.principal = sessions.principal()  # a public page may still greet who is signed in
                sessions.check_csrf()  # the sign-in form too (login CSRF)
                _check_password_change(g.principal, roles)
            return
        if WORKER in roles:
            g.worker = _worker()
            return
        if SIGNED in roles and request.headers.get(signatures.SIGNATURE):
            g.principal = _signed()
            return
        g.principal = _authenticate()
        if g.principal.extra.get("kind") == "web":
            sessions.check_csrf()  # first: a forged request is refused as such, whoever's cookie it carries
        if SYSTEM in g.principal.roles and SYSTEM not in roles and not g.principal.is_admin:
            raise Forbidden("a system account has no access here (the 12345 platform signs its intake requests)",
                            {"roles": list(roles)})
        _check_password_change(g.principal, roles)
        if AUTHENTICATED in roles:
            return
        if not g.principal.has_role(*roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", {"roles": list(roles)})

