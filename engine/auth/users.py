"""Create users, check passwords (hashed with scrypt), sign tokens that name a session."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.auth import sessions
from engine.auth.principal import ROLES, Principal
from engine.auth.regions import region_problem
from engine.errors import Unauthorized, ValidationFailed
from engine.store.models import User

TOKEN_MAX_AGE = 12 * 3600
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")
# Groups and departments: `window`, `county-centre`, `dept:civil-affairs`.
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
# Checked against when a username is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def field_problems(roles: list[str], groups: list[str], department: str | None, region: str | None,
                   display_name: str) -> dict[str, list[str]]:
    """What is wrong with a user's roles, groups, department, region and name (empty: nothing)."""
    problems: dict[str, list[str]] = {}
    if not roles:
        problems["roles"] = ["give at least one role"]
    elif unknown := [r for r in roles if r not in ROLES]:
        problems["roles"] = [f"unknown role(s): {', '.join(unknown)} (known: {', '.join(ROLES)})"]
    if bad := [g for g in groups if not _NAME.match(g)]:
        problems["groups"] = [f"not a group name: {', '.join(bad)} (letters, digits, '_', '.', ':' or '-')"]
    if department and not _NAME.match(department):
        problems["department"] = [f"'{department}' is not a department code (letters, digits, '_', '.', ':' or '-')"]
    if region and (why := region_problem(region)):
        problems["region"] = [why]
    if len(display_name or "") > 120:
        problems["display_name"] = ["at most 120 characters"]
    return problems


def password_problem(password: str) -> str | None:
    """Why `password` may not be used, or None."""
    if len(password or "") < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > 200:
        return "at most 200 characters"
    return None


def create_user(session: Session, username: str, password: str, roles: list[str], groups: list[str] | None = None,
                department: str | None = None, region: str | None = None, display_name: str = "",
                now: dt.datetime | None = None, must_change_password: bool = False,
                password_hash: str | None = None) -> User:
    """Add a user; the password is stored only as a salted scrypt hash. `password_hash`, a
    hash of `password` the caller made earlier, saves making it again (the demo accounts
    share one: hashing is slow on purpose, and they share the password anyway)."""
    problems = field_problems(list(roles), list(groups or []), department, region, display_name)
    if not _USERNAME.match(username or ""):
        problems["username"] = ["2-80 letters, digits, '_', '.' or '-'"]
    elif session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        problems["username"] = ["already taken"]
    if why := password_problem(password):
        problems["password"] = [why]
    if problems:
        raise ValidationFailed("the user cannot be created", {"fields": problems})
    if password_hash is None:
        password_hash = generate_password_hash(password)
    user = User(username=username, password_hash=password_hash, roles=list(roles),
                groups=list(groups or []), department=department or None, region=region or None,
                display_name=display_name, created_at=now or dt.datetime.now(dt.UTC),
                must_change_password=must_change_password, preferences={})
    session.add(user)
    session.flush()
    return user


def to_principal(user: User, **extra: Any) -> Principal:
    return Principal(user.username, tuple(user.roles), tuple(user.groups), user.department, user.region,
                     user.display_name, extra=extra)


def password_matches(user: User | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a known one."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(user.password_hash, password or "")


def authenticate(session: Session, username: str, password: str) -> Principal:
    """The principal for a correct username and password; Unauthorized otherwise."""
    user = session.scalar(sa.select(User).where(User.username == username, User.active.is_(True)))
    if not password_matches(user, password):
        raise Unauthorized("wrong username or password")
    assert user is not None
    return to_principal(user)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="relief-token")


def issue_token(secret_key: str, session_secret: str) -> str:
    """A bearer token naming the session `session_secret` (sessions.open_session, kind token)."""
    return _serializer(secret_key).dumps({"s": session_secret})


# Tokens whose signature this process has checked: (secret key, token) → (session secret, signed
# at). A signature never changes its verdict, so only the age is checked again on each request
# (as `loads` would); the session row itself is read every time (revocation stays immediate).
# Checking the signature cost about a tenth of a small API request (profiled).
_VERIFIED: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
_VERIFIED_SIZE = 4096
_VERIFIED_LOCK = threading.Lock()


def token_session(secret_key: str, token: str) -> str:
    """The session secret a bearer token names; Unauthorized when forged, expired or old."""
    key = (secret_key, token)
    with _VERIFIED_LOCK:
        known = _VERIFIED.get(key)
    if known is not None:
        if time.time() - known[1] > TOKEN_MAX_AGE:  # itsdangerous' own test of max_age
            raise Unauthorized("the token has expired; log in again")
        return known[0]
    try:
        data, signed_at = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE, return_timestamp=True)
    except SignatureExpired as err:
        raise Unauthorized("the token has expired; log in again") from err
    except BadSignature as err:
        raise Unauthorized("the token is not valid") from err
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        raise Unauthorized("the token was issued before sign-ins were tracked; log in again")
    with _VERIFIED_LOCK:
        _VERIFIED[key] = (data["s"], signed_at.timestamp())
        while len(_VERIFIED) > _VERIFIED_SIZE:
            _VERIFIED.popitem(last=False)
    return data["s"]


def principal_from_token(session: Session, secret_key: str, token: str, now: dt.datetime | None = None) -> Principal:
    """Read a bearer token: its session must be live and its user active; the user's
    current roles and groups apply, not old ones."""
    secret = token_session(secret_key, token)
    row = sessions.live_session(session, secret, "token", now or dt.datetime.now(dt.UTC))
    return to_principal(row, session=row.id, kind="token")  # type: ignore[arg-type] - the same fields as a User
