"""J-SEC: an administrator manages the people of a county in the browser: adds a user
(bad input shown beside its field, nothing stored), who signs in and picks a password;
edits their roles and region; disables them (their open session ends at once); resets a
password."""

from __future__ import annotations

import pytest

from engine.errors import NotFound
from tests.web.conftest import shoot

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _forget(engine, name: str) -> None:
    """This test adds `name` itself: an earlier run on this database must not have left it."""
    with pytest.raises(NotFound):
        engine.users.get(name)


def test_J_SEC_admin_adds_edits_and_disables_a_user(browser, engine):
    _forget(engine, "li-village")
    admin = browser.page()
    admin.sign_in("admin")
    admin.go("/admin/users/new")
    page = admin.page
    page.fill("#username", "li-village")
    page.fill("#display_name", "村协理员 李芳")
    page.check("#roles-2")  # clerk
    page.fill("#groups", "village")
    page.fill("#region", "3202811002")  # 10 digits: not a GB/T 2260 code
    page.fill("#password", "first-pass-1")
    admin.submit("button:has-text('添加用户') >> nth=-1")
    assert page.locator(".error-summary a").all_inner_texts() == [
        "请填写 6 位（县级）、9 位（乡镇）或 12 位（村级）行政区划代码，如 320281"]
    assert page.locator("#region-error").is_visible()
    assert page.get_attribute("#region", "aria-invalid") == "true"
    assert page.input_value("#username") == "li-village"  # the rest stays as typed
    shoot(admin, "users-new-bad-region")
    with pytest.raises(NotFound):
        engine.users.get("li-village")  # nothing stored

    page.fill("#region", "320281100201")
    page.fill("#password", "first-pass-1")
    admin.submit("button:has-text('添加用户') >> nth=-1")
    assert "已添加用户 li-village" in page.locator(".toast").inner_text()
    user = engine.users.get("li-village")
    assert (user.roles, user.groups, user.region, user.must_change_password) == (
        ["clerk"], ["village"], "320281100201", True)

    village = browser.page()
    village.sign_in("li-village", "first-pass-1")
    assert village.page.url.endswith("/account/password")  # the admin's password is not theirs
    village.page.fill("#current_password", "first-pass-1")
    village.page.fill("#password", "own-pass-123")
    village.page.fill("#confirm", "own-pass-123")
    village.submit("button:has-text('保存新密码')")
    assert village.page.locator("h1").inner_text() == "您好，村协理员 李芳"

    admin.go("/admin/users/li-village/edit")
    page.check("#roles-5")  # leader as well
    page.fill("#groups", "village, leader")
    admin.submit("button:has-text('保存')")
    assert "已保存 li-village 的资料" in page.locator(".toast").inner_text()
    user = engine.users.get("li-village")
    assert (user.roles, user.groups) == (["clerk", "leader"], ["village", "leader"])

    page.once("dialog", lambda dialog: dialog.accept())  # "停用后该用户的所有登录立即失效。确定停用…"
    admin.submit("button:has-text('停用账号')")
    assert "已停用 li-village" in page.locator(".toast").inner_text()
    assert page.locator("h1 .badge").inner_text() == "已停用"
    shoot(admin, "users-edit-disabled")
    assert not engine.users.get("li-village").active

    village.go("/")  # the session that was open a moment ago is refused now
    assert village.page.locator("h1").inner_text() == "登录"
    assert "登录已失效" in village.page.locator(".notice").inner_text()
    village.sign_in("li-village", "own-pass-123")
    assert "该账号已停用" in village.page.locator(".error-summary").inner_text()

    actions = [e.action for e in engine.users.events("li-village")]
    assert actions[:2] == ["user_disabled", "user_changed"] and "user_added" in actions
    assert admin.problems == [] and village.problems == []


def test_J_SEC_admin_resets_a_password_and_the_users_sessions_end(browser, engine):
    try:
        engine.users.get("reset-me")
    except NotFound:
        engine.users.add("test", "reset-me", "reset-pass-1", ["clerk"], ["window"], None, None, "重置 测试")
    engine.users.set_password("test", "reset-me", "reset-pass-1")
    user = browser.page()
    user.sign_in("reset-me", "reset-pass-1")

    admin = browser.page()
    admin.sign_in("admin")
    admin.go("/admin/users/reset-me/password")
    admin.page.fill("#password", "temp-pass-99")
    admin.page.fill("#confirm", "temp-pass-98")
    admin.submit("button:has-text('重置密码') >> nth=-1")
    assert admin.page.locator("#confirm-error").text_content() == "错误：两次输入的密码不一致"
    admin.page.fill("#password", "temp-pass-99")
    admin.page.fill("#confirm", "temp-pass-99")
    admin.submit("button:has-text('重置密码') >> nth=-1")
    assert "已重置 reset-me 的密码（1 处登录已注销）" in admin.page.locator(".toast").inner_text()

    user.go("/")
    assert user.page.locator("h1").inner_text() == "登录"


def test_J_SEC_admin_cannot_disable_their_own_account(browser, engine):
    admin = browser.page()
    admin.sign_in("admin")
    admin.go("/admin/users/admin/edit")
    admin.page.once("dialog", lambda dialog: dialog.accept())
    admin.submit("button:has-text('停用账号')")
    assert "不能停用自己的账号" in admin.page.locator(".toast").inner_text()
    assert engine.users.get("admin").active
