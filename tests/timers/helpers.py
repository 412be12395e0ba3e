"""Shared helpers of the timer tests: the mini process, rows and audit events."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from api.demo import JIANGYIN
from engine.service import Engine
from engine.store.models import AuditEvent, HumanTask, Timer
from tests.engine.helpers import mini_bundle

CST = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    """A Shanghai wall time, e.g. at('2026-12-30 10:00')."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def start_mini(engine: Engine, key: str) -> str:
    """Deploy (once) and start the mini process: a review task with a 2-working-day timer,
    in the demo accounts' county (so that they see it over HTTP)."""
    engine.deploy(mini_bundle(), "designer")
    return engine.start("mini_case", {}, key, "clerk", region=JIANGYIN).id


def review_task(engine: Engine, instance_id: str) -> HumanTask:
    with engine.db.session() as s:
        return s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                    HumanTask.bpmn_id == "Task_Review")).one()


def timers(engine: Engine, instance_id: str | None = None) -> list[Timer]:
    with engine.db.session() as s:
        q = sa.select(Timer).order_by(Timer.due_at)
        if instance_id:
            q = q.where(Timer.instance_id == instance_id)
        return list(s.scalars(q))


def events(engine: Engine, command: str, instance_id: str | None = None) -> list[AuditEvent]:
    with engine.db.session() as s:
        q = sa.select(AuditEvent).where(AuditEvent.command == command).order_by(AuditEvent.at, AuditEvent.id)
        if instance_id:
            q = q.where(AuditEvent.instance_id == instance_id)
        return list(s.scalars(q))
