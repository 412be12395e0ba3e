"""Deadlines past the last published year are provisional, and recomputed once the year
is imported (X-TIMERS, J-T2)."""

import datetime as dt
from pathlib import Path

import pytest

from engine.calendar import shared
from engine.errors import ValidationFailed
from engine.runtime import inspect
from tests.timers.helpers import at, events, review_task, start_mini, timers

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendar"


def _event_value(engine, instance_id: str, task_id: str) -> str:
    workflow = engine._restored(engine.instance(instance_id))
    return inspect.find_task(workflow, task_id)._get_internal_data("event_value")


@pytest.mark.parametrize("fixture", ["2027-test.yaml", "2027-test.csv"])
def test_X_TIMERS_year_end_crossing_before_and_after_importing_2027(engine, fixture):
    """From Wed 30 Dec 2026, 2 working days: 31 Dec, then (1 Jan holiday, weekend) Mon 4 Jan
    2027 — provisional, as 2027 is not published. The imported table makes 4 Jan a holiday:
    the deadline moves to Tue 5 Jan, in the instance, the timer row and the task row, audited."""
    engine.clock.reset_to(at("2026-12-30 10:00"))
    instance_id = start_mini(engine, "YE-2026")
    task = review_task(engine, instance_id)
    [timer] = timers(engine, instance_id)
    assert task.due_at == timer.due_at == at("2027-01-04 17:30")
    assert task.due_provisional and timer.provisional
    assert engine.add_working_days("2026-12-30", 2) == ("2027-01-04T17:30:00+08:00", True)

    path = CALENDARS / fixture
    result = engine.import_calendar(path.read_text("utf-8"), path.name, "admin")
    assert (result["year"], result["holidays"], result["workdays"]) == (2027, 2, 1)
    assert [(r["instance"], r["from"], r["to"], r["provisional"]) for r in result["recomputed"]] == [
        (instance_id, "2027-01-04T09:30:00+00:00", "2027-01-05T09:30:00+00:00", False)]

    task, [timer] = review_task(engine, instance_id), timers(engine, instance_id)
    assert task.due_at == timer.due_at == at("2027-01-05 17:30")
    assert not task.due_provisional and not timer.provisional
    assert _event_value(engine, instance_id, timer.task_id) == "2027-01-05T09:30:00+00:00"
    [audit] = events(engine, "recompute_deadlines", instance_id)
    assert audit.input["timers"][0]["from"] == "2027-01-04T09:30:00+00:00"
    assert "2027 imported" in audit.input["reason"] and audit.actor == "admin"
    assert engine.add_working_days("2026-12-30", 2) == ("2027-01-05T17:30:00+08:00", False)

    # The timer fires at the new time, not the old one.
    engine.clock.reset_to(at("2027-01-04 18:00"))
    assert engine.fire_due_timers() == 0
    engine.clock.reset_to(at("2027-01-05 18:00"))
    assert engine.fire_due_timers() == 1


def test_X_TIMERS_a_provisional_deadline_the_import_confirms_loses_only_its_flag(engine):
    engine.clock.reset_to(at("2026-12-31 10:00"))  # Thursday
    instance_id = start_mini(engine, "YE-KEEP")
    before = review_task(engine, instance_id).due_at
    assert before == at("2027-01-05 17:30")  # provisional: 4 (Mon), 5 (Tue)
    text = "date,kind,note\n2027-01-01,holiday,元旦\n"
    result = engine.import_calendar(text, "2027.csv", "admin", source="test")
    assert [(r["from"] == r["to"], r["provisional"]) for r in result["recomputed"]] == [(True, False)]
    task = review_task(engine, instance_id)
    assert task.due_at == before and not task.due_provisional


def test_X_TIMERS_bad_arrangement_files_are_refused_naming_the_line_and_nothing_changes(engine):
    with pytest.raises(ValidationFailed, match="line 3"):
        engine.import_calendar("date,kind\n2027-01-01,holiday\n2027-01-02,vacation\n", "x.csv", "admin")
    with pytest.raises(ValidationFailed, match="one year"):
        engine.import_calendar("date,kind\n2027-01-01,holiday\n2028-01-01,holiday\n", "x.csv", "admin")
    with pytest.raises(ValidationFailed, match="not a date"):
        engine.import_calendar("year: 2027\nholidays: [2027-13-01]\n", "x.yaml", "admin")
    assert engine.calendar.current().imported_years == frozenset()
    assert engine.add_working_days("2026-12-30", 2)[1] is True


def test_X_TIMERS_package_upgrade_is_detected_at_start_up(engine):
    """The first start records the package's last official year; a later start with a newer
    package (simulated: an older year recorded) runs the recompute pass, audited per change."""
    engine.clock.reset_to(at("2026-12-30 10:00"))
    start_mini(engine, "UP-1")
    assert engine.check_calendar_upgrade() == []
    assert engine.settings.get(shared.OFFICIAL_LAST_YEAR) == 2026
    with engine.db.session() as s:
        shared.SharedSettings.put(s, shared.OFFICIAL_LAST_YEAR, 2025, engine.clock.now())
    engine.set_calendar_day(dt.date(2027, 1, 4), "holiday", "admin")  # what the newer data would say
    [changed] = engine.check_calendar_upgrade()
    assert changed["to"] == "2027-01-05T09:30:00+00:00" and changed["provisional"] is True
    [audit] = events(engine, "recompute_deadlines")
    assert "chinesecalendar upgraded" in audit.input["reason"]
    assert engine.settings.get(shared.OFFICIAL_LAST_YEAR) == 2026
    assert engine.check_calendar_upgrade() == []
