"""J-SEC over HTTP: bearer tokens that can be revoked, the lockout and the rate limit on
POST /auth/token, security headers on every response, the API with a session cookie
(CSRF), and the deployed diagrams and forms the viewers read."""

from __future__ import annotations

import re

import pytest
import requests

from api.demo import DEMO_PASSWORD
from tests.api.conftest import serving

PASSWORD = "token-test-pass-1"


def _user(engine, name: str, roles: list[str] | None = None) -> None:
    from engine.errors import NotFound

    try:
        engine.users.get(name)
    except NotFound:
        engine.users.add("test", name, PASSWORD, roles or ["clerk"], ["window"], None, None, name)
    engine.users.set_password("test", name, PASSWORD)
    engine.users.set_active("test", name, True)


def _token(live, name: str, password: str = PASSWORD) -> requests.Response:
    return requests.post(f"{live.base}/api/v1/auth/token", json={"username": name, "password": password}, timeout=10)


def _me(live, token: str) -> int:
    return requests.get(f"{live.base}/api/v1/definitions", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code


def test_J_SEC_bearer_token_revoked_by_revoke_disable_and_password_change(live, engine):
    _user(engine, "tok-user")
    first, second = _token(live, "tok-user").json()["token"], _token(live, "tok-user").json()["token"]
    assert _me(live, first) == _me(live, second) == 200

    r = requests.post(f"{live.base}/api/v1/auth/revoke", headers={"Authorization": f"Bearer {first}"}, timeout=10)
    assert r.status_code == 204
    assert _me(live, first) == 401 and _me(live, second) == 200
    refused = requests.get(f"{live.base}/api/v1/definitions", headers={"Authorization": f"Bearer {first}"}, timeout=10)
    assert "signed out" in refused.json()["message"]

    engine.users.set_password("admin", "tok-user", "another-pass-2")
    assert _me(live, second) == 401

    third = _token(live, "tok-user", "another-pass-2").json()["token"]
    assert _me(live, third) == 200
    engine.users.set_active("admin", "tok-user", False)
    assert _me(live, third) == 401
    assert _token(live, "tok-user", "another-pass-2").status_code == 401


def test_J_SEC_a_tokens_user_is_read_again_on_every_request(live, engine):
    """Nothing of a token's user is kept between requests: a change of roles, made elsewhere
    (here the engine, as an administrator's CLI would), applies to the very next request."""
    _user(engine, "tok-roles")
    token = _token(live, "tok-roles").json()["token"]

    def tasks() -> int:
        return requests.get(f"{live.base}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"},
                            timeout=10).status_code

    assert tasks() == 200
    engine.users.update("admin", "tok-roles", "tok-roles", ["auditor"], [], None, None)
    assert tasks() == 403
    engine.users.update("admin", "tok-roles", "tok-roles", ["clerk"], ["window"], None, None)
    assert tasks() == 200
    engine.users.sign_out(engine.users.token_principal(live.app.config["SECRET_KEY"], token).extra["session"],
                          "tok-roles")
    assert tasks() == 401


def test_J_SEC_token_lockout_after_five_failures_says_when_to_retry(live, engine):
    _user(engine, "tok-lock")
    answers = [_token(live, "tok-lock", "wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert answers[3].json()["details"]["attempts_left"] == 1
    locked = _token(live, "tok-lock")  # the right password, during the lockout
    assert locked.status_code == 429
    body = locked.json()
    assert body["error"] == "too_many_attempts" and "try again after" in body["message"]
    assert 0 < int(locked.headers["Retry-After"]) <= 900 and body["details"]["retry_after_seconds"] <= 900
    assert _token(live, "window", DEMO_PASSWORD).status_code == 200  # other accounts sign in


def test_J_SEC_failed_sign_ins_rate_limited_per_address_on_api_and_web_together(demo_users, tmp_path):
    with serving(demo_users, tmp_path, login_rate="3 per minute") as site:
        web = requests.Session()
        page = web.get(f"{site.base}/").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        assert _token(site, "nobody-1", "x").status_code == 401
        assert web.post(f"{site.base}/sign-in", data={"username": "nobody-2", "password": "x",
                                                      "csrf_token": csrf}).status_code == 401
        assert _token(site, "nobody-3", "x").status_code == 401
        refused = _token(site, "window", DEMO_PASSWORD)  # even a right password waits now
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "try again in" in refused.json()["message"]
        page = web.post(f"{site.base}/sign-in", data={"username": "window", "password": DEMO_PASSWORD,
                                                      "csrf_token": csrf})
        assert page.status_code == 429 and "秒后重试" in page.text


def test_J_SEC_successful_sign_ins_are_not_rate_limited(demo_users, tmp_path):
    with serving(demo_users, tmp_path, login_rate="3 per minute") as site:
        assert [_token(site, "window", DEMO_PASSWORD).status_code for _ in range(6)] == [200] * 6


@pytest.mark.parametrize("path", ["/", "/api/v1/definitions", "/api/v1/openapi.json", "/api/v1/docs",
                                  "/no-such-page", "/api/v1/no-such-route"])
def test_J_SEC_security_headers_on_every_response(live, path):
    r = requests.get(f"{live.base}{path}", timeout=10)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_J_SEC_authenticated_answers_are_never_stored(live):
    assert live.call("GET", "/api/v1/definitions", as_="designer").headers["Cache-Control"] == "no-store"
    assert "no-store" not in requests.get(f"{live.base}/api/v1/openapi.json", timeout=10).headers.get(
        "Cache-Control", "")


def test_J_SEC_api_with_a_session_cookie_needs_the_csrf_token_to_change_anything(live):
    web = requests.Session()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', web.get(f"{live.base}/").text).group(1)
    r = web.post(f"{live.base}/sign-in", data={"username": "designer", "password": DEMO_PASSWORD, "csrf_token": csrf},
                 allow_redirects=False)
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert web.get(f"{live.base}/api/v1/definitions").status_code == 200  # the cookie signs API calls in
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', web.get(f"{live.base}/").text).group(1)

    refused = web.post(f"{live.base}/api/v1/auth/revoke")
    assert refused.status_code == 400 and "CSRF" in refused.json()["message"]
    assert web.post(f"{live.base}/api/v1/auth/revoke", headers={"X-CSRFToken": "forged"}).status_code == 400
    assert web.get(f"{live.base}/api/v1/definitions").status_code == 200  # still signed in: nothing happened
    assert web.post(f"{live.base}/api/v1/auth/revoke", headers={"X-CSRFToken": csrf}).status_code == 204
    assert web.get(f"{live.base}/api/v1/definitions").status_code == 401


def test_X_DESIGN_deployed_diagram_and_forms_for_the_viewers(live, scenario):
    rows = live.call("GET", "/api/v1/definitions", as_="auditor").json()
    jiangyin = next(d for d in rows if d["key"] == "jiangyin_one_door")
    xml = live.call("GET", f"/api/v1/definitions/{jiangyin['id']}/diagram", as_="auditor")
    assert xml.status_code == 200 and xml.headers["Content-Type"].startswith("application/xml")
    assert b'id="jiangyin_one_door"' in xml.content and b"bpmndi:BPMNDiagram" in xml.content
    forms = live.call("GET", f"/api/v1/definitions/{jiangyin['id']}/forms", as_="auditor").json()["forms"]
    assert "jiangyin/application.json" in forms
    form = live.call("GET", f"/api/v1/definitions/{jiangyin['id']}/forms/jiangyin/application.json",
                     as_="window").json()
    assert form["id"] and form["components"]
    assert live.call("GET", f"/api/v1/definitions/{jiangyin['id']}/forms/jiangyin/nope.json",
                     as_="window").status_code == 404
    assert live.call("GET", "/api/v1/definitions/99999/diagram", as_="window").status_code == 404
    assert live.call("GET", "/api/v1/definitions/x1/diagram", as_="window").json()["error"] == "not_found"


def test_J_SEC_no_token_for_an_account_whose_password_someone_else_chose(live, engine):
    _user(engine, "tok-temp")
    engine.users.set_password("admin", "tok-temp", "temporary-pass-1", temporary=True)
    r = _token(live, "tok-temp", "temporary-pass-1")
    assert r.status_code == 403 and r.json()["details"] == {"password_change_required": True}


def _sign_in_cookie(app, base_url: str = "http://relief.example.gov.cn", **headers: str) -> str:
    client = app.test_client()
    page = client.get("/", base_url=base_url, headers=headers).get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    # over HTTPS, Flask-WTF also wants the same-site Referer a browser sends
    scheme = headers.get("X-Forwarded-Proto") or base_url.split(":")[0]
    referer = f"{scheme}://{base_url.split('://')[1]}/"
    r = client.post("/sign-in", base_url=base_url, headers={**headers, "Referer": referer},
                    data={"username": "window", "password": DEMO_PASSWORD, "csrf_token": csrf})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Set-Cookie"]


def test_J_SEC_session_cookie_is_secure_in_production_and_behind_https(engine, tmp_path, live):
    from api.app import create_app
    from api.settings import Settings

    def app(**overrides):
        return create_app(Settings.from_env(database_url=engine.db.url, var_dir=tmp_path,
                                            secret_key="cookie-test-secret", **overrides), engine)

    assert "Secure" in _sign_in_cookie(app(mode="production"), "https://relief.example.gov.cn")
    assert "Secure" not in _sign_in_cookie(app(mode="test"))
    # behind a trusted HTTPS proxy, the cookie is Secure whatever the mode
    proxied = app(mode="test", trusted_proxies=1)
    assert "Secure" in _sign_in_cookie(proxied, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
    # an untrusted X-Forwarded-Proto changes nothing
    assert "Secure" not in _sign_in_cookie(app(mode="test"), **{"X-Forwarded-Proto": "https"})
