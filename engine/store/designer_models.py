"""The process designer's drafts: one working copy per process key, saved on the server
(issue 13). A draft is never run; deploying it goes through the one deploy command."""

from __future__ import annotations

import datetime as dt
from typing import Any

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


class SimulationScenario(Base):
    """A saved simulation of process `key` (issue 13): what a case brings and what its
    people, workers and department systems do (`scenario`), and the outcome it must have
    (`expected`: end event, path, deadlines). Re-run on every draft before it is deployed.
    Both are checked by engine/definitions/scenarios.py when saved."""

    __tablename__ = "simulation_scenarios"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    scenario: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    expected: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(80))
    __table_args__ = (sa.UniqueConstraint("key", "name", name="uq_simulation_scenarios_key_name"),)
