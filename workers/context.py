"""What a handler gets: the job and a way to write case records idempotently."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.store.db import Database
from engine.store.models import Job

T = TypeVar("T")


@dataclass(frozen=True)
class JobView:
    """A locked job as a handler sees it."""

    id: str
    topic: str
    instance_id: str
    params: dict[str, Any]
    case: dict[str, Any]
    idempotency_key: str
    business_key: str | None = None
    attempts: int = 1  # this delivery is the n-th


@dataclass
class HandlerContext:
    db: Database
    now: dt.datetime

    def once(self, model: type[T], key: str, create: Callable[[Session], T]) -> T:
        """Create the record for idempotency `key` unless it exists (at-least-once delivery):
        a second delivery of the same job finds the first one's record."""
        try:
            with self.db.session() as s:
                row = create(s)
                s.add(row)
                s.flush()
                return row
        except IntegrityError:
            with self.db.session() as s:
                return s.scalar(sa.select(model).where(model.idempotency_key == key))  # type: ignore[attr-defined]

    def read(self, fn: Callable[[Session], T]) -> T:
        with self.db.session() as s:
            return fn(s)

    def queue_job(self, case_id: str, topic: str, params: dict[str, Any], key: str,
                  business_key: str | None = None, retries: int = 5) -> bool:
        """Queue a detached job (e.g. a status update for the 12345 platform) once per `key`;
        False when an earlier delivery of this job already queued it."""
        task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"relief-job:{key}"))
        try:
            with self.db.session() as s:
                s.add(Job(instance_id=None, case_id=case_id, task_id=task_id, bpmn_id="-", topic=topic,
                          detached=True, state="pending", retries=retries, run_after=self.now,
                          idempotency_key=key[:80], created_at=self.now, attempts=0,
                          variables={"params": params, "case": {}, "business_key": business_key}))
            return True
        except IntegrityError:
            return False


Handler = Callable[[JobView, HandlerContext], dict[str, Any]]
