"""J-CONSULT / W-CONSULT in the browser: a window clerk records a phone consultation from the
staff app's start page (the generic start form of `consultation`), lands on its case page with
its diagram and the answer step current, and finds the answer in the window's work list; the
clerk is recorded as its first-question person. Screenshots at 1280 and 375 px, axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.store.models import Instance
from tests.web.test_pages import check

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def test_J_CONSULT_a_clerk_records_a_phone_consultation_and_answers_it_from_the_work_list(browser, site, scenario):
    clerk = browser.page()
    clerk.sign_in("window")
    page = clerk.page
    clerk.go("/cases/new/consultation")
    page.wait_for_selector("[data-module=case-start][data-ready=true]")
    page.get_by_label("电话咨询").check()
    page.get_by_label("咨询内容").fill("母亲瘫痪在床，家里能申请什么救助？")
    expect(page.get_by_label("咨询内容")).to_have_value("母亲瘫痪在床，家里能申请什么救助？")
    check(clerk, "consultation-new")
    page.fill("#business_key", "ZX-BROWSER-1")
    with page.expect_navigation():
        page.click("[data-action=start]")
    assert "ZX-BROWSER-1" in page.locator("h1").inner_text()
    page.wait_for_selector("[data-module=diagram-viewer][data-ready=true]")
    assert page.locator(".djs-element.case-current[data-element-id='Task_AnswerConsultation']").count() == 1
    check(clerk, "consultation-case")
    with scenario.engine.db.reading() as s:
        row = s.query(Instance).filter(Instance.business_key == "ZX-BROWSER-1").one()
        assert row.started_by == "window" and row.process_key == "consultation"
    clerk.go("/tasks")
    expect(page.locator("body")).to_contain_text("答复咨询")
