"""Tables of sign-in: server-side sessions (web cookies and bearer tokens alike), failed
sign-ins per account and per client address (lockout), and the account log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime


class AuthSession(Base):
    """One sign-in: a web session cookie or a bearer token refers to it, and either is
    refused once the row is revoked (sign-out, user disabled, password changed) or expired.

    The id is the SHA-256 of the random secret the cookie or token carries: the secret is
    never stored, so a copy of this table signs nobody in."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # web | token
    client: Mapped[str | None] = mapped_column(sa.String(64))  # the address it was opened from
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))


class LoginThrottle(Base):
    """Failed sign-ins of one key (`user:<name>` or `addr:<address>`) in the current window,
    and until when the key is locked out."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AccountEvent(Base):
    """Who signed in, out or was locked out, and who added, changed or disabled an account
    (J-SEC): append-only, read by auditors and admins."""

    __tablename__ = "account_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(sa.String(80))
    username: Mapped[str] = mapped_column(sa.String(80), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    client: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
