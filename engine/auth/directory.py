"""The engine's public face for people: sign-in (with lockout), the sessions and tokens
behind it, and the administration of users. API, web pages and CLI use only this.

Sign-in state runs on the wall clock, not on the engine's clock: it protects the
transport, and test and demo mode move the engine's clock by days."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.auth import lockout, sessions, user_import
from engine.auth.principal import Principal
from engine.auth.users import (
    TOKEN_MAX_AGE,
    create_user,
    field_problems,
    password_matches,
    password_problem,
    to_principal,
    token_session,
)
from engine.errors import NotFound, Unauthorized, ValidationFailed
from engine.store.auth_models import AccountEvent
from engine.store.db import Database
from engine.store.models import User

PREFERENCES = {"locale": ("zh_CN", "en"), "large_font": (True, False)}
# Generated passwords: no 0/O, 1/l/I to misread when a clerk types one from paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: who, and the secret the cookie or token carries."""

    principal: Principal
    secret: str
    must_change_password: bool


@dataclass
class UserFilter:
    text: str = ""  # part of the username or display name
    role: str | None = None
    group: str | None = None
    department: str | None = None
    region: str | None = None  # users of this region and the regions within it
    active: bool | None = None
    limit: int = 50
    offset: int = 0


def generated_password(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class UserDirectory:
    """Users and sign-in, over the engine's database."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = _utcnow,
                 policy: lockout.LockoutPolicy | None = None,
                 lifetime: dt.timedelta = dt.timedelta(seconds=TOKEN_MAX_AGE)) -> None:
        self.db = db
        self.now = clock
        self.policy = policy or lockout.LockoutPolicy()
        self.lifetime = lifetime

    # sign-in ------------------------------------------------------------------
    def sign_in(self, username: str, password: str, kind: str, client: str | None) -> SignIn:
        """Check the password (unless the account or address is locked out) and open a
        session of `kind` (web or token). Failures count towards the lockout."""
        now = self.now()
        keys = lockout.keys(username, client)
        with self.db.session() as s:
            lockout.check(s, keys, now)
            user = s.scalar(sa.select(User).where(User.username == username))
            matches = password_matches(user, password)
            if matches and user is not None and user.active:
                lockout.clear(s, keys[:1])
                secret = sessions.open_session(s, user, kind, client, now, self.lifetime)
                self._log(s, now, user.username, user.username, "sign_in", client, {"kind": kind})
                return SignIn(self._principal(user, secret, kind), secret, user.must_change_password)
        if matches:
            raise Unauthorized("this account is disabled; ask an administrator", {"disabled": True})
        with self.db.session() as s:
            left, refusal = lockout.record_failure(s, keys, now, self.policy)
            self._log(s, now, username[:80], username[:80], "locked_out" if refusal else "sign_in_failed",
                      client, {"kind": kind, **(refusal.details if refusal else {})})
        if refusal is not None:
            raise refusal
        raise Unauthorized("wrong username or password", {"attempts_left": left})

    def principal_for(self, secret: str, kind: str) -> Principal:
        """Who a live session cookie (kind web) or token session (kind token) belongs to."""
        with self.db.reading() as s:
            user, _ = sessions.user_of(s, secret, kind, self.now())
            return self._principal(user, secret, kind)

    def token_principal(self, secret_key: str, token: str) -> Principal:
        """Who a bearer token belongs to: its signature checked, its session read (live, not
        revoked, its user active) with the user's current roles and groups. Read on the
        primary's read-only pool, never a replica: a revocation counts on the next request."""
        secret = token_session(secret_key, token)
        row = sessions.live_session_read(self.db.read_engine, secret, "token", self.now())
        return to_principal(row, session=row.id, kind="token")  # type: ignore[arg-type] - a User's fields

    def sign_out(self, session: str, actor: str, client: str | None = None) -> bool:
        """End one session, by its id (`Principal.extra['session']`): the cookie or token
        naming it is refused from now on."""
        now = self.now()
        with self.db.session() as s:
            ended = sessions.revoke(s, session, "signed out", now)
            if ended:
                self._log(s, now, actor, actor, "sign_out", client, {})
            return ended

    @staticmethod
    def _principal(user: User, secret: str, kind: str) -> Principal:
        return to_principal(user, session=sessions.session_id(secret), kind=kind,
                            must_change_password=user.must_change_password,
                            preferences=dict(user.preferences or {}))

    # administration -------------------------------------------------------------
    def get(self, username: str) -> User:
        with self.db.reading() as s:
            return self._get(s, username)

    @staticmethod
    def _get(s: Session, username: str) -> User:
        user = s.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user '{username}'", {"username": username})
        return user

    def list(self, f: UserFilter) -> tuple[list[User], int]:
        """One page of users by username, and how many match in all."""
        q = sa.select(User)
        if f.text:
            like = f"%{f.text.replace('%', '').replace('_', '')}%"
            q = q.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
        # roles and groups are JSON lists: their text holds each name in quotes on both databases
        if f.role:
            q = q.where(sa.cast(User.roles, sa.String).like(f'%"{f.role}"%'))
        if f.group:
            q = q.where(sa.cast(User.groups, sa.String).like(f'%"{f.group}"%'))
        if f.department:
            q = q.where(User.department == f.department)
        if f.region:
            q = q.where(User.region.startswith(f.region, autoescape=True))
        if f.active is not None:
            q = q.where(User.active.is_(f.active))
        with self.db.reading() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
            rows = list(s.scalars(q.order_by(User.username).limit(f.limit).offset(f.offset)))
        return rows, total

    def display_names(self, usernames: set[str]) -> dict[str, str]:
        """Each of `usernames` as people know them: the user's display name, or the username
        where there is none (or no such user: workers and the scheduler act by name too)."""
        names = {u for u in usernames if u}
        if not names:
            return {}
        with self.db.reading() as s:
            found = dict(s.execute(sa.select(User.username, User.display_name).where(User.username.in_(names))).all())
        return {u: found.get(u) or u for u in names}

    def add(self, actor: str, username: str, password: str, roles: list[str], groups: list[str],
            department: str | None, region: str | None, display_name: str, temporary: bool = False) -> User:
        """Add a user; `temporary`: the user must choose their own password at first sign-in."""
        now = self.now()
        with self.db.session() as s:
            user = create_user(s, username, password, roles, groups, department, region, display_name, now,
                               must_change_password=temporary)
            self._log(s, now, actor, username, "user_added", None, self._profile(user))
            return user

    def update(self, actor: str, username: str, display_name: str, roles: list[str], groups: list[str],
               department: str | None, region: str | None) -> User:
        """Change a user's name, roles, groups, department and region (effective on their next request)."""
        if problems := field_problems(roles, groups, department, region, display_name):
            raise ValidationFailed(f"user '{username}' cannot be changed", {"fields": problems})
        now = self.now()
        with self.db.session() as s:
            user = self._get(s, username)
            before = self._profile(user)
            user.display_name, user.roles, user.groups = display_name, list(roles), list(groups)
            user.department, user.region = department or None, region or None
            after = self._profile(user)
            changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
            if changed:
                self._log(s, now, actor, username, "user_changed", None, changed)
            return user

    def set_active(self, actor: str, username: str, active: bool) -> User:
        """Disable (every session and token of the user ends at once) or enable a user."""
        if not active and actor == username:
            raise ValidationFailed("you cannot disable your own account", {"fields": {"username": ["yourself"]}})
        now = self.now()
        with self.db.session() as s:
            user = self._get(s, username)
            if user.active != active:
                user.active = active
                ended = 0 if active else sessions.revoke_user(s, user.id, "user disabled", now)
                self._log(s, now, actor, username, "user_enabled" if active else "user_disabled", None,
                          {"sessions_ended": ended})
            return user

    def set_password(self, actor: str, username: str, password: str, temporary: bool = False,
                     keep: str | None = None) -> int:
        """Set a password; every session and token of the user ends (but `keep`, a session id)
        and the account's lockout is lifted. Returns how many sessions ended."""
        if why := password_problem(password):
            raise ValidationFailed("the password cannot be used", {"fields": {"password": [why]}})
        now = self.now()
        with self.db.session() as s:
            user = self._get(s, username)
            user.password_hash = generate_password_hash(password)
            user.must_change_password = temporary
            ended = sessions.revoke_user(s, user.id, "password changed", now, keep=keep)
            lockout.clear(s, lockout.keys(username, None))
            self._log(s, now, actor, username, "password_set", None, {"temporary": temporary, "sessions_ended": ended})
            return ended

    def change_own_password(self, username: str, current: str, new: str, keep: str | None) -> int:
        """A user replaces their own password (the current one must match)."""
        with self.db.reading() as s:
            user = self._get(s, username)
        problems: dict[str, list[str]] = {}
        if not password_matches(user, current):
            problems["current_password"] = ["this is not your current password"]
        if why := password_problem(new):
            problems["password"] = [why]
        elif new == current:
            problems["password"] = ["choose a password different from the current one"]
        if problems:
            raise ValidationFailed("the password was not changed", {"fields": problems})
        return self.set_password(username, username, new, temporary=False, keep=keep)

    def set_preferences(self, username: str, **prefs: Any) -> dict[str, Any]:
        """Remember a user's language (`locale`) and large-font mode (`large_font`)."""
        for key, value in prefs.items():
            if key not in PREFERENCES or value not in PREFERENCES[key]:
                raise ValidationFailed(f"unknown preference {key}={value!r}", {"fields": {key: ["unknown value"]}})
        with self.db.session() as s:
            user = self._get(s, username)
            user.preferences = {**(user.preferences or {}), **prefs}
            return dict(user.preferences)

    def import_csv(self, actor: str, data: bytes, filename: str) -> list[tuple[str, str]]:
        """Add every user of a CSV file, or none (ValidationFailed naming each bad row and
        field). Each gets a generated password to change at first sign-in: returned
        as (username, password) pairs, shown only this once."""
        text = user_import.decode(data)
        now = self.now()
        with self.db.session() as s:
            existing = set(s.scalars(sa.select(User.username)))
            out = []
            for row in user_import.parse(text, filename, existing):
                password = generated_password()
                user = create_user(s, row.username, password, row.roles, row.groups, row.department, row.region,
                                   row.display_name, now, must_change_password=True)
                self._log(s, now, actor, row.username, "user_added", None, {**self._profile(user), "file": filename})
                out.append((row.username, password))
            return out

    def events(self, username: str | None = None, limit: int = 50) -> list[AccountEvent]:
        """The account log, newest first."""
        q = sa.select(AccountEvent)
        if username:
            q = q.where(AccountEvent.username == username)
        with self.db.reading() as s:
            return list(s.scalars(q.order_by(AccountEvent.id.desc()).limit(limit)))

    @staticmethod
    def _profile(user: User) -> dict[str, Any]:
        return {"display_name": user.display_name, "roles": list(user.roles), "groups": list(user.groups),
                "department": user.department, "region": user.region}

    @staticmethod
    def _log(s: Session, at: dt.datetime, actor: str, username: str, action: str, client: str | None,
             details: dict[str, Any]) -> None:
        s.add(AccountEvent(at=at, actor=actor[:80], username=username[:80], action=action,
                           client=(client or "")[:64] or None, details=details))
