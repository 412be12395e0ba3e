"""The scenario page, the deploy dialog and the migration preview in a real browser (issue
13, X-DESIGN, X-STAFF): a saved scenario failing on the draft is shown with its difference
in words, the deploy needs the confirmation box ticked, and a renamed element is mapped in
the migration preview before the case moves. Pages checked at 1280 and 375 px, with
axe-core and no script or CSP error."""

from __future__ import annotations

import pytest

from engine.store.models import Instance
from tests.engine.helpers import mini_bundle, mini_xml, unique_key
from tests.web.test_pages import check

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _renamed(key: str) -> str:
    xml = mini_xml(key)
    for old, new in (("Task_Review", "Task_Check"), ("Timer_Review", "Timer_Check")):
        xml = xml.replace(f'"{old}"', f'"{new}"').replace(f">{old}<", f">{new}<")
    return xml


def test_X_DESIGN_scenarios_deploy_dialog_and_migration_preview_in_the_browser(browser, site, engine):
    key = unique_key("pagescen")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    case = engine.start(key, {}, "PSCEN-1", "clerk")
    engine.save_scenario(key, "不通过：两个工作日", {"start": "2026-09-29T10:00", "data": {"approved": "no"}},
                         {"end": "End_Refused", "deadlines": {"Timer_Review": {"due_at": "2026-10-08T17:30:00+08:00"}}},
                         "designer")
    engine.save_process_draft(key, _renamed(key).replace("add_working_days(now(), 2)",
                                                         "add_working_days(now(), 3)").encode(), "designer")
    tab = browser.page()
    tab.sign_in("designer")
    tab.go(f"/designer/{key}/scenarios")
    page = tab.page
    assert page.locator("[data-scenario][data-result=failed]").count() == 1
    check(tab, "designer-scenarios")

    # The deploy button of the modeler leads to the dialog when a scenario fails.
    tab.go(f"/designer/{key}")
    page.wait_for_selector("[data-module=designer][data-lint=ok]")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("[data-action=deploy]")
    assert page.url.endswith(f"/designer/{key}/deploy")
    assert page.locator("[data-scenario-summary]").inner_text() == "1 个场景未通过（共 1 个）。"
    assert "没有到达定时事件 Timer_Review" in page.locator("main").inner_text()
    check(tab, "designer-deploy-check")
    # Until the box is ticked the form is not valid: the browser does not send it.
    assert page.evaluate("document.querySelector('#confirm_failing').form.checkValidity()") is False
    page.check("#confirm_failing")
    tab.submit("button:has-text('部署为新版本')")
    assert page.url.endswith(f"/designer/{key}/versions")
    engine.approve_definition(key, 2, "admin")

    tab.go(f"/designer/{key}/versions")
    page.check(f"#case-{case.id}")
    page.fill("#mapping", "Task_Review = Task_Check\nTimer_Review = Timer_Check")
    tab.submit("button:has-text('预览迁移')")  # no question: a preview changes nothing
    assert page.locator(f"[data-case='{case.id}'][data-moves=yes]").count() == 1
    check(tab, "designer-migrate-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    tab.submit("button:has-text('迁移可以迁移的 1 个案件')")
    assert "已迁移 1 个案件到第 2 版" in page.locator("main").inner_text()
    with engine.db.reading() as s:
        assert s.get(Instance, case.id).definition.version == 2
