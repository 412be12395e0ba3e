"""What the work list does so that it stays fast at a city's scale (issue 15): the case's
green channel kept on its open task rows (the list's order is on the task rows alone), and
counts that stop at a cap instead of reading every matching task."""

from __future__ import annotations

import sqlalchemy as sa

from engine import queries
from engine.auth import Principal
from engine.store.models import HumanTask
from tests.support.diagrams import HEAD, bundle, user_task, with_di

CENTRE = Principal("centre-a", ("dispatcher",), ("county-centre",), None, "320281")


def _fork(key: str) -> str:
    """Start → two user tasks side by side (A, B) → end."""
    nodes = ['<bpmn:startEvent id="StartEvent_1" />', '<bpmn:parallelGateway id="Fork" />',
             user_task("Task_A"), user_task("Task_B"), '<bpmn:parallelGateway id="Join" />',
             '<bpmn:endEvent id="EndEvent_1" />']
    pairs = [("StartEvent_1", "Fork"), ("Fork", "Task_A"), ("Fork", "Task_B"), ("Task_A", "Join"),
             ("Task_B", "Join"), ("Join", "EndEvent_1")]
    flows = [f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="{a}" targetRef="{b}" />' for i, (a, b) in enumerate(pairs)]
    process = f'<bpmn:process id="{key}" name="测试" isExecutable="true">' + "".join(nodes + flows) + "</bpmn:process>"
    return with_di(HEAD.format(key=key) + process + "</bpmn:definitions>\n", key)


def _green(engine, instance_id: str) -> dict[str, bool]:
    with engine.db.reading() as s:
        return {t.bpmn_id: t.green for t in s.scalars(sa.select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state == "open"))}


def test_J_GREEN_open_tasks_follow_their_case_into_the_green_channel(engine):
    """A case that becomes green-channel (priority_group set by a task) takes its open tasks
    with it, so the list puts them first; a green case's new tasks are green from the start."""
    engine.deploy(bundle(_fork("fork_green")), "designer")
    plain = engine.start("fork_green", {}, "FG-1", "clerk", "320281")
    other = engine.start("fork_green", {}, "FG-2", "clerk", "320281")
    assert _green(engine, plain.id) == {"Task_A": False, "Task_B": False}
    task_a = next(r.task for r in engine.task_page(CENTRE, queries.TaskFilter(instance_id=plain.id))[0]
                  if r.task.bpmn_id == "Task_A")
    engine.claim(task_a.id, CENTRE)
    engine.complete(task_a.id, {"priority_group": "elderly"}, CENTRE)
    assert _green(engine, plain.id) == {"Task_B": True}
    assert _green(engine, other.id) == {"Task_A": False, "Task_B": False}
    rows, _ = engine.task_page(CENTRE, queries.TaskFilter())
    assert [(r.business_key, r.green) for r in rows][0] == ("FG-1", True)
    started_green = engine.start("fork_green", {"priority_group": "disabled"}, "FG-3", "clerk", "320281")
    assert _green(engine, started_green.id) == {"Task_A": True, "Task_B": True}


def test_X_STAFF_a_capped_count_stops_after_the_cap(engine):
    """The tabs' counts read at most cap + 1 tasks: cap + 1 means "more than cap"."""
    engine.deploy(bundle(_fork("fork_count")), "designer")
    for n in range(2):
        engine.start("fork_count", {}, f"FC-{n}", "clerk", "320281")
    f = queries.TaskFilter(offered=True)
    assert engine.task_count(CENTRE, f) == 4
    assert engine.task_count(CENTRE, f, cap=10) == 4
    assert engine.task_count(CENTRE, f, cap=2) == 3
    rows, total = engine.task_page(CENTRE, queries.TaskFilter(offered=True, limit=1, offset=1))
    assert len(rows) == 1 and total == 4  # under the cap: exact
