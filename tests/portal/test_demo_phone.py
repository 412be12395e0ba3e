"""The demo's stand-in for applicants' phones (`relief demo`: api/demo_phone.py): the SMS
adapter's HTTP gateway inside the app keeps the texts, `/demo/phone` shows one number's,
so a demo visitor can read the application number and sign in as the applicant (J-PORTAL)
while staff still never see a sign-in code. Production mode refuses it, and a bad text
given to the gateway is a 422 naming its field with nothing kept."""

from __future__ import annotations

import re

import pytest
import requests

from api.settings import ConfigurationError, Settings
from tests.api.conftest import serving
from tests.portal.test_portal_applicant_http import _ask_code
from tests.portal.test_portal_engine import JIANGYIN, PHONE, application
from tests.portal.test_portal_http import _visitor
from workers.runner import run_pending


def _phone(base: str, number: str) -> str:
    page = requests.get(f"{base}/demo/phone", params={"phone": number}, timeout=10)
    assert page.status_code == 200
    return page.text


def test_J_PORTAL_demo_applicant_reads_number_and_code_on_the_demo_phone_and_signs_in(
        scenario, tmp_path, monkeypatch):
    engine = scenario.engine
    with serving(engine, tmp_path, demo_phone=True) as site:
        monkeypatch.setenv("RELIEF_SMS_GATEWAY_URL", f"{site.base}/demo/sms/gateway")
        case = engine.apply_online("dibao", JIANGYIN, application())
        run_pending(engine, topics=["applicant.notify"])  # POSTed to the demo gateway over HTTP
        assert case.business_key in _phone(site.base, PHONE)
        assert case.business_key not in _phone(site.base, "13900000000")  # only that number's texts

        http, token = _visitor(site.base)
        asked = _ask_code(http, site.base, token, PHONE)
        assert asked.status_code == 200 and "/demo/phone" in asked.text  # the code page points at the phone
        run_pending(engine, topics=["applicant.notify"])
        code = re.search(r"验证码为 (\d{6})", _phone(site.base, PHONE)).group(1)
        signed_in = http.post(f"{site.base}/portal/sign-in/code", data={"csrf_token": token, "code": code},
                              timeout=10, allow_redirects=True)
        assert signed_in.status_code == 200 and case.business_key in signed_in.text


def test_demo_gateway_refuses_a_bad_text_naming_the_field_and_keeps_nothing(scenario, tmp_path):
    with serving(scenario.engine, tmp_path, demo_phone=True) as site:
        url = f"{site.base}/demo/sms/gateway"
        bad = requests.post(url, json={"to": "12", "text": "你好", "idempotency_key": "k1"}, timeout=10)
        assert bad.status_code == 422 and list(bad.json()["details"]) == ["to"]
        assert requests.post(url, data="not json", timeout=10).status_code == 422
        assert not (tmp_path / "demo_sms.jsonl").exists()
        good = {"to": PHONE, "text": "您的申请已受理", "idempotency_key": "k2"}
        assert requests.post(url, json=good, timeout=10).json() == {"accepted": True, "duplicate": False}
        assert requests.post(url, json=good, timeout=10).json()["duplicate"] is True  # a retried delivery
        assert _phone(site.base, PHONE).count("您的申请已受理") == 1


def test_demo_phone_exists_only_when_configured_and_never_in_production(scenario, tmp_path):
    with serving(scenario.engine, tmp_path) as site:
        assert requests.get(f"{site.base}/demo/phone", timeout=10).status_code == 404
        assert requests.post(f"{site.base}/demo/sms/gateway", json={}, timeout=10).status_code == 404
    with pytest.raises(ConfigurationError, match="RELIEF_DEMO_PHONE"):
        Settings.from_env(mode="production", demo_phone=True, secret_key="x" * 40)
