"""What a handler gets: the job and a way to write case records idempotently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.store.db import Database

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


Handler = Callable[[JobView, HandlerContext], dict[str, Any]]
