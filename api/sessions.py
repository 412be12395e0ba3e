"""Web sign-in sessions: a Flask-Login session cookie naming a server-side session
(engine/auth/sessions.py), and Flask-WTF's CSRF check for requests that carry it.

A principal from a session cookie goes through the same `@rule` check as one from a
bearer token (api/security.py). Cookie requests that change state must carry the CSRF
token (form field `csrf_token` or header `X-CSRFToken`); bearer-token calls need none,
since a browser never adds a bearer token by itself."""

from __future__ import annotations

import datetime as dt

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from api import request_hooks
from api.settings import Settings
from engine.auth import Principal
from engine.auth.directory import SignIn
from engine.auth.users import TOKEN_MAX_AGE
from engine.errors import Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE = "relief_session"


class SessionUser(UserMixin):
    """What Flask-Login keeps: the session secret (in the signed cookie) and its principal."""

    def __init__(self, secret: str, principal: Principal) -> None:
        self.secret = secret
        self.principal = principal

    def get_id(self) -> str:
        return self.secret


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, and on any request that came over
    HTTPS (behind a trusted proxy too), so it never travels in clear once HTTPS is used."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # A request without the cookie (every bearer-token API call) gets the empty session
        # Flask would give it, without building the signing serializer first (key
        # derivation per request: ~2 % of a small API request, profiled for issue 15).
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def install(app: Flask, settings: Settings) -> None:
    secure = settings.mode == "production" if settings.cookie_secure is None else settings.cookie_secure
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure, PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=TOKEN_MAX_AGE),
        # Checked by api/security.py for cookie requests only, and valid as long as the session.
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = _SessionInterface()

    def _remembers() -> bool:
        # Flask-Login's after-request hook acts on a session holding its marks; an empty
        # one (every bearer-token call) gives it nothing to do unless it refreshes the
        # remember cookie on every request (not configured here).
        return bool(session) or bool(app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"))

    with request_hooks.hooks_only_when(app, _remembers):
        manager = LoginManager(app)
    manager.user_loader(_load)
    CSRFProtect(app)


def _load(secret: str) -> SessionUser | None:
    engine = current_app.extensions["relief_engine"]
    try:
        return SessionUser(secret, engine.users.principal_for(secret, "web"))
    except Unauthorized as err:
        # Revoked, expired or disabled: the cookie is worth nothing any more; say why once.
        g.session_ended = err.message
        session.pop("_user_id", None)
        return None


def principal() -> Principal | None:
    """The principal of the request's session cookie, or None."""
    return current_user.principal if current_user.is_authenticated else None


def check_csrf() -> None:
    """Refuse (CSRFError, 400) a state-changing request without a valid CSRF token."""
    if request.method not in SAFE_METHODS:
        current_app.extensions["csrf"].protect()


def begin(signed_in: SignIn, keep: dict[str, object] | None = None) -> None:
    """Start the cookie session of a sign-in. The old session is dropped first (no session
    fixation); `keep` carries over what an anonymous visitor chose (their language)."""
    session.clear()
    session.update(keep or {})
    session.permanent = True
    login_user(SessionUser(signed_in.secret, signed_in.principal))


def end() -> None:
    """Sign out: the server-side session ends, so a copy of the cookie is refused too."""
    who = principal()
    if who is not None:
        current_app.extensions["relief_engine"].users.sign_out(who.extra["session"], who.username,
                                                                request.remote_addr)
    logout_user()
    session.clear()
