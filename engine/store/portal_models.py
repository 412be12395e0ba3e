"""What applicants leave on the portal (J-FEEDBACK, W-COMPLAIN, J-PUBLIC): ratings of an
ended case, complaints for the centre, and the public notices (公示) of approved aid."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.crypto.columns import SealedText
from engine.store.base import Base, UtcDateTime


class CaseRating(Base):
    """One rating per ended case (好差评, GB/T 39735-2020: five levels; a reason for a bad one)."""

    __tablename__ = "case_ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), unique=True)  # once per case
    region: Mapped[str | None] = mapped_column(sa.String(40))  # the case's, for scoped statistics
    score: Mapped[int] = mapped_column()  # 1 (非常不满意) … 5 (非常满意)
    comment: Mapped[str] = mapped_column(SealedText, default="")  # may name people: sealed
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # A bad rating (1-2) is followed up by the centre by this moment; None for the others.
    follow_up_due: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Set when the complaint process following a bad rating up ends (engine/portal/closing.py).
    follow_up_outcome: Mapped[str | None] = mapped_column(sa.String(32))
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_case_ratings_region_score", "region", "score"),)


class Complaint(Base):
    """A complaint about a case, stored for the county centre; it starts the complaint process
    (workflows/feedback/complaint_handling.bpmn, W-COMPLAIN) where that is deployed."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    region: Mapped[str | None] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(SealedText)
    status: Mapped[str] = mapped_column(sa.String(16))  # open|handled|closed (its case cancelled)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Set with status handled when its complaint process ends, closed (outcome cancelled or
    # error) when it is cancelled or fails (engine/portal/closing.py).
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    __table_args__ = (sa.Index("ix_complaints_region_status", "region", "status"),)


class PublicNotice(Base):
    """A public notice (公示) of approved aid: only what may be posted (J-PUBLIC, W-NOTICE) —
    the masked name, household size, item, amount and the posting period; nothing else."""

    __tablename__ = "public_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    region: Mapped[str | None] = mapped_column(sa.String(40))
    masked_name: Mapped[str] = mapped_column(sa.String(40))  # 张*, never the full name
    household_size: Mapped[int | None] = mapped_column()
    item: Mapped[str] = mapped_column(sa.String(80))
    amount: Mapped[str | None] = mapped_column(sa.String(40))
    posted_from: Mapped[dt.date] = mapped_column(sa.Date)
    posted_until: Mapped[dt.date] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    __table_args__ = (sa.Index("ix_public_notices_until_region", "posted_until", "region"),)


class ApplicantCode(Base):
    """A one-time sign-in code sent by SMS to an applicant's phone (the portal's "我的申请"):
    only its keyed hash is kept, it expires, and a few wrong tries use it up."""

    __tablename__ = "applicant_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_token: Mapped[str] = mapped_column(sa.String(96), index=True)  # the phone's keyed hash
    code_hash: Mapped[str] = mapped_column(sa.String(96))  # "<salt>:<HMAC of the code>", never the code
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used: Mapped[bool] = mapped_column(default=False)
