"""Read-only queries for task lists, instance lists and history (no engine involved)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent, HumanTask, Instance, TaskCandidate
from engine.store.records import LedgerEntry, Notification

MAX_PAGE = 200


@dataclass
class TaskFilter:
    instance_id: str | None = None
    assignee: str | None = None
    groups: tuple[str, ...] | None = None
    state: str | None = "open"
    overdue_at: dt.datetime | None = None  # due before this moment (overdue)
    due_from: dt.datetime | None = None  # with due_before: due in [due_from, due_before) (due soon)
    due_before: dt.datetime | None = None
    limit: int = 50
    offset: int = 0


def tasks(session: Session, f: TaskFilter) -> list[HumanTask]:
    q = sa.select(HumanTask)
    if f.instance_id:
        q = q.where(HumanTask.instance_id == f.instance_id)
    if f.state:
        q = q.where(HumanTask.state == f.state)
    if f.assignee:
        q = q.where(HumanTask.assignee == f.assignee)
    if f.groups is not None:
        q = q.where(HumanTask.id.in_(sa.select(TaskCandidate.task_id).where(TaskCandidate.group.in_(f.groups))))
    if f.overdue_at is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at < f.overdue_at)
    if f.due_from is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at >= f.due_from)
    if f.due_before is not None:
        q = q.where(HumanTask.due_at.is_not(None), HumanTask.due_at < f.due_before)
    q = q.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    return list(session.scalars(q.limit(min(f.limit, MAX_PAGE)).offset(f.offset)))


def instances(session: Session, status: str | None = None, business_key: str | None = None,
              region: str | None = None, definition_key: str | None = None, limit: int = 50,
              offset: int = 0) -> list[Instance]:
    q = sa.select(Instance)
    if status:
        q = q.where(Instance.status == status)
    if business_key:
        q = q.where(Instance.business_key == business_key)
    if region:
        q = q.where(Instance.region.startswith(region))
    if definition_key:
        from engine.store.models import Definition

        q = q.join(Definition).where(Definition.key == definition_key)
    return list(session.scalars(q.order_by(Instance.started_at.desc()).limit(min(limit, MAX_PAGE)).offset(offset)))


def history(session: Session, instance_id: str) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))


def notifications(session: Session, instance_id: str | None = None, status: str | None = None,
                  limit: int = 50, offset: int = 0) -> list[Notification]:
    """Applicant notices in the outbox, newest first."""
    q = sa.select(Notification)
    if instance_id:
        q = q.where(Notification.instance_id == instance_id)
    if status:
        q = q.where(Notification.status == status)
    return list(session.scalars(q.order_by(Notification.id.desc()).limit(limit).offset(offset)))


def ledger_entries(session: Session, on: dt.date | None = None, business_key: str | None = None,
                   stage: str | None = None, limit: int = 50, offset: int = 0,
                   late: bool | None = None) -> list[LedgerEntry]:
    """Electronic ledger entries (W-LEDGER), oldest first. No page cap here: the CSV export
    asks for up to 10,000 at once (its schema bounds `limit`)."""
    q = sa.select(LedgerEntry)
    if on:
        q = q.where(LedgerEntry.recorded_on == on)
    if business_key:
        q = q.where(LedgerEntry.business_key == business_key)
    if stage:
        q = q.where(LedgerEntry.stage == stage)
    if late is not None:
        q = q.where(LedgerEntry.late.is_(late))
    return list(session.scalars(q.order_by(LedgerEntry.recorded_at, LedgerEntry.id)
                                .limit(limit).offset(offset)))
