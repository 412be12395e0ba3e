"""The staff's work list in the engine (X-STAFF, J-GREEN, W-SUPERVISE, J-SEC): a task keeps
its deadline after its deadline timer fired (overdue list), the cases' summary for filters
and ordering, drafts per task and user, handing a task over with a reason."""

from __future__ import annotations

import pytest

from engine import queries
from engine.auth import Principal
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.scenarios.test_jiangyin import PROCESS, accepted, application
from tests.support.scenario import JIANGYIN, staff

CENTRE = Principal("centre-a", ("dispatcher",), ("county-centre",), None, JIANGYIN)
YIXING = Principal("centre-yx", ("dispatcher",), ("county-centre",), None, "320282")


def _open(engine, who, **kw):
    return {r.task.bpmn_id for r in engine.task_page(who, queries.TaskFilter(**kw))[0]}


def test_W_SUPERVISE_a_task_stays_overdue_after_its_deadline_timer_fired(scenario):
    """121号 三(二)2: dispatch within 2 working days. When the timer fires (supervision opens),
    the dispatch task keeps its deadline and is listed as overdue while it is still open."""
    case = accepted(scenario, "JY-OVERDUE-1")
    due = case.task("Task_Dispatch")["due_at"]
    assert due is not None
    engine = scenario.engine
    assert engine.task_count(CENTRE, queries.TaskFilter(overdue_at=engine.clock.now())) == 0
    case.advance(working_days=2)
    assert "Task_SuperviseDispatch" in case.open_tasks()  # the timer fired
    assert case.task("Task_Dispatch")["due_at"] == due
    overdue = engine.task_page(CENTRE, queries.TaskFilter(overdue_at=engine.clock.now()))[0]
    assert [r.task.bpmn_id for r in overdue] == ["Task_Dispatch"]
    assert engine.task_count(YIXING, queries.TaskFilter(overdue_at=engine.clock.now())) == 0
    case.complete("Task_Dispatch", {"dispatch_route": "dispatch", "departments": case.data["departments"]})
    assert engine.task_count(CENTRE, queries.TaskFilter(overdue_at=engine.clock.now())) == 0


def test_J_GREEN_green_channel_cases_come_first_and_filters_find_cases(scenario):
    engine = scenario.engine
    plain = scenario.start(PROCESS, application(applicant_name="王大明"), "JY-LIST-1")
    green = scenario.start(PROCESS, application(applicant_name="李小红", priority_group="elderly",
                                                channel="grid", grid_worker="赵磊"), "JY-LIST-2")
    clerk = staff("window")
    assert plain.instance.channel == "window" and plain.instance.green is False
    assert green.instance.green is True and green.instance.applicant_display == "李*红"
    assert green.instance.applicant_name is None  # never in clear (issue 10): masked, and a keyed token
    rows, total = engine.task_page(clerk, queries.TaskFilter())
    assert total == 2 and [r.business_key for r in rows] == ["JY-LIST-2", "JY-LIST-1"]
    assert rows[0].green and rows[0].channel == "grid"

    def keys(**kw):
        return [r.business_key for r in engine.task_page(clerk, queries.TaskFilter(**kw))[0]]
    assert keys(text="李小红") == ["JY-LIST-2"]  # the full name
    assert keys(text="小红") == []  # a partial name no longer matches
    assert keys(text="list-1") == ["JY-LIST-1"]
    assert keys(text="%") == []  # a wildcard is a character, not a pattern
    assert keys(channel="window") == ["JY-LIST-1"]
    assert keys(aid_type="dibao") == ["JY-LIST-2", "JY-LIST-1"] and keys(aid_type="tekun") == []
    assert keys(process_key=PROCESS) == ["JY-LIST-2", "JY-LIST-1"]
    assert keys(process_key="wuhai_relief") == []
    assert keys(stage="Task_CheckMaterials") == ["JY-LIST-2", "JY-LIST-1"]
    assert keys(stage="Task_Accept") == []
    # The stage choices come from the deployed definitions (issue 15: not a DISTINCT over
    # every open task): the window's stages, with or without open tasks, not the centre's.
    stages = dict(engine.task_stages(clerk))
    assert stages["Task_CheckMaterials"] == plain.task("Task_CheckMaterials")["name"]
    assert "Task_WindowFeedback" in stages and "Task_Dispatch" not in stages
    assert "Task_Dispatch" in dict(engine.task_stages(CENTRE))
    assert engine.task_count(staff("window", "320282"), queries.TaskFilter()) == 0


def test_X_STAFF_drafts_are_kept_per_task_and_user_and_deleted_on_completion(scenario):
    engine = scenario.engine
    case = scenario.start(PROCESS, application(), "JY-DRAFT-1")
    task_id = case.task("Task_CheckMaterials")["id"]
    me, colleague = staff("window"), Principal("window-2", ("clerk",), ("window",), None, JIANGYIN)
    engine.save_draft(me, task_id, {"materials_complete": "no", "missing_materials": "户口簿"})
    engine.save_draft(me, task_id, {"materials_complete": "no", "missing_materials": "户口簿、身份证"})
    assert engine.draft(me, task_id).data == {"materials_complete": "no", "missing_materials": "户口簿、身份证"}
    assert engine.draft(colleague, task_id) is None
    with pytest.raises(Forbidden):
        engine.save_draft(staff("window", "320282"), task_id, {"x": 1})
    with pytest.raises(Forbidden):
        engine.draft(staff("window", "320282"), task_id)
    with pytest.raises(Forbidden):  # not a candidate group of the task
        engine.save_draft(staff("county-centre"), task_id, {"x": 1})
    with pytest.raises(NotFound):
        engine.save_draft(me, "no-such-task", {})
    with pytest.raises(ValidationFailed) as err:
        engine.save_draft(me, task_id, ["not", "an", "object"])
    assert "data" in err.value.details["fields"]
    with pytest.raises(ValidationFailed):
        engine.save_draft(me, task_id, {"text": "x" * 100_001})
    assert engine.draft(me, task_id).data["missing_materials"] == "户口簿、身份证"
    engine.save_draft(colleague, task_id, {"materials_note": "另一人"})
    engine.claim(task_id, me)
    engine.complete(task_id, {"materials_complete": "yes"}, me)
    assert engine.draft(me, task_id) is None and engine.draft(colleague, task_id) is None
    with pytest.raises(Conflict):
        engine.save_draft(me, task_id, {"materials_complete": "yes"})


def test_W_FIRST_a_task_is_handed_over_with_a_reason_written_in_the_case_history(scenario):
    engine = scenario.engine
    users = engine.users
    users.add("admin", "window-a", "password-long-1", ["clerk"], ["window"], None, JIANGYIN, "甲")
    users.add("admin", "window-b", "password-long-1", ["clerk"], ["window"], None, JIANGYIN, "乙")
    users.add("admin", "window-yx", "password-long-1", ["clerk"], ["window"], None, "320282", "丙")
    users.add("admin", "centre-b", "password-long-1", ["dispatcher"], ["county-centre"], None, JIANGYIN, "丁")
    a = Principal("window-a", ("clerk",), ("window",), None, JIANGYIN)
    b = Principal("window-b", ("clerk",), ("window",), None, JIANGYIN)
    case = scenario.start(PROCESS, application(), "JY-HAND-1")
    task = case.task("Task_CheckMaterials")
    with pytest.raises(Forbidden):  # nobody holds it yet: claim first
        engine.hand_over(task["id"], a, "window-b", "休假")
    engine.claim(task["id"], a)
    # Other tests' accounts may share the database: judge only the ones made here.
    offered = {u for u, _ in engine.colleagues_for(a, engine.task_for(a, task["id"]))}
    assert "window-b" in offered and not offered & {"window-a", "window-yx", "centre-b"}
    for to, reason, field in [("window-b", "  ", "reason"), ("window-yx", "休假", "to"), ("centre-b", "休假", "to"),
                              ("nobody", "休假", "to"), ("window-a", "休假", "to")]:
        with pytest.raises(ValidationFailed) as err:
            engine.hand_over(task["id"], a, to, reason)
        assert field in err.value.details["fields"], (to, reason)
    with pytest.raises(Forbidden):
        engine.hand_over(task["id"], b, "window-b", "不是我的")
    row = engine.hand_over(task["id"], a, "window-b", "本人下午休假，转交乙办理")
    assert row.assignee == "window-b"
    [event] = [e for e in case.history() if e.command == "hand_over_task"]
    assert event.actor == "window-a"
    assert event.input["to"] == "window-b" and event.input["reason"] == "本人下午休假，转交乙办理"
    engine.complete(task["id"], {"materials_complete": "yes"}, b)


def test_X_STAFF_saved_views_are_shared_per_role_and_region(engine):
    a = Principal("window-a", ("clerk",), ("window",), None, JIANGYIN)
    b = Principal("window-b", ("clerk",), ("window",), None, JIANGYIN)
    boss = Principal("centre-a", ("dispatcher", "clerk"), ("county-centre",), None, JIANGYIN)
    yixing = Principal("window-yx", ("clerk",), ("window",), None, "320282")
    view = engine.save_view(a, " 超期的网格案件 ", "clerk", {"tab": "overdue", "channel": "grid"})
    assert view.name == "超期的网格案件" and view.region == JIANGYIN
    assert [v.name for v in engine.views_for(b)] == ["超期的网格案件"]
    assert [v.filters for v in engine.views_for(boss)] == [{"tab": "overdue", "channel": "grid"}]
    assert engine.views_for(yixing) == [] and engine.views_for(CENTRE) == []
    for name, role, filters, field in [("", "clerk", {}, "name"), ("x" * 81, "clerk", {}, "name"),
                                       ("v", "leader", {}, "role"), ("v", "clerk", {"tab": 1}, "filters"),
                                       ("v", "clerk", {f"k{i}": "v" for i in range(21)}, "filters")]:
        with pytest.raises(ValidationFailed) as err:
            engine.save_view(a, name, role, filters)
        assert field in err.value.details["fields"]
    with pytest.raises(Forbidden):  # shared with b, but only its author deletes it
        engine.delete_view(b, view.id)
    with pytest.raises(NotFound):  # another region's never hears of it
        engine.delete_view(yixing, view.id)
    engine.delete_view(a, view.id)
    assert engine.views_for(b) == []
