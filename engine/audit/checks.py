"""Seals, the nightly verification and the access log, as engine commands and queries (X-AUDIT).

`seal_audit` adds a checkpoint of the global chain over case heads (engine/audit/seals.py);
`nightly_audit` seals, then re-executes every case and checks every seal, and stores the
result (an `AuditRun`) that supervisors see; `access_log_for` is the auditor's scoped read
of who saw whose data, when and why."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer

from engine.audit import seals
from engine.audit.replay import Replay
from engine.auth import Principal, scope
from engine.calendar import SHANGHAI
from engine.errors import NotFound
from engine.store.models import AccessLog, AuditCaseCheck, AuditRun, AuditSeal, Instance

# The failures an `AuditRun` keeps (the CLI prints them all).
RUN_LINES = 200


@dataclasses.dataclass
class AccessEntry:
    """One access-log line as the auditor's page and CLI show it."""

    at: dt.datetime
    actor: str
    instance_id: str | None
    business_key: str | None
    resource: str
    fields: list[str]

    @property
    def what(self) -> str:
        """The kind of read without ids ("audit:reveal", "history", "task", …)."""
        parts = self.resource.split(":")
        return ":".join(parts[:2]) if parts[0] == "audit" else parts[0]

    @property
    def reason(self) -> str:
        """The reason given when personal data was revealed ("" for other reads)."""
        if self.instance_id and self.resource.startswith(f"audit:reveal:{self.instance_id}:"):
            return self.resource.removeprefix(f"audit:reveal:{self.instance_id}:")
        return ""


class AuditChecks:
    """Mixed into `Engine` (it provides db, clock, replay_cases, log_access)."""

    def seal_audit(self, actor: str) -> AuditSeal:
        """Seal the heads of every case now (the next checkpoint of the global chain)."""
        with self.db.session() as s:
            row = seals.seal(s, actor, self.clock.now())
            s.expunge(row)
        return row

    def audit_seal_problems(self) -> list[str]:
        """Every seal checked against the stored events: one line per case deleted, cut
        short or rewritten after a seal (and per seal changed); empty when all holds."""
        with self.db.reading() as s:
            return seals.check_seals(s)

    def nightly_audit(self, actor: str, progress: Callable[[int], None] | None = None) -> AuditRun:
        """Seal, then verify every case by re-execution and every seal; store and return the run."""
        started = self.clock.now()
        self.seal_audit(actor)
        checked = 0
        failures: list[dict[str, Any]] = []
        verdicts: list[tuple[str, bool, str]] = []
        with self.db.reading() as s:
            ids = list(s.scalars(sa.select(Instance.id).order_by(Instance.started_at, Instance.id)))
        for instance_id in ids:
            try:
                result = self.replay_case(instance_id, frames=False)
            except NotFound:
                continue  # deleted during the run: the seal just made names it
            except Exception as err:  # noqa: BLE001 - one case that cannot run again must not stop the night's check
                failures.append({"instance_id": instance_id, "line": f"FAILED {instance_id}: could not be "
                                 f"re-executed ({type(err).__name__}: {str(err)[:200]})"})
                verdicts.append((instance_id, False, failures[-1]["line"]))
            else:
                if not result.ok:
                    failures.append({"instance_id": instance_id, "line": result.line()})
                verdicts.append((instance_id, result.ok, result.line()))
            checked += 1
            if progress is not None:
                progress(checked)
            if len(verdicts) >= 200:  # stored as the night goes: a long run's verdicts are not all held
                self.record_case_checks(verdicts, "nightly")
                verdicts = []
        sealed = [{"instance_id": _named(line), "line": line} for line in self.audit_seal_problems()]
        failures += sealed
        # A case a seal contradicts failed, whatever its own re-execution said.
        present = set(ids)
        verdicts += [(f["instance_id"], False, f["line"]) for f in sealed if f["instance_id"] in present]
        self.record_case_checks(verdicts, "nightly")
        run = AuditRun(started_at=started, finished_at=self.clock.now(), actor=actor[:80], checked=checked,
                       failed=len(failures), failures=failures[:RUN_LINES])
        with self.db.session() as s:
            s.add(run)
            s.flush()
            s.expunge(run)
        return run

    def record_case_checks(self, results: list[tuple[str, bool, str]], source: str) -> None:
        """Store each case's verification (instance id, ok, line) as its last one."""
        if not results:
            return
        now = self.clock.now()
        with self.db.session() as s:
            known = {c.instance_id: c for c in s.scalars(sa.select(AuditCaseCheck).where(
                AuditCaseCheck.instance_id.in_([r[0] for r in results])))}
            for instance_id, ok, line in results:
                row = known.get(instance_id)
                if row is None:
                    row = known[instance_id] = AuditCaseCheck(instance_id=instance_id)
                    s.add(row)
                row.ok, row.line, row.checked_at, row.source = ok, line[:500], now, source[:20]

    def verify_case(self, instance_id: str, source: str = "cli") -> Replay:
        """`replay_case`, its result stored as the case's last verification."""
        result = self.replay_case(instance_id)
        self.record_case_checks([(instance_id, result.ok, result.line())], source)
        return result

    def case_checks(self, instance_ids: list[str]) -> dict[str, AuditCaseCheck]:
        """The last stored verification of each of these cases (absent: never verified)."""
        if not instance_ids:
            return {}
        with self.db.reading() as s:
            return {c.instance_id: c for c in s.scalars(sa.select(AuditCaseCheck).where(
                AuditCaseCheck.instance_id.in_(instance_ids)))}

    def latest_audit_run(self) -> AuditRun | None:
        """The newest stored verification run (None before the first)."""
        with self.db.reading() as s:
            return s.scalars(sa.select(AuditRun).order_by(AuditRun.started_at.desc(), AuditRun.id.desc())
                             .limit(1)).first()

    def audit_run_for(self, who: Principal, run_id: int | None = None) -> tuple[AuditRun | None,
                                                                             list[dict[str, Any]]]:
        """The newest verification run (or run `run_id`) and its failures on the cases `who`
        may see (a seal's own failure, naming no case, is shown to all)."""
        if run_id is None:
            run = self.latest_audit_run()
        else:
            with self.db.reading() as s:
                run = s.get(AuditRun, run_id)
        if run is None:
            return None, []
        return run, self._visible_failures(who, run.failures)

    def audit_runs(self, limit: int = 50, offset: int = 0) -> tuple[list[AuditRun], int]:
        """The stored verification runs, newest first, and how many in all (counts, no cases)."""
        with self.db.reading() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(AuditRun))
            rows = list(s.scalars(sa.select(AuditRun).order_by(AuditRun.started_at.desc(), AuditRun.id.desc())
                                  .limit(limit).offset(offset)))
        return rows, total

    def audit_seals(self, limit: int = 50, offset: int = 0) -> tuple[list[AuditSeal], int]:
        """The seals, newest first, and how many in all (their heads left out: they name every case)."""
        with self.db.reading() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(AuditSeal))
            rows = list(s.scalars(sa.select(AuditSeal).options(defer(AuditSeal.heads))
                                  .order_by(AuditSeal.seq.desc()).limit(limit).offset(offset)))
        return rows, total

    def audit_seal_check_for(self, who: Principal) -> tuple[int, list[dict[str, Any]]]:
        """Every seal checked now: how many seals, and the problems on the cases `who` may see
        (and the seals' own)."""
        with self.db.reading() as s:
            count = s.scalar(sa.select(sa.func.count()).select_from(AuditSeal))
        lines = self.audit_seal_problems()
        return count, self._visible_failures(who, [{"instance_id": _named(line), "line": line} for line in lines])

    def _visible_failures(self, who: Principal, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The failures `who` may see: of their cases, of no case, of a case no longer there."""
        named = {f["instance_id"] for f in failures if f.get("instance_id")}
        with self.db.reading() as s:
            visible = set(s.scalars(sa.select(Instance.id).where(Instance.id.in_(named), scope.instance_clause(who))))
        # A deleted case has no row left to scope by: its line is the whole evidence, shown to all.
        with self.db.reading() as s:
            existing = set(s.scalars(sa.select(Instance.id).where(Instance.id.in_(named))))
        return [f for f in failures
                if not f.get("instance_id") or f["instance_id"] in visible or f["instance_id"] not in existing]

    def access_log_for(self, who: Principal, user: str | None = None, business_key: str | None = None,
                       since: dt.date | None = None, until: dt.date | None = None, limit: int = 50,
                       offset: int = 0) -> tuple[list[AccessEntry], int]:
        """Who saw whose data, when and why, for the cases `who` may see, newest first, and
        how many in all: by user (exact), case business key (part of it), period (days in
        Shanghai time, both ends included)."""
        where = [scope.instance_clause(who)]
        if user:
            where.append(AccessLog.actor == user)
        if business_key:
            escaped = business_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Instance.business_key.like(f"%{escaped}%", escape="\\"))
        if since is not None:
            where.append(AccessLog.at >= dt.datetime.combine(since, dt.time(), SHANGHAI))
        if until is not None:
            where.append(AccessLog.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), SHANGHAI))
        joined = sa.select(AccessLog, Instance.business_key).join(Instance, Instance.id == AccessLog.instance_id)
        with self.db.reading() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(AccessLog)
                             .join(Instance, Instance.id == AccessLog.instance_id).where(*where))
            rows = s.execute(joined.where(*where).order_by(AccessLog.at.desc(), AccessLog.id.desc())
                             .limit(limit).offset(offset)).all()
        return [AccessEntry(r.AccessLog.at, r.AccessLog.actor, r.AccessLog.instance_id, r.business_key,
                            r.AccessLog.resource, list(r.AccessLog.fields or [])) for r in rows], total


def _named(line: str) -> str | None:
    """The case a seal problem line names ("FAILED <id>: …"), None for a seal's own."""
    name = line.removeprefix("FAILED ").split(":", 1)[0]
    return None if name.startswith("seal ") else name
