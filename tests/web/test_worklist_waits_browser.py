"""W-SUPERVISE, X-STAFF in the browser: a webhook department's wait that went overdue after a
clock advance shows in the centre's overdue list as "等待部门回复" with its department and
deadline badge, and its link opens the case page. Screenshots at 1280 and 375 px, axe-core,
nothing cut off at 360 px."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.scenarios.test_common_webhook_department import webhook_department  # noqa: F401 - fixture
from tests.scenarios.test_jiangyin import accepted, dispatch
from tests.web.test_pages import check
from tests.workers.outside import OutsideSystem

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def test_W_SUPERVISE_overdue_department_wait_in_the_overdue_list_links_to_its_case(
        browser, site, scenario, webhook_department: Callable[..., OutsideSystem]) -> None:  # noqa: F811
    webhook_department("hrss", handling_days=2)
    case = accepted(scenario, "JY-WAIT-WEB-1", aid_types=["employment"])
    dispatch(case)
    case.advance(working_days=3)  # past the department's limit: supervised, still waiting

    centre = browser.page()
    centre.sign_in("centre")
    centre.go("/tasks?tab=overdue")
    row = centre.page.locator("tr[data-kind=department-wait]", has_text="JY-WAIT-WEB-1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("等待部门回复")
    expect(row).to_contain_text("人力资源和社会保障局")
    expect(row).to_contain_text("已超期")
    expect(row).to_contain_text("张*英")
    expect(centre.page.locator(".tabs__link--current")).to_contain_text("已超期")
    check(centre, "tasks-overdue-department-wait")
    with centre.page.expect_navigation():
        row.get_by_role("link").click()
    expect(centre.page.locator("main")).to_contain_text("JY-WAIT-WEB-1")
    assert f"/cases/{case.id}" in centre.page.url
