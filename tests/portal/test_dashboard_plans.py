"""The statistics dashboard and the public progress query are served by indexes on a seeded
PostgreSQL database (issue 14: every chart p95 ≤ 300 ms and the progress query ≤ 50 ms at a
million cases; issue 15: no sequential scan of cases or tasks on a seeded database).

The same check as tests/engine/test_query_plans.py (whose seeded fixture this module uses:
an engine-run sample and bulk clones spread over a city): every SELECT the dashboard of a
reader runs is captured and planned with sequential scans discouraged, and a plan that
still reads a big table whole fails. Also: the chart counts come from the covering indexes
of migration 0028 (an index-only scan of the cases), and a chart whose index is gone is
caught. PostgreSQL only."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from bench import plans
from engine.auth import Principal
from engine.service import Engine
from tests.engine.test_query_plans import _seq_scans, seeded  # noqa: F401 - the seeded fixture
from tests.support.databases import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"PostgreSQL only: set {PG_ENV}")

READERS = [
    Principal("leader-county", ("leader",), ("leader",), None, "320281"),
    Principal("leader-township", ("leader",), ("leader",), None, "320281001"),
    Principal("leader-city", ("leader",), ("leader",), None, "320200"),
    Principal("dept-civil-affairs", ("caseworker",), ("dept:civil-affairs",), "civil-affairs", "320281"),
    Principal("supervisor", ("supervisor",), ("supervisor",), None, "320281"),
]


def _since(engine: Engine) -> dt.date:
    return (engine.clock.now() - dt.timedelta(days=365)).date().replace(day=1)


@pytest.mark.parametrize("who", READERS, ids=[r.username for r in READERS])
def test_J_DATA_W_STATS_every_dashboard_query_is_served_by_indexes(seeded: Engine, who: Principal) -> None:  # noqa: F811
    """Every chart of the dashboard (and its monthly report's period): no sequential scan of
    cases, tasks, candidates or dispatches."""
    since = _since(seeded)
    problems = _seq_scans(seeded, lambda: seeded.dashboard(who, since))
    problems += _seq_scans(seeded, lambda: seeded.dashboard(who, since, since + dt.timedelta(days=31)))
    assert not problems, "\n".join(problems)


def test_J_DATA_case_counts_are_read_from_the_covering_index(seeded: Engine) -> None:  # noqa: F811
    """The cases of a county by month and channel are counted from ix_instances_stats alone
    (its rows carry channel and status): an index-only scan, no visit of the case rows. This
    is the direct query, for readers the summary tables do not answer (a signed system, a
    department account without a department); the others' read the summaries
    (engine/portal/stats_summaries.py), checked by the test above."""
    from engine.portal import stats

    since = _since(seeded)
    with plans.capture(seeded.db) as got, seeded.db.reading() as s:
        stats.cases_by_month(s, stats.period_of(s, READERS[0], stats.midnight(since), None, seeded.clock.now(),
                                                lambda a, b: 0))
    found = []
    with seeded.db.read_engine.connect() as conn:
        for st in got.selects():
            if "FROM instances" in st.sql and "channel" in st.sql and "human_tasks" not in st.sql:
                found.append(plans.scans(plans.explain(conn, st, avoid_seq=True)))
    assert found, "the cases-by-month query was not captured"
    wanted = "Index Only Scan on instances using ix_instances_stats"
    assert all(wanted in scans for scans in found), found


def test_the_dashboard_check_finds_a_chart_without_its_index(seeded: Engine) -> None:  # noqa: F811
    """The check above can fail: with the open-steps index gone, the backlog chart reads tasks whole."""
    from engine.portal import stats

    since = _since(seeded)
    with plans.capture(seeded.db) as got, seeded.db.reading() as s:
        stats.backlog(s, stats.period_of(s, READERS[0], stats.midnight(since), None, seeded.clock.now(),
                                         lambda a, b: 0))
    [st] = got.selects()
    with seeded.db.engine.connect() as conn:
        trans = conn.begin()
        try:
            assert not plans.seq_scans(plans.explain(conn, st, avoid_seq=True))
            for name in ("ix_human_tasks_open_stats", "ix_human_tasks_region_state", "ix_human_tasks_state",
                         "ix_human_tasks_state_due", "ix_human_tasks_department_steps"):
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
            plan = plans.explain(conn, st, avoid_seq=True)
            assert "human_tasks" in plans.seq_scans(plan), plans.scans(plan)
        finally:
            trans.rollback()


def test_J_PORTAL_progress_query_is_served_by_indexes(seeded: Engine) -> None:  # noqa: F811
    """The public progress look-up by application number: the case by its business key,
    its steps by the case: no sequential scan, whether the number exists or not."""
    problems = _seq_scans(seeded, lambda: seeded.progress("BENCH-JI-00000123", "1234"))
    problems += _seq_scans(seeded, lambda: seeded.progress("WS20261207-NOSUCHNO", "1234"))
    assert not problems, "\n".join(problems)
