"""Worker tokens: separate credentials limited to the job endpoints and their topics."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import Forbidden, Unauthorized, ValidationFailed
from engine.store.worker_models import WorkerCredential

PREFIX = "rw_"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{2,80}$")


@dataclass(frozen=True)
class WorkerIdentity:
    """Who is calling a job endpoint, and which topics it may touch (empty: all)."""

    id: str
    name: str
    topics: tuple[str, ...]

    def may(self, topic: str) -> bool:
        return not self.topics or topic in self.topics

    def check(self, topic: str) -> None:
        """Forbidden unless this worker may handle `topic`."""
        if not self.may(topic):
            raise Forbidden(f"worker '{self.name}' may not handle topic '{topic}'",
                            {"topic": topic, "allowed": list(self.topics)})


def is_worker_token(token: str) -> bool:
    return token.startswith(PREFIX)


def create(session: Session, name: str, topics: list[str], actor: str, now: dt.datetime,
           known_topics: list[str] | None = None) -> tuple[WorkerCredential, str]:
    """Add a credential; returns it and the token, which is shown only this once."""
    problems: dict[str, list[str]] = {}
    if not _NAME.match(name or ""):
        problems["name"] = ["2-80 letters, digits, '_', '.' or '-'"]
    elif session.scalar(sa.select(WorkerCredential.id).where(WorkerCredential.name == name)) is not None:
        problems["name"] = ["already taken"]
    if known_topics is not None and (unknown := [t for t in topics if t not in known_topics]):
        problems["topics"] = [f"unknown topic(s): {', '.join(unknown)}"]
    if problems:
        raise ValidationFailed("the worker token cannot be created", {"fields": problems})
    secret = secrets.token_urlsafe(32)
    row = WorkerCredential(id=secrets.token_hex(8), name=name, secret_sha256=_digest(secret),
                           topics=sorted(set(topics)), created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    return row, f"{PREFIX}{row.id}.{secret}"


def identify(session: Session, token: str) -> WorkerIdentity:
    """The worker a token belongs to; Unauthorized for anything else."""
    ident, _, secret = token[len(PREFIX):].partition(".") if is_worker_token(token) else ("", "", "")
    row = session.get(WorkerCredential, ident) if ident and secret else None
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        raise Unauthorized("the worker token is not valid")
    if row.revoked_at is not None:
        raise Unauthorized(f"the worker token '{row.name}' was revoked")
    return WorkerIdentity(row.id, row.name, tuple(row.topics))


def revoke(session: Session, name: str, now: dt.datetime) -> WorkerCredential:
    row = session.scalar(sa.select(WorkerCredential).where(WorkerCredential.name == name))
    if row is None:
        raise ValidationFailed(f"no worker token named '{name}'", {"fields": {"name": ["unknown"]}})
    row.revoked_at = row.revoked_at or now
    return row


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
