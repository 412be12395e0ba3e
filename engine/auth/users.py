"""Create users, check passwords (hashed with scrypt), issue and read signed tokens."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.auth.principal import ROLES, Principal
from engine.errors import Unauthorized, ValidationFailed
from engine.store.models import User

TOKEN_MAX_AGE = 12 * 3600
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")
# Checked against when a username is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def create_user(session: Session, username: str, password: str, roles: list[str], groups: list[str] | None = None,
                department: str | None = None, region: str | None = None, display_name: str = "",
                now: dt.datetime | None = None) -> User:
    """Add a user; the password is stored only as a salted scrypt hash."""
    problems: dict[str, list[str]] = {}
    if not _USERNAME.match(username or ""):
        problems["username"] = ["2-80 letters, digits, '_', '.' or '-'"]
    if len(password or "") < 8:
        problems["password"] = ["at least 8 characters"]
    if unknown := [r for r in roles if r not in ROLES]:
        problems["roles"] = [f"unknown role(s): {', '.join(unknown)}"]
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        problems["username"] = ["already taken"]
    if problems:
        raise ValidationFailed("the user cannot be created", {"fields": problems})
    user = User(username=username, password_hash=generate_password_hash(password), roles=list(roles),
                groups=list(groups or []), department=department, region=region, display_name=display_name,
                created_at=now or dt.datetime.now(dt.UTC))
    session.add(user)
    session.flush()
    return user


def to_principal(user: User) -> Principal:
    return Principal(user.username, tuple(user.roles), tuple(user.groups), user.department, user.region,
                     user.display_name)


def authenticate(session: Session, username: str, password: str) -> Principal:
    """The principal for a correct username and password; Unauthorized otherwise."""
    user = session.scalar(sa.select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise Unauthorized("wrong username or password")
    if not check_password_hash(user.password_hash, password or ""):
        raise Unauthorized("wrong username or password")
    return to_principal(user)


def issue_token(secret: str, principal: Principal) -> str:
    return URLSafeTimedSerializer(secret, salt="relief-token").dumps({"u": principal.username})


def principal_from_token(session: Session, secret: str, token: str) -> Principal:
    """Read a bearer token; the user's current roles and groups apply, not old ones."""
    try:
        data = URLSafeTimedSerializer(secret, salt="relief-token").loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as err:
        raise Unauthorized("the token has expired; log in again") from err
    except BadSignature as err:
        raise Unauthorized("the token is not valid") from err
    user = session.scalar(sa.select(User).where(User.username == data.get("u"), User.active.is_(True)))
    if user is None:
        raise Unauthorized("the token's user no longer exists")
    return to_principal(user)
