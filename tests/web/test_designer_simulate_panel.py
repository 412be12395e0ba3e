"""The modeler page's simulation panel in a real browser (issue 13, X-DESIGN): what each
step's person enters (task_data) and the messages a department sends, as in a saved
scenario, typed into the panel or loaded from a saved scenario; a bad field is named
before anything runs, and a bad message by the server. Checked at 1280 and 375 px."""

from __future__ import annotations

import json

import pytest

from tests.engine.helpers import unique_key
from tests.engine.test_designer_scenarios import ANSWER, WAIT
from tests.support import diagrams as d
from tests.web.test_pages import check

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

# The clerk's note (task_data) and the department's answer (a message) are both read by
# the script: without either the case does not finish.
READ = "decision = answer['decision'] + '：' + note"
TASK_DATA = {"Task_Fill": {"note": "材料齐全"}}
MESSAGES = [{"name": "department_result", "payload": {"decision": "准予"}, "after_hours": 48}]


def _simulate(page) -> str:  # noqa: ANN001 - a playwright Page
    page.click("[data-action=simulate]")
    page.wait_for_selector("[data-module=designer]:is([data-sim=done], [data-sim=error], [data-sim=invalid])")
    return page.locator("[data-sim-status]").inner_text()


def test_X_DESIGN_modeler_simulation_takes_answers_per_step_and_messages(browser, site, engine):
    key = unique_key("simpanel")
    xml = d.chain(key, [d.user_task("Task_Fill"), WAIT, d.script_task("Script_Read", READ)],
                  definitions_extra=ANSWER)
    engine.deploy(d.bundle(xml), "designer")
    engine.save_scenario(key, "两天后答复", {"start": "2026-09-29T10:00", "data": {}, "task_data": TASK_DATA,
                                         "messages": MESSAGES}, {"end": "EndEvent_1"}, "designer")
    tab = browser.page()
    tab.sign_in("designer")
    tab.go(f"/designer/{key}")
    page = tab.page
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    page.fill("#sim-start", "2026-09-29T10:00")

    # Without the department's answer the case waits for it.
    assert "Receive_Answer" in _simulate(page)
    assert page.locator("[data-sim-messages]").is_hidden()

    # With the clerk's note and the answer: delivered two days later, the case finishes.
    page.fill("#sim-task-data", json.dumps(TASK_DATA, ensure_ascii=False))
    page.fill("#sim-messages", json.dumps(MESSAGES, ensure_ascii=False))
    assert _simulate(page) == "流程走完。"
    row = page.locator("[data-sim-messages] tr[data-message=department_result]")
    assert "Receive_Answer" in row.inner_text()
    assert page.locator(".djs-element.designer-path[data-element-id=Script_Read]").count() == 1
    check(tab, "designer-simulate-messages")

    # Without the note, the script meets no `note`: the run's error is said.
    page.fill("#sim-task-data", "{}")
    assert "运行出错" in _simulate(page)

    # Fields that are not what they must be: named before anything is sent, or by the server.
    page.fill("#sim-messages", '{"name": "department_result"}')
    assert "收到的消息必须是 JSON 列表" in _simulate(page)
    page.fill("#sim-messages", '[{"name": "department_result", "at": "tomorrow"}]')
    assert "scenario.messages[0].at" in _simulate(page)

    # A saved scenario loaded into the fields runs as saved.
    page.select_option("#sim-scenario", "两天后答复")
    assert json.loads(page.input_value("#sim-task-data")) == TASK_DATA
    assert json.loads(page.input_value("#sim-messages")) == MESSAGES
    assert page.input_value("#sim-start") == "2026-09-29T10:00"
    assert _simulate(page) == "流程走完。"
    assert tab.problems == []
