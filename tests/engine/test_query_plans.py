"""Every list a user opens is served by an index on a seeded PostgreSQL database (issue 10,
issue 15 "Lists and pages at a million cases"): the task lists of a county group user, a
department case worker, a township and a village user (each tab: my groups', mine,
unassigned, overdue, due soon, done by me; the filters: variant, stage, channel, text
search by business key and by applicant), their counts and stage choices, the task API's
list, a region's cases and the case list's searches.

The SQL is captured as the engine issues it (bench/plans.py: a SQLAlchemy cursor event),
then PostgreSQL is asked for its plan after ANALYZE with sequential scans discouraged
(`enable_seqscan` off): a sequential scan of a table that grows with the cases is then
left only where no index can serve the query, and fails the test. (With a few thousand
rows the planner rightly reads small tables whole; bench/pages.py shows the plans it
chooses on its own at 100,000 cases and more.) The cases are clones of an engine-run
sample (bench/seed.py's bulk writer), spread over a city's counties, townships and
villages. PostgreSQL only: SQLite has no EXPLAIN of this kind and is not the scale database."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import psycopg
import pytest

from api.settings import ROOT
from bench import plans, seed
from engine import queries
from engine.auth import Principal
from engine.service import Engine
from engine.store.schemas import create_schema, drop_schema
from engine.tracking import CaseFilter
from tests.support.databases import PG_ENV
from workers.registry import topics
from workers.runner import detach

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"PostgreSQL only: set {PG_ENV}")
CASES = 4000

COUNTY = Principal("centre", ("dispatcher",), ("county-centre",), region="320281")
WINDOW = Principal("window", ("clerk",), ("window",), region="320281")
TOWNSHIP = Principal("township", ("clerk",), ("township",), region="320281001")
VILLAGE = Principal("village", ("clerk",), ("village",), region="320281001001")
DEPARTMENT = Principal("dept-civil-affairs", ("caseworker",), ("dept:civil-affairs",),
                       department="civil-affairs", region="320281")
USERS = [COUNTY, WINDOW, TOWNSHIP, VILLAGE, DEPARTMENT]


@pytest.fixture(scope="module")
def seeded() -> Iterator[Engine]:
    """An engine on a fresh schema: the variants, an engine-run sample and CASES bulk clones, analysed."""
    schema, url = create_schema(os.environ[PG_ENV], "relief_plans")
    engine = Engine(url, forms_root=ROOT / "forms", known_topics=topics())
    try:
        engine.upgrade_schema()
        from api.cli import deploy_all

        deploy_all(engine, ROOT / "workflows", "test", require_approval=False)
        sample = seed.run_sample(engine, per_variant=5)
        detach(engine)
        with psycopg.connect(seed.pg_url(url)) as conn:
            templates = seed.load_templates(conn, sample)
        seed.bulk_clone(url, templates, CASES, now=engine.clock.now())
        seed.analyze(url)
        yield engine
    finally:
        engine.dispose()
        drop_schema(os.environ[PG_ENV], schema)


def _filters(who: Principal, now: dt.datetime) -> dict[str, queries.TaskFilter]:
    """The task lists of the work list's tabs and filters (web/views/tasks.py builds the same)."""
    soon = now + dt.timedelta(days=3)
    return {
        "all": queries.TaskFilter(),
        "groups": queries.TaskFilter(offered=True),
        "mine": queries.TaskFilter(assignee=who.username),
        "unassigned": queries.TaskFilter(offered=True, unassigned=True),
        "overdue": queries.TaskFilter(overdue_at=now),
        "soon": queries.TaskFilter(due_from=now, due_before=soon),
        "done": queries.TaskFilter(state="completed", completed_by=who.username),
        "variant": queries.TaskFilter(offered=True, process_key="jiangyin_one_door"),
        "stage": queries.TaskFilter(offered=True, stage="Task_Accept"),
        "channel": queries.TaskFilter(offered=True, channel="hotline"),
        "business key": queries.TaskFilter(text="BENCH-JI-0000123"),
        "applicant": queries.TaskFilter(text="王秀"),
        "new tasks": queries.TaskFilter(offered=True, unassigned=True, created_after=now - dt.timedelta(minutes=1)),
    }


def _seq_scans(engine: Engine, run: object) -> list[str]:
    """Run `run()` capturing its SQL; a line for each SELECT whose plan reads a big table whole."""
    with plans.capture(engine.db) as got:
        run()  # type: ignore[operator]
    assert got.selects(), "no SELECT captured"
    bad = []
    with engine.db.read_engine.connect() as conn:
        for st in got.selects():
            plan = plans.explain(conn, st, avoid_seq=True)
            if seq := plans.seq_scans(plan):
                bad.append(f"Seq Scan on {seq} in {' '.join(st.sql.split())[:400]} {plans.scans(plan)}")
    return bad


@pytest.mark.parametrize("who", USERS, ids=[u.username for u in USERS])
def test_X_STAFF_every_task_list_and_count_is_served_by_indexes(seeded: Engine, who: Principal) -> None:
    """Issue 15: each tab and filter of the work list, its count and the task API's list:
    no sequential scan of tasks, candidates, cases or dispatches."""
    now = seeded.clock.now()
    problems = []
    for name, f in _filters(who, now).items():
        problems += [f"{name} (page): {b}" for b in _seq_scans(seeded, lambda f=f: seeded.task_page(who, f))]
        problems += [f"{name} (api): {b}" for b in _seq_scans(seeded, lambda f=f: seeded.tasks_for(who, f))]
    problems += [f"stages: {b}" for b in _seq_scans(seeded, lambda: seeded.task_stages(who))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", USERS, ids=[u.username for u in USERS])
def test_J_TRACK_case_lists_and_searches_are_served_by_indexes(seeded: Engine, who: Principal) -> None:
    """A region's cases newest first, by status and variant, search by business key, and the
    API's case list: no sequential scan."""
    lists = {
        "region": lambda: seeded.case_page(who, CaseFilter()),
        "running": lambda: seeded.case_page(who, CaseFilter(status="running")),
        "variant": lambda: seeded.case_page(who, CaseFilter(definition_key="wuhai_one_door")),
        "business key": lambda: seeded.case_page(who, CaseFilter(business_key="BENCH-WU-00001")),
        "api": lambda: seeded.instances_for(who),
        "api by key": lambda: seeded.instances_for(who, business_key="BENCH-WU-0000077"),
    }
    problems = [f"{name}: {b}" for name, run in lists.items() for b in _seq_scans(seeded, run)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_sequential_scan(seeded: Engine) -> None:
    """The test above can fail: a query on an unindexed column of tasks is reported."""
    import sqlalchemy as sa

    from engine.store.models import HumanTask

    def unindexed() -> None:
        with seeded.db.reading() as s:
            s.execute(sa.select(HumanTask.id).where(HumanTask.statutory_basis == "x")).all()

    assert _seq_scans(seeded, unindexed)
