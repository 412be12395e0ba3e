"""X-STAFF, J-SEC: every page of the staff web app, as each role meets it, in a real browser:
screenshots at 1280 and 375 px (test-artifacts/screenshots), axe-core with no serious or
critical violation, nothing wider than a phone's screen, no script error, no CSP
violation, no request outside the app, Chinese rendered (lang, charset)."""

from __future__ import annotations

import pytest

from tests.scenarios.test_jiangyin import PROCESS, accepted, application
from tests.web.conftest import Tab, axe, overflowing, shoot

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _definition_id(site, key: str = PROCESS) -> int:
    rows = site.call("GET", "/api/v1/definitions", as_="designer").json()
    return max((d for d in rows if d["key"] == key), key=lambda d: d["version"])["id"]


def check(tab: Tab, name: str, narrow_ok: bool = True) -> None:
    """Screenshots, axe-core, the phone width and the page's basics."""
    page = tab.page
    assert page.evaluate("document.characterSet") == "UTF-8"
    assert page.evaluate("document.documentElement.lang") in ("zh-CN", "en")
    shoot(tab, name)
    violations = axe(tab)
    assert violations == [], f"{name}: {violations}"
    page.set_viewport_size({"width": 360, "height": 800})
    assert overflowing(tab) == [], f"{name}: cut off at 360 px"
    page.set_viewport_size({"width": 1280, "height": 900})
    assert tab.problems == [], f"{name}: {tab.problems}"


def test_X_STAFF_every_page_for_its_role(browser, site, scenario):
    accepted(scenario, "JY-WEB-2")  # Friday: waits for the centre's dispatch, due Tuesday (J-T2)
    scenario.start(PROCESS, application(), "JY-WEB-1")
    definition = _definition_id(site)

    visitor = browser.page()
    visitor.go("/")
    check(visitor, "sign-in")
    visitor.page.fill("#username", "window")
    visitor.page.fill("#password", "not-the-password")
    visitor.submit("button:has-text('登录')")
    check(visitor, "sign-in-wrong-password")
    visitor.go("/no-such-page")
    check(visitor, "error-404")

    clerk = browser.page()
    clerk.sign_in("window")
    check(clerk, "home-clerk")
    clerk.go("/admin/users")
    check(clerk, "error-403")
    clerk.go("/account/password")
    check(clerk, "account-password")

    centre = browser.page()
    centre.sign_in("centre")
    assert centre.page.locator("time.badge").first.inner_text() == "剩余 2 个工作日"
    check(centre, "home-dispatcher")

    admin = browser.page()
    admin.sign_in("admin")
    check(admin, "home-admin")
    admin.go("/admin/users")
    check(admin, "users-list")
    admin.go("/admin/users?role=leader")
    check(admin, "users-list-filtered")
    admin.go("/admin/users?q=no-such-user")
    check(admin, "users-list-empty")
    admin.go("/admin/users/new")
    check(admin, "users-new")
    admin.submit("button:has-text('添加用户') >> nth=-1")
    check(admin, "users-new-errors")
    admin.go("/admin/users/window/edit")
    check(admin, "users-edit")
    admin.go("/admin/users/window/password")
    check(admin, "users-password")

    designer = browser.page()
    designer.sign_in("designer")
    check(designer, "home-designer")
    designer.go("/definitions")
    check(designer, "definitions-list")
    designer.go(f"/definitions/{definition}")
    designer.page.wait_for_selector("[data-module=diagram-viewer][data-ready=true]")
    check(designer, "definition-diagram")
    designer.go(f"/definitions/{definition}/forms/jiangyin/application.json")
    designer.page.wait_for_selector("[data-module=form-preview][data-ready=true]")
    check(designer, "form-preview")
