"""The dashboard's summary tables (engine/store/summaries.py, issue 14) are kept by the writes
themselves: after every kind of event — cases started (county, township, village, another
county, no region, grid channel), dispatched to departments, answered by a department,
deadline timers firing, follow-up cases of a granted case, a complaint, a cancellation, a
case migrated to a new version — the tables hold exactly what counting the base tables
again gives, and every chart read from them equals the direct query on the case and step
rows, for readers of every region level, periods of whole days and readings at any moment
(the clock moving past deadlines). On PostgreSQL, concurrent transactions writing the same
summary rows lose no count. Department staff read the rows counted for their department.
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from engine.auth import Principal
from engine.portal import stats, stats_breakdowns, stats_summaries
from engine.store import summaries
from engine.store.models import HumanTask
from engine.store.records import Dispatch
from engine.store.summary_models import StatsCase, StatsStep
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.portal.test_dashboard_breakdowns import caseworker
from tests.portal.test_portal_engine import leader
from tests.scenarios.test_follow_up_cases import jiangyin_granted
from tests.scenarios.test_jiangyin import PROCESS, accepted, application, dispatch, handle
from tests.support.scenario import JIANGYIN

ADMIN = Principal("admin", ("admin",), (), None, None)
READERS = [ADMIN, leader(JIANGYIN), leader(JIANGYIN + "001"), leader(JIANGYIN + "001001"), leader("320200"),
           leader("320282"), leader(None), caseworker("civil-affairs"), caseworker("education"),
           Principal("cw-twn", ("caseworker",), ("dept:civil-affairs",), "civil-affairs", JIANGYIN + "001")]
# Each chart: the summaries' reading and the direct query it replaces.
PAIRS: dict[str, tuple[Callable[..., dict[str, Any]], Callable[..., dict[str, Any]]]] = {
    "cases_by_month": (stats_summaries.cases_by_month, stats.cases_by_month),
    "cases_by_status": (stats_summaries.cases_by_status, stats.cases_by_status),
    "backlog": (stats_summaries.backlog, stats.backlog), "on_time": (stats_summaries.on_time, stats.on_time),
    "durations": (stats_summaries.durations, stats.durations), "overdue": (stats_summaries.overdue, stats.overdue),
    "by_hour": (stats_summaries.by_hour, stats_breakdowns.by_hour),
    "by_weekday": (stats_summaries.by_weekday, stats_breakdowns.by_weekday),
    "by_region": (stats_breakdowns._summary_by_region, stats_breakdowns.by_region),
    "departments": (stats_summaries.department_rows, stats_breakdowns.department_rows),
}


def _rows(conn: sa.Connection) -> dict[str, set[tuple]]:
    """Every summary table's rows that count something (a row whose count went back to 0
    stays; floats rounded: the same sums in another order)."""
    found: dict[str, set[tuple]] = {}
    for table in summaries.TABLES:
        rows = conn.exec_driver_sql(f"SELECT * FROM {table}").mappings().all()  # noqa: S608 - a name of TABLES
        found[table] = {tuple(round(v, 6) if isinstance(v, float) else str(v) for v in row.values())
                        for row in rows if row["n"]}
    return found


def _agree(engine: Any, when: str) -> None:
    """The summaries equal a recount of the base tables, and every chart from them equals
    the direct query."""
    with engine.db.engine.connect() as conn, conn.begin() as tx:
        kept = _rows(conn)
        summaries.rebuild(conn)
        assert kept == _rows(conn), when
        tx.rollback()
    now = engine.clock.now()
    with engine.db.reading() as s:
        due = sorted(s.scalars(sa.select(HumanTask.due_at).where(HumanTask.state == "open",
                                                                 HumanTask.due_at.is_not(None))).all())
    # Readings now, later, and on either side of a deadline (the part due today before now).
    moments = [now, now + dt.timedelta(days=40)] + [m for d in due[:2] for m in (d, d + dt.timedelta(seconds=1))]
    today = stats_summaries.local_day(now)
    periods = [(dt.date(2026, 1, 1), None), (today - dt.timedelta(days=3), today + dt.timedelta(days=1))]
    with engine.db.reading() as s:
        for who in READERS:
            for since, until in periods:
                for moment in moments:
                    p = stats.period_of(s, who, stats.midnight(since), stats.midnight(until) if until else None,
                                        moment, lambda a, b: (b - a).days)
                    for name, (summary, direct) in PAIRS.items():
                        assert summary(s, p) == direct(s, p), (when, who.username, since, moment, name)


def test_J_DATA_W_STATS_summaries_equal_the_case_and_step_rows_after_every_kind_of_event(scenario):
    engine = scenario.engine
    first = accepted(scenario, "SUM-1")
    accepted(scenario, "SUM-2", channel="grid", grid_worker="赵磊", priority_group="elderly")
    scenario.start(PROCESS, application(), "SUM-3", region=JIANGYIN + "001")
    scenario.start(PROCESS, application(), "SUM-4", region=JIANGYIN + "001001")
    scenario.start(PROCESS, application(), "SUM-5", region="320282")
    _agree(engine, "started")
    dispatch(first)
    _agree(engine, "dispatched")
    first.advance(working_days=3)  # deadline timers fire: the steps stay open, overdue
    _agree(engine, "deadline timers fired")
    handle(first, "civil-affairs")
    _agree(engine, "a department answered")
    granted = jiangyin_granted(scenario, "SUM-6", ["dibao"])
    _agree(engine, "follow-up cases")
    engine.file_complaint(granted.id, "窗口未一次性告知材料")
    _agree(engine, "a complaint")
    engine.cancel(first.id, "申请人撤回", "admin")
    _agree(engine, "cancelled")
    granted.advance(days=30)  # the clock moves on: periodic reviews, more deadlines passed
    _agree(engine, "a month later")
    with engine.db.session() as s:  # the engine never deletes a dispatch; the summaries follow one that goes
        s.execute(sa.delete(Dispatch).where(Dispatch.instance_id == granted.id))
        s.commit()
    _agree(engine, "dispatches deleted")


def test_J_DATA_summaries_follow_a_case_migrated_to_a_new_version(engine):
    key = unique_key("summ")
    engine.deploy(mini_bundle(mini_xml(key)), "designer-a")
    waiting = engine.start(key, {}, "MS-1", "clerk", JIANGYIN + "001001")
    engine.start(key, {}, "MS-2", "clerk", None)  # no region
    engine.deploy(mini_bundle(mini_xml(key).replace('name="审核"', 'name="材料审核"')), "designer-a")
    engine.approve_definition(key, 2, "designer-b")
    with engine.db.reading() as s:
        [review] = s.scalars(sa.select(HumanTask.id).where(HumanTask.instance_id == waiting.id,
                                                           HumanTask.state == "open")).all()
    engine.migrate_case(waiting.id, 2, "designer-a")
    _agree(engine, "migrated")
    engine.complete(review, {"approved": "yes"}, Principal("centre", ("dispatcher",), ("county-centre",), None,
                                                           JIANGYIN))
    _agree(engine, "completed after the migration")


def test_J_DATA_concurrent_transactions_lose_no_summary_count(engine):
    """Eight threads start cases of one village on one day (the same summary rows) and
    complete their first steps at once: the summaries still equal a recount."""
    if engine.db.is_sqlite:
        pytest.skip("SQLite serialises writers")
    key = unique_key("race")
    engine.deploy(mini_bundle(mini_xml(key)), "designer-a")
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)
    centre = Principal("centre", ("dispatcher",), ("county-centre",), None, JIANGYIN)

    def work(n: int) -> None:
        try:
            barrier.wait()
            case = engine.start(key, {}, f"RACE-{n}", "clerk", JIANGYIN + "001001")
            with engine.db.reading() as s:
                [task] = s.scalars(sa.select(HumanTask.id).where(HumanTask.instance_id == case.id,
                                                                 HumanTask.state == "open")).all()
            engine.complete(task, {"approved": "yes"}, centre)
        except BaseException as err:  # reported below, with the thread's count
            errors.append(err)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    _agree(engine, "eight concurrent cases")
    with engine.db.reading() as s:
        counted = s.execute(sa.select(StatsCase.status, sa.func.sum(StatsCase.n)).where(StatsCase.process_key == key,
                                                                                 StatsCase.level == 0)
                            .group_by(StatsCase.status).having(sa.func.sum(StatsCase.n) > 0)).all()
        steps = s.execute(sa.select(StatsStep.state, sa.func.sum(StatsStep.n))
                          .where(StatsStep.level == 3, StatsStep.scope == JIANGYIN + "001001")
                          .group_by(StatsStep.state)).all()
    assert sum(n for _status, n in counted) == 8
    assert dict(steps).get("completed", 0) >= 8
