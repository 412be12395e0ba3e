"""The process designer's drafts: one working copy per process key, saved on the server
(issue 13). A draft is never run; deploying it goes through the one deploy command."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime


class ProcessDraft(Base):
    """The BPMN XML a designer is editing for process `key` (new or deployed).

    `base_definition_id` is the version it was opened from (None for a new process): its
    deployment supplies the files the draft refers to (called processes, tables, forms)."""

    __tablename__ = "process_drafts"
    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    xml: Mapped[bytes] = mapped_column(sa.LargeBinary)
    base_definition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("definitions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(80))
    # Bumped on every save: a save naming an older revision is refused (two designers, one draft).
    revision: Mapped[int] = mapped_column(default=1)
