"""Case records written by the workers: outbox, ledger, dispatches, and the local
data platform (household registry and aid already granted) that T-ID reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.crypto.columns import SealedJSON, SealedString, SealedText, session_keyring
from engine.crypto.lookup import HASH_LENGTH, lookup_hash
from engine.store.base import Base, UtcDateTime


class Notification(Base):
    """SMS outbox to applicants (J-T2F, J-ONCE, W-REFUSE, delay notices)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(16))  # sms
    to: Mapped[str] = mapped_column(SealedString)  # the phone, sealed
    template: Mapped[str] = mapped_column(sa.String(60))
    message: Mapped[str] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(sa.String(16))  # queued|sent|failed
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


# Notices only their applicant may read: the portal's one-time sign-in code (engine/portal/
# applicants.py). They go through the SMS adapter like every notice, but no staff view or API
# lists them (engine/queries.py, engine/tracking.py): whoever reads a case's outbox could
# otherwise sign in as its applicant.
PRIVATE_TEMPLATES = ("sign_in_code",)


def staff_visible(model: type[Notification] = Notification) -> sa.ColumnElement[bool]:
    """The notices a staff view may list: all but the private ones (PRIVATE_TEMPLATES)."""
    return model.template.notin_(PRIVATE_TEMPLATES)


class LedgerEntry(Base):
    """The electronic ledger (电子台账, W-LEDGER)."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    business_key: Mapped[str | None] = mapped_column(sa.String(120))
    stage: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(SealedText, default="")
    recorded_on: Mapped[dt.date] = mapped_column(sa.Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # W-LEDGER "the same day": office close of the working day the stage happened, as the
    # diagram computed it when it reached the ledger task (None: no same-day duty).
    due_by: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    late: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Dispatch(Base):
    """派单 to a department or referral to a social organisation (J-DISPATCH, J-REFER)."""

    __tablename__ = "dispatches"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # department|referral
    target: Mapped[str] = mapped_column(sa.String(80))
    mode: Mapped[str] = mapped_column(sa.String(16))  # worklist|webhook
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # "The cases dispatched to my department" (department staff's scope, engine/auth/scope.py).
    __table_args__ = (sa.Index("ix_dispatches_target", "target", "kind", "instance_id"),)


class HouseholdMember(Base):
    """Household registry of the data platform, keyed by ID number (T-ID): by its look-up
    hash (`engine.crypto.lookup`, filled in at flush), the number itself is sealed."""

    __tablename__ = "registry_members"
    id_hash: Mapped[str] = mapped_column(sa.String(HASH_LENGTH), primary_key=True)
    id_number: Mapped[str] = mapped_column(SealedString)
    household_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    relation: Mapped[str] = mapped_column(sa.String(20))
    income_monthly: Mapped[float] = mapped_column(default=0.0)
    assets: Mapped[float] = mapped_column(default=0.0)
    medical_insurance: Mapped[str | None] = mapped_column(sa.String(40))
    disability: Mapped[str | None] = mapped_column(sa.String(40))


class AidGrant(Base):
    """Aid already granted, for the duplicate / overlap check (T-DEDUP)."""

    __tablename__ = "aid_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(sa.String(HASH_LENGTH), index=True)
    id_number: Mapped[str] = mapped_column(SealedString)
    aid_type: Mapped[str] = mapped_column(sa.String(40))
    since: Mapped[dt.date] = mapped_column(sa.Date)
    until: Mapped[dt.date | None] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(80), default="")


def fill_lookup_hashes(session: Session, _context: object, _instances: object) -> None:
    """Before each flush: a new registry member or granted aid gets the look-up hash of its ID
    number under the primary key, so that no code path that adds one can forget it."""
    keyring = None
    for row in session.new:
        if type(row) in (HouseholdMember, AidGrant) and row.id_hash is None:
            keyring = keyring or session_keyring(session)
            row.id_hash = lookup_hash(keyring.primary, "id_number", row.id_number)


class CaseComment(Base):
    """A staff member's comment on a case (issue 10): kept here for the case page and, like
    every command, in the case's audit chain (`add_comment`)."""

    __tablename__ = "case_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    author: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(SealedText)  # sealed when it holds an ID, mobile or card number
