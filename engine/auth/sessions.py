"""Server-side sign-in sessions: every web session cookie and every bearer token names
one row of `auth_sessions`, so either can be revoked (sign-out, a disabled user, a new
password) and is refused from then on, whatever its signature says."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import Unauthorized
from engine.store.auth_models import AuthSession
from engine.store.models import User
from engine.store.prepared import PreparedRead

KINDS = ("web", "token")
# Rows past their expiry are kept this long (who signed in from where), then pruned.
KEEP_EXPIRED = dt.timedelta(days=30)
# Built once, as it runs on every request: building the statement and its cache key again
# each time cost about as much as running it (profiled).
_USER_OF = (sa.select(User, AuthSession).join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == sa.bindparam("b_id"), AuthSession.kind == sa.bindparam("b_kind")))
_USERS, _SESSIONS = User.__table__, AuthSession.__table__
_LIVE = (sa.select(_USERS.c.username, _USERS.c.roles, _USERS.c.groups, _USERS.c.department, _USERS.c.region,
                   _USERS.c.display_name, _USERS.c.active, _SESSIONS.c.id, _SESSIONS.c.revoked_at,
                   _SESSIONS.c.revoked_reason, _SESSIONS.c.expires_at)
         .join_from(_USERS, _SESSIONS, _SESSIONS.c.user_id == _USERS.c.id)
         .where(_SESSIONS.c.id == sa.bindparam("b_id"), _SESSIONS.c.kind == sa.bindparam("b_kind")))


def session_id(secret: str) -> str:
    """The stored id of a session: the SHA-256 of the secret its cookie or token carries."""
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(s: Session, user: User, kind: str, client: str | None, now: dt.datetime,
                 lifetime: dt.timedelta) -> str:
    """Record a new sign-in of `user`; returns the secret (shown to the client only)."""
    assert kind in KINDS
    s.execute(sa.delete(AuthSession).where(AuthSession.expires_at < now - KEEP_EXPIRED))
    secret = secrets.token_urlsafe(32)
    s.add(AuthSession(id=session_id(secret), user_id=user.id, kind=kind, client=(client or "")[:64] or None,
                      created_at=now, expires_at=now + lifetime))
    return secret


def user_of(s: Session, secret: str, kind: str, now: dt.datetime) -> tuple[User, AuthSession]:
    """The active user of a live session of `kind`; Unauthorized when it was revoked, has
    expired, or its user was disabled (one indexed read: this runs on every request)."""
    found = s.execute(_USER_OF, {"b_id": session_id(secret), "b_kind": kind}).first()
    if found is None:
        raise Unauthorized("the sign-in is not known here; sign in again")
    user, row = found
    _check_live(row.revoked_at, row.revoked_reason, row.expires_at, user.active, now)
    return user, row


def live_session(s: Session, secret: str, kind: str, now: dt.datetime) -> sa.Row:
    """`user_of` as one row of plain columns (the user's username, roles, groups, department,
    region, display_name; the session's id): what a bearer request needs, without loading
    two ORM objects on every request (profiled: about half the cost of `user_of`)."""
    return _live(s.execute(_LIVE, {"b_id": session_id(secret), "b_kind": kind}).first(), now)


_LIVE_READ = PreparedRead(_LIVE)


def live_session_read(engine: sa.Engine, secret: str, kind: str, now: dt.datetime) -> Any:
    """`live_session` on a bare pooled connection of `engine` (a read-only pool): the same row
    and checks for the look-up every API request makes, at a sixth of its cost (see
    engine/store/prepared.py)."""
    return _live(_LIVE_READ.first(engine, {"b_id": session_id(secret), "b_kind": kind}), now)


def _live(found: Any, now: dt.datetime) -> Any:
    """The row of `_LIVE` found (however it was read), or Unauthorized saying why not."""
    if found is None:
        raise Unauthorized("the sign-in is not known here; sign in again")
    _check_live(found.revoked_at, found.revoked_reason, found.expires_at, found.active, now)
    return found


def _check_live(revoked_at: dt.datetime | None, reason: str | None, expires_at: dt.datetime, active: bool,
                now: dt.datetime) -> None:
    if revoked_at is not None:
        raise Unauthorized(f"this sign-in was ended ({reason}); sign in again", {"revoked": reason})
    if expires_at <= now:
        raise Unauthorized("this sign-in has expired; sign in again")
    if not active:
        raise Unauthorized("this account is disabled")


def revoke(s: Session, sid: str, reason: str, now: dt.datetime) -> bool:
    """End the session of id `sid`; False when it was unknown or already ended."""
    done = s.execute(sa.update(AuthSession).where(AuthSession.id == sid,
                                                  AuthSession.revoked_at.is_(None))
                     .values(revoked_at=now, revoked_reason=reason))
    return bool(done.rowcount)


def revoke_user(s: Session, user_id: int, reason: str, now: dt.datetime, keep: str | None = None) -> int:
    """End every live session of a user (but `keep`, the id of the one that asked);
    returns how many were ended."""
    q = sa.update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None),
                                     AuthSession.expires_at > now)
    if keep is not None:
        q = q.where(AuthSession.id != keep)
    return s.execute(q.values(revoked_at=now, revoked_reason=reason)).rowcount or 0
