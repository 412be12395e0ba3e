"""Issue 9 defect 8, issue 13 and the deploy-path parts of defect 7: everything a diagram,
decision table or form will ever run is checked at deploy, and refused naming file,
element and line, with nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import SpiffWorkflow
import sqlalchemy as sa

from engine.definitions.lint_code import BPMN_SITES
from engine.errors import DefinitionInvalid
from engine.store.models import Definition, Deployment
from tests.support import diagrams as d
from tests.support.hostile import ELEMENT, SITES

ROOT_WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
ESCAPE = "__import__('os').system('touch /tmp/relief-canary')"


def _counts(engine) -> tuple[int, int]:
    with engine.db.session() as s:
        return s.scalar(sa.select(sa.func.count(Deployment.id))), s.scalar(sa.select(sa.func.count(Definition.id)))


def _refusal(engine, files) -> dict:
    before = _counts(engine)
    with pytest.raises(DefinitionInvalid) as err:
        engine.deploy(files, "designer")
    assert _counts(engine) == before
    return err.value


@pytest.mark.parametrize("site", sorted(SITES))
def test_issue9_code_at_every_site_is_checked_at_deploy_naming_element_and_line(engine, site):
    err = _refusal(engine, SITES[site](ESCAPE))
    named = [p for p in err.details["problems"] if p["element"] == ELEMENT[site]]
    assert named, err.details["problems"]
    assert "__import__" in named[0]["message"] and named[0]["line"] and named[0]["file"]


@pytest.mark.parametrize("site", sorted(SITES))
def test_issue9_the_same_sites_deploy_with_harmless_code(engine, site):
    """The refusal above is for the code, not the site: each site deploys with good code."""
    harmless = {"script task": "x = 1", "pre-script": "x = 1", "post-script": "x = 1",
                "timer duration": "'PT1H'", "timer": "add_working_days(now(), 2)",
                "candidate groups": "'county-centre'", "dmn input cell": "1", "dmn output cell": "'a'",
                "preferred assignee": "first_question_user", "preferred assignee days": "1",
                "dmn input expression": "x"}.get(site, "True")
    assert engine.deploy(SITES[site](harmless), "designer").definitions


def test_issue9_every_site_of_the_linter_has_a_hostile_case():
    """tests/support/hostile.py must cover each XPath of lint_code.BPMN_SITES (and the DMN cells)."""
    covered = {"script", "preScript", "postScript", "condition", "timer expression", "loopCardinality",
               "completionCondition", "loopCondition", "conditional event condition", "messagePayload",
               "correlation expression", "payloadExpression", "parameter", "candidateGroupsExpression",
               "preferredAssignee", "preferredAssigneeDays"}
    assert {what for _query, what, _mode in BPMN_SITES} - {"correlation retrieval expression"} == covered
    assert {"dmn input cell", "dmn output cell", "dmn input expression"} <= set(SITES)


# SpiffWorkflow's own evaluation sites (file → count). A SpiffWorkflow upgrade that adds one
# fails here: add its XPath to engine/definitions/lint_code.py and a case to tests/support/hostile.py.
SPIFF_EVALUATIONS = {
    "bpmn/specs/bpmn_process_spec.py": 2,  # ad-hoc completion condition (refused), conditional paths
    "bpmn/specs/bpmn_task_spec.py": 1,  # gateway conditions
    "bpmn/specs/event_definitions/conditional.py": 1,
    "bpmn/specs/event_definitions/message.py": 1,  # correlation retrieval expressions
    "bpmn/specs/event_definitions/timer.py": 3,  # timeDate, timeDuration, timeCycle (refused)
    "bpmn/specs/mixins/multiinstance_task.py": 4,  # completion condition ×2, cardinality ×2
    "bpmn/specs/mixins/script_task.py": 1,
    "dmn/engine/DMNEngine.py": 3,  # input cells as rewritten (checked as such)
    "dmn/specs/model.py": 1,  # output cells
    "spiff/specs/event_definitions.py": 2,  # message payload, signal/error/escalation payload
    "spiff/specs/mixins/service_task.py": 1,  # replaced by ours (same parameters)
    "spiff/specs/spiff_task.py": 1,  # pre- and post-scripts
}


def test_issue9_every_place_spiffworkflow_evaluates_code_is_known():
    root = Path(SpiffWorkflow.__file__).parent
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("camunda/", "bpmn/script_engine/")):
            continue  # Camunda's own dialect (not parsed here); the engine itself
        n = len(re.findall(r"(?:script_engine|environment)\.(?:evaluate|execute)\(", path.read_text("utf-8")))
        if n:
            found[relative] = n
    assert found == SPIFF_EVALUATIONS


UNSUPPORTED = {
    "complex gateway": (['<bpmn:complexGateway id="Gateway_Complex" />'], "", "", "Gateway_Complex"),
    "ad-hoc sub-process": (['<bpmn:adHocSubProcess id="AdHoc_1"><bpmn:task id="Inner_1" /></bpmn:adHocSubProcess>'],
                           "", "", "AdHoc_1"),
    "transaction": (['<bpmn:transaction id="Transaction_1"><bpmn:startEvent id="Tx_Start" />'
                     '<bpmn:endEvent id="Tx_End" /><bpmn:sequenceFlow id="Tx_Flow" sourceRef="Tx_Start" '
                     'targetRef="Tx_End" /></bpmn:transaction>'], "", "", "Transaction_1"),
    "data store": ([d.user_task("Task_1")], '<bpmn:dataStoreReference id="StoreRef_1" dataStoreRef="Store_1" />',
                   '<bpmn:dataStore id="Store_1" name="台账库" />', "StoreRef_1"),
    "compensation event": (['<bpmn:intermediateThrowEvent id="Throw_Compensate">'
                            '<bpmn:compensateEventDefinition /></bpmn:intermediateThrowEvent>'], "", "",
                           "Throw_Compensate"),
    "compensation handler": ([d.user_task("Task_Undo", attrs=' isForCompensation="true"')], "", "", "Task_Undo"),
    "cancel event": (['<bpmn:intermediateThrowEvent id="Throw_Cancel"><bpmn:cancelEventDefinition />'
                      '</bpmn:intermediateThrowEvent>'], "", "", "Throw_Cancel"),
    "time cycle": ([d.user_task("Task_1")], '<bpmn:boundaryEvent id="Timer_Cycle" attachedToRef="Task_1" '
                   'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>'
                   '</bpmn:timerEventDefinition></bpmn:boundaryEvent>', "", "Timer_Cycle"),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_issue13_an_element_this_engine_cannot_run_is_refused_naming_its_id(engine, name):
    nodes, extra, top, element = UNSUPPORTED[name]
    err = _refusal(engine, d.bundle(d.chain("unsupported", nodes, extra=extra, definitions_extra=top)))
    named = [p for p in err.details["problems"] if p["element"] == element]
    assert named and "not supported" in named[0]["message"] and named[0]["line"], err.details["problems"]


def test_issue9_a_call_activity_that_leads_back_to_its_process_is_refused(engine):
    """A process calling itself (or through another) started a new copy at once, for ever."""
    selfish = d.chain("calls_itself", ['<bpmn:callActivity id="Call_Again" calledElement="calls_itself" />'])
    err = _refusal(engine, d.bundle(selfish))
    (found,) = [p for p in err.details["problems"] if p["element"] == "Call_Again"]
    assert "recursive" in found["message"]
    a = d.chain("ping", ['<bpmn:callActivity id="Call_Pong" calledElement="pong" />'])
    b = d.chain("pong", ['<bpmn:callActivity id="Call_Ping" calledElement="ping" />'])
    err = _refusal(engine, d.bundle(a, "ping.bpmn") + d.bundle(b, "pong.bpmn"))
    assert {p["element"] for p in err.details["problems"]} == {"Call_Pong", "Call_Ping"}


def test_issue9_a_loop_maximum_beyond_the_ceiling_is_refused(engine):
    loop = d.user_task("Task_Loop", '<bpmn:standardLoopCharacteristics loopMaximum="100000000" />')
    err = _refusal(engine, d.bundle(d.chain("loop_max", [loop])))
    assert [p["element"] for p in err.details["problems"]] == ["Task_Loop"]


def _form(pattern: str) -> str:
    return json.dumps({"type": "default", "id": "patterned", "components": [
        {"type": "textfield", "key": "code", "label": "代码", "validate": {"pattern": pattern}}]})


def _form_task(form_key: str) -> str:
    return ('<bpmn:userTask id="Task_Form" name="填写"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formKey" value="{form_key}" />'
            '<spiffworkflow:property name="candidateGroups" value="county-centre" />'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def test_issue9_a_form_pattern_the_regex_engine_cannot_run_is_refused_naming_form_and_field(engine):
    files = d.bundle(d.chain("patterned", [_form_task("t/patterned.json")]), **{"t/patterned.json": _form(r"(a)\1")})
    err = _refusal(engine, files)
    found = [p for p in err.details["problems"] if p["file"] == "t/patterned.json"]
    assert found and found[0]["element"] == "code" and "RE2" in found[0]["message"]


def test_issue7_a_form_file_100000_levels_deep_is_refused_naming_the_file(engine):
    deep = ("[" * 100_000 + "]" * 100_000).join(['{"type": "default", "components": [], "x": ', "}"])
    files = d.bundle(d.chain("deep_form", [_form_task("t/deep.json")]), **{"t/deep.json": deep})
    err = _refusal(engine, files)
    assert any(p["file"] == "t/deep.json" for p in err.details["problems"])
    assert "t/deep.json" in err.message


def test_issue7_a_form_file_deeper_than_a_page_can_show_is_refused(engine):
    deep = json.dumps({"type": "default", "components": [], "properties": json.loads("[" * 200 + "]" * 200)})
    err = _refusal(engine, d.bundle(d.chain("deep_form2", [_form_task("t/deep2.json")]), **{"t/deep2.json": deep}))
    assert "nested more than" in err.message


def test_issue9_a_decision_file_without_a_decision_is_refused_naming_it(engine):
    """Found by fuzzing: SpiffWorkflow indexed into the missing decision (IndexError, a 500)."""
    empty = '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="d" namespace="x" />'
    err = _refusal(engine, d.bundle(d.chain("no_decision", [d.user_task("Task_1")]), **{"empty.dmn": empty}))
    assert [p["file"] for p in err.details["problems"]] == ["empty.dmn"]


def test_issue13_a_diagram_from_another_tool_with_several_unsupported_elements_names_each_id(engine):
    """X-DESIGN import: a Camunda-style export holding a complex gateway, a data store (and
    its reference), a transaction, a compensation handler and a timeCycle timer is refused
    with one problem per element, each naming its id and what is unsupported; the designer's
    lint of the same file as a draft shows the same problems; nothing is stored or dropped."""
    nodes = ['<bpmn:complexGateway id="Gateway_Vote" name="会签" />',
             d.user_task("Task_Archive", attrs=' isForCompensation="true"'),
             '<bpmn:transaction id="Tx_Pay"><bpmn:startEvent id="Tx_Start" /><bpmn:endEvent id="Tx_End" />'
             '<bpmn:sequenceFlow id="Tx_Flow" sourceRef="Tx_Start" targetRef="Tx_End" /></bpmn:transaction>']
    extra = ('<bpmn:dataStoreReference id="StoreRef_Ledger" dataStoreRef="Store_Ledger" />'
             '<bpmn:boundaryEvent id="Timer_Remind" attachedToRef="Task_Archive" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent>')
    key = "imported_other_tool"
    xml = d.chain(key, nodes, extra=extra, definitions_extra='<bpmn:dataStore id="Store_Ledger" name="台账库" />')
    err = _refusal(engine, d.bundle(xml))
    expected = {"Gateway_Vote": "complex gateways are not supported",
                "Task_Archive": "compensation handler",
                "Tx_Pay": "transactions are not supported",
                "StoreRef_Ledger": "data stores are not supported",
                "Store_Ledger": "data stores are not supported",
                "Timer_Remind": "timeCycle timers are not supported"}
    problems = err.details["problems"]
    for element, says in expected.items():
        named = [p for p in problems if p["element"] == element]
        assert named and says in named[0]["message"] and named[0]["line"], (element, problems)
    linted = engine.lint_draft(key, xml.encode())
    assert {p["element"] for p in linted} >= set(expected)


def test_issue13_a_gateway_without_default_and_a_flow_without_condition_is_named_on_the_gateway(engine):
    """X-DESIGN live lint: the designer's marker goes on the gateway that lacks its default
    (and on the flow without a condition), not only on the flow SpiffWorkflow's parser names."""
    xml = (ROOT_WORKFLOWS / "wuhai" / "wuhai_one_door.bpmn").read_text("utf-8").replace(
        ' default="Flow_Outcome_Complete"', "")
    problems = engine.lint_draft("wuhai_one_door", xml.encode())
    assert {p["element"] for p in problems} == {"Gateway_ReviewOutcome", "Flow_Outcome_Complete"}, problems
    [on_gateway] = [p for p in problems if p["element"] == "Gateway_ReviewOutcome"]
    assert on_gateway["message"] == "gateway has no default flow and flow Flow_Outcome_Complete has no condition"
