"""The applicant portal and the dashboard in a real browser (J-PORTAL, J-CH-ONLINE,
T-MOBILE, J-FEEDBACK, J-PUBLIC, J-DATA): apply at phone width with the materials (a
disguised file refused on its field) and get the number and its SMS, query progress (a
wrong second factor refused), rate the ended case, sign in by phone and SMS code to see
"我的申请", see a public notice, and a
leader's dashboard whose figures are the database's counts. Screenshots at 1280/375 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engine.store.material_models import CaseMaterial
from engine.store.models import HumanTask, Instance, TaskCandidate
from engine.store.records import Notification
from tests.portal.test_portal_applicants import PDF, PNG
from tests.scenarios.test_jiangyin import accepted
from tests.web.conftest import Tab, axe, overflowing, shoot
from workers.runner import run_pending

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ID_NUMBER, PHONE = "320281198001010017", "13800001234"


def application(**extra: object) -> dict[str, object]:
    """The start form as an applicant fills it online (forms/jiangyin/application.json)."""
    return {"applicant_name": "郑梅", "applicant_id_number": ID_NUMBER, "applicant_phone": PHONE,
            "applicant_address": "江阴市澄江街道 1 号", "aid_types": ["dibao"], "reason": "收入低于低保标准",
            **extra}


def check(tab: Tab, name: str) -> None:
    """Screenshots, axe-core, nothing cut off at 360 px, no script error or CSP violation."""
    shoot(tab, name)
    assert axe(tab) == [], name
    tab.page.set_viewport_size({"width": 360, "height": 800})
    assert overflowing(tab) == [], f"{name}: cut off at 360 px"
    tab.page.set_viewport_size({"width": 375, "height": 800})
    assert tab.problems == [], f"{name}: {tab.problems}"


@pytest.mark.state_written  # the case is marked completed in the database, not driven there
def test_J_CH_ONLINE_T_MOBILE_apply_query_rate_and_see_a_notice_on_a_phone(browser, site, scenario):
    engine = scenario.engine
    tab = browser.page(width=375, height=800)
    page = tab.page
    tab.go("/portal")
    expect(page.locator("h1")).to_have_text("社会救助网上办事大厅")
    check(tab, "portal-index")
    tab.submit("a.card__link:has-text('最低生活保障')")
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
    check(tab, "portal-item")
    tab.submit("a:has-text('在江阴市申请')")
    expect(page.locator('[data-module="portal-apply"][data-ready="true"]')).to_be_attached()
    page.get_by_label("申请人姓名").fill("郑梅")
    # A wrong check digit: form-js lets it through, the server refuses it by name (422).
    page.get_by_label("公民身份号码").fill("320281198001010018")
    page.get_by_label("联系电话", exact=False).fill(PHONE)
    page.get_by_label("居住地址").fill("江阴市澄江街道 1 号")
    page.get_by_label("申请事由（困难情况）").fill("家庭收入低于低保标准")
    # The materials: the ID card as a real PDF, the household register a PNG named .pdf (disguised).
    page.set_input_files("#material_id_card", files=[{"name": "身份证.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF}])
    page.set_input_files("#material_household_register", files=[{"name": "户口簿.pdf", "mimeType": "application/pdf",
                                                                 "buffer": PNG}])
    page.click("button[data-action='submit']")
    expect(page.locator("[data-commitment-error]")).to_be_visible()
    page.check("[data-commitment]")
    page.click("button[data-action='submit']")
    # Both refused at once, each on its field: the ID number's check digit and the disguised file.
    expect(page.locator(".portal-apply__server-error")).to_have_count(2)
    refused = page.locator('[data-material="material_household_register"] .portal-apply__server-error')
    expect(refused).to_have_text("文件名所示类型与文件内容不符（伪装文件），未保存")
    check(tab, "portal-apply-refused")
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0  # nothing stored
    page.get_by_label("公民身份号码").fill(ID_NUMBER)
    page.set_input_files("#material_household_register", files=[{"name": "户口簿.png", "mimeType": "image/png",
                                                                 "buffer": PNG}])
    with page.expect_navigation():
        page.click("button[data-action='submit']")
    number = page.locator("[data-business-key]").inner_text().strip()
    assert number.startswith("WS20261102-")
    check(tab, "portal-receipt")
    with engine.db.reading() as s:
        case = s.scalar(sa.select(Instance).where(Instance.business_key == number))
        kinds = sorted(s.scalars(sa.select(CaseMaterial.kind).where(CaseMaterial.instance_id == case.id)))
    assert case.channel == "online" and case.region == "320281"
    assert kinds == ["household_register", "id_card"]
    run_pending(engine, topics=["applicant.notify"])  # the SMS adapter's worker: the outbox
    with engine.db.reading() as s:
        sms = s.scalar(sa.select(Notification).where(Notification.template == "applied"))
    assert sms.to == PHONE and number in sms.message

    tab.go("/portal/progress")
    page.fill("#business_key", number)
    page.fill("#secret", "9999")
    tab.submit("button:has-text('查询')")
    expect(page.locator(".error-summary")).to_contain_text("没有找到与申办流水号和验证信息都相符的申请")
    check(tab, "portal-lookup-refused")
    page.fill("#secret", "0017")
    tab.submit("button:has-text('查询')")
    expect(page.locator("[data-status]")).to_have_text("办理中")
    check(tab, "portal-case-running")

    engine.cancel(case.id, "申请人撤回申请", "system")  # the case has ended: it may be rated
    tab.go("/portal/case")
    page.select_option("#score", "2")
    tab.submit("button:has-text('提交评价')")
    expect(page.locator(".error-summary")).to_contain_text("评为不满意时请写明原因")
    page.select_option("#score", "2")
    page.fill("#comment", "等待时间较长")
    tab.submit("button:has-text('提交评价')")
    expect(page.locator("[data-rated]")).to_be_visible()
    page.fill("#text", "窗口没有一次性告知所缺材料")
    tab.submit("button:has-text('提交投诉')")
    expect(page.locator(".toast")).to_contain_text("投诉已提交")
    check(tab, "portal-case-rated")

    with engine.db.session() as s:  # as if approved and completed: posted publicly
        s.get(Instance, case.id).status = "completed"
    centre = browser.page()
    centre.sign_in("centre")
    centre.go("/dashboard/notices")
    for _attempt in range(2):  # the second posting of the same case is refused on its field
        centre.page.fill("#business_key", number)
        centre.page.fill("#item", "最低生活保障")
        centre.page.fill("#amount", "每月 620 元")
        centre.page.fill("#household_size", "3")
        centre.submit("button:has-text('发布公示')")
    expect(centre.page.locator(".error-summary")).to_contain_text("只有已办结的案件可以公示，且每个案件只公示一次")
    expect(centre.page.locator("tbody tr")).to_have_count(1)
    check(centre, "dashboard-notices")
    centre.go("/dashboard/feedback")  # the bad rating with its reason and the complaint, to follow up
    expect(centre.page.locator("tbody tr")).to_have_count(2)
    expect(centre.page.locator("tbody")).to_contain_text("等待时间较长")
    expect(centre.page.locator("tbody")).to_contain_text("窗口没有一次性告知所缺材料")
    check(centre, "dashboard-feedback")
    other = browser.page()
    other.sign_in("centre-yixing")  # another county's centre: none of it
    other.go("/dashboard/feedback")
    expect(other.page.locator(".empty-state")).to_be_visible()
    # 我的申请: signed in by phone and SMS code (a wrong code refused without saying which part).
    tab.go("/portal")
    tab.submit("a.card__link:has-text('我的申请')")
    page.fill("#phone", PHONE)
    tab.submit("button:has-text('获取验证码')")
    expect(page.locator("[data-masked-phone]")).to_contain_text("138****1234")
    with engine.db.reading() as s:
        text = s.scalar(sa.select(Notification.message).where(Notification.template == "sign_in_code"))
    code = re.search(r"验证码为 (\d{6})", text).group(1)
    page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
    tab.submit("button:has-text('登录')")
    expect(page.locator(".error-summary")).to_contain_text("手机号码或验证码不正确")
    check(tab, "portal-sign-in-refused")
    page.fill("#code", code)
    tab.submit("button:has-text('登录')")
    expect(page.locator(f'[data-case="{number}"]')).to_be_visible()
    assert PHONE not in page.content() and "郑梅" not in page.content()
    check(tab, "portal-mine")
    tab.submit(f"a:has-text('{number}')")
    expect(page.locator("[data-rated]")).to_be_visible()
    expect(page.locator("[data-back-to-mine]")).to_be_visible()

    tab.go("/portal/notices")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("郑*")
    assert "郑梅" not in page.content()
    check(tab, "portal-notices")


def test_J_DATA_dashboard_draws_every_chart_from_the_regions_counts(browser, site, scenario):
    engine = scenario.engine
    accepted(scenario, "JY-DASH-1")  # two window cases, checked and accepted: waiting for dispatch
    accepted(scenario, "JY-DASH-2")
    engine.apply_online("dibao", "320281", application())
    ended = engine.apply_online("temporary", "320281", application(aid_types=["temporary"]))
    engine.cancel(ended.id, "申请人撤回", "system")
    engine.rate_case(ended.id, 4)
    engine.clock.advance(dt.timedelta(days=20))  # the centre's dispatches are now overdue
    tab = browser.page()
    tab.sign_in("leader")
    tab.go("/dashboard")
    expect(tab.page.locator('[data-module="dashboard"][data-ready="true"]')).to_be_attached()
    now = engine.clock.now()
    with engine.db.reading() as s:
        count = s.scalar
        cases = count(sa.select(sa.func.count()).select_from(Instance).where(Instance.region == "320281"))
        online = count(sa.select(sa.func.count()).select_from(Instance).where(Instance.channel == "online"))
        open_tasks = count(sa.select(sa.func.count()).select_from(HumanTask).where(HumanTask.state == "open"))
        overdue = count(sa.select(sa.func.count()).select_from(TaskCandidate).join(
            HumanTask, HumanTask.id == TaskCandidate.task_id).where(HumanTask.state == "open", HumanTask.due_at < now))
        done = count(sa.select(sa.func.count()).select_from(HumanTask).where(HumanTask.state == "completed"))
    assert tab.page.locator('[data-figure="cases"]').inner_text() == str(cases) == "4"
    figures = tab.page.evaluate("async () => (await fetch('/dashboard/data.json')).json()")
    assert sum(figures["channels"]["online"]) == online == 2
    assert sum(b["open"] for b in figures["backlog"]) == open_tasks
    assert sum(o["open"] for o in figures["overdue"]) == overdue > 0
    assert sum(d["completed"] for d in figures["durations"]) == done == 4
    assert figures["ratings"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert sum(figures["by_hour"]) == sum(figures["by_weekday"]) == cases
    for chart in ("months", "backlog", "on_time", "durations", "overdue", "ratings", "departments", "department_days",
                  "by_hour", "by_weekday", "by_region"):
        expect(tab.page.locator(f'[data-chart="{chart}"] svg')).to_be_attached()
    check(tab, "dashboard-leader")
