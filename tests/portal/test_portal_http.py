"""The portal and the dashboard over HTTP, on SQLite and PostgreSQL: the progress look-up
refuses a wrong number and a wrong second factor with the same answer (J-PORTAL, J-SEC),
the portal's POSTs are rate-limited per address, and the dashboard's JSON is the region's
counts and nobody else's (J-DATA, W-STATS)."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD
from engine.auth import Principal, create_user
from engine.store.models import Instance
from tests.api.conftest import live, serving  # noqa: F401 - the live server fixture
from tests.portal.test_portal_engine import JIANGYIN, YIXING, application

TOKEN = re.compile(r'name="csrf[-_]token" (?:content|value)="[^"]*"')


def _visitor(base: str) -> tuple[requests.Session, str]:
    """A browser-like session with the page's CSRF token."""
    http = requests.Session()
    page = http.get(f"{base}/portal/progress", timeout=10)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return http, token


def _lookup(http: requests.Session, base: str, token: str, key: str, secret: str) -> requests.Response:
    return http.post(f"{base}/portal/progress", data={"csrf_token": token, "business_key": key, "secret": secret},
                     timeout=10, allow_redirects=False)


def test_J_PORTAL_wrong_number_and_wrong_second_factor_get_the_same_refusal(live, scenario):  # noqa: F811
    case = scenario.engine.apply_online("dibao", JIANGYIN, application())
    http, token = _visitor(live.base)
    wrong_secret = _lookup(http, live.base, token, case.business_key, "9999")
    wrong_key = _lookup(http, live.base, token, "WS20261102-ZZZZZZZZ", "0017")
    assert wrong_secret.status_code == wrong_key.status_code == 200
    # The same page but for the number typed in (written back into its box); the second factor is not.
    assert (TOKEN.sub("", wrong_secret.text).replace(case.business_key, "KEY")
            == TOKEN.sub("", wrong_key.text).replace("WS20261102-ZZZZZZZZ", "KEY"))
    assert 'value="9999"' not in wrong_secret.text
    assert "没有找到与申办流水号和验证信息都相符的申请" in wrong_key.text
    right = _lookup(http, live.base, token, case.business_key, "0017")
    assert right.status_code == 302 and right.headers["Location"].endswith("/portal/case")
    page = http.get(f"{live.base}/portal/case", timeout=10)
    assert case.business_key in page.text and page.headers["Cache-Control"] == "no-store"
    # Stages and dates only: no name, ID number, phone or address of the applicant, no staff.
    for personal in ("郑梅", "320281198001010017", "13800001234", "澄江街道"):
        assert personal not in page.text


def test_J_PORTAL_posts_are_rate_limited_per_address(engine, scenario, tmp_path):
    with serving(engine, tmp_path, portal_rate="3 per minute") as site:
        http, token = _visitor(site.base)
        answers = [_lookup(http, site.base, token, "WS20261102-ZZZZZZZZ", "0000").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = http.post(f"{site.base}/portal/items/dibao/apply/{JIANGYIN}", json=application(),
                            headers={"X-CSRFToken": token}, timeout=10)
        assert refused.status_code == 429 and "操作过于频繁" in refused.text
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0


def test_J_CH_ONLINE_server_names_the_field_it_refuses(live, scenario):  # noqa: F811
    http, token = _visitor(live.base)
    bad = http.post(f"{live.base}/portal/items/dibao/apply/{JIANGYIN}",
                    json=application(applicant_id_number="320281198001010018"),
                    headers={"X-CSRFToken": token}, timeout=10)
    assert bad.status_code == 422 and "applicant_id_number" in bad.json()["details"]["fields"]
    forged = http.post(f"{live.base}/portal/items/dibao/apply/{JIANGYIN}", json=application(), timeout=10)
    assert forged.status_code == 400  # no CSRF token: nothing runs
    good = http.post(f"{live.base}/portal/items/dibao/apply/{JIANGYIN}", json=application(),
                     headers={"X-CSRFToken": token}, timeout=10)
    assert good.status_code == 201 and good.json()["business_key"].startswith("WS")
    with scenario.engine.db.reading() as s:
        row = s.scalar(sa.select(Instance))
        assert (row.channel, row.region, row.business_key) == ("online", JIANGYIN, good.json()["business_key"])


def test_W_STATS_dashboard_json_counts_the_region_only(live, scenario):  # noqa: F811
    engine = scenario.engine
    for _n in range(2):
        engine.apply_online("dibao", JIANGYIN, application())
    engine.start("jiangyin_one_door", application(), "WIN-9", "system", region=JIANGYIN)
    with engine.db.session() as s:
        create_user(s, "leader-yixing", DEMO_PASSWORD, ["leader"], ["leader"], None, YIXING, "宜兴市分管领导",
                    engine.clock.now())
    ours = live.call("GET", "/dashboard/data.json", as_="leader").json()
    with engine.db.reading() as s:
        counted = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(Instance.region == JIANGYIN))
    assert ours["cases"] == counted == 3
    assert sum(ours["channels"]["online"]) == 2 and sum(ours["channels"]["window"]) == 1
    theirs = live.call("GET", "/dashboard/data.json", as_="leader-yixing").json()
    assert theirs["cases"] == 0 and theirs["channels"] == {} and theirs["backlog"] == []
    exported = live.call("GET", "/dashboard/data.csv", as_="leader")
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["chart", "category", "series", "value"]
    assert sum(int(r[3]) for r in rows if r[0] == "cases_by_month") == counted
    assert live.call("GET", "/dashboard/data.json", as_="window").status_code == 403
    assert live.call("GET", "/dashboard/data.json?months=7", as_="leader").status_code == 422


@pytest.mark.state_written  # the case is marked completed in the database, not driven there
def test_J_SEC_public_pages_show_no_personal_data(live, scenario):  # noqa: F811
    """J-SEC / J-PUBLIC: with a case applied for and posted, no public page or answer shows
    the applicant's full name, ID number, phone or address, and none may be cached."""
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    with engine.db.session() as s:
        s.get(Instance, case.id).status = "completed"
    engine.post_notice(Principal("centre", ("dispatcher",), ("county-centre",), None, JIANGYIN), case.id,
                       "最低生活保障", "每月 620 元", 3)
    http, token = _visitor(live.base)
    pages = ["/portal", "/portal/items/dibao", f"/portal/items/dibao/apply/{JIANGYIN}", "/portal/progress",
             "/portal/notices", "/portal/receipt", "/portal/case"]
    notices = http.get(f"{live.base}/portal/notices", timeout=10).text
    assert "郑*" in notices
    for path in pages:
        answer = http.get(f"{live.base}{path}", timeout=10)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store", path
        for personal in ("郑梅", "320281198001010017", "13800001234", "澄江街道 1 号"):
            assert personal not in answer.text, (path, personal)
