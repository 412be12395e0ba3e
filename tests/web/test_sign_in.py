"""J-SEC, X-STAFF: signing in and out of the staff web app in a real browser, as a clerk
would: errors on the page, the lockout, a session that sign-out really ends, CSRF,
language and large-font mode remembered, the whole thing by keyboard alone."""

from __future__ import annotations

import re

import pytest

from engine.errors import NotFound
from tests.web.conftest import Tab, shoot

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
PASSWORD = "web-test-pass-1"


def _user(engine, name: str, roles: tuple[str, ...] = ("clerk",)) -> str:
    """A user of this test's own (the demo accounts stay as they are for other tests)."""
    try:
        engine.users.get(name)
    except NotFound:
        engine.users.add("test", name, PASSWORD, list(roles), ["window"], None, "320281", f"测试 {name}")
    engine.users.set_password("test", name, PASSWORD)
    engine.users.set_active("test", name, True)
    engine.users.set_preferences(name, locale="zh_CN", large_font=False)
    return name


def _session_cookie(tab: Tab) -> dict:
    return next(c for c in tab.cookies() if c["name"] == "relief_session")


def test_J_SEC_sign_in_lands_on_the_home_page(browser, engine):
    tab = browser.page()
    tab.sign_in(_user(engine, "web-home"), PASSWORD)
    assert tab.page.locator("h1").inner_text() == "您好，测试 web-home"
    cookie = _session_cookie(tab)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert tab.problems == []


def test_J_SEC_sign_in_returns_to_the_page_asked_for(browser):
    tab = browser.page()
    tab.go("/admin/users?role=clerk")
    assert tab.page.url.endswith("/sign-in?next=/admin/users?role%3Dclerk")
    tab.page.fill("#username", "admin")
    tab.page.fill("#password", "demo-pass-2026")
    tab.page.click("button:has-text('登录')")
    assert tab.page.url.endswith("/admin/users?role=clerk")


def test_J_SEC_wrong_password_shows_the_error_on_the_page(browser, engine):
    tab = browser.page()
    tab.sign_in(_user(engine, "web-wrong"), "not-my-password")
    page = tab.page
    summary = page.locator(".error-summary")
    assert summary.is_visible() and page.evaluate("document.activeElement.className") == "error-summary"
    assert page.locator("#password-error").text_content().startswith("错误：用户名或密码不正确")
    assert page.get_attribute("#password", "aria-invalid") == "true"
    assert "password-error" in page.get_attribute("#password", "aria-describedby")
    summary.locator("a").first.click()  # the summary's link leads to the field
    assert page.evaluate("document.activeElement.id") == "password"
    assert page.input_value("#username") == "web-wrong"  # what was typed stays
    assert tab.problems == []


def test_J_SEC_lockout_after_five_failures_says_when_to_retry(browser, engine):
    name = _user(engine, "web-lock")
    tab = browser.page()
    for _ in range(4):
        tab.sign_in(name, "wrong-again")
    assert "再错 1 次，账号将被临时锁定" in tab.page.locator("#password-error").inner_text()
    tab.sign_in(name, "wrong-again")
    notice = tab.page.locator(".error-summary").inner_text()
    assert re.search(r"该账号连续登录失败次数过多，已临时锁定。请于 \d\d:\d\d 后再试（约 15 分钟）", notice)
    shoot(tab, "sign-in-locked")
    tab.sign_in(name, PASSWORD)  # the right password is refused while locked
    assert "已临时锁定" in tab.page.locator(".error-summary").inner_text()
    assert tab.page.locator(".site-header__user").count() == 0


def test_J_SEC_sign_out_ends_the_session_on_the_server(browser, engine):
    tab = browser.page()
    tab.sign_in(_user(engine, "web-out"), PASSWORD)
    stolen = _session_cookie(tab)
    tab.submit("button:has-text('退出')")
    assert "您已安全退出" in tab.page.locator(".toast").inner_text()

    thief = browser.page()
    thief.page.context.add_cookies([stolen])  # the cookie as it was before sign-out
    thief.go("/account/password")
    assert thief.page.url.split("?")[0].endswith("/sign-in")
    assert "登录已失效" in thief.page.locator(".toast").inner_text()
    thief.page.context.add_cookies([stolen])
    api = thief.page.request.get(f"{thief.base}/api/v1/definitions")
    assert api.status == 401 and "signed out" in api.json()["message"]


def test_J_SEC_forged_or_missing_csrf_token_is_refused_and_nothing_stored(browser, engine):
    tab = browser.page()
    tab.sign_in("admin")
    tab.go("/admin/users/new")
    page = tab.page
    page.fill("#username", "csrf-victim")
    page.check("#roles-2")
    page.fill("#password", "long-enough-1")
    page.evaluate("document.querySelector('form.form input[name=csrf_token]').value = 'forged-token'")
    tab.submit("button:has-text('添加用户') >> nth=-1")
    assert page.locator("h1").inner_text() == "请求有误"
    assert "CSRF 校验未通过" in page.locator(".lead").inner_text() and "没有保存任何内容" in page.content()
    shoot(tab, "error-csrf")
    missing = page.request.post(f"{tab.base}/admin/users/new",
                                form={"username": "csrf-victim", "roles": "clerk", "password": "long-enough-1"})
    assert missing.status == 400 and "CSRF" in missing.text()
    with pytest.raises(NotFound):
        engine.users.get("csrf-victim")


def test_X_STAFF_language_switch_is_remembered_for_the_user(browser, engine):
    name = _user(engine, "web-lang")
    tab = browser.page()
    tab.sign_in(name, PASSWORD)
    tab.submit("button:has-text('English')")
    assert tab.page.locator("h1").inner_text() == "Hello, 测试 web-lang"
    assert tab.page.evaluate("document.documentElement.lang") == "en"
    shoot(tab, "home-english")

    other = browser.page()  # another computer: the choice follows the user
    other.sign_in(name, PASSWORD)
    assert other.page.locator("h1").inner_text() == "Hello, 测试 web-lang"
    other.submit("button:has-text('中文')")
    assert other.page.locator("h1").inner_text() == "您好，测试 web-lang"


def test_X_STAFF_large_font_mode_is_remembered_for_the_user(browser, engine):
    name = _user(engine, "web-large")
    tab = browser.page()
    tab.sign_in(name, PASSWORD)
    size = "getComputedStyle(document.querySelector('h1')).fontSize"
    normal = float(tab.page.evaluate(size).rstrip("px"))
    tab.submit("button:has-text('大字模式')")
    assert tab.page.get_attribute("button:has-text('大字模式')", "aria-pressed") == "true"
    assert float(tab.page.evaluate(size).rstrip("px")) == pytest.approx(normal * 1.25)
    shoot(tab, "home-large-font")

    other = browser.page()
    other.sign_in(name, PASSWORD)
    assert other.page.evaluate("document.documentElement.className") == "large-font"


def test_X_STAFF_sign_in_with_the_keyboard_only(browser, engine):
    name = _user(engine, "web-keys")
    tab = browser.page()
    tab.go("/")
    page = tab.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    focused = []
    for _ in range(6):  # from the main content, Tab reaches the fields
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
        if focused[-1] == "username":
            break
    assert focused[-1] == "username", focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "您好，测试 web-keys"
    assert tab.problems == []


def test_J_SEC_a_temporary_password_must_be_replaced_first(browser, engine):
    name = _user(engine, "web-temp")
    engine.users.set_password("admin", name, "temporary-pass-1", temporary=True)
    tab = browser.page()
    tab.sign_in(name, "temporary-pass-1")
    assert tab.page.url.endswith("/account/password")
    tab.go("/")  # nothing else opens until the password is the user's own
    assert tab.page.url.endswith("/account/password")
    page = tab.page
    page.fill("#current_password", "temporary-pass-1")
    page.fill("#password", "my-own-password-1")
    page.fill("#confirm", "my-own-password-2")
    tab.submit("button:has-text('保存新密码')")
    assert page.locator("#confirm-error").text_content() == "错误：两次输入的新密码不一致"
    page.fill("#current_password", "temporary-pass-1")
    page.fill("#password", "my-own-password-1")
    page.fill("#confirm", "my-own-password-1")
    tab.submit("button:has-text('保存新密码')")
    assert page.locator("h1").inner_text() == "您好，测试 web-temp"
    assert tab.problems == []
