"""Every public page and endpoint, found from the app's own rules (a new public route is
walked without anyone adding it here), leaks no personal data beyond what the rules allow
and is never cached (J-SEC, J-PUBLIC, J-PORTAL): the applicant's full name, ID number,
phone and address appear nowhere — not to a stranger, not to a visitor who proved the case
by its number, not to the signed-in applicant; only the masked name on a public notice and
the masked phone on the code page. Every portal answer carries Cache-Control: no-store."""

from __future__ import annotations

import json
import re

import pytest
import requests
import sqlalchemy as sa

from api.security import PUBLIC
from engine.auth import Principal
from engine.store.models import Instance
from engine.store.records import Notification
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.portal.test_portal_applicants import PDF
from tests.portal.test_portal_engine import ID_NUMBER, JIANGYIN, PHONE, application
from tests.portal.test_portal_http import _visitor
from workers.runner import run_pending

PERSONAL = ("郑梅", ID_NUMBER, PHONE, "澄江街道 1 号", "江阴市澄江街道")
# What a public route's path parameters are filled with; a new parameter fails the test
# until it is named here (and so walked).
PARAMETERS = {"key": "dibao", "region": JIANGYIN}
SKIPPED = {"web.asset"}  # the app's own CSS and scripts: no data at all


def _public_gets(app) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET route whose authorization rule is PUBLIC."""
    out = []
    for r in app.url_map.iter_rules():
        view = app.view_functions[r.endpoint]
        roles = getattr(view, "_relief_rule", None) or getattr(getattr(view, "__wrapped__", None), "_relief_rule", ())
        if PUBLIC in roles and "GET" in r.methods and r.endpoint not in SKIPPED:
            out.append((r.endpoint, r.rule))
    return out


def _path(rule: str, business_key: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        if name == "business_key":
            return business_key
        assert name in PARAMETERS, f"public route {rule}: name a value for <{name}> in PARAMETERS"
        return PARAMETERS[name]
    return re.sub(r"<([^>]+)>", fill, rule)


def _clean(answer: requests.Response, where: str, allowed: tuple[str, ...] = ()) -> None:
    assert answer.status_code < 500, where
    text = answer.text
    for shown in allowed:
        text = text.replace(shown, "")
    for personal in PERSONAL:
        assert personal not in text, (where, personal)
    if "/portal" in where:
        assert answer.headers.get("Cache-Control") == "no-store", where


@pytest.mark.state_written  # the case is marked completed in the database, not driven there
def test_J_SEC_J_PUBLIC_no_public_page_or_endpoint_leaks_personal_data(live, scenario):  # noqa: F811
    engine = scenario.engine
    # A case applied for online with a material, its SMS sent, ended, rated, complained about and posted.
    http, token = _visitor(live.base)
    applied = http.post(f"{live.base}/portal/items/dibao/apply/{JIANGYIN}", data={"data": json.dumps(application())},
                        files={"material_id_card": ("身份证.pdf", PDF, "application/pdf")},
                        headers={"X-CSRFToken": token}, timeout=30)
    assert applied.status_code == 201
    _clean(applied, "POST /portal/items/dibao/apply")
    number = applied.json()["business_key"]
    run_pending(engine, topics=["applicant.notify"])
    with engine.db.session() as s:
        case = s.scalar(sa.select(Instance).where(Instance.business_key == number))
        case.status, case.ended_at = "completed", engine.clock.now()
        case_id = case.id
    engine.rate_case(case_id, 2, "等了很久")
    engine.file_complaint(case_id, "窗口没有一次性告知")
    engine.post_notice(Principal("centre", ("dispatcher",), ("county-centre",), None, JIANGYIN), case_id,
                       "最低生活保障", "每月 620 元", 3)
    routes = _public_gets(live.app)
    assert {"web.portal.index", "web.portal.case", "web.portal_applicant.mine",
            "web.portal_applicant.mine_case"} <= {endpoint for endpoint, _rule in routes}

    def walk(visitor: requests.Session, who: str) -> None:
        for endpoint, rule in routes:
            path = _path(rule, number)
            answer = visitor.get(f"{live.base}{path}", timeout=10)
            allowed = ("郑*",) if endpoint == "web.portal.notices" else ()
            _clean(answer, f"{who} GET {path}", allowed)

    stranger, stranger_token = _visitor(live.base)
    walk(stranger, "stranger")
    # Wrong second factors and codes: refused, nothing shown of the case or the person.
    wrong = {"csrf_token": stranger_token, "business_key": number, "secret": "9999"}
    _clean(stranger.post(f"{live.base}/portal/progress", data=wrong, timeout=10), "stranger POST /portal/progress")
    asked = stranger.post(f"{live.base}/portal/sign-in", data={"csrf_token": stranger_token, "phone": PHONE},
                          timeout=10)
    _clean(asked, "stranger POST /portal/sign-in", ("138****1234",))
    _clean(stranger.post(f"{live.base}/portal/sign-in/code", data={"csrf_token": stranger_token, "code": "000000"},
                         timeout=10), "stranger POST /portal/sign-in/code", ("138****1234",))

    # The applicant: proved the case by number, then signed in by the code in the outbox.
    proved = http.post(f"{live.base}/portal/progress", data={"csrf_token": token, "business_key": number,
                                                             "secret": PHONE[-4:]}, timeout=10)
    _clean(proved, "applicant POST /portal/progress")
    http.post(f"{live.base}/portal/sign-in", data={"csrf_token": token, "phone": PHONE}, timeout=10)
    with engine.db.reading() as s:
        texts = list(s.scalars(sa.select(Notification.message).where(Notification.template == "sign_in_code")))
    code = re.search(r"验证码为 (\d{6})", texts[-1]).group(1)
    signed = http.post(f"{live.base}/portal/sign-in/code", data={"csrf_token": token, "code": code}, timeout=10)
    assert signed.url.endswith("/portal/mine") and number in signed.text
    walk(http, "applicant")
    for form, data in (("rating", {"score": "5"}), ("complaint", {"text": "再次投诉"})):
        _clean(http.post(f"{live.base}/portal/case/{form}", data={"csrf_token": token, **data}, timeout=10),
               f"applicant POST /portal/case/{form}")
