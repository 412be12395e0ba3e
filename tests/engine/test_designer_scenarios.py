"""Saved simulation scenarios and simulation through message waits (issue 13, X-DESIGN,
X-TIMERS): scenarios saved per process and checked when saved, re-run on a draft as
regression checks, run before each deploy (a failing one stops the deploy unless the
designer confirms, and that is audited); the simulator delivers the messages a scenario
gives (a department system's answer) instead of stopping. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.definitions.simulate import Message
from engine.errors import Conflict, NotFound, ValidationFailed
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.support import diagrams as d

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
REFUSED = {"start": "2026-09-29T10:00", "data": {"approved": "no"}}
# Three working days from Tuesday 29 September: the 30th, then 8 and 9 October (holiday).
EXPECT_REFUSED = {"end": "End_Refused", "path": ["Task_Review", "Gateway_Ok"],
                  "deadlines": {"Timer_Review": {"outcome": "met", "due_at": "2026-10-09T17:30:00+08:00"}}}


def _three_days(key: str) -> bytes:
    return mini_xml(key).replace("add_working_days(now(), 2)", "add_working_days(now(), 3)").encode()


def _setup(engine) -> str:
    key = unique_key("scen")
    engine.deploy(mini_bundle(mini_xml(key).replace("add_working_days(now(), 2)", "add_working_days(now(), 3)")),
                  "designer-a")
    engine.save_scenario(key, "不通过", REFUSED, EXPECT_REFUSED, "designer-a")
    engine.save_scenario(key, "超期督办", {**REFUSED, "late": ["Task_Review"]},
                         {"path": ["Timer_Review", "Task_Supervise", "End_Supervised"], "finished": False,
                          "deadlines": {"Timer_Review": {"outcome": "missed"}}}, "designer-a")
    return key


def test_X_DESIGN_saved_scenarios_rerun_as_regression_checks_on_a_draft(engine):
    key = _setup(engine)
    assert [s.name for s in engine.scenarios(key)] == ["不通过", "超期督办"]
    results = engine.run_scenarios(key)  # no draft: the latest version
    assert [(r.name, r.passed) for r in results] == [("不通过", True), ("超期督办", True)], \
        [r.failures for r in results]
    # A draft that moves the deadline to 2 working days and ends refusals elsewhere fails both
    # checks of the first scenario, each named; the second still passes.
    changed = (_three_days(key).decode().replace("add_working_days(now(), 3)", "add_working_days(now(), 2)")
               .replace('id="End_Refused"', 'id="End_No"').replace('targetRef="End_Refused"', 'targetRef="End_No"')
               .replace('bpmnElement="End_Refused"', 'bpmnElement="End_No"'))
    first, second = engine.run_scenarios(key, changed.encode())
    assert not first.passed and second.passed
    assert {(f["check"], str(f["actual"])) for f in first.failures} == {
        ("end", "End_No"), ("deadline_due", "2026-10-08T17:30:00+08:00")}
    # Saved again under the same name: replaced, not doubled.
    engine.save_scenario(key, "不通过", REFUSED, {"end": "End_Refused"}, "designer-b")
    assert len(engine.scenarios(key)) == 2
    engine.delete_scenario(key, "超期督办")
    assert [s.name for s in engine.scenarios(key)] == ["不通过"]
    with pytest.raises(NotFound):
        engine.delete_scenario(key, "超期督办")


@pytest.mark.parametrize(("scenario", "expected", "field"), [
    ({"start": "soon"}, {"end": "End_Refused"}, "scenario.start"),
    ({"start": "2026-09-29T10:00", "data": []}, {"end": "End_Refused"}, "scenario.data"),
    ({"start": "2026-09-29T10:00", "late": "Task_Review"}, {"end": "End_Refused"}, "scenario.late"),
    ({"start": "2026-09-29T10:00", "messages": [{"payload": {}}]}, {"end": "x"}, "scenario.messages[0]"),
    ({"start": "2026-09-29T10:00", "messages": [{"name": "m", "after_hours": -1}]}, {"end": "x"},
     "scenario.messages[0].after_hours"),
    ({"start": "2026-09-29T10:00", "clock": 1}, {"end": "x"}, "scenario"),
    (REFUSED, {}, "expected"),
    (REFUSED, {"deadlines": {"Timer_Review": {"outcome": "late"}}}, "expected.deadlines.Timer_Review.outcome"),
    (REFUSED, {"finished": "yes"}, "expected.finished"),
])
def test_X_DESIGN_a_scenario_with_bad_fields_is_refused_naming_the_field_and_nothing_is_saved(
        engine, scenario, expected, field):
    key = unique_key("scenbad")
    with pytest.raises(ValidationFailed) as err:
        engine.save_scenario(key, "坏", scenario, expected, "designer-a")
    assert field in err.value.details["fields"]
    assert engine.scenarios(key) == []
    with pytest.raises(ValidationFailed) as err:
        engine.save_scenario(key, " ", REFUSED, EXPECT_REFUSED, "designer-a")
    assert "name" in err.value.details["fields"]


def test_X_DESIGN_a_draft_failing_a_scenario_deploys_only_when_confirmed_and_that_is_audited(engine):
    from engine.store.models import AuditEvent as Event

    key = _setup(engine)
    passing = _three_days(key).decode().replace('name="审核"', 'name="复核"')
    engine.save_process_draft(key, passing.encode(), "designer-a")
    assert engine.process_versions(key)[0].version == 1
    [v2] = [x for x in engine.deploy_draft(key, "designer-a").definitions if x.key == key]
    assert v2.version == 2  # every scenario passes: deployed without a question

    failing = passing.replace("add_working_days(now(), 3)", "add_working_days(now(), 5)")
    engine.save_process_draft(key, failing.encode(), "designer-a")
    with pytest.raises(Conflict) as refused:
        engine.deploy_draft(key, "designer-a")
    [named] = refused.value.details["scenarios"]
    assert named["name"] == "不通过" and named["failures"][0]["element"] == "Timer_Review"
    assert engine.process_versions(key)[0].version == 2 and engine.process_draft(key) is not None

    [v3] = [x for x in engine.deploy_draft(key, "designer-b", confirm_failing=True).definitions if x.key == key]
    assert v3.version == 3
    with engine.db.reading() as s:
        events = s.scalars(sa.select(Event).where(Event.command == "deploy_with_failing_scenarios")).all()
    [event] = [e for e in events if e.input.get("process") == key]
    assert event.actor == "designer-b" and f"{key}:3" in event.input["versions"]
    assert set(event.input["scenarios"]) == {"不通过"}


ANSWER = '<bpmn:message id="Message_Answer" name="department_result" />'
WAIT = ('<bpmn:receiveTask id="Receive_Answer" name="等待部门回复" messageRef="Message_Answer">'
        '<bpmn:extensionElements><spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>'
        '<spiffworkflow:properties><spiffworkflow:property name="allowedSenders" value="role:clerk" />'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:receiveTask>')
REMIND = ('<bpmn:boundaryEvent id="Timer_Answer" name="5个工作日" attachedToRef="Receive_Answer" '
          'cancelActivity="false"><bpmn:outgoing>Flow_Remind</bpmn:outgoing><bpmn:timerEventDefinition>'
          '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_working_days(now(), 5)</bpmn:timeDate>'
          '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
          + d.user_task("Task_Remind") + '<bpmn:endEvent id="End_Reminded" name="督办完成" />'
          '<bpmn:sequenceFlow id="Flow_Remind" sourceRef="Timer_Answer" targetRef="Task_Remind" />'
          '<bpmn:sequenceFlow id="Flow_RemindEnd" sourceRef="Task_Remind" targetRef="End_Reminded" />')


def test_X_DESIGN_simulation_delivers_the_scenarios_message_to_a_department_wait(engine):
    key = unique_key("simmsg")
    xml = d.chain(key, [WAIT, d.script_task("Script_Read", "decision = answer['decision']")], extra=REMIND,
                  definitions_extra=ANSWER)
    engine.deploy(d.bundle(xml), "designer-a")
    start = dt.datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)
    # Without the message the run stops at the wait, as before.
    stopped = engine.simulate_draft(key, xml.encode(), {}, start)
    assert not stopped.finished and "Receive_Answer" in stopped.waiting_for
    # The answer comes two days later, before the 5-working-day deadline: delivered, the
    # case reads it and finishes; the deadline was met.
    answer = Message("department_result", {"decision": "准予"}, at=dt.datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI))
    run = engine.simulate_draft(key, xml.encode(), {}, start, messages=[answer])
    assert run.finished and run.error is None, (run.error, run.waiting_for)
    assert [s.element for s in run.steps][-3:] == ["Receive_Answer", "Script_Read", "EndEvent_1"]
    assert run.steps[-1].at == dt.datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
    assert (run.messages[0].delivered_at, run.messages[0].element) == (answer.at, "Receive_Answer")
    assert answer.delivered_at is None  # the caller's message is not changed
    [deadline] = run.deadlines
    assert deadline.outcome == "met"
    # An answer 10 days after the wait began comes after the deadline (5 working days from
    # 29 September: 30 Sep, 8, 9, 10 (make-up Saturday), 12 Oct): the reminder fires first,
    # then the answer arrives and the case finishes.
    slow = engine.simulate_draft(key, xml.encode(), {}, start, task_data={},
                                 messages=[Message("department_result", {"decision": "准予"}, after_hours=24 * 15)])
    path = [s.element for s in slow.steps]
    assert path.index("Timer_Answer") < path.index("Receive_Answer") and "End_Reminded" in path
    assert slow.deadlines[0].due_at == dt.datetime(2026, 10, 12, 17, 30, tzinfo=SHANGHAI)
    assert slow.messages[0].delivered_at == start + dt.timedelta(hours=24 * 15) and slow.finished

    # As a saved scenario: the messages field says what and when.
    engine.save_scenario(key, "部门两天后回复", {"start": "2026-09-29T10:00", "messages": [
        {"name": "department_result", "payload": {"decision": "准予"}, "at": "2026-10-01T09:00"}]},
        {"end": "EndEvent_1", "deadlines": {"Timer_Answer": {"outcome": "met"}}}, "designer-a")
    [result] = engine.run_scenarios(key, xml.encode())
    assert result.passed, result.failures
