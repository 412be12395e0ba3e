"""A scenario driver that reads like the policy: start a case, complete tasks as the
right people, let deadlines pass in working days, and look at what happened.

Everything goes through the engine's public commands and the in-process workers."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa

from api.demo import JIANGYIN
from engine import records
from engine.auth import Principal
from engine.calendar import add_working_days
from engine.service import Engine
from engine.store.models import AuditEvent, HumanTask, Instance, Job
from engine.store.records import AidGrant, Notification
from tests.support import flow_coverage
from workers.runner import run_pending

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(moment: Any) -> dt.datetime:
    """A stored time as Asia/Shanghai wall-clock time (the way deadlines are written in policy)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI)


def staff(group: str, region: str | None = JIANGYIN) -> Principal:
    """A staff member of `group` in the demo county, where scenario cases start (the roles
    are irrelevant to the engine's task rules; groups and region are what it checks)."""
    return Principal(username=f"user-{group.replace(':', '-')}", roles=("clerk",), groups=(group,), region=region)


class Case:
    def __init__(self, scenario: Scenario, instance_id: str) -> None:
        self.scenario, self.engine, self.id = scenario, scenario.engine, instance_id

    # what is open ---------------------------------------------------------
    def _open_rows(self) -> list[HumanTask]:
        with self.engine.db.session() as s:
            return list(s.scalars(sa.select(HumanTask).where(
                HumanTask.instance_id == self.id, HumanTask.state == "open").order_by(HumanTask.created_at)))

    def open_tasks(self) -> list[str]:
        """bpmn ids of the open user tasks."""
        return [t.bpmn_id for t in self._open_rows()]

    def open_for(self, bpmn_id: str) -> list[dict[str, Any]]:
        """All open tasks with this bpmn id (parallel instances share it), with their groups."""
        return [{"id": t.id, "candidate_groups": list(t.candidate_groups or []), "due_at": t.due_at}
                for t in self._open_rows() if t.bpmn_id == bpmn_id]

    def task(self, bpmn_id: str) -> dict[str, Any]:
        rows = [t for t in self._open_rows() if t.bpmn_id == bpmn_id]
        assert rows, f"no open task {bpmn_id}; open: {self.open_tasks()}"
        t = rows[0]
        return {"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "candidate_groups": t.candidate_groups,
                "due_at": t.due_at, "due_provisional": t.due_provisional, "form_key": t.form_key,
                "assignee": t.assignee, "process_id": t.process_id}

    # acting -----------------------------------------------------------------
    def complete(self, bpmn_id: str, data: dict[str, Any] | None = None, as_group: str | None = None) -> None:
        """Claim and complete the open task `bpmn_id` as a member of `as_group` (by default its
        first candidate group); with parallel instances, the one offered to `as_group`."""
        rows = [t for t in self.open_for(bpmn_id) if as_group is None or as_group in t["candidate_groups"]]
        assert rows, f"no open {bpmn_id} for {as_group or 'anyone'}; open: {self.open_tasks()}"
        who = staff(as_group or (rows[0]["candidate_groups"] or ["admin"])[0])
        self.engine.claim(rows[0]["id"], who)
        self.engine.complete(rows[0]["id"], data or {}, who)
        self.run_workers()

    def run_workers(self) -> list[dict[str, Any]]:
        return run_pending(self.engine)

    def advance(self, working_days: int = 0, days: int = 0, hours: float = 0) -> None:
        """Let time pass (working days end at office close), fire due timers, run workers."""
        now = self.engine.clock.now()
        target = now + dt.timedelta(days=days, hours=hours)
        if working_days:
            target = max(target, dt.datetime.fromisoformat(add_working_days(now, working_days))
                         + dt.timedelta(minutes=1))
        self.engine.advance_clock(target - now)
        for _ in range(20):
            fired = self.engine.fire_due_timers()
            self.run_workers()
            if not fired:
                break

    def send_message(self, name: str, payload: dict[str, Any] | None = None, as_group: str = "window") -> None:
        """Deliver a message as a clerk of `as_group` (e.g. the window registering documents)."""
        self.engine.correlate(name, self.business_key, payload or {}, staff(as_group))
        self.run_workers()

    # looking ----------------------------------------------------------------
    @property
    def instance(self) -> Instance:
        return self.engine.instance(self.id)

    @property
    def business_key(self) -> str:
        key = self.instance.business_key
        assert key, "start the case with a business_key to send it messages"
        return key

    @property
    def status(self) -> str:
        return self.instance.status

    @property
    def data(self) -> dict[str, Any]:
        return self.engine.case_data(self.instance)

    def history(self) -> list[AuditEvent]:
        with self.engine.db.session() as s:
            return list(s.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == self.id)
                                  .order_by(AuditEvent.seq)))

    def reached(self, bpmn_id: str) -> bool:
        """The element completed at some point of the case."""
        return any(c["element"] == bpmn_id and c["to"] == "COMPLETED" for e in self.history() for c in e.changes)

    def jobs(self, topic: str) -> list[dict[str, Any]]:
        with self.engine.db.session() as s:
            rows = s.scalars(sa.select(Job).where(Job.instance_id == self.id, Job.topic == topic,
                                                  Job.state == "completed").order_by(Job.created_at)).all()
        return [{"topic": r.topic, "variables": r.variables.get("params", {}), "result": r.result,
                 "element": r.bpmn_id} for r in rows]

    def notifications(self) -> list[Notification]:
        with self.engine.db.session() as s:
            return list(s.scalars(sa.select(Notification).where(Notification.instance_id == self.id)
                                  .order_by(Notification.id)))


class Scenario:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def at(self, moment: str | dt.datetime) -> None:
        """Put the clock at `moment` (ISO string with offset) before starting a case."""
        self.engine.clock.reset_to(dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment)

    def start(self, definition: str, data: dict[str, Any] | None = None, business_key: str | None = None,
              actor: str = "window-clerk", region: str | None = JIANGYIN) -> Case:
        """Start a case as the system would for `actor`, in the demo county unless told
        otherwise (so the demo accounts' region scope lets them see it)."""
        instance = self.engine.start(definition, data or {}, business_key, actor, region=region)
        case = Case(self, instance.id)
        case.run_workers()
        return case

    def record_coverage(self) -> None:
        """Count the sequence flows every case of this test took (read once, at teardown)."""
        with self.engine.db.session() as s:
            for changes in s.scalars(sa.select(AuditEvent.changes)):
                flow_coverage.record(changes)

    def seed_household(self, id_number: str, members: list[dict[str, Any]] | None = None,
                       income_monthly: float = 0.0, assets: float = 0.0, medical_insurance: str | None = None,
                       granted_aid: list[dict[str, Any]] | None = None, name: str = "申请人") -> None:
        """Put a household in the local data platform (T-ID) and its granted aid (T-DEDUP)."""
        # A household number of its own: one made of the ID number would put that number in clear.
        household = f"HH-{hashlib.sha256(id_number.upper().encode()).hexdigest()[:8]}"
        with self.engine.db.session() as s:
            records.put_household_member(s, {
                "id_number": id_number.upper(), "household_id": household, "name": name, "relation": "户主",
                "income_monthly": income_monthly, "assets": assets, "medical_insurance": medical_insurance})
            for m in members or []:
                if m["id_number"].upper() == id_number.upper():
                    continue
                records.put_household_member(s, {
                    "id_number": m["id_number"].upper(), "household_id": household, "name": m["name"],
                    "relation": m.get("relation", "家庭成员"), "income_monthly": m.get("income_monthly", 0.0),
                    "assets": m.get("assets", 0.0), "medical_insurance": m.get("medical_insurance"),
                    "disability": m.get("disability")})
            for g in granted_aid or []:
                s.add(AidGrant(
                    id_number=g.get("id_number", id_number).upper(), aid_type=g["aid_type"],
                    since=dt.date.fromisoformat(g.get("since", "2025-01-01")),
                    until=dt.date.fromisoformat(g["until"]) if g.get("until") else None,
                    source=g.get("source", "民政")))
