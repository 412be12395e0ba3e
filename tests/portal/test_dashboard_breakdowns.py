"""The dashboard's breakdowns (J-DATA, W-STATS, issue 14): by hour and weekday, by region,
by department with handling time in working days; every figure equal to a direct count of
the database, department staff seeing only their department's cases. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from engine.auth import Principal
from engine.store.models import HumanTask, Instance
from engine.store.records import Dispatch
from tests.portal.test_portal_engine import leader
from tests.scenarios.test_follow_up_cases import jiangyin_granted
from tests.scenarios.test_jiangyin import accepted, dispatch, handle
from tests.support.scenario import JIANGYIN

SINCE = dt.date(2026, 1, 1)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


# The application processes: those the item list's offices take applications with.
APPLICATIONS = sorted({o["process"] for o in json.loads(
    (Path(__file__).resolve().parents[2] / "workflows" / "items.json").read_text(encoding="utf-8"))["offices"]})


def caseworker(department: str) -> Principal:
    return Principal(f"cw-{department}", ("caseworker",), (f"dept:{department}",), department, JIANGYIN)


def test_J_DATA_W_STATS_department_figures_and_working_day_handling_time_equal_the_database(scenario):
    """Per department: cases dispatched, steps completed, on time, and the average handling time
    in working days (a step held over a weekend counts its working days only)."""
    handled = accepted(scenario, "DASH-1")
    dispatch(handled)
    handled.advance(working_days=3)  # the department takes its intake over a weekend
    handle(handled, "civil-affairs")
    accepted(scenario, "DASH-2")  # still with the centre: dispatched to no department
    engine = scenario.engine

    figures = engine.dashboard(leader(JIANGYIN), SINCE)
    [civil] = [d for d in figures["departments"] if d["department"] == "civil-affairs"]
    with engine.db.reading() as s:
        dispatched = s.scalar(sa.select(sa.func.count(sa.distinct(Dispatch.instance_id))).where(
            Dispatch.target == "civil-affairs", Dispatch.kind == "department"))
        steps = [(c, e, due) for c, e, due, groups in s.execute(sa.select(
            HumanTask.created_at, HumanTask.ended_at, HumanTask.due_at, HumanTask.candidate_groups).where(
            HumanTask.state == "completed")).all() if groups == ["dept:civil-affairs"]]
    spans = [(c.astimezone(SHANGHAI).date(), e.astimezone(SHANGHAI).date()) for c, e, _due in steps]
    working = [engine.working_days_between(first, last, JIANGYIN) for first, last in spans]
    assert civil["dispatched"] == dispatched == 1
    assert civil["completed"] == len(steps) == 2
    assert civil["on_time"] == sum(1 for _c, e, due in steps if due is not None and e <= due)
    assert civil["working_days"] == round(sum(working) / len(working), 2)
    assert any((last - first).days > days for (first, last), days in zip(spans, working, strict=True)), \
        "a step spanning a weekend: working days, not calendar days"
    assert civil["open"] == 0 and civil["overdue"] == 0


def test_W_STATS_hour_weekday_and_region_breakdowns_count_every_case_once(scenario):
    accepted(scenario, "DASH-H1")
    accepted(scenario, "DASH-H2")
    engine = scenario.engine
    figures = engine.dashboard(leader(JIANGYIN), SINCE)
    with engine.db.reading() as s:
        cases = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(
            Instance.region.like(f"{JIANGYIN}%"), Instance.process_key.in_(APPLICATIONS)))
    assert sum(figures["by_hour"]) == sum(figures["by_weekday"]) == figures["cases"] == cases == 2
    assert figures["by_hour"][9] == 2  # started at 09:00 Shanghai time (scenario clock)
    assert figures["by_weekday"][4] == 2  # a Friday: index 4 of Monday … Sunday
    assert sum(r["cases"] for r in figures["by_region"]) == 2


def test_J_DATA_department_staff_see_only_their_departments_cases(scenario):
    """Department users see their department, the county's leader the county."""
    handled = accepted(scenario, "DASH-S1")
    dispatch(handled)
    accepted(scenario, "DASH-S2")
    engine = scenario.engine
    assert engine.dashboard(leader(JIANGYIN), SINCE)["cases"] == 2
    ours = engine.dashboard(caseworker("civil-affairs"), SINCE)
    assert ours["cases"] == 1
    assert [d["department"] for d in ours["departments"]] == ["civil-affairs"]
    assert ours["departments"][0]["open"] == 1
    theirs = engine.dashboard(caseworker("education"), SINCE)
    assert theirs["cases"] == 0 and theirs["departments"] == [] and sum(theirs["by_hour"]) == 0


def test_J_DATA_a_month_report_counts_only_that_month(scenario):
    accepted(scenario, "DASH-M1")  # 2026-11-06
    engine = scenario.engine
    november = engine.dashboard(leader(JIANGYIN), dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    october = engine.dashboard(leader(JIANGYIN), dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert november["cases"] == 1 and october["cases"] == 0
    assert november["until"] == "2026-12-01"


def test_W_STATS_only_applications_are_counted_not_their_postings_reviews_or_complaints(scenario):
    """A granted case starts its posting and its household's review (issue 11): three cases in
    the database, one application on the dashboard, in every breakdown."""
    jiangyin_granted(scenario, "DASH-A1", ["dibao"])
    engine = scenario.engine
    with engine.db.reading() as s:
        processes = sorted(s.scalars(sa.select(Instance.process_key).where(Instance.business_key == "DASH-A1")))
        applications = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(
            Instance.process_key.in_(APPLICATIONS)))
    assert processes == ["household_review", "jiangyin_one_door", "public_posting"]
    figures = engine.dashboard(leader(JIANGYIN), SINCE)
    assert figures["cases"] == applications == 1
    assert sum(figures["by_hour"]) == sum(figures["by_weekday"]) == 1
    assert sum(r["cases"] for r in figures["by_region"]) == 1
