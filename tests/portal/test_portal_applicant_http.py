"""The applicant's own side over HTTP, on SQLite and PostgreSQL: materials uploaded with the
online application and refused on their field (J-CH-ONLINE, T-MOBILE), the sign-in by phone
and SMS code read from the outbox, refused the same whichever part is wrong, then "我的申请"
with the applicant's own cases only (J-PORTAL); applicant and staff sign-ins open nothing
of each other's; the new pages are rate-limited, never cached and show no personal data."""

from __future__ import annotations

import re

import requests
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD
from engine.store.material_models import CaseMaterial
from engine.store.models import Instance
from engine.store.records import Notification
from tests.api.conftest import live, serving  # noqa: F401 - the live server fixture
from tests.portal.test_portal_applicants import OTHER_PHONE, PDF, PNG
from tests.portal.test_portal_engine import ID_NUMBER, JIANGYIN, PHONE, application
from tests.portal.test_portal_http import TOKEN, _visitor
from workers.runner import run_pending

PERSONAL = ("郑梅", ID_NUMBER, PHONE, "澄江街道 1 号")


def _apply(http: requests.Session, base: str, token: str, files: dict, **data: object) -> requests.Response:
    import json

    return http.post(f"{base}/portal/items/dibao/apply/{JIANGYIN}", data={"data": json.dumps(application(**data))},
                     files=files, headers={"X-CSRFToken": token}, timeout=30)


def _code(engine) -> str:
    with engine.db.reading() as s:
        texts = list(s.scalars(sa.select(Notification.message).where(Notification.template == "sign_in_code")
                               .order_by(Notification.id)))
    return re.search(r"验证码为 (\d{6})", texts[-1]).group(1)


def _ask_code(http: requests.Session, base: str, token: str, phone: str) -> requests.Response:
    return http.post(f"{base}/portal/sign-in", data={"csrf_token": token, "phone": phone}, timeout=10)


def _enter(http: requests.Session, base: str, token: str, phone: str, code: str) -> requests.Response:
    """Step one for `phone` (which sends a code if none went to it this minute), then `code`."""
    _ask_code(http, base, token, phone)
    return http.post(f"{base}/portal/sign-in/code", data={"csrf_token": token, "code": code},
                     timeout=10, allow_redirects=False)


def test_J_CH_ONLINE_T_MOBILE_apply_with_materials_and_get_the_number_by_sms(live, scenario):  # noqa: F811
    engine = scenario.engine
    http, token = _visitor(live.base)
    good = _apply(http, live.base, token, {"material_id_card": ("身份证.pdf", PDF, "application/pdf"),
                                           "material_household_register": ("户口簿.png", PNG, "image/png")})
    assert good.status_code == 201, good.text
    number = good.json()["business_key"]
    with engine.db.reading() as s:
        case = s.scalar(sa.select(Instance).where(Instance.business_key == number))
        kinds = sorted(s.scalars(sa.select(CaseMaterial.kind).where(CaseMaterial.instance_id == case.id)))
    assert kinds == ["household_register", "id_card"]
    run_pending(engine, topics=["applicant.notify"])
    with engine.db.reading() as s:
        [sms] = s.scalars(sa.select(Notification).where(Notification.template == "applied")).all()
    assert sms.to == PHONE and number in sms.message


def test_J_CH_ONLINE_a_disguised_or_foreign_material_is_refused_on_its_field(live, scenario):  # noqa: F811
    engine = scenario.engine
    http, token = _visitor(live.base)
    disguised = _apply(http, live.base, token, {"material_id_card": ("身份证.pdf", PNG, "application/pdf")})
    assert disguised.status_code == 422
    assert disguised.json()["details"]["fields"] == {
        "material_id_card": ["文件名所示类型与文件内容不符（伪装文件），未保存"]}
    both = _apply(http, live.base, token, {"material_id_card": ("身份证.pdf", PNG, "application/pdf")},
                  applicant_id_number="320281198001010018")  # and a wrong check digit: both said at once
    assert sorted(both.json()["details"]["fields"]) == ["applicant_id_number", "material_id_card"]
    executable = _apply(http, live.base, token,
                        {"material_household_register": ("户口簿.png", b"MZ\x90\x00", "image/png")})
    assert executable.status_code == 422 and "material_household_register" in executable.json()["details"]["fields"]
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(CaseMaterial)) == 0


def test_J_CH_ONLINE_an_oversized_material_is_refused_on_its_field(engine, scenario, tmp_path):
    with serving(engine, tmp_path, max_material_bytes=1024 * 1024) as site:
        http, token = _visitor(site.base)
        large = PDF[:-6] + b" " * (1024 * 1024) + PDF[-6:]  # a real PDF, just over 1 MB
        refused = _apply(http, site.base, token, {"material_id_card": ("身份证.pdf", large, "application/pdf")})
        assert refused.status_code == 422
        assert refused.json()["details"]["fields"] == {"material_id_card": ["文件超过 1 MB 上限"]}
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0


def test_J_PORTAL_applicant_signs_in_by_sms_code_and_sees_only_their_cases(live, scenario):  # noqa: F811
    engine = scenario.engine
    mine = engine.apply_online("dibao", JIANGYIN, application())
    theirs = engine.apply_online("dibao", JIANGYIN, application(applicant_phone=OTHER_PHONE, applicant_name="王芳"))
    http, token = _visitor(live.base)
    asked = _ask_code(http, live.base, token, PHONE)
    stranger, stranger_token = _visitor(live.base)
    nobody = _ask_code(stranger, live.base, stranger_token, "13700000000")
    assert asked.status_code == nobody.status_code == 200
    assert asked.headers["Cache-Control"] == "no-store" and PHONE not in asked.text and "138****1234" in asked.text
    code = _code(engine)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    wrong_code = _enter(http, live.base, token, PHONE, wrong)
    wrong_phone = _enter(http, live.base, token, OTHER_PHONE, code)
    assert wrong_code.status_code == wrong_phone.status_code == 200
    # The same refusal for both (the page differs only by the masked phone typed in).
    assert (TOKEN.sub("", wrong_code.text).replace("138****1234", "P").replace(PHONE, "P")
            == TOKEN.sub("", wrong_phone.text).replace("139****5678", "P").replace(OTHER_PHONE, "P"))
    assert "手机号码或验证码不正确" in wrong_code.text and code not in wrong_phone.text
    assert http.get(f"{live.base}/portal/mine", timeout=10, allow_redirects=False).status_code == 302
    right = _enter(http, live.base, token, PHONE, code)
    assert right.status_code == 302 and right.headers["Location"].endswith("/portal/mine")
    listing = http.get(f"{live.base}/portal/mine", timeout=10)
    assert listing.headers["Cache-Control"] == "no-store"
    assert mine.business_key in listing.text and theirs.business_key not in listing.text
    for personal in PERSONAL:
        assert personal not in listing.text
    other = http.get(f"{live.base}/portal/mine/{theirs.business_key}", timeout=10, allow_redirects=False)
    assert other.status_code == 404
    opened = http.get(f"{live.base}/portal/mine/{mine.business_key}", timeout=10)
    assert opened.url.endswith("/portal/case") and mine.business_key in opened.text
    assert "王芳" not in opened.text and theirs.business_key not in opened.text


def test_J_PORTAL_staff_and_applicant_sign_ins_open_nothing_of_each_others(live, scenario):  # noqa: F811
    engine = scenario.engine
    engine.apply_online("dibao", JIANGYIN, application())
    staff, token = _visitor(live.base)
    signed = staff.post(f"{live.base}/sign-in", data={"csrf_token": token, "username": "window",
                                                       "password": DEMO_PASSWORD}, timeout=10, allow_redirects=False)
    assert signed.status_code == 302
    assert staff.get(f"{live.base}/tasks", timeout=10, allow_redirects=False).status_code == 200
    # A staff member's session is no applicant's sign-in.
    assert staff.get(f"{live.base}/portal/mine", timeout=10, allow_redirects=False).headers["Location"].endswith(
        "/portal/sign-in")
    # And an applicant's sign-in in that browser ends the staff session; it opens no staff page.
    page = staff.get(f"{live.base}/portal/sign-in", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    _ask_code(staff, live.base, token, PHONE)
    assert _enter(staff, live.base, token, PHONE, _code(engine)).status_code == 302
    assert staff.get(f"{live.base}/portal/mine", timeout=10).status_code == 200
    tasks = staff.get(f"{live.base}/tasks", timeout=10, allow_redirects=False)
    assert tasks.status_code in (302, 401) and "/sign-in" in tasks.headers.get("Location", "/sign-in")
    assert staff.get(f"{live.base}/api/v1/tasks", timeout=10).status_code == 401


def test_J_PORTAL_sign_in_posts_are_rate_limited_per_address(engine, scenario, tmp_path):
    with serving(engine, tmp_path, portal_rate="3 per minute") as site:
        http, token = _visitor(site.base)
        answers = [_ask_code(http, site.base, token, PHONE).status_code]
        answers += [http.post(f"{site.base}/portal/sign-in/code", data={"csrf_token": token, "code": "000000"},
                              timeout=10).status_code for _ in range(3)]
        assert answers == [200, 200, 200, 429]


def test_J_SEC_the_applicants_pages_show_no_personal_data_and_are_not_cached(live, scenario):  # noqa: F811
    scenario.engine.apply_online("dibao", JIANGYIN, application())
    http, _token = _visitor(live.base)
    for path in ("/portal/sign-in", "/portal/mine", "/portal/mine/WS20261102-ZZZZZZZZ", "/portal"):
        answer = http.get(f"{live.base}{path}", timeout=10)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store", path
        for personal in PERSONAL:
            assert personal not in answer.text, (path, personal)
