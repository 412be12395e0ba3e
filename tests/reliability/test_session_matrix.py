"""Every route × every role with a web session cookie instead of a bearer token (J-SEC):
the same `@rule` decides, and every state-changing request made with the cookie but
without the CSRF token is refused before its view runs (a forged page cannot act for
a signed-in clerk). Generated from the route table, like the bearer-token matrix."""

from __future__ import annotations

import re

import pytest
import requests

from api.demo import DEMO_PASSWORD
from api.security import PUBLIC, SIGNED, WORKER
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.reliability.test_authorization_matrix import ACCOUNTS, _allowed, _routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _signed_in(base: str, username: str) -> tuple[requests.Session, str]:
    """A browser-like session signed in through the sign-in page, and its CSRF token."""
    web = requests.Session()
    token = re.search(r'name="csrf-token" content="([^"]+)"', web.get(f"{base}/", timeout=10).text).group(1)
    r = web.post(f"{base}/sign-in", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', web.get(f"{base}/", timeout=10).text).group(1)
    return web, token


def _is_page(app, path: str, method: str) -> bool:
    endpoint = app.url_map.bind("localhost").match(path, method=method)[0]
    return endpoint.startswith("web.")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_J_SEC_session_cookie_routes_follow_their_rules_and_need_csrf_to_change_anything(live, figures):  # noqa: F811
    app, failures = live.app, []
    routes = _routes(app)
    for role, account in ACCOUNTS.items():
        web, csrf = _signed_in(live.base, account)
        for method, path, rule in routes:
            public_api = PUBLIC in rule and not _is_page(app, path, method)
            body = {} if method in UNSAFE else None
            r = web.request(method, f"{live.base}{path}", json=body, allow_redirects=False, timeout=30)
            figures["session matrix requests"] += 1
            where = f"{method} {path} as {role} (cookie)"
            if r.status_code >= 500:
                failures.append(f"{where} → {r.status_code}")
            elif WORKER in rule:
                if r.status_code != 401:
                    failures.append(f"{where} → {r.status_code}: job routes take worker tokens only")
            elif method in UNSAFE and not public_api:
                if r.status_code != 400 or "CSRF" not in r.text:
                    failures.append(f"{where} without CSRF token → {r.status_code}, not refused")
                figures["session matrix CSRF refusals"] += r.status_code == 400
                if not _allowed(role, rule) and PUBLIC not in rule:
                    forged_ok = web.request(method, f"{live.base}{path}", json=body, allow_redirects=False,
                                            headers={"X-CSRFToken": csrf}, timeout=30)
                    figures["session matrix requests"] += 1
                    if forged_ok.status_code != 403:
                        failures.append(f"{where} with CSRF token → {forged_ok.status_code}, not 403 ({rule})")
            elif not public_api and not _allowed(role, rule) and r.status_code != 403:
                failures.append(f"{where} → {r.status_code}, not 403 (rule: {rule})")
    figures["session matrix 5xx"] += sum(" → 5" in f for f in failures)
    assert failures == []
    assert SIGNED  # signed routes: a cookie is no signature, so they are checked as cookie requests above
