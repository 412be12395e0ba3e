"""The issue's "Done means" in a real browser (issue 13, X-DESIGN, X-TIMERS, on Debian's
chromium): a designer opens the Wuhai diagram (a copy under a key of its own, so that other
tests keep the project's own versions), creates a new form in the form-js editor (its
properties panel in Chinese), adds a user task with that form, a candidate group and a
3-working-day deadline, sees a lint marker on a gateway left without its default, fixes it,
simulates (the deadline falls on 9 October: three working days from 29 September across
the National Day holiday), deploys version 2 (the new form with it); a case started on
version 1 stays there, a waiting case migrates, and the diff marks the new task and lists
the new form."""

from __future__ import annotations

import json

import pytest

from api.settings import ROOT
from engine.definitions.bundle import BundleFile
from engine.store.models import Instance
from tests.engine.helpers import unique_key
from tests.scenarios.test_wuhai import FRIDAY, registration
from tests.web.conftest import shoot
from tests.web.test_designer_editors import VENDOR_NOISE

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

WORKFLOWS = ROOT / "workflows"
MODELER = "document.querySelector('[data-module=designer]').modeler"
# What a designer does with the palette and the context pad, through the modeler's own API:
# a user task between the application and the statutory limits script, a boundary timer on
# it (non-interrupting) and an end event the timer leads to.
ADD_TASK = """(participant) => {
  const m = MODELER;
  const reg = m.get('elementRegistry'), modeling = m.get('modeling');
  const factory = m.get('elementFactory'), bpmn = m.get('bpmnFactory');
  const parent = reg.get(participant);
  const taskBo = bpmn.create('bpmn:UserTask', {id: 'Task_HomeVisit', name: '入户核查'});
  const task = modeling.createShape(factory.createShape({type: 'bpmn:UserTask', businessObject: taskBo}),
                                    {x: 420, y: 120}, parent);
  modeling.reconnectEnd(reg.get('Flow_Start_Review'), task, {x: 370, y: 120});
  modeling.connect(task, reg.get('Script_StatutoryLimits'));
  const timerBo = bpmn.create('bpmn:BoundaryEvent',
                              {id: 'Timer_HomeVisit', name: '核查时限届满', cancelActivity: false});
  const definition = bpmn.create('bpmn:TimerEventDefinition');
  definition.$parent = timerBo;
  timerBo.eventDefinitions = [definition];
  const timer = modeling.createShape(factory.createShape({type: 'bpmn:BoundaryEvent', businessObject: timerBo}),
                                     {x: 440, y: 160}, task, {attach: true});
  const endBo = bpmn.create('bpmn:EndEvent', {id: 'End_HomeVisitLate', name: '核查超期'});
  const end = modeling.createShape(factory.createShape({type: 'bpmn:EndEvent', businessObject: endBo}),
                                   {x: 560, y: 120}, parent);
  modeling.connect(timer, end);
}""".replace("MODELER", MODELER)
SELECT = "(id) => { const m = MODELER; m.get('selection').select(m.get('elementRegistry').get(id)); }".replace(
    "MODELER", MODELER)
# A field put on the new form, as the palette's drag and drop does (the editor's own command).
ADD_FIELD = """() => {
  const editor = document.querySelector('[data-module=designer-file]').editor;
  const schema = editor._getState().schema;
  editor.get('modeling').addFormField({type: 'textfield', key: 'visit_result', label: '核查结论'}, schema, 0);
  editor.get('selection').set(editor.get('formFieldRegistry').getAll().find((f) => f.key === 'visit_result'));
}"""
TIMER_IS = ("(body) => { const t = MODELER.get('elementRegistry').get('Timer_HomeVisit').businessObject"
            ".eventDefinitions[0]; return !!t.timeDate && t.timeDate.body === body; }").replace("MODELER", MODELER)


def _copy_of_wuhai(engine, key: str):
    """The Wuhai diagram with its table and the shared sub-process, as process `key`."""
    xml = (WORKFLOWS / "wuhai" / "wuhai_one_door.bpmn").read_text("utf-8").replace("wuhai_one_door", key)
    files = [BundleFile(f"{key}.bpmn", "bpmn", xml.encode()),
             BundleFile("lead_department.dmn", "dmn", (WORKFLOWS / "wuhai" / "lead_department.dmn").read_bytes()),
             BundleFile("department_handling.bpmn", "bpmn",
                        (WORKFLOWS / "common" / "department_handling.bpmn").read_bytes())]
    return next(d for d in engine.deploy(files, "designer").definitions if d.key == key)


def _version_of(engine, instance_id: str) -> int:
    with engine.db.reading() as s:
        return s.get(Instance, instance_id).definition.version


def test_X_DESIGN_done_means_wuhai_task_deadline_lint_simulation_deploy_migration_diff(browser, site, engine,
                                                                                        scenario):
    key = unique_key("wuhai_design")
    v1 = _copy_of_wuhai(engine, key)
    assert v1.version == 1
    scenario.at(FRIDAY)
    stays = scenario.start(key, registration(), business_key="WHD-STAYS")
    moves = scenario.start(key, registration(), business_key="WHD-MOVES")
    tab = browser.page()
    tab.sign_in("designer")
    page = tab.page

    # A new form for the home visit, made in the form-js editor: a required field.
    form = f"{key}/home_visit.json"
    tab.go("/designer/files")
    page.fill("#name", form)
    page.select_option("#kind", "form")
    tab.submit("button:has-text('新建并打开')")
    page.wait_for_selector("[data-module=designer-file][data-ready=true]")
    page.evaluate(ADD_FIELD)
    page.click(".fjs-properties-panel .bio-properties-panel-group-header-title:text-is('校验')")
    page.check(".fjs-properties-panel [data-entry-id=required] input")
    page.wait_for_selector(".fjs-properties-panel [data-entry-id=required] input:checked")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-module=designer-file][data-dirty=false][data-lint=ok]")
    saved = json.loads(engine.design_file(form).content)
    assert [(c["key"], c["validate"]) for c in saved["components"]] == [("visit_result", {"required": True})]
    shoot(tab, "designer-wuhai-new-form")

    tab.go(f"/designer/{key}")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")

    # A user task with the new form and a group, and a deadline of 3 working days.
    page.evaluate(ADD_TASK, f"Participant_{key}")
    page.evaluate(SELECT, "Task_HomeVisit")
    page.fill("#prop-formKey", form)
    page.press("#prop-formKey", "Tab")
    page.fill("#prop-candidateGroups", "window")
    page.press("#prop-candidateGroups", "Tab")
    page.evaluate(SELECT, "Timer_HomeVisit")
    page.fill("#prop-workingDays", "3")
    page.press("#prop-workingDays", "Tab")
    page.wait_for_function(TIMER_IS, arg="add_working_days(now(), 3)")

    # The review's gateway without its default: marked on the gateway, in Chinese; fixed.
    page.evaluate(SELECT, "Gateway_ReviewOutcome")
    page.select_option("#prop-default", "")
    page.wait_for_selector(".djs-element.designer-problem[data-element-id=Gateway_ReviewOutcome]")
    line = page.locator("[data-lint-list] button[data-element=Gateway_ReviewOutcome]").inner_text()
    assert "网关没有默认连线" in line and "Flow_Outcome_Complete" in line
    shoot(tab, "designer-wuhai-gateway-marker")
    page.select_option("#prop-default", "Flow_Outcome_Complete")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    assert page.locator(".designer-problem").count() == 0
    assert page.locator("[data-lint-list] li").count() == 0

    # Simulated from Tuesday 29 September: 30 September, then 8 and 9 October (1-7 October
    # are the National Day holiday): due at the office's close on 9 October.
    page.fill("#sim-start", "2026-09-29T10:00")
    page.fill("#sim-data", json.dumps(registration(), ensure_ascii=False))
    page.fill("#sim-task-data", json.dumps({"Task_HomeVisit": {"visit_result": "属实"}}, ensure_ascii=False))
    page.click("[data-action=simulate]")
    page.wait_for_selector("[data-module=designer][data-sim=done]")
    row = page.locator("[data-sim-deadlines] tr", has_text="Timer_HomeVisit")
    assert row.get_attribute("data-due") == "2026-10-09T17:30:00+08:00"
    assert page.locator(".djs-element.designer-path[data-element-id=Task_HomeVisit]").count() == 1
    shoot(tab, "designer-wuhai-simulation")

    # Saved and deployed: version 2 (the process has cases: a second person approves it).
    page.click("[data-action=save]")
    page.wait_for_selector("[data-module=designer][data-dirty=false][data-saved='1']")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("[data-action=deploy]")
    assert page.url.endswith(f"/designer/{key}/versions")
    assert "已部署为第 2 版" in page.locator("main").inner_text()
    engine.approve_definition(key, 2, "admin")

    # The waiting case migrates; the other stays on version 1.
    tab.go(f"/designer/{key}/versions")
    page.check(f"#case-{moves.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("button:has-text('迁移所选案件')")
    assert "已迁移 1 个案件到第 2 版" in page.locator("main").inner_text()
    assert (_version_of(engine, moves.id), _version_of(engine, stays.id)) == (2, 1)
    assert engine.replay_case(moves.id).ok  # the auditor's re-execution follows the move

    # The diff of versions 1 and 2 marks the new task on the diagram and lists it.
    tab.submit("button:has-text('比较')")
    page.wait_for_selector("[data-module=diff-viewer][data-ready=true]")
    assert page.locator(".djs-element.diff-added[data-element-id=Task_HomeVisit]").count() == 1
    assert "Task_HomeVisit" in page.locator("main").inner_text()
    assert page.locator(f"[data-file-change='{form}']").inner_text().startswith("新增")  # the new form
    assert engine.design_file(form).deployed is not None  # deployed with version 2
    shoot(tab, "designer-wuhai-diff")
    # the form-js editor's FEEL inputs (CodeMirror) try inline styles, which the page's CSP
    # blocks: the vendor's noise the editors' own tests set aside too; anything else fails
    assert [p for p in tab.problems if not any(n in p for n in VENDOR_NOISE)] == []
