"""Materials uploaded to a case (J-TRACK: electronic archiving of materials): one row per
upload naming the file in the file store (engine/materials/files.py) by its SHA-256."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, UtcDateTime, new_id


class CaseMaterial(Base):
    __tablename__ = "case_materials"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(sa.ForeignKey("instances.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))  # a checklist item's key, or "other"
    filename: Mapped[str] = mapped_column(sa.String(200))  # as uploaded, shown and offered back
    media_type: Mapped[str] = mapped_column(sa.String(40))  # judged by content: PDF, JPEG or PNG
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by: Mapped[str] = mapped_column(sa.String(80))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
