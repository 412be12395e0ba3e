"""X-FORMS, X-DESIGN, J-SEC: the vendored bpmn.io viewers and the API explorer working
under the Content Security Policy: a deployed form rendered by our form-js wrapper with
form-js's own messages in Chinese or English, a deployed diagram in the navigated viewer,
the bpmn.io logo visible on both, and Swagger UI at /api/v1/docs."""

from __future__ import annotations

import pytest

from tests.scenarios.test_jiangyin import PROCESS

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _definition_id(site) -> int:
    rows = site.call("GET", "/api/v1/definitions", as_="designer").json()
    return max((d for d in rows if d["key"] == PROCESS), key=lambda d: d["version"])["id"]


def _errors(page) -> list[str]:
    return page.locator(".fjs-form-field-error").all_inner_texts()


def test_X_FORMS_form_preview_shows_form_js_messages_in_the_page_language(browser, site):
    tab = browser.page()
    tab.sign_in("designer")
    url = f"/definitions/{_definition_id(site)}/forms/jiangyin/application.json"
    tab.go(url)
    page = tab.page
    page.wait_for_selector("[data-module=form-preview][data-ready=true]")
    assert page.locator(".fjs-powered-by").is_visible()  # the bpmn.io logo stays (licence)
    assert "请选择" in page.locator(".fjs-form").inner_text() and "Select" not in page.locator(".fjs-form").inner_text()

    page.click("[data-action=check]")
    assert set(_errors(page)) == {"此项为必填项。"}
    assert "处需要修改" in page.locator(".form-preview__result").inner_text()
    page.get_by_label("申请人姓名").fill("张" * 51)
    page.click("[data-action=check]")
    assert "最多可填写 50 个字符。" in _errors(page)
    assert not [e for e in _errors(page) if e.startswith("Field")]

    tab.submit("button:has-text('English')")
    page.wait_for_selector("[data-module=form-preview][data-ready=true]")
    page.click("[data-action=check]")
    assert set(_errors(page)) == {"This field is required."}
    assert tab.problems == []


def test_X_DESIGN_diagram_of_a_deployed_version_in_the_navigated_viewer(browser, site):
    tab = browser.page()
    tab.sign_in("auditor")
    tab.go(f"/definitions/{_definition_id(site)}")
    page = tab.page
    page.wait_for_selector("[data-module=diagram-viewer][data-ready=true]")
    drawn = page.locator(".djs-element[data-element-id^='Task_']").count()
    assert drawn >= 5
    assert page.locator(".bjs-powered-by").is_visible()
    before = page.evaluate("document.querySelector('.viewport').getAttribute('transform')")
    page.click("[data-zoom=in]")
    assert page.evaluate("document.querySelector('.viewport').getAttribute('transform')") != before
    assert page.locator("a[href*='/forms/']").count() == 0  # previews are for designers
    assert tab.problems == []


def test_J_SEC_swagger_ui_works_under_the_content_security_policy(browser, site):
    tab = browser.page()
    tab.go("/api/v1/docs")
    tab.page.wait_for_selector(".opblock", timeout=20_000)
    assert tab.page.locator(".opblock").count() > 30
    assert tab.problems == []  # no CSP violation, no script error, nothing fetched from elsewhere
