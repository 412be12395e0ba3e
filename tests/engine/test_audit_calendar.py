"""X-AUDIT, X-TIMERS: re-execution uses the working-day calendar that was in force when a
case's deadlines were computed, not today's; a tampered recorded calendar is named."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from engine.store.models import AuditCalendar, AuditEventCalendar
from tests.scenarios.test_jiangyin import FRIDAY, PROCESS, application
from tests.support.scenario import Scenario, local


def _case_with_transfer_deadline_then_new_holiday(scenario: Scenario):
    """Accepted on Friday 2026-11-06: Task_Accept due Tuesday (2 working days); then Monday
    2026-11-09 is declared a holiday, which would move a newly computed deadline to Wednesday."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(), business_key="JY-AUDIT-CAL")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    assert local(case.task("Task_Accept")["due_at"]).date() == dt.date(2026, 11, 10)
    scenario.engine.set_calendar_day(dt.date(2026, 11, 9), "holiday", "admin", note="临时放假")
    case.advance(working_days=2)  # the recorded deadline (Tuesday) fires
    assert "Task_SuperviseDispatch" in case.open_tasks()
    return case


def test_X_AUDIT_X_TIMERS_calendar_changed_after_the_timer_was_set_still_verifies(scenario: Scenario) -> None:
    engine = scenario.engine
    case = _case_with_transfer_deadline_then_new_holiday(scenario)
    with engine.db.session() as s:
        recorded = s.scalars(sa.select(AuditEventCalendar.digest).where(
            AuditEventCalendar.instance_id == case.id)).all()
    assert recorded, "the commands that computed deadlines recorded their calendar"
    result = engine.replay_case(case.id)
    assert result.ok, result.line()
    # Without the records re-execution would use today's calendar: the deadline moves and is named.
    with engine.db.session() as s:
        s.execute(sa.delete(AuditEventCalendar).where(AuditEventCalendar.instance_id == case.id))
    today = engine.replay_case(case.id)
    assert not today.ok
    assert today.divergence.field == "due_at" and today.divergence.command == "fire_timer"


def test_X_AUDIT_tampered_recorded_calendar_is_named(scenario: Scenario) -> None:
    engine = scenario.engine
    case = _case_with_transfer_deadline_then_new_holiday(scenario)
    with engine.db.session() as s:
        first = s.scalars(sa.select(AuditEventCalendar).where(AuditEventCalendar.instance_id == case.id)
                          .order_by(AuditEventCalendar.seq)).first()
        seq, digest = first.seq, first.digest
        stored = s.get(AuditCalendar, digest)
        content = dict(stored.content)
        content["overrides"] = {**content.get("overrides", {}), "national": {"2026-11-09": False}}
        stored.content = content
    result = engine.replay_case(case.id)
    assert not result.ok
    d = result.divergence
    assert (d.seq, d.field, d.recorded) == (seq, "calendar", digest)
    assert "field calendar" in result.line()
