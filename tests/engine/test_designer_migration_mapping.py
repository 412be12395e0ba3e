"""Migration of running cases with an element mapping (issue 13, X-DESIGN, X-AUDIT), on
SQLite and PostgreSQL: a preview of what moves that changes nothing, refusal with reasons
(a completed or active element missing and unmapped), a mapping for renamed elements
(checked: 422 naming the pair), the open task, its claim and its deadline kept under the
new ids, the move in the case's history, and `relief audit verify` re-executing the
migrated case from the version it started on to the one it runs on."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main
from engine.auth import Principal
from engine.errors import Conflict, ValidationFailed
from engine.store.models import HumanTask, Instance, Timer
from tests.engine.helpers import mini_bundle, mini_xml, unique_key

WINDOW = Principal("window-1", ("clerk",), ("county-centre",))
MAPPING = {"Task_Review": "Task_Check", "Timer_Review": "Timer_Check"}


def _renamed(key: str) -> str:
    """Version 2: the review and its deadline have new ids (and the review a new name)."""
    xml = mini_xml(key).replace('name="审核"', 'name="材料核查"')
    for old, new in MAPPING.items():
        xml = xml.replace(f'"{old}"', f'"{new}"').replace(f">{old}<", f">{new}<")
    return xml


def _rows(engine, instance_id: str):
    with engine.db.reading() as s:
        tasks = s.query(HumanTask).filter(HumanTask.instance_id == instance_id, HumanTask.state == "open").all()
        timers = s.query(Timer).filter(Timer.instance_id == instance_id, Timer.state == "pending").all()
        return s.get(Instance, instance_id), tasks, timers


def _events(engine, instance_id: str) -> int:
    from engine.store.models import AuditEvent

    with engine.db.reading() as s:
        return s.query(AuditEvent).filter(AuditEvent.instance_id == instance_id).count()


def test_X_DESIGN_a_case_migrates_with_an_element_mapping_after_a_preview_and_verifies(engine, cli_env):
    key = unique_key("mapmig")
    [v1] = engine.deploy(mini_bundle(mini_xml(key)), "designer-a").definitions
    waiting = engine.start(key, {}, "MAP-1", "clerk")  # at the review, its deadline pending
    passed = engine.start(key, {}, "MAP-2", "clerk")  # the review done: at the notice job
    _, [open_task], _ = _rows(engine, passed.id)
    engine.claim(open_task.id, WINDOW)
    engine.complete(open_task.id, {"approved": "yes"}, WINDOW)
    [v2] = engine.deploy(mini_bundle(_renamed(key)), "designer-a").definitions
    engine.approve_definition(key, 2, "designer-b")
    _, [task_before], [timer_before] = _rows(engine, waiting.id)
    engine.claim(task_before.id, WINDOW)

    # Without a mapping: refused, naming the active elements and why; nothing changes.
    with pytest.raises(Conflict) as refused:
        engine.migrate_case(waiting.id, 2, "designer-a")
    assert {(o["element"], o["state"], o["reason"]) for o in refused.value.details["obstacles"]} == {
        ("Task_Review", "active", "missing"), ("Timer_Review", "active", "missing")}
    # A completed task that no longer exists (unmapped) is refused as such.
    with pytest.raises(Conflict) as completed:
        engine.migrate_case(passed.id, 2, "designer-a")
    assert ("Task_Review", "completed", "missing") in {
        (o["element"], o["state"], o["reason"]) for o in completed.value.details["obstacles"]}

    # Mappings naming no such element, or another kind, are 422 naming the pair.
    for bad, says in (({"Task_Nope": "Task_Check"}, "not an element of the case's version"),
                      ({"Task_Review": "Task_Nope"}, "not an element of the target version"),
                      ({"Task_Review": "Timer_Check"}, "another kind of element")):
        with pytest.raises(ValidationFailed) as err:
            engine.preview_migration(waiting.id, 2, "designer-a", mapping=bad)
        assert says in err.value.details["fields"]["mapping"][0]

    # The preview with the mapping: it would move, and what it waits at, old → new.
    events_before = _events(engine, waiting.id)
    plan = engine.preview_migration(waiting.id, 2, "designer-a", key, MAPPING)
    assert plan.moves and plan.obstacles == [] and (plan.source, plan.target) == (f"{key}:1", f"{key}:2")
    assert plan.waiting == [{"element": "Task_Review", "to": "Task_Check"},
                            {"element": "Timer_Review", "to": "Timer_Check"}]
    row, _, _ = _rows(engine, waiting.id)
    assert row.definition_id == v1.id  # the preview changed nothing
    assert _events(engine, waiting.id) == events_before

    moved = engine.migrate_case(waiting.id, 2, "designer-a", key, MAPPING)
    assert moved.definition_id == v2.id
    row, [task_after], [timer_after] = _rows(engine, waiting.id)
    # The same task row (its claim stays) and the same deadline, under the new ids.
    assert (task_after.id, task_after.assignee, task_after.bpmn_id, task_after.name) == (
        task_before.id, "window-1", "Task_Check", "材料核查")
    assert (timer_after.id, timer_after.due_at, timer_after.bpmn_id) == (
        timer_before.id, timer_before.due_at, "Timer_Check")
    with engine.db.reading() as s:
        assert s.get(Instance, passed.id).definition_id == v1.id  # the refused case stays

    # It runs on, on version 2; the history holds the move with its mapping.
    engine.complete(task_after.id, {"approved": "no"}, WINDOW)
    row, _, _ = _rows(engine, waiting.id)
    assert row.status == "completed"
    replay = engine.replay_case(waiting.id)
    [event] = [s for s in replay.steps if s.command == "migrate_instance"]
    assert event.input == {"from": f"{key}:1", "to": f"{key}:2", "waiting": ["Task_Review", "Timer_Review"],
                           "mapping": MAPPING}
    assert replay.ok, replay.line()
    # The auditor's command re-executes it from version 1 through the move: OK.
    verified = CliRunner().invoke(main, ["audit", "verify", waiting.id])
    assert verified.exit_code == 0 and verified.output.startswith(f"OK {waiting.id}"), verified.output

