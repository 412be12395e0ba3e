"""The auditor's reads (X-AUDIT): re-execution, replay frames, export, case search.

Scoped like every read (engine/auth/scope.py: an auditor sees the cases of their region
and below), personal data masked for auditors unless they reveal it giving a reason, and
every read written to the access log (who read which case's history, when, why)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engine.audit.export import export_case
from engine.audit.replay import Replay, replay
from engine.auth import Principal, personal, scope
from engine.calendar import SHANGHAI
from engine.calendar.active import using
from engine.errors import NotFound, ValidationFailed
from engine.store.models import AuditCaseCheck, HumanTask, Instance

MAX_REASON = 150


class AuditReads:
    """Mixed into `Engine` (it provides db, specs, calendar, clock, log_access, instances_for)."""

    def replay_case(self, instance_id: str, frames: bool = True) -> Replay:
        """Check the chain of a case and re-execute its history (unscoped: the CLI's
        operator, tests); 404 when there is no such case. `frames=False`: the verdict only,
        without the replay page's frames (verification of many cases)."""
        with self.db.reading() as s, using(self.calendar):
            if s.get(Instance, instance_id) is None:
                raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
            return replay(s, self.specs, instance_id, frames)

    def replay_cases(self, since: dt.date | None = None) -> Iterator[Replay]:
        """`replay_case` of every case (started on or after `since`), oldest first (the CLI's --all)."""
        with self.db.reading() as s:
            q = sa.select(Instance.id).order_by(Instance.started_at, Instance.id)
            if since is not None:
                q = q.where(Instance.started_at >= dt.datetime.combine(since, dt.time(), SHANGHAI))
            ids = list(s.scalars(q))
        for instance_id in ids:
            yield self.replay_case(instance_id, frames=False)

    def audit_replay_for(self, who: Principal, instance_id: str, reveal: str | None = None) -> Replay:
        """The re-executed history of a case `who` may see, each step's input, changes and
        data masked unless `who` reveals them with a reason (then the fields are logged)."""
        reason = _reason(reveal)
        with self.db.reading() as s:
            row = scope.require_instance(s, who, instance_id)
            full = scope.full_personal_data(who, row)
        result = self.replay_case(instance_id)
        seen = [dataclasses.asdict(step) for step in result.steps]
        fields = personal.personal_keys([[st["input"], _as_dict(st["data_changes"])] for st in seen])
        if reason is None and not full:
            for step in result.steps:
                step.input = personal.masked(step.input)
                step.data_changes = [_masked_change(c) for c in step.data_changes]
            fields = []
        resource = f"audit:reveal:{instance_id}:{reason}" if reason else f"audit:replay:{instance_id}"
        self.log_access(who.username, resource, instance_id, fields)
        return result

    def audit_export_for(self, who: Principal, instance_id: str) -> bytes:
        """The audit file (zip) of a case `who` may see; the export is logged."""
        with self.db.reading() as s:
            scope.require_instance(s, who, instance_id)
            content = export_case(s, instance_id, who.username, self.clock.now())
        self.log_access(who.username, f"audit:export:{instance_id}", instance_id, [])
        return content

    def export_case(self, instance_id: str, exported_by: str) -> bytes:
        """The audit file of a case, unscoped (the CLI's operator)."""
        with self.db.reading() as s:
            if s.get(Instance, instance_id) is None:
                raise NotFound(f"instance {instance_id} does not exist", {"instance": instance_id})
            return export_case(s, instance_id, exported_by, self.clock.now())

    def audit_cases_for(self, who: Principal, business_key: str | None = None, limit: int = 50,
                        offset: int = 0, *, process_key: str | None = None, started_from: dt.date | None = None,
                        started_until: dt.date | None = None,
                        verification: str | None = None, late: bool = False) -> tuple[list[Instance], int]:
        """The cases `who` may replay whose business key contains `business_key`, of one
        variant (`process_key`), started in a period (Shanghai days, both ends included),
        by their last verification (`verification`: "failed", "passed" or "unchecked"), with
        a missed deadline (`late`), newest first, and how many in all; the search is logged."""
        where = [scope.instance_clause(who)]
        if process_key:
            where.append(Instance.process_key == process_key)
        if started_from is not None:
            where.append(Instance.started_at >= dt.datetime.combine(started_from, dt.time(), SHANGHAI))
        if started_until is not None:
            where.append(Instance.started_at < dt.datetime.combine(started_until + dt.timedelta(days=1), dt.time(),
                                                                   SHANGHAI))
        if verification in ("failed", "passed"):  # each case's last stored verification
            where.append(Instance.id.in_(sa.select(AuditCaseCheck.instance_id).where(
                AuditCaseCheck.ok.is_(verification == "passed"))))
        elif verification == "unchecked":
            where.append(Instance.id.not_in(sa.select(AuditCaseCheck.instance_id)))
        if late:  # a deadline missed: a task done after its due time, or still open past it
            now = self.clock.now()
            where.append(Instance.id.in_(sa.select(HumanTask.instance_id).where(
                HumanTask.due_at.is_not(None), sa.or_(
                    sa.and_(HumanTask.ended_at.is_not(None), HumanTask.ended_at > HumanTask.due_at),
                    sa.and_(HumanTask.state == "open", HumanTask.due_at < now)))))
        if business_key:
            escaped = business_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Instance.business_key.like(f"%{escaped}%", escape="\\"))
        with self.db.reading() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(*where))
            rows = list(s.scalars(sa.select(Instance).options(selectinload(Instance.definition)).where(*where)
                                  .order_by(Instance.started_at.desc(), Instance.id).limit(limit).offset(offset)))
        self.log_access(who.username, f"audit:cases:{business_key or '*'}"[:200], None, [])
        return rows, total

def _reason(reveal: str | None) -> str | None:
    if reveal is None:
        return None
    reason = " ".join(reveal.split())
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(f"reason must be 1-{MAX_REASON} characters",
                               {"fields": {"reason": [f"1-{MAX_REASON} characters"]}})
    return reason


def _as_dict(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {c["key"]: [c["before"], c["after"]] for c in changes}


def _masked_change(change: dict[str, Any]) -> dict[str, Any]:
    """A data change {key, before, after} masked by its key, as case data is."""
    masked = personal.masked({change["key"]: [change["before"], change["after"]]})[change["key"]]
    return {"key": change["key"], "before": masked[0], "after": masked[1]}
