"""X-STAFF, W-FLOW, W-LEADER, J-FLOW, J-SUMMARY, J-TRACK, W-SUPERVISE end to end in a real
browser: each step done by the role the diagram names, in a browser context of its own
(its own sign-in and cookies), finding its task in its own /tasks list and completing the
form-js form. The service tasks between the steps (ledger, notices, dispatch to the
department) are run by an in-process worker thread beside the live server, as
`relief serve` runs them; the test waits for the case to reach each step, never for a
fixed time. Screenshots at 1280 and 375 px of every page visited (test-artifacts/)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from api.demo import DEMO_PASSWORD, YIXING
from engine.auth import create_user
from tests.scenarios.test_jiangyin import APPLICANT_ID
from tests.support.scenario import Case
from tests.web.conftest import Tab, axe, overflowing, shoot
from workers.runner import InProcessWorker

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
# Wuhai's office (workflows/items.json): its variant is started and handled by Wuhai's staff.
WUHAI, WUHAI_VILLAGE = "150300", "150300001001"
WUHAI_STAFF = [("wh-window", ["clerk"], ["window"], None, WUHAI, "乌海受理窗口"),
               ("wh-leader", ["leader"], ["leader"], None, WUHAI, "乌海分管领导"),
               ("wh-dept-civil-affairs", ["caseworker"], ["dept:civil-affairs"], "civil-affairs", WUHAI, "乌海民政局"),
               ("wh-village", ["clerk"], ["village"], None, WUHAI_VILLAGE, "乌海居委会")]
FORM_READY = "[data-module=task-form][data-ready=true]"
START_READY = "[data-module=case-start][data-ready=true]"
BAD_ID = APPLICANT_ID[:-1] + ("0" if APPLICANT_ID[-1] != "0" else "1")  # the check digit is wrong


@pytest.fixture
def workers(site: Any, engine: Any) -> Iterator[InProcessWorker]:
    """The in-process worker `relief serve` runs beside the app: jobs of this server's
    commands are pushed to it and run in its thread."""
    worker = InProcessWorker(engine, interval=0.1, worker_id="flows-e2e")
    worker.start()
    yield worker
    worker.stop()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds (the worker thread runs the jobs between steps)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def look(tab: Tab, name: str, audit: bool = True) -> None:
    """Screenshots at 1280 and 375 px, no script error; with `audit`, also axe-core and
    nothing cut off at 360 px (once per kind of page: the file's runtime stays reasonable)."""
    shoot(tab, name)
    assert tab.problems == [], f"{name}: {tab.problems}"
    if not audit:
        return
    assert axe(tab) == [], name
    tab.page.set_viewport_size({"width": 360, "height": 800})
    assert overflowing(tab) == [], f"{name}: cut off at 360 px"
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    assert tab.problems == [], f"{name}: {tab.problems}"


def approved_record(page: Any) -> None:
    """What an approval records besides the amount (W-REFUSE, J-T2F): its policy basis, start and period."""
    page.get_by_label("政策依据", exact=False).fill("《社会救助暂行办法》第九条")
    page.get_by_label("救助起始日期").fill("2026-12-01")
    page.get_by_label("救助期限", exact=False).fill("12")


def wuhai_staff(scenario: Any) -> None:
    """Wuhai's window, leader, civil-affairs bureau and a residents' committee (idempotent)."""
    from engine.store.models import User

    with scenario.engine.db.session() as s:
        for username, roles, groups, department, region, name in WUHAI_STAFF:
            if s.query(User).filter_by(username=username).first() is None:
                create_user(s, username, DEMO_PASSWORD, roles, groups, department, region, name,
                            scenario.engine.clock.now())


def signed_in(browser: Any, username: str) -> Tab:
    tab = browser.page()
    tab.sign_in(username)
    return tab


def pick(page: Any, label: str, option: str) -> None:
    """Choose `option` in a form-js select (a dropdown of its own, not a native <select>)."""
    field = page.locator(".fjs-form-field", has=page.get_by_label(label, exact=False))
    field.locator(".fjs-select-display, input").first.click()
    field.locator(".fjs-dropdownlist-item", has_text=option).first.click()


def do_task(tab: Tab, case: Case, bpmn_id: str, task_name: str, fill: Callable[[Any], None],
            shot: str | None = None, audit: bool = False) -> None:
    """As `tab`'s user: wait until the case reached `bpmn_id`, find it in the /tasks list
    (the row of the case's business key and the task's name), open it, claim it, fill the
    form and submit; back on the list with the success toast. Screenshots of both pages;
    with `audit`, axe-core and the 360 px check on the task page (a form of new controls)."""
    wait_for(lambda: bpmn_id in case.open_tasks(), f"{case.business_key} to reach {bpmn_id}")
    page = tab.page
    tab.go("/tasks")
    row = page.locator("tbody tr", has_text=case.business_key).filter(has_text=task_name)
    expect(row).to_have_count(1)
    if shot:
        look(tab, f"{shot}-list", audit=False)  # the list page is audited in test_tasks_pages
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    page.wait_for_selector(FORM_READY)
    expect(page.locator("h1")).to_contain_text(task_name)
    # A task the first-question clerk opened the case for is already theirs (W-FIRST): no claim.
    if page.locator("button:text-is('认领')").count():
        tab.submit("button:text-is('认领')")
        page.wait_for_selector(FORM_READY)
    if shot:  # before filling: resizing the page while form-js holds typed text uncommitted can drop it
        look(tab, f"{shot}-task", audit=audit)
    fill(page)
    with page.expect_navigation():
        page.click("button[data-action=complete]")
    expect(page.locator(".toast--success")).to_contain_text(f"已提交：{task_name}")
    assert tab.problems == [], tab.problems


def start_case(tab: Tab, process: str, business_key: str, fill: Callable[[Any], None],
               id_label: str, shot: str, region: str | None = None) -> str:
    """As a window clerk: the process's start form from 受理申请, a wrong check digit refused
    on its field by the server, fixed, accepted; returns the new case's id. With `region`,
    the case is placed there (first tried outside the clerk's county: refused on that field)."""
    page = tab.page
    page.get_by_role("link", name="受理申请").first.click()
    page.wait_for_selector("h1:has-text('受理申请')")
    page.click(f"a[href='/cases/new/{process}']")
    page.wait_for_selector(START_READY)
    page.fill("#business_key", business_key)
    fill(page)
    if region:
        page.get_by_label("案件归属区划代码（可选）").fill(YIXING)  # the next county: not the clerk's
        page.click("[data-action=start]")
        page.wait_for_selector("[data-module=case-start][data-state=refused]")
        expect(page.locator(".field", has=page.locator("#region")).locator(".field__error")).to_contain_text(
            "不在您的辖区")
        page.get_by_label("案件归属区划代码（可选）").fill(region)
    page.get_by_label(id_label).fill(BAD_ID)
    page.click("[data-action=start]")
    page.wait_for_selector("[data-module=case-start][data-state=refused]")
    id_field = page.locator(".fjs-form-field", has=page.get_by_label(id_label))
    expect(id_field.locator(".fjs-form-field-error")).to_contain_text("公民身份号码无效")
    expect(page.locator("#region")).not_to_have_attribute("aria-invalid", "true")
    look(tab, f"{shot}-start-refused")
    page.get_by_label(id_label).fill(APPLICANT_ID)
    with page.expect_navigation():
        page.click("[data-action=start]")
    expect(page.locator(".toast").first).to_contain_text("已受理")
    expect(page.locator("h1")).to_contain_text(business_key)
    return page.url.rsplit("/", 1)[1]


# ---------------------------------------------------------------------------- Jiangyin
def _jiangyin_application(page: Any) -> None:
    page.get_by_label("县、乡镇（街道）、村（社区）服务窗口").check()
    # The checklist before the text fields: form-js commits typed text a moment later (debounced).
    page.get_by_label("最低生活保障").click()
    expect(page.get_by_label("最低生活保障")).to_be_checked()
    page.get_by_label("申请人姓名").fill("张秀英")
    page.get_by_label("联系电话", exact=False).fill("13912345678")
    page.get_by_label("居住地址").fill("江阴市澄江街道人民路8号")
    page.get_by_label("申请事由（困难情况）").fill("丈夫去世，本人患病无收入")


def test_J_FLOW_J_SUMMARY_J_TRACK_jiangyin_case_from_the_window_to_the_summary(browser, site, scenario, workers):
    """DB32/T 4012-2021 图1: the window accepts the application (5.1), the county centre
    judges it (5.2) and dispatches it (5.3), the civil-affairs bureau handles it (5.4-5.5),
    the centre summarises (办结汇总, 5.6); at the end the case page shows the path taken (J-TRACK)."""
    window = signed_in(browser, "window")
    case_id = start_case(window, "jiangyin_one_door", "JY-E2E-1", _jiangyin_application, "公民身份号码", "jy")
    case = Case(scenario, case_id)
    look(window, "jy-case-started")
    do_task(window, case, "Task_CheckMaterials", "审查申请材料",
            lambda page: page.get_by_label("齐全", exact=True).check(), shot="jy-window", audit=True)

    centre = signed_in(browser, "centre")

    def accept(page: Any) -> None:
        page.get_by_label("符合救助条件", exact=True).check()
        page.get_by_label("否", exact=True).check()
        page.get_by_label("研判意见").fill("家庭人均收入低于当地低保标准")

    do_task(centre, case, "Task_Accept", "一门受理（初步研判）", accept, shot="jy-centre-accept")

    def dispatch(page: Any) -> None:
        page.get_by_label("派单至实施部门", exact=False).check()
        expect(page.get_by_label("民政局", exact=True)).to_be_checked()  # pre-filled from the item list (DMN)

    do_task(centre, case, "Task_Dispatch", "分类派单", dispatch, shot="jy-centre-dispatch", audit=True)

    department = signed_in(browser, "dept-civil-affairs")

    def intake(page: Any) -> None:
        page.get_by_label("需携带的材料及办理地点", exact=False).fill("请携带户口簿、身份证到市民政局社会救助科")
        page.get_by_label("无需核查，部门直接审核").check()

    do_task(department, case, "Task_DeptIntake", "受理并告知所需材料", intake, shot="jy-dept-intake")

    def decide(page: Any) -> None:
        page.get_by_label("批准救助").check()
        page.get_by_label("决定内容", exact=False).fill("同意救助")
        page.get_by_label("救助金额", exact=False).fill("1160")
        approved_record(page)

    do_task(department, case, "Task_DeptDecision", "部门审核决定", decide, shot="jy-dept-decision")

    def summarise(page: Any) -> None:
        page.get_by_label("处理结果（反馈申请人）").fill("经民政局审核，自12月起享受最低生活保障每月1160元")
        page.get_by_label("不转介").check()

    do_task(centre, case, "Task_Summary", "办结汇总", summarise, shot="jy-centre-summary")
    wait_for(lambda: case.status == "completed", "the case to be archived and closed")
    assert case.reached("End_Completed")

    # J-TRACK: the window clerk follows the case to its end on the case page.
    window.go(f"/cases/{case_id}")
    page = window.page
    page.wait_for_selector("[data-module=diagram-viewer][data-ready=true]")
    for element in ("StartEvent_Application", "Task_CheckMaterials", "Task_Accept", "Task_Dispatch",
                    "Task_Summary", "End_Completed"):
        expect(page.locator(f".djs-element.case-completed[data-element-id='{element}']")).to_have_count(1)
    assert page.locator(".djs-element.case-current").count() == 0
    timeline = page.locator(".timeline")
    for name in ("审查申请材料", "一门受理", "分类派单", "受理并告知所需材料", "部门审核决定", "办结汇总"):
        expect(timeline).to_contain_text(name)
    # The department's steps (a called process) are named as its diagram names them, not by ids.
    assert "Task_" not in timeline.inner_text() and "Timer_" not in page.locator("main").inner_text()
    expect(page.locator("section[aria-labelledby=deadlines-title]")).to_contain_text("按期完成")
    look(window, "jy-case-closed")


# ---------------------------------------------------------------------------- Wuhai
def _wuhai_registration(page: Any) -> None:
    page.get_by_label("最低生活保障").click()  # the checklist first (form-js debounces typed text)
    expect(page.get_by_label("最低生活保障")).to_be_checked()
    pick(page, "主要救助请求", "最低生活保障")
    pick(page, "申请渠道", "受理窗口")
    page.get_by_label("申请人姓名").fill("王桂兰")
    page.get_by_label("联系电话", exact=False).fill("13947312345")
    page.get_by_label("家庭住址").fill("乌海市海勃湾区新华街道滨河社区3号楼2单元")
    page.get_by_label("所属居（村）委会").fill("滨河社区居委会")
    page.get_by_label("救助事由").fill("丈夫因病去世，本人无固定收入，生活困难")


def test_W_FLOW_W_LEADER_wuhai_case_from_registration_through_leader_department_and_feedback(
        browser, site, scenario, workers):
    """乌海 Annex 1: the window registers the application (Annex 5 登记表), reviews it and proposes
    the transfer; the responsible leader agrees (W-LEADER, Annex 4 art. 1) and only then is it
    dispatched; the civil-affairs bureau handles it; the window tells the applicant (2 working
    days); the residents' committee posts the result and the case is archived."""
    wuhai_staff(scenario)
    window = signed_in(browser, "wh-window")
    # The applicant lives in a village of the city: the case is placed there, so that the
    # village's residents' committee sees the posting step (region scope).
    case_id = start_case(window, "wuhai_one_door", "WH-E2E-1", _wuhai_registration, "公民身份号码", "wh",
                         region=WUHAI_VILLAGE)
    case = Case(scenario, case_id)
    assert case.instance.region == WUHAI_VILLAGE
    look(window, "wh-case-started")

    def review(page: Any) -> None:
        page.get_by_label("材料齐全，符合受理条件，同意受理").check()
        page.locator(".fjs-form-field", has_text="属于以下救助").get_by_label("最低生活保障").check()
        page.get_by_label("请在几个工作日内审核").fill("5")

    do_task(window, case, "Task_WindowReview", "受理审查（受理分办意见）", review, shot="wh-window-review", audit=True)

    def transfer(page: Any) -> None:
        page.get_by_label("经审核，救助事由属实，拟转办").check()
        page.locator(".fjs-form-field", has_text="是否符合临时救助条件").get_by_label("否", exact=True).check()
        page.get_by_label("审核意见说明").fill("经审核，该申请人救助事由属实，拟转区民政局办理。")
        page.get_by_label("审核人").fill("赵审核")

    do_task(window, case, "Task_ReviewRoute", "审核转办（审核转办意见）", transfer, shot="wh-window-transfer")
    assert case.jobs("department.dispatch") == []  # nothing leaves before the leader agrees (W-LEADER)

    leader = signed_in(browser, "wh-leader")
    do_task(leader, case, "Task_LeaderApprove", "分管领导审批转办",
            lambda page: page.get_by_label("同意转办").check(), shot="wh-leader")

    department = signed_in(browser, "wh-dept-civil-affairs")

    def intake(page: Any) -> None:
        page.get_by_label("无需核查，部门直接审核").check()

    do_task(department, case, "Task_DeptIntake", "受理并告知所需材料", intake, shot="wh-dept-intake")
    assert [j["variables"]["department"] for j in case.jobs("department.dispatch")] == ["civil-affairs"]

    def decide(page: Any) -> None:
        page.get_by_label("批准救助").check()
        page.get_by_label("决定内容", exact=False).fill("符合条件，批准救助")
        page.get_by_label("救助金额", exact=False).fill("600")
        approved_record(page)

    do_task(department, case, "Task_DeptDecision", "部门审核决定", decide, shot="wh-dept-decision")

    def feedback(page: Any) -> None:
        pick(page, "反馈方式", "电话")
        page.get_by_label("反馈内容").fill("已电话告知申请人办理结果")

    do_task(window, case, "Task_WindowFeedback", "窗口反馈申请人（反馈情况）", feedback, shot="wh-window-feedback",
            audit=True)

    village = signed_in(browser, "wh-village")

    def posting(page: Any) -> None:
        page.get_by_label("公示地点（居/村委会）").fill("滨河社区居委会公示栏")
        page.get_by_label("公示日期").fill("2026-11-12")
        page.get_by_label("公示天数").fill("7")

    do_task(village, case, "Task_PublicPosting", "居（村）委会张榜公示", posting, shot="wh-village-posting",
            audit=True)
    wait_for(lambda: case.status == "completed", "the case to be archived and closed")
    assert case.reached("End_Closed")
    window.go(f"/cases/{case_id}")
    window.page.wait_for_selector("[data-module=diagram-viewer][data-ready=true]")
    for element in ("Task_WindowReview", "Task_ReviewRoute", "Task_LeaderApprove", "Task_WindowFeedback",
                    "Task_PublicPosting", "End_Closed"):
        expect(window.page.locator(f".djs-element.case-completed[data-element-id='{element}']")).to_have_count(1)
    look(window, "wh-case-closed")


# ---------------------------------------------------------------------------- overdue
def test_W_SUPERVISE_X_TIMERS_leaders_approval_past_its_deadline_is_in_the_leaders_overdue_tab(
        browser, site, scenario):
    """Annex 1 / Annex 4 art. 2: 受理审核后 1 个工作日内装封转出. Reviewed on Friday, the leader's
    approval is due Monday 17:30; on Wednesday evening it is 2 working days late: it stays in
    the leader's overdue tab (its deadline timer has fired and supervision opened), with the
    lateness counted in working days (the weekend not counted)."""
    from tests.scenarios.test_wuhai import reviewed

    case = reviewed(scenario, "WH-E2E-LATE-1")
    case.advance(working_days=3)  # Friday → Wednesday 17:31
    assert sorted(case.open_tasks()) == ["Task_LeaderApprove", "Task_SuperviseTransfer"]
    leader = signed_in(browser, "leader")
    leader.go("/tasks?tab=overdue")
    row = leader.page.locator("tbody tr", has_text="WH-E2E-LATE-1")
    expect(row).to_contain_text("分管领导审批转办")
    expect(row).to_contain_text("已超期 2 个工作日")
    expect(leader.page.locator(".tabs__link--current")).to_contain_text("已超期 1")
    look(leader, "wh-leader-overdue")
    # The supervisor finds the supervision the timer opened in their own list.
    supervisor = signed_in(browser, "supervisor")
    supervisor.go("/tasks")
    expect(supervisor.page.locator("tbody tr", has_text="WH-E2E-LATE-1")).to_contain_text("督办转办")
    look(supervisor, "wh-supervisor-tasks")
