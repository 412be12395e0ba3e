"""The process designer's engine side (issue 13, X-DESIGN, X-TIMERS): drafts saved on the
server and deployed through the one deploy command, the deploy checks run on a draft,
the diff of two versions and a simulation on the working-day calendar, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from api.settings import ROOT
from engine.definitions.drafts import process_ids
from engine.definitions.xml_safety import parse_xml
from engine.errors import Conflict, DefinitionInvalid, NotFound, ValidationFailed
from tests.engine.helpers import mini_bundle, mini_xml, unique_key

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _deployed(engine, key: str):
    [v1] = engine.deploy(mini_bundle(mini_xml(key)), "designer-a").definitions
    return v1


def test_X_DESIGN_draft_saved_loaded_and_deployed_as_the_next_version(engine):
    key = unique_key("draft")
    v1 = _deployed(engine, key)
    revised = mini_xml(key).replace('name="审核"', 'name="复核"').encode()
    saved = engine.save_process_draft(key, revised, "designer-a", base_definition_id=v1.id)
    draft = engine.process_draft(key)
    assert (saved.revision, draft.xml, draft.base_definition_id) == (1, revised, v1.id)
    engine.save_process_draft(key, revised, "designer-a", revision=1)
    with pytest.raises(Conflict):  # a save over a newer one (another designer's) is refused
        engine.save_process_draft(key, revised, "designer-b", revision=1)

    [v2] = engine.deploy_draft(key, "designer-a").definitions
    assert (v2.key, v2.version, v2.deployed_by) == (key, v1.version + 1, "designer-a")
    assert engine.definition_diagram(v2) == revised
    assert engine.process_draft(key) is None  # deployed: the draft is gone
    assert [d.version for d in engine.process_versions(key)] == [2, 1]
    with pytest.raises(NotFound):
        engine.deploy_draft(key, "designer-a")


def test_X_DESIGN_a_deployed_diagram_saved_unchanged_redeploys_as_the_same_version(engine):
    key = unique_key("same")
    v1 = _deployed(engine, key)
    engine.save_process_draft(key, engine.definition_diagram(v1), "designer-a", base_definition_id=v1.id)
    assert engine.lint_draft(key, engine.process_draft(key).xml) == []
    [again] = engine.deploy_draft(key, "designer-a").definitions
    assert (again.id, again.version) == (v1.id, 1)


def test_X_DESIGN_drafts_refuse_what_is_no_diagram_of_their_process(engine):
    key = unique_key("bad")
    with pytest.raises(ValidationFailed) as wrong:
        engine.save_process_draft(key, mini_xml("other_process").encode(), "designer-a")
    assert "xml" in wrong.value.details["fields"]
    with pytest.raises(ValidationFailed) as bad_key:
        engine.save_process_draft("1 no", mini_xml(key).encode(), "designer-a")
    assert "key" in bad_key.value.details["fields"]
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(DefinitionInvalid):
        engine.save_process_draft(key, hostile, "designer-a")
    with pytest.raises(ValidationFailed):
        engine.save_process_draft(key, b"<a>" + b" " * (6 * 1024 * 1024) + b"</a>", "designer-a")
    assert engine.process_draft(key) is None


def test_X_DESIGN_lint_names_the_flow_whose_condition_imports(engine):
    key = unique_key("lint")
    _deployed(engine, key)
    broken = mini_xml(key).replace("approved == 'yes'", "__import__('os').system('id')").encode()
    problems = engine.lint_draft(key, broken)
    assert any(p["element"] == "Flow_Yes" and "__import__" in p["message"] for p in problems), problems
    assert engine.process_draft(key) is None  # linting stores nothing


def test_X_DESIGN_diff_of_two_versions_names_changed_added_and_removed_elements(engine):
    key = unique_key("diff")
    v1 = _deployed(engine, key)
    xml = (mini_xml(key).replace('name="审核"', 'name="复核"')
           .replace("approved == 'yes'", "approved == 'ja'")
           .replace('<bpmn:endEvent id="End_Refused" name="不通过">', '<bpmn:endEvent id="End_No" name="不予受理">')
           .replace('targetRef="End_Refused"', 'targetRef="End_No"')
           .replace('bpmnElement="End_Refused"', 'bpmnElement="End_No"'))
    [v2] = engine.deploy(mini_bundle(xml), "designer-a").definitions
    changes = {(c.element, c.change): c for c in engine.diff_versions(v1, v2)}
    assert set(changes) == {("Task_Review", "changed"), ("Flow_Yes", "changed"), ("Flow_No", "changed"),
                            ("End_Refused", "removed"), ("End_No", "added")}
    assert changes["Task_Review", "changed"].what == ["name"]
    assert changes["Task_Review", "changed"].before == {"name": "审核"}
    assert changes["Flow_Yes", "changed"].what == ["condition"]
    assert changes["Flow_No", "changed"].what == ["target"]
    assert changes["End_No", "added"].name == "不予受理"
    assert engine.diff_versions(v1, v1) == []


def _four_days(key: str) -> bytes:
    return mini_xml(key).replace("add_working_days(now(), 2)", "add_working_days(now(), 4)").encode()


def test_X_TIMERS_simulation_counts_working_days_across_national_day_and_its_make_up_saturday(engine):
    key = unique_key("sim")
    _deployed(engine, key)
    start = dt.datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)  # Tuesday; 1-7 October are holidays
    # On time: the review is done when reached, the deadline is met, the case goes on.
    done = engine.simulate_draft(key, _four_days(key), {"approved": "yes"}, start)
    assert [s.element for s in done.steps] == ["StartEvent_Apply", "Task_Review", "Gateway_Ok", "Service_Notify",
                                               "End_Approved"]
    assert done.finished and done.error is None
    [deadline] = done.deadlines
    # 30 Sep, 8 Oct, 9 Oct, Saturday 10 Oct (调休, a working day): office close that day.
    assert deadline.due_at == dt.datetime(2026, 10, 10, 17, 30, tzinfo=SHANGHAI)
    assert (deadline.element, deadline.attached_to, deadline.outcome) == ("Timer_Review", "Task_Review", "met")

    # Late: the review waits, the timer fires on its due day, supervision follows.
    late = engine.simulate_draft(key, _four_days(key), {"approved": "yes"}, start, late=["Task_Review"])
    assert [s.element for s in late.steps][-3:] == ["Timer_Review", "Task_Supervise", "End_Supervised"]
    assert late.steps[-1].at == dt.datetime(2026, 10, 10, 17, 30, tzinfo=SHANGHAI)
    assert late.deadlines[0].outcome == "missed"
    assert (late.finished, late.waiting_for) == (False, ["Task_Review"])


def test_X_DESIGN_simulation_refuses_a_draft_that_would_not_deploy(engine):
    key = unique_key("simbad")
    _deployed(engine, key)
    broken = mini_xml(key).replace("approved == 'yes'", "__import__('os')").encode()
    with pytest.raises(DefinitionInvalid):
        engine.simulate_draft(key, broken, {}, dt.datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI))


def test_X_DESIGN_every_deployed_diagram_opens_saves_lints_clean_and_redeploys_as_the_same_version(scenario):
    engine = scenario.engine
    project = {key for path in (ROOT / "workflows").rglob("*.bpmn")
               for key in process_ids(parse_xml(path.read_bytes(), path.name))}
    latest = {d.key: d for d in engine.definitions() if d.key in project}  # by version: the last one stays
    assert {"wuhai_one_door", "jiangyin_one_door", "tengzhou_one_door", "common_department_handling"} <= set(latest)
    for key, definition in sorted(latest.items()):
        xml = engine.definition_diagram(definition)
        engine.save_process_draft(key, xml, "designer-a", base_definition_id=definition.id)
        assert engine.lint_draft(key, xml) == [], key
        redeployed = {d.key: d for d in engine.deploy_draft(key, "designer-a").definitions}
        assert redeployed[key].id == definition.id, key  # the same version: nothing changed


def _open_task(engine, instance_id: str):
    import sqlalchemy as sa

    from engine.store.models import HumanTask

    with engine.db.reading() as s:
        return s.scalar(sa.select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open"))


def test_X_DESIGN_a_waiting_case_migrates_to_a_new_version_keeping_its_task_and_deadline(engine):
    from engine.auth import Principal
    from engine.store.models import Instance, Timer

    key = unique_key("mig")
    v1 = _deployed(engine, key)
    stays = engine.start(key, {}, "MIG-1", "clerk")
    moves = engine.start(key, {}, "MIG-2", "clerk")
    task_before = _open_task(engine, moves.id)
    with engine.db.reading() as s:
        due_before = s.query(Timer).filter(Timer.instance_id == moves.id).one().due_at
    # Version 2: the review is renamed and a refusal now ends elsewhere (End_No for End_Refused).
    xml = (mini_xml(key).replace('name="审核"', 'name="复核"')
           .replace('<bpmn:endEvent id="End_Refused" name="不通过">', '<bpmn:endEvent id="End_No" name="不予受理">')
           .replace('targetRef="End_Refused"', 'targetRef="End_No"').replace('bpmnElement="End_Refused"',
                                                                            'bpmnElement="End_No"'))
    [v2] = engine.deploy(mini_bundle(xml), "designer-a").definitions
    engine.approve_definition(key, 2, "designer-b")  # the process has cases: a second person approves

    # Its predicted end event End_Refused is gone in version 2: refused, naming it; nothing moved.
    with pytest.raises(Conflict) as refused:
        engine.migrate_case(moves.id, 2, "designer-a")
    assert {o["element"] for o in refused.value.details["obstacles"]} == {"End_Refused"}
    with engine.db.reading() as s:
        assert s.get(Instance, moves.id).definition_id == v1.id

    # Version 3 keeps every element of version 1 and renames the review: the case moves.
    [v3] = engine.deploy(mini_bundle(mini_xml(key).replace('name="审核"', 'name="复核"')
                                     .replace("add_working_days(now(), 2)", "add_working_days(now(), 5)")),
                         "designer-a").definitions
    engine.approve_definition(key, 3, "designer-b")
    moved = engine.migrate_case(moves.id, 3, "designer-a")
    assert moved.definition_id == v3.id
    task_after = _open_task(engine, moves.id)
    assert task_after.id == task_before.id  # the same open task: a claim would stay
    with engine.db.reading() as s:
        assert s.query(Timer).filter(Timer.instance_id == moves.id).one().due_at == due_before  # not restarted
        assert s.get(Instance, stays.id).definition_id == v1.id  # the other case stays on version 1
    with pytest.raises(Conflict):
        engine.migrate_case(moves.id, 3, "designer-a")  # already there
    # It runs on, on version 3.
    window = Principal("window-1", ("clerk",), ("county-centre",))
    engine.claim(task_after.id, window)
    engine.complete(task_after.id, {"approved": "no"}, window)
    with engine.db.reading() as s:
        assert s.get(Instance, moves.id).status == "completed"
    assert v2.version == 2
