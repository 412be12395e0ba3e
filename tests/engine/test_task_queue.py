"""The work list's queue (engine/task_queue.py, issue 15) is a projection kept with the task
rows: after every kind of change — a case started (green or not, county, township, village,
another county), a claim, a hand-over, a completion, a deadline timer firing, a case
cancelled, a case migrated to a new version, a case turning green — the queue holds exactly
one row per (open task, candidate group, region level), and every list and capped count it
serves equals the same list and count read directly from the task rows (scope.task_clause),
for county, township, village, department and other-county users and every tab and filter."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from engine import queries, task_queue
from engine.auth import Principal
from engine.store.models import HumanTask, TaskCandidate, TaskQueueEntry
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.engine.test_list_scale import _fork
from tests.scenarios.test_jiangyin import PROCESS, accepted, application
from tests.support.diagrams import bundle
from tests.support.scenario import JIANGYIN

CENTRE = Principal("centre", ("dispatcher",), ("county-centre",), None, JIANGYIN)
WINDOW = Principal("window", ("clerk",), ("window",), None, JIANGYIN)
TWO_GROUPS = Principal("both", ("clerk",), ("window", "county-centre"), None, JIANGYIN)
TOWNSHIP = Principal("township", ("clerk",), ("window",), None, JIANGYIN + "001")
VILLAGE = Principal("village", ("clerk",), ("window",), None, JIANGYIN + "001001")
CITY = Principal("city", ("supervisor",), ("window", "county-centre"), None, "320200")
YIXING = Principal("centre-yx", ("dispatcher",), ("county-centre",), None, "320282")
DEPARTMENT = Principal("dept-civil-affairs", ("caseworker",), ("dept:civil-affairs",), "civil-affairs", JIANGYIN)
USERS = [CENTRE, WINDOW, TWO_GROUPS, TOWNSHIP, VILLAGE, CITY, YIXING, DEPARTMENT]


def _filters(who: Principal, now: dt.datetime) -> dict[str, queries.TaskFilter]:
    """Every tab and filter of the work list the queue serves (web/views/tasks.py)."""
    return {
        "all": queries.TaskFilter(), "groups": queries.TaskFilter(offered=True),
        "mine": queries.TaskFilter(assignee=who.username),
        "unassigned": queries.TaskFilter(offered=True, unassigned=True),
        "overdue": queries.TaskFilter(overdue_at=now),
        "soon": queries.TaskFilter(due_from=now, due_before=now + dt.timedelta(days=3)),
        "variant": queries.TaskFilter(offered=True, process_key=PROCESS),
        "stage": queries.TaskFilter(stage="Task_Dispatch"), "channel": queries.TaskFilter(channel="grid"),
        "aid type": queries.TaskFilter(aid_type="dibao"), "provisional": queries.TaskFilter(provisional=True),
        "new": queries.TaskFilter(offered=True, unassigned=True, created_after=now - dt.timedelta(days=1)),
        "second page": queries.TaskFilter(limit=2, offset=1),
    }


def _agree(engine, when: str) -> None:
    """The queue's rows are what the open tasks make, and every list and count it serves
    equals the direct one."""
    now = engine.clock.now()
    with engine.db.reading() as s:
        expected = {(c.task_id, c.group, sc, t.green, t.due_at, t.created_at)
                    for c, t in s.execute(sa.select(TaskCandidate, HumanTask).join(
                        HumanTask, HumanTask.id == TaskCandidate.task_id).where(HumanTask.state == "open"))
                    for sc in task_queue.scopes(t.region)}
        held = {(q.task_id, q.group, q.scope, q.green, q.due_at, q.created_at) for q in s.scalars(
            sa.select(TaskQueueEntry))}
        assert held == expected, when
        served = 0
        cases = list(s.scalars(sa.select(HumanTask.instance_id).distinct()))
        for who in USERS:
            # One case's open tasks (a completion's next tasks) are read by the case and checked
            # a row at a time (scope.sees_task): the same tasks as the scope's SQL gives.
            for case in cases:
                f = queries.TaskFilter(instance_id=case)
                direct = [t.id for t in s.scalars(queries.task_clauses(sa.select(HumanTask), who, f).order_by(
                    HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id))]
                assert [t.id for t in queries.tasks(s, who, dataclasses.replace(f))] == direct, (when, who, case)
                served += len(direct)
            for name, f in _filters(who, now).items():
                assert task_queue.serves(who, f), (when, who.username, name)
                fast, total = queries.task_page(s, who, dataclasses.replace(f))
                slow, direct_total = queries.direct_task_page(s, who, dataclasses.replace(f))
                what = (when, who.username, name)
                # The same tasks in the same order (ties in the direct order broken by id alike).
                assert [_key(t) for t, _ in fast] == [_key(t) for t, _ in slow], what
                assert total == direct_total, what
                for cap in (None, 1):
                    assert (queries.count_tasks(s, who, dataclasses.replace(f), cap)
                            == queries.direct_count_tasks(s, who, dataclasses.replace(f), cap)), (*what, cap)
                api = [t.id for t in queries.tasks(s, who, dataclasses.replace(f))]
                direct = [t.id for t in s.scalars(queries.task_clauses(sa.select(HumanTask), who, f).order_by(
                    HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
                    .limit(f.limit).offset(f.offset))]
                assert api == direct, what
                served += len(fast)
            # The tabs' counts in one statement, with a tab the queue does not serve among them.
            tabs = {**_filters(who, now), "done": queries.TaskFilter(state="completed", completed_by=who.username)}
            for cap in (None, 1):
                together = queries.count_tab_tasks(s, who, {n: dataclasses.replace(f) for n, f in tabs.items()}, cap)
                assert together == {n: queries.direct_count_tasks(s, who, dataclasses.replace(f), cap)
                                    for n, f in tabs.items()}, (when, who.username, cap)
        assert served, when  # the comparisons compared tasks, not empty lists


def _key(t: HumanTask) -> tuple:
    return task_queue.display_key(t.green, t.due_at, t.created_at, t.id)


def test_X_STAFF_the_queue_equals_the_task_rows_after_claim_complete_cancel_and_deadlines(scenario):
    engine = scenario.engine
    first = accepted(scenario, "JY-Q-1")  # at the centre's dispatch, its deadline pending
    second = accepted(scenario, "JY-Q-2", channel="grid", grid_worker="赵磊", priority_group="elderly")  # green
    scenario.start(PROCESS, application(), "JY-Q-3", region=JIANGYIN + "001")  # a township's
    scenario.start(PROCESS, application(), "JY-Q-4", region=JIANGYIN + "001001")  # a village's
    scenario.start(PROCESS, application(), "JY-Q-5", region="320282")  # another county's
    _agree(engine, "started")
    task = first.task("Task_Dispatch")["id"]
    engine.claim(task, CENTRE)
    _agree(engine, "claimed")
    engine.unclaim(task, CENTRE)
    engine.claim(task, TWO_GROUPS)
    _agree(engine, "claimed by a two-group user")
    second.advance(working_days=3)  # the dispatch deadlines fire: the tasks stay, overdue
    _agree(engine, "deadline timers fired")
    second.complete("Task_Dispatch", {"dispatch_route": "dispatch", "departments": second.data["departments"]})
    _agree(engine, "completed")
    engine.cancel(first.id, "申请人撤回", "admin")
    _agree(engine, "cancelled")


def test_X_STAFF_the_queue_follows_a_case_into_the_green_channel_and_a_migration(engine):
    engine.deploy(bundle(_fork("fork_queue")), "designer")
    plain = engine.start("fork_queue", {}, "FQ-1", "clerk", JIANGYIN + "001")
    engine.start("fork_queue", {}, "FQ-2", "clerk", JIANGYIN)
    task_a = next(r.task for r in engine.task_page(CENTRE, queries.TaskFilter(instance_id=plain.id))[0]
                  if r.task.bpmn_id == "Task_A")
    engine.claim(task_a.id, CENTRE)
    engine.complete(task_a.id, {"priority_group": "elderly"}, CENTRE)  # the case turns green
    _agree(engine, "turned green")
    assert engine.task_page(TOWNSHIP, queries.TaskFilter())[0] == []  # the township has no window tasks
    rows, _ = engine.task_page(CENTRE, queries.TaskFilter())
    assert [(r.business_key, r.green) for r in rows][0] == ("FQ-1", True)

    key = unique_key("queue")
    engine.deploy(mini_bundle(mini_xml(key)), "designer-a")
    waiting = engine.start(key, {}, "MQ-1", "clerk", JIANGYIN + "001001")
    engine.start(key, {}, "MQ-2", "clerk", None)  # no region: seen by no regional user
    engine.deploy(mini_bundle(mini_xml(key).replace('name="审核"', 'name="材料审核"')), "designer-a")
    engine.approve_definition(key, 2, "designer-b")
    with engine.db.reading() as s:
        [review] = s.scalars(sa.select(HumanTask.id).where(HumanTask.instance_id == waiting.id,
                                                           HumanTask.state == "open")).all()
    engine.claim(review, CENTRE)
    engine.migrate_case(waiting.id, 2, "designer-a")
    _agree(engine, "migrated")
    engine.complete(review, {"approved": "yes"}, CENTRE)
    _agree(engine, "completed after the migration")


def test_X_STAFF_a_user_without_region_sees_only_cases_without_one(engine):
    """The queue's '' scope: the rule of engine/auth/scope.py (a missing region narrows)."""
    key = unique_key("noregion")
    engine.deploy(mini_bundle(mini_xml(key)), "designer-a")
    engine.start(key, {}, "NR-1", "clerk", None)
    engine.start(key, {}, "NR-2", "clerk", JIANGYIN)
    nowhere = Principal("nowhere", ("dispatcher",), ("county-centre",))
    assert [r.business_key for r in engine.task_page(nowhere, queries.TaskFilter())[0]] == ["NR-1"]
    assert [r.business_key for r in engine.task_page(CENTRE, queries.TaskFilter())[0]] == ["NR-2"]
