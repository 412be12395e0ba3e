"""X-STAFF: error pages in the site's layout for pages (403, 404, 405, 500), JSON for the
API; a page asked for without a sign-in leads to the sign-in page and back."""

from __future__ import annotations

import pytest
import requests

from api.app import create_app
from api.security import PUBLIC, rule
from api.settings import Settings


def test_X_STAFF_a_failing_page_answers_500_in_the_layout_and_logs(tmp_path, caplog):
    app = create_app(Settings.from_env(mode="test", database_url=f"sqlite:///{tmp_path}/x.sqlite", var_dir=tmp_path))

    @rule(PUBLIC)
    def broken() -> str:
        raise RuntimeError("a bug in a page")

    app.add_url_rule("/broken-page", "web.home.broken", broken)  # a page of the web tree
    r = app.test_client().get("/broken-page")
    assert r.status_code == 500
    page = r.get_data(as_text=True)
    assert '<meta charset="utf-8">' in page and "系统出错了" in page and "跳到主要内容" in page
    assert "a bug in a page" not in page  # no internals shown
    assert any("unhandled error on a page" in rec.message for rec in caplog.records)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_X_STAFF_pages_answer_html_and_the_api_json(live):
    page = requests.get(f"{live.base}/no-such-page", timeout=10)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "找不到此页面" in page.text
    api = requests.get(f"{live.base}/api/v1/no-such-route", timeout=10)
    assert api.status_code == 404 and api.json()["error"] == "not_found"
    wrong = requests.delete(f"{live.base}/sign-in", timeout=10)
    assert wrong.status_code == 405 and "不支持此操作" in wrong.text
    forbidden = live.call("GET", "/admin/users", as_="window")
    assert forbidden.status_code == 403 and "无权访问此页面" in forbidden.text
    missing = live.call("GET", "/admin/users/nobody-at-all/edit", as_="admin")
    assert missing.status_code == 404 and "找不到此页面" in missing.text
    away = requests.get(f"{live.base}/definitions", allow_redirects=False, timeout=10)
    assert away.status_code == 302 and away.headers["Location"] == "/sign-in?next=/definitions"
