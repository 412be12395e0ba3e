"""Working days on real dates, overrides and the calendar a timer expression sees (X-TIMERS, J-T2)."""

import datetime as dt

from engine.calendar import WorkingCalendar, add_working_days, is_working_day
from engine.service import Engine
from tests.timers.helpers import at, review_task, start_mini


def test_X_TIMERS_national_day_2026_deadline_of_a_started_case(engine):
    """Accepted Wed 30 Sep 2026: 1-7 Oct are holidays, so 2 working days end Fri 9 Oct 17:30."""
    engine.clock.reset_to(at("2026-09-30 10:00"))
    task = review_task(engine, start_mini(engine, "ND-2026"))
    assert task.due_at == at("2026-10-09 17:30")
    assert not task.due_provisional


def test_X_TIMERS_spring_festival_2026_counts_the_saturday_make_up_day(engine):
    """Fri 13 Feb 2026: Sat 14 Feb is a 调休 working day, 15-23 Feb are holidays."""
    engine.clock.reset_to(at("2026-02-13 09:00"))
    task = review_task(engine, start_mini(engine, "SF-2026"))
    assert task.due_at == at("2026-02-24 17:30")  # 14 Feb (Saturday, worked), then 24 Feb
    assert is_working_day(dt.date(2026, 2, 14)) and not is_working_day(dt.date(2026, 2, 23))


def test_X_TIMERS_may_day_2026(engine):
    """Thu 30 Apr 2026: 1-5 May are holidays, Sat 9 May is worked."""
    engine.clock.reset_to(at("2026-04-30 16:00"))
    task = review_task(engine, start_mini(engine, "MD-2026"))
    assert task.due_at == at("2026-05-07 17:30")
    assert engine.add_working_days("2026-05-07", 2) == ("2026-05-09T17:30:00+08:00", False)


def test_X_TIMERS_national_override_reaches_the_timer_expression(engine):
    """A holiday declared in the engine's database moves the deadline of the next case."""
    engine.clock.reset_to(at("2026-11-02 09:00"))  # Monday
    before = review_task(engine, start_mini(engine, "OV-1")).due_at
    assert before == at("2026-11-04 17:30")
    engine.set_calendar_day(dt.date(2026, 11, 3), "holiday", "admin", note="test closure")
    after = review_task(engine, engine.start("mini_case", {}, "OV-2", "clerk").id).due_at
    assert after == at("2026-11-05 17:30")
    # Outside a command the module functions know only the official data.
    assert add_working_days("2026-11-02T09:00:00+08:00", 2) == "2026-11-04T17:30:00+08:00"


def test_X_TIMERS_local_override_applies_to_its_region_and_sub_regions_only(engine):
    engine.set_calendar_day(dt.date(2026, 11, 5), "holiday", "admin", region="3202", note="local")
    engine.set_calendar_day(dt.date(2026, 11, 7), "workday", "admin", region="320281", note="make-up")
    assert engine.add_working_days("2026-11-04", 1) == ("2026-11-05T17:30:00+08:00", False)
    assert engine.add_working_days("2026-11-04", 1, "3202")[0] == "2026-11-06T17:30:00+08:00"
    assert engine.add_working_days("2026-11-06", 1, "320281")[0] == "2026-11-07T17:30:00+08:00"
    assert engine.add_working_days("2026-11-06", 1, "3202")[0] == "2026-11-09T17:30:00+08:00"
    days = {d.day: d for d in engine.calendar.month(2026, 11, "320281")}
    assert not days[dt.date(2026, 11, 5)].working and days[dt.date(2026, 11, 5)].override == "3202"
    assert days[dt.date(2026, 11, 7)].working and days[dt.date(2026, 11, 7)].note == "make-up"


def test_X_TIMERS_a_local_holiday_moves_the_deadlines_of_that_regions_cases_only(engine):
    """A county's own closure (declared for 320281) reaches the timers of cases started in
    that county without the diagram naming a region; a case elsewhere keeps its deadline."""
    engine.set_calendar_day(dt.date(2026, 11, 3), "holiday", "admin", region="320281", note="county closure")
    engine.clock.reset_to(at("2026-11-02 09:00"))  # Monday
    start_mini(engine, "RG-0")
    local = engine.start("mini_case", {}, "RG-1", "clerk", region="320281")
    elsewhere = engine.start("mini_case", {}, "RG-2", "clerk", region="150302")
    assert review_task(engine, local.id).due_at == at("2026-11-05 17:30")
    assert review_task(engine, elsewhere.id).due_at == at("2026-11-04 17:30")


def test_X_TIMERS_an_override_made_by_another_process_is_seen_at_the_next_command(engine):
    other = Engine(engine.db.url)  # e.g. `relief calendar set` while the server runs
    try:
        assert engine.add_working_days("2026-11-09", 1)[0] == "2026-11-10T17:30:00+08:00"
        other.set_calendar_day(dt.date(2026, 11, 10), "holiday", "admin")
        assert engine.add_working_days("2026-11-09", 1)[0] == "2026-11-11T17:30:00+08:00"
    finally:
        other.dispose()


def test_X_TIMERS_region_override_wins_over_a_national_one():
    cal = WorkingCalendar({"national": {dt.date(2026, 11, 3): False}, "3202": {dt.date(2026, 11, 3): True}})
    assert not cal.is_working_day(dt.date(2026, 11, 3))
    assert cal.is_working_day(dt.date(2026, 11, 3), "320281")
    assert cal.add_working_days("2026-11-02", 1, "320281") == "2026-11-03T17:30:00+08:00"


def test_X_TIMERS_office_close_is_configurable(tmp_path):
    from api.app import make_engine
    from api.settings import Settings

    settings = Settings.from_env(mode="test", database_url=f"sqlite:///{tmp_path}/oc.sqlite", var_dir=tmp_path,
                                 office_close="17:00")
    engine = make_engine(settings)
    try:
        engine.upgrade_schema()
        assert engine.add_working_days("2026-09-30", 2) == ("2026-10-09T17:00:00+08:00", False)
    finally:
        engine.dispose()
