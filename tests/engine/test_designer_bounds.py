"""Issue 9 defect 2 (and the start-time part of defect 7): designer code can never freeze or
crash the server. What once hung a start, a timer or a job now ends at a bound, as a 422
naming the BPMN element and the bound (an incident for timers and jobs), and nothing of
the failed command is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.auth import Principal
from engine.errors import DefinitionInvalid, ProcessError
from engine.scripting import Limits
from engine.store.models import HumanTask, Instance, Job
from tests.engine.helpers import unique_key
from tests.support import diagrams as d
from tests.timers.helpers import at, timers

CENTRE = Principal("centre-1", ("dispatcher",), ("county-centre",))
HANGING_SCRIPTS = {
    "nested loops": "x = 0\nfor i in range(10000):\n    for j in range(10000):\n        x = x + 1",
    "exponential recursion": "def f(n):\n    return 1 if n < 2 else f(n - 1) + f(n - 2)\nx = f(40)",
    "repeated squaring": "x = 3\nfor i in range(40):\n    x = x * x",
}


def _instances(engine) -> int:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count(Instance.id)))


def _user_tasks(engine, instance_id: str) -> list[HumanTask]:
    with engine.db.session() as s:
        return list(s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance_id)))


@pytest.mark.parametrize("name", sorted(HANGING_SCRIPTS))
def test_issue9_a_script_that_hung_the_start_is_a_422_naming_element_and_bound(engine, name, watchdog):
    key = unique_key("hang")
    engine.deploy(d.bundle(d.chain(key, [d.script_task("Script_Hostile", HANGING_SCRIPTS[name])])), "designer")
    before = _instances(engine)
    with pytest.raises(ProcessError) as err:
        engine.start(key, {}, None, "clerk")
    assert err.value.status == 422
    assert err.value.details["element"] == "Script_Hostile"
    assert err.value.details["limit"] in ("steps", "max_int_bits", "seconds")
    assert "Script_Hostile" in err.value.message
    assert _instances(engine) == before  # the failed start stored nothing


@pytest.mark.parametrize("sequential", ["false", "true"])
def test_issue9_a_million_instance_user_task_is_refused_at_once(engine, sequential, watchdog):
    key = unique_key("mi")
    mi = f'<bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">' \
         "<bpmn:loopCardinality>1000000</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Many", mi)])), "designer")
    with pytest.raises(ProcessError) as err:
        engine.start(key, {}, None, "clerk")
    assert err.value.details == {"element": "Task_Many", "error": "evaluation_limit", "limit": "max_instances",
                                 "bound": 1000}
    assert "1000000" in err.value.message


def test_issue9_the_instance_ceiling_is_configurable_and_counts_collections(engine):
    key = unique_key("mi")
    mi = "<bpmn:property id=\"items\" name=\"items\" /><bpmn:multiInstanceLoopCharacteristics>" \
         "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef><bpmn:inputDataItem id=\"item\" name=\"item\" />" \
         "</bpmn:multiInstanceLoopCharacteristics>"
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Each", mi)])), "designer")
    engine.executor.limits = Limits(max_instances=3)
    try:
        inst = engine.start(key, {"items": ["a", "b", "c"]}, None, "clerk")
        assert len(_user_tasks(engine, inst.id)) == 3
        with pytest.raises(ProcessError) as err:
            engine.start(key, {"items": ["a", "b", "c", "d"]}, None, "clerk")
        assert err.value.details["limit"] == "max_instances" and err.value.details["bound"] == 3
        assert "collection 'items'" in err.value.message
    finally:
        engine.executor.limits = Limits()


def test_issue9_a_cardinality_that_is_no_number_is_a_422(engine):
    key = unique_key("mi")
    mi = "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>'3'</bpmn:loopCardinality>" \
         "</bpmn:multiInstanceLoopCharacteristics>"
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Many", mi)])), "designer")
    with pytest.raises(ProcessError, match="not a whole number") as err:
        engine.start(key, {}, None, "clerk")
    assert err.value.details["element"] == "Task_Many"


def test_issue9_a_working_day_count_beyond_the_bound_is_a_422_not_years_of_looping(engine, watchdog):
    key = unique_key("days")
    timer = ('<bpmn:boundaryEvent id="Timer_Far" attachedToRef="Task_Wait" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
             'add_working_days(now(), 50000000)</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Wait")], extra=timer)), "designer")
    with pytest.raises(ProcessError) as err:
        engine.start(key, {}, None, "clerk")
    assert err.value.details["element"] == "Timer_Far"
    assert err.value.details["limit"] == "max_working_days"


def test_issue9_a_timer_expression_that_gives_no_date_is_a_422_not_a_500(engine):
    key = unique_key("timer")
    timer = ('<bpmn:boundaryEvent id="Timer_Bad" attachedToRef="Task_Wait" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
             "'not a date'</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>")
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Wait")], extra=timer)), "designer")
    with pytest.raises(ProcessError, match="not an ISO date") as err:
        engine.start(key, {}, None, "clerk")
    assert err.value.details["element"] == "Timer_Bad"


def test_issue9_a_timer_path_that_hits_a_bound_becomes_an_incident(engine, watchdog):
    key = unique_key("late")
    timer = ('<bpmn:boundaryEvent id="Timer_Late" attachedToRef="Task_Wait" cancelActivity="false">'
             '<bpmn:outgoing>Flow_Late</bpmn:outgoing><bpmn:timerEventDefinition>'
             '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_working_days(now(), 1)</bpmn:timeDate>'
             '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
             + d.script_task("Script_Late", HANGING_SCRIPTS["nested loops"])
             + '<bpmn:endEvent id="End_Late" /><bpmn:sequenceFlow id="Flow_Late" sourceRef="Timer_Late" '
               'targetRef="Script_Late" /><bpmn:sequenceFlow id="Flow_LateEnd" sourceRef="Script_Late" '
               'targetRef="End_Late" />')
    engine.clock.reset_to(at("2026-11-02 09:00"))
    engine.deploy(d.bundle(d.chain(key, [d.user_task("Task_Wait")], extra=timer)), "designer")
    inst = engine.start(key, {}, None, "clerk")
    engine.clock.reset_to(at("2026-11-04 09:00"))
    for _ in range(3):  # each round tries it once; the third failure makes it an incident
        engine.fire_due_timers()
    (row,) = timers(engine, inst.id)
    assert row.state == "incident"
    assert "steps" in row.last_error and "Script_Late" in row.last_error


def test_issue9_a_job_whose_following_script_hits_a_bound_becomes_an_incident(engine, watchdog):
    key = unique_key("job")
    service = ('<bpmn:serviceTask id="Service_Notify" name="通知"><bpmn:extensionElements>'
               '<spiffworkflow:serviceTaskOperator id="applicant.notify" resultVariable="notice">'
               '<spiffworkflow:parameters><spiffworkflow:parameter id="template" type="str" value="\'x\'" />'
               '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
               '</bpmn:serviceTask>')
    engine.deploy(d.bundle(d.chain(key, [service, d.script_task("Script_After", HANGING_SCRIPTS["nested loops"])])),
                  "designer")
    inst = engine.start(key, {}, None, "clerk")
    (job,) = engine.fetch_and_lock("worker-1", ["applicant.notify"])
    with pytest.raises(ProcessError) as err:
        engine.complete_job(job.id, "worker-1", {"notification_id": 1})
    assert err.value.details["element"] == "Script_After"
    with engine.db.session() as s:
        stored = s.get(Job, job.id)
        assert stored.state == "incident" and "Script_After" in stored.error
        assert s.get(Instance, inst.id).status == "running"  # the case waits for the operator


def test_issue7_a_plain_task_is_a_step_someone_confirms(engine):
    """A `bpmn:task` (what other modelers draw by default) waits, like a manual task, for
    someone of its candidate groups or lane to confirm it; it has no form."""
    key = unique_key("plain")
    task = ('<bpmn:task id="Task_Plain" name="电话回访"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="candidateGroups" value="county-centre" />'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:task>')
    engine.deploy(d.bundle(d.chain(key, [task])), "designer")
    inst = engine.start(key, {}, None, "clerk")
    (row,) = _user_tasks(engine, inst.id)
    assert (row.bpmn_id, row.candidate_groups, row.form_key) == ("Task_Plain", ["county-centre"], None)
    engine.complete(row.id, {}, CENTRE)
    assert engine.instance(inst.id).status == "completed"


def test_issue7_a_plain_task_nobody_could_claim_is_refused_at_deploy_naming_it(engine):
    key = unique_key("plain")
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(d.bundle(d.chain(key, ['<bpmn:task id="Task_Plain" name="x" />'])), "designer")
    (found,) = [p for p in err.value.details["problems"] if p["element"] == "Task_Plain"]
    assert "nobody could claim it" in found["message"] and found["line"]


def test_issue9_candidate_groups_that_evaluate_to_nobody_are_a_422(engine):
    key = unique_key("groups")
    task = ('<bpmn:userTask id="Task_Dept" name="x"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="candidateGroupsExpression" value="department" />'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')
    engine.deploy(d.bundle(d.chain(key, [task])), "designer")
    with pytest.raises(ProcessError, match="nobody could claim"):
        engine.start(key, {"department": ""}, None, "clerk")
    with pytest.raises(ProcessError) as err:  # a name the case lacks: was a 500
        engine.start(key, {}, None, "clerk")
    assert err.value.details["element"] == "Task_Dept"


def test_issue9_dmn_operator_cells_run(engine):
    """A DMN input cell such as `> 3` (the input on its left) ran into the restricted
    checker's refusal instead of SpiffWorkflow's rewriting; the deploy check reads it alike."""
    key = unique_key("dmn")
    table = d.dmn("size_rule", "household_size", [("> 3", "'large'"), ("-", "'small'")], output="size")
    engine.deploy(d.bundle(d.chain(key, [d.business_rule_task("Rule_Size", "size_rule"), d.user_task("Task_Next")]),
                           **{"size.dmn": table}), "designer")
    assert engine.case_data(engine.start(key, {"household_size": 5}, None, "clerk"))["size"] == "large"
