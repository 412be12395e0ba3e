"""Tables of the worker protocol and of the outside systems: worker credentials,
12345 hotline tickets and the signatures already seen (replay protection)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime


class WorkerCredential(Base):
    """A worker token: valid only on the job endpoints, and only for its topics.

    The secret is stored as its SHA-256 (it is a random 32-byte value, so a slow hash
    adds nothing); the token shown once is `rw_<id>.<secret>`."""

    __tablename__ = "worker_credentials"
    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # empty: every topic
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class HotlineTicket(Base):
    """One 12345 ticket is one case, however often the platform sends it (J-CH-12345)."""

    __tablename__ = "hotline_tickets"
    ticket_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    callback_url: Mapped[str | None] = mapped_column(sa.String(500))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SeenSignature(Base):
    """Signatures of accepted signed requests; the same one again is a replay (401)."""

    __tablename__ = "seen_signatures"
    signature: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    sender: Mapped[str] = mapped_column(sa.String(80))
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
