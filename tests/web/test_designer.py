"""The process designer in a real browser (issue 13, X-DESIGN, X-STAFF): the modeler opens
a deployed diagram, a change that breaks a condition gets a lint marker on that flow and a
line in the list (in Chinese), a simulation shows the path and the deadline, the draft is
saved and deployed, and the diff of the two versions marks the changed element. Pages
checked at 1280 and 375 px, with axe-core and no script or CSP error."""

from __future__ import annotations

import pytest

from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.web.test_pages import check

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

def _definition_of(engine, instance_id: str) -> int:
    from engine.store.models import Instance

    with engine.db.reading() as s:
        return s.get(Instance, instance_id).definition_id


BREAK_CONDITION = """() => {
  const modeler = document.querySelector('[data-module=designer]').modeler;
  const flow = modeler.get('elementRegistry').get('Flow_Yes');
  const expression = modeler.get('moddle').create('bpmn:FormalExpression', {body: "__import__('os')"});
  modeler.get('modeling').updateProperties(flow, {conditionExpression: expression});
}"""
SELECT = """() => {
  const modeler = document.querySelector('[data-module=designer]').modeler;
  modeler.get('selection').select(modeler.get('elementRegistry').get('%s'));
}"""
TIMER_IS = """() => {
  const modeler = document.querySelector('[data-module=designer]').modeler;
  const timer = modeler.get('elementRegistry').get('Timer_Review').businessObject.eventDefinitions[0];
  return timer.timeDate && timer.timeDate.body === '%s';
}"""
BASIS = "复核在 3 个工作日内完成（本县实施细则第五条）"
TIMER_BASIS_IS = """() => {
  const modeler = document.querySelector('[data-module=designer]').modeler;
  const bo = modeler.get('elementRegistry').get('Timer_Review').businessObject;
  const props = (bo.extensionElements.values.find((v) => v.$type === 'spiffworkflow:properties') || {}).$children || [];
  return props.some((p) => p.name === 'basis' && p.value === '%s');
}"""
RENAME_TASK = """() => {
  const modeler = document.querySelector('[data-module=designer]').modeler;
  modeler.get('modeling').updateLabel(modeler.get('elementRegistry').get('Task_Review'), '复核');
}"""


def test_X_DESIGN_designer_marks_a_broken_condition_simulates_saves_deploys_and_diffs(browser, site, engine):
    key = unique_key("browser")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    waiting = engine.start(key, {}, "BROWSER-1", "clerk")  # a case waiting at the review on version 1
    tab = browser.page()
    tab.sign_in("designer")
    tab.go("/designer")
    check(tab, "designer-index")

    tab.go(f"/designer/{key}")
    page = tab.page
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    check(tab, "designer-edit")

    page.evaluate(BREAK_CONDITION)
    page.wait_for_selector("[data-module=designer][data-lint=problems]")
    marked = page.locator(".djs-element.designer-problem[data-element-id=Flow_Yes]")
    assert marked.count() == 1
    assert page.locator("[data-problem-for=Flow_Yes]").inner_text() == "1"
    line = page.locator("[data-lint-list] button[data-element=Flow_Yes]").inner_text()
    assert line.startswith("Flow_Yes：连线条件不允许") and "__import__" in line
    assert page.locator("[data-action=deploy]").is_disabled()  # unsaved changes are not deployed
    check(tab, "designer-lint-problem")

    # Undo the break: the marker goes; the simulation runs on what is drawn.
    page.evaluate("() => document.querySelector('[data-module=designer]').modeler.get('commandStack').undo()")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    assert page.locator(".designer-problem").count() == 0
    # The properties form: a gateway without its default flow is marked at once; set it back.
    page.evaluate(SELECT % "Gateway_Ok")
    page.select_option("#prop-default", "")
    page.wait_for_selector("[data-module=designer][data-lint=problems]")
    assert page.locator(".djs-element.designer-problem[data-element-id=Flow_No]").count() == 1
    assert "不是默认连线" in page.locator("[data-lint-list] button[data-element=Flow_No]").inner_text()
    check(tab, "designer-properties-gateway")
    page.select_option("#prop-default", "Flow_No")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    # A deadline of 3 working days, written as a number of days.
    page.evaluate(SELECT % "Timer_Review")
    page.fill("#prop-workingDays", "3")
    page.press("#prop-workingDays", "Tab")
    page.wait_for_function(TIMER_IS % "add_working_days(now(), 3)")
    # The deadline's basis as clerks read it on the task page (the timer's basis property).
    page.fill("#prop-basis", BASIS)
    page.press("#prop-basis", "Tab")
    page.wait_for_function(TIMER_BASIS_IS % BASIS)

    page.fill("#sim-start", "2026-09-29T10:00")
    page.fill("#sim-data", '{"approved": "no"}')
    page.click("[data-action=simulate]")
    page.wait_for_selector("[data-module=designer][data-sim=done]")
    # Three working days from Tuesday 29 September: the 30th, then 8 and 9 October after the holiday.
    assert page.locator("[data-sim-deadlines] tr").first.get_attribute("data-due") == "2026-10-09T17:30:00+08:00"
    assert page.locator(".djs-element.designer-path[data-element-id=End_Refused]").count() == 1
    check(tab, "designer-simulation")

    page.evaluate(RENAME_TASK)
    page.wait_for_selector("[data-module=designer][data-dirty=true]")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-module=designer][data-dirty=false][data-saved='1']")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("[data-action=deploy]")
    assert page.url.endswith(f"/designer/{key}/versions")
    # The process has a case: version 2 waits for a second person, who approves it.
    assert "已部署为第 2 版" in page.locator("main").inner_text()
    engine.approve_definition(key, 2, "admin")
    tab.go(f"/designer/{key}/versions")
    check(tab, "designer-versions")
    page.check(f"#case-{waiting.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("button:has-text('迁移所选案件')")
    assert "已迁移 1 个案件到第 2 版" in page.locator("main").inner_text()
    assert engine.process_version(key, 2).id == _definition_of(engine, waiting.id)
    tab.submit("button:has-text('比较')")
    page.wait_for_selector("[data-module=diff-viewer][data-side=new][data-ready=true]")
    page.wait_for_selector("[data-module=diff-viewer][data-side=old][data-ready=true]")
    # side by side: the renamed task is marked on both versions' diagrams
    assert page.locator("[data-side=new] .djs-element.diff-changed[data-element-id=Task_Review]").count() == 1
    assert page.locator("[data-side=old] .djs-element.diff-changed[data-element-id=Task_Review]").count() == 1
    check(tab, "designer-diff")
    # Saved and deployed, the basis is in the diagram: the designer reopened shows it.
    tab.go(f"/designer/{key}")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    page.evaluate(SELECT % "Timer_Review")
    assert page.input_value("#prop-basis") == BASIS
    deployed = b"".join(f.content for f in engine.version_files(key, 2) if f.kind == "bpmn").decode()
    assert f'name="basis" value="{BASIS}"' in deployed


def test_X_DESIGN_every_project_diagram_exported_by_the_modeler_passes_the_deploy_checks(browser, site):
    """What the modeler writes back (its own XML export, which is what a designer saves)
    still passes every deploy check, for each diagram of workflows/."""
    tab = browser.page()
    tab.sign_in("designer")
    for key in ("common_department_handling", "jiangyin_one_door", "tengzhou_one_door", "wuhai_one_door"):
        tab.go(f"/designer/{key}")
        tab.page.wait_for_selector("[data-module=designer][data-lint=ok]")
        assert tab.page.locator("[data-lint-list] li").count() == 0, key
    assert tab.problems == []
