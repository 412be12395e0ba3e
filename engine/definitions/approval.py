"""A second person's approval of a new process version (designers cannot silently replace
intake; GB/T 37973 5.1, 5.8).

A version deployed while its process already has cases takes no new case until a designer
or administrator other than its deployer approves it; until then a start by key goes to the
latest version that may take cases (`STARTABLE`), and a start naming the pending version is
refused. The first version of a process, or any version of a process without cases, needs
no approval. Cases keep the version they started on, always.

Deployments and approvals are audited in the hash chain `definitions` of the audit log
(who deployed or approved which versions, when), beside the columns of the definition row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.errors import Conflict, Forbidden, NotFound
from engine.store.models import Definition, Instance

CHAIN = "definitions"  # the audit chain of deployments and approvals
STARTABLE = sa.or_(Definition.approval_required.is_(False), Definition.approved_at.is_not(None))
# Why a version needed no approval, in its deploy event.
NOT_REQUIRED_DEMO = "not required: redeployed by relief demo at start-up (demo mode)"


def has_cases(session: Session, key: str) -> bool:
    """Whether any version of process `key` has a case."""
    return session.scalar(sa.select(Instance.id).join(Definition, Instance.definition_id == Definition.id)
                          .where(Definition.key == key).limit(1)) is not None


def label(definition: Definition) -> str:
    return f"{definition.key}:{definition.version}"


def state(definition: Definition) -> str:
    """`not_required`, `pending` or `approved`."""
    if not definition.approval_required:
        return "not_required"
    return "approved" if definition.approved_at is not None else "pending"


def check_startable(definition: Definition) -> None:
    """Conflict unless `definition` may take new cases."""
    if state(definition) == "pending":
        raise Conflict(f"{label(definition)} awaits a second person's approval before it takes new cases "
                       f"(deployed by {definition.deployed_by}); start '{definition.key}' for the approved version",
                       {"definition": label(definition), "approval": "pending"})


def record_deploy(session: Session, created: list[Definition], actor: str, now: dt.datetime,
                  deployment_id: int, note: str | None = None) -> None:
    """The audit event of a deployment that created versions."""
    if not created:
        return
    entry: dict[str, Any] = {"deployment": deployment_id,
                             "versions": {label(d): state(d) for d in created}}
    if note:
        entry["note"] = note
    append_event(session, CHAIN, "deploy", actor, now, entry, [])


def approve(session: Session, key: str, version: int, approver: str, now: dt.datetime) -> Definition:
    """Approve the pending version `key:version` as `approver` (a designer or admin: the
    caller checks the role); 403 for its own deployer, 409 unless it is pending."""
    definition = session.scalar(sa.select(Definition).where(Definition.key == key, Definition.version == version)
                                .with_for_update())
    if definition is None:
        raise NotFound(f"no deployed definition '{key}:{version}'", {"definition": f"{key}:{version}"})
    current = state(definition)
    if current == "not_required":
        raise Conflict(f"{label(definition)} needs no approval: its process had no cases when it was deployed",
                       {"definition": label(definition), "approval": current})
    if current == "approved":
        raise Conflict(f"{label(definition)} was approved by {definition.approved_by} already",
                       {"definition": label(definition), "approval": current})
    if approver == definition.deployed_by:
        raise Forbidden(f"{approver} deployed {label(definition)} and cannot approve it: another designer or "
                        "administrator must", {"definition": label(definition), "deployed_by": approver})
    definition.approved_by, definition.approved_at = approver, now
    append_event(session, CHAIN, "approve_definition", approver, now,
                 {"definition": label(definition), "deployed_by": definition.deployed_by,
                  "deployed_at": definition.created_at.isoformat()}, [])
    return definition


def pending(session: Session) -> list[Definition]:
    """Versions waiting for a second person's approval, oldest first."""
    return list(session.scalars(sa.select(Definition).where(Definition.approval_required.is_(True),
                                                            Definition.approved_at.is_(None))
                                .order_by(Definition.created_at, Definition.id)))
