"""X-STAFF, W-FIRST, X-FORMS, J-GREEN, W-SUPERVISE, J-SEC: the work list and the task page in a
real browser — a window clerk finds a Jiangyin task, claims it, a value the server refuses
shows the server's message on its field (naming the allowed options), fixes it and
completes; a draft survives a reload; a task that went overdue after a clock advance is
in the overdue list; new tasks are announced without a reload; another region's staff
neither see the task in their lists nor open its page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.scenarios.test_jiangyin import PROCESS, accepted, application
from tests.web.conftest import Tab, axe, overflowing, shoot

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
FORM_READY = "[data-module=task-form][data-ready=true]"


def check(tab: Tab, name: str) -> None:
    """Screenshots at 1280 and 375 px, axe-core, nothing cut off at 360 px, no script error."""
    shoot(tab, name)
    assert axe(tab) == [], name
    tab.page.set_viewport_size({"width": 360, "height": 800})
    assert overflowing(tab) == [], f"{name}: cut off at 360 px"
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    assert tab.problems == [], f"{name}: {tab.problems}"


def open_task(tab: Tab, business_key: str) -> None:
    tab.go("/tasks")
    row = tab.page.locator("tr", has_text=business_key)
    with tab.page.expect_navigation():
        row.get_by_role("link").first.click()
    tab.page.wait_for_selector(FORM_READY)


def test_X_STAFF_W_FIRST_clerk_claims_sees_the_servers_field_error_fixes_it_and_completes(browser, site, scenario):
    case = scenario.start(PROCESS, application(applicant_name="周桂兰"), "JY-WEB-TASK-1")
    scenario.start(PROCESS, application(applicant_name="吴老伯", priority_group="elderly"), "JY-WEB-TASK-2")
    clerk = browser.page()
    clerk.sign_in("window")
    clerk.go("/tasks")
    rows = clerk.page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("JY-WEB-TASK-2")  # J-GREEN: the green-channel case first
    expect(rows.first).to_contain_text("绿色通道")
    expect(clerk.page.locator(".tabs__link--current")).to_contain_text("本组待办 2")
    check(clerk, "tasks-list")
    clerk.go("/tasks?q=周桂兰")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("JY-WEB-TASK-1")
    # A saved view: these filters under a name, for the county's window clerks.
    clerk.page.click(".saved-views summary")
    clerk.page.get_by_label("视图名称").fill("周桂兰的案件")
    clerk.submit("button:has-text('保存当前筛选为视图')")
    expect(clerk.page.locator(".toast--success")).to_contain_text("已保存视图")
    clerk.go("/tasks")
    expect(rows).to_have_count(2)
    with clerk.page.expect_navigation():
        clerk.page.get_by_role("link", name="周桂兰的案件").click()
    expect(rows).to_have_count(1)
    check(clerk, "tasks-saved-view")

    open_task(clerk, "JY-WEB-TASK-1")
    header = clerk.page.locator(".case-header")
    expect(header).to_contain_text("JY-WEB-TASK-1")
    expect(header).to_contain_text("周*兰")  # masked in the header (issue 10)
    expect(header).to_contain_text("320281********")  # the ID number masked in the header
    expect(header).to_contain_text("最低生活保障")
    check(clerk, "task-unclaimed")
    clerk.submit("button:has-text('认领')")
    clerk.page.wait_for_selector(FORM_READY)
    expect(clerk.page.locator(".toast--success")).to_contain_text("已认领")

    # A value the form's options do not hold (a stale or tampered page): the server refuses it.
    def tamper(route) -> None:
        body = json.loads(route.request.post_data)
        body["data"]["materials_complete"] = "maybe"
        route.continue_(post_data=json.dumps(body))

    clerk.page.route("**/tasks/*/complete", tamper)
    clerk.page.get_by_label("齐全", exact=True).check()
    clerk.page.click("button[data-action=complete]")
    summary = clerk.page.locator("[data-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("不是可选项")
    expect(summary).to_contain_text("可选：齐全、不齐全，一次性告知补正")
    expect(clerk.page.locator(".fjs-form-field-error").first).to_contain_text("可选：齐全")
    summary.get_by_role("link").first.click()  # the summary's link leads to the field (keyboard users)
    expect(clerk.page.get_by_label("齐全", exact=True)).to_be_focused()
    check(clerk, "task-server-error")
    assert case.open_tasks() == ["Task_CheckMaterials"]

    clerk.page.unroute("**/tasks/*/complete")
    with clerk.page.expect_navigation():
        clerk.page.click("button[data-action=complete]")
    expect(clerk.page.locator(".toast--success")).to_contain_text("已提交：审查申请材料")
    expect(clerk.page.locator("tbody tr").first).to_contain_text("JY-WEB-TASK-1")  # done by me
    assert case.open_tasks() == ["Task_Accept"]
    assert clerk.problems == []


def test_X_STAFF_a_draft_is_saved_on_the_server_and_survives_a_reload(browser, site, scenario):
    scenario.start(PROCESS, application(), "JY-WEB-DRAFT-1")
    clerk = browser.page()
    clerk.sign_in("window")
    open_task(clerk, "JY-WEB-DRAFT-1")
    clerk.submit("button:has-text('认领')")
    clerk.page.wait_for_selector(FORM_READY)
    clerk.page.get_by_label("不齐全，一次性告知补正").check()
    clerk.page.get_by_label("需补正的全部材料（一次性告知申请人）").fill("户口簿复印件、近三个月收入证明")
    status = clerk.page.locator("[data-status]")
    expect(status).to_contain_text("草稿已保存", timeout=15_000)  # autosave, a few seconds after the change
    clerk.page.reload()
    clerk.page.wait_for_selector(FORM_READY)
    expect(status).to_contain_text("已恢复")
    expect(clerk.page.get_by_label("需补正的全部材料（一次性告知申请人）")).to_have_value("户口簿复印件、近三个月收入证明")
    expect(clerk.page.get_by_label("不齐全，一次性告知补正")).to_be_checked()
    clerk.page.get_by_label("审查意见").fill("已电话告知")
    clerk.page.click("button[data-action=save]")
    expect(status).to_contain_text("草稿已保存")
    check(clerk, "task-draft")


def test_W_SUPERVISE_a_task_past_its_deadline_stays_in_the_overdue_list(browser, site, scenario):
    case = accepted(scenario, "JY-WEB-LATE-1")  # dispatch due in 2 working days (J-T2)
    case.advance(working_days=2)  # the deadline timer fires: supervision opens
    assert "Task_SuperviseDispatch" in case.open_tasks()
    centre = browser.page()
    centre.sign_in("centre")
    centre.go("/tasks?tab=overdue")
    row = centre.page.locator("tbody tr", has_text="JY-WEB-LATE-1")
    expect(row).to_contain_text("分类派单")
    expect(row).to_contain_text("已超期")
    expect(centre.page.locator(".tabs__link--current")).to_contain_text("已超期 1")
    check(centre, "tasks-overdue")
    other = browser.page()
    other.sign_in("centre-yixing")
    other.go("/tasks?tab=overdue")
    expect(other.page.locator(".tabs__link--current")).to_contain_text("已超期 0")
    expect(other.page.locator(".empty-state")).to_be_visible()


def test_X_STAFF_new_tasks_are_announced_without_a_reload(browser, site, scenario):
    clerk = browser.page()
    clerk.sign_in("window")
    clerk.page.clock.install()
    clerk.go("/tasks")
    toast = clerk.page.locator("#new-tasks")
    expect(toast).to_be_hidden()
    scenario.start(PROCESS, application(), "JY-WEB-NEW-1")
    clerk.page.clock.run_for(31_000)
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("有 1 个新任务")
    assert clerk.problems == []


def test_J_SEC_another_regions_staff_neither_list_nor_open_the_task(site, scenario):
    case = scenario.start(PROCESS, application(), "JY-WEB-SCOPE-1")
    task_id = case.task("Task_CheckMaterials")["id"]
    assert site.call("GET", f"/tasks/{task_id}", as_="window").status_code == 200
    assert site.call("GET", f"/tasks/{task_id}", as_="window-yixing").status_code == 403
    assert site.call("GET", "/tasks/no-such-task", as_="window").status_code == 404
    listed = site.call("GET", "/tasks", as_="window-yixing")
    assert listed.status_code == 200 and "JY-WEB-SCOPE-1" not in listed.text
    assert "JY-WEB-SCOPE-1" in site.call("GET", "/tasks", as_="window").text
    for path, body in [(f"/tasks/{task_id}/draft", {"data": {"materials_note": "x"}}),
                       (f"/tasks/{task_id}/complete", {"data": {"materials_complete": "yes"}})]:
        refused = site.call("POST", path, as_="window-yixing", json=body)
        assert refused.status_code == 403, path
    assert site.call("POST", f"/tasks/{task_id}/claim", as_="window-yixing").status_code == 403
    assert site.call("GET", "/tasks/new.json?since=yesterday", as_="window").status_code == 422
    # W-FIRST: handing over needs the task held, a colleague and a reason; refused ones change nothing.
    assert site.call("POST", f"/tasks/{task_id}/claim", as_="window", allow_redirects=False).status_code == 302
    for form in [{}, {"handover-to": "window-yixing", "handover-reason": "休假"},
                 {"handover-to": "centre", "handover-reason": "休假"},
                 {"handover-to": "window", "handover-reason": " "}]:
        answer = site.call("POST", f"/tasks/{task_id}/hand-over", as_="window", data=form, allow_redirects=False)
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/tasks/{task_id}"), form
    assert case.task("Task_CheckMaterials")["assignee"] == "window"
    assert site.call("POST", f"/tasks/{task_id}/unclaim", as_="window", allow_redirects=False).status_code == 302
    assert case.open_tasks() == ["Task_CheckMaterials"] and case.task("Task_CheckMaterials")["assignee"] is None
