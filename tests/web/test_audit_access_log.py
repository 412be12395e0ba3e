"""X-AUDIT, J-SEC: the auditor's access-log page, the case list's filters and the nightly
verification page, against the live server on SQLite and PostgreSQL (bearer tokens)."""

from __future__ import annotations

import datetime as dt

from engine.auth import Principal
from engine.calendar import SHANGHAI
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.test_audit_replay import jiangyin_case
from tests.scenarios import test_jiangyin as jy

# The demo auditor's region (api/demo.py: 审计 吴刚, Jiangyin).
AUDITOR = Principal(username="auditor", roles=("auditor",), region="320281")


def test_J_SEC_access_log_page_filters_by_user_case_and_period(scenario, live):  # noqa: F811
    engine = scenario.engine
    case = jiangyin_case(scenario, "JY-LOG-1")
    engine.audit_replay_for(AUDITOR, case.id, reveal="核对申请人身份证号")
    engine.log_access("clerk-zhou", f"history:{case.id}", case.id, ["id_number"])
    page = live.call("GET", "/audit/access-log", as_="auditor")
    assert page.status_code == 200 and "核对申请人身份证号" in page.text and "clerk-zhou" in page.text
    assert "JY-LOG-1" in page.text and "审计回放，显示完整个人信息" in page.text and "案件详情" not in page.text
    mine = live.call("GET", "/audit/access-log?user=clerk-zhou&business_key=LOG-1", as_="auditor")
    assert "clerk-zhou" in mine.text and "核对申请人身份证号" not in mine.text
    future = live.call("GET", "/audit/access-log?since=2099-01-01", as_="auditor")
    assert future.status_code == 200 and "没有符合条件的访问记录" in future.text
    bad = live.call("GET", "/audit/access-log?since=tomorrow", as_="auditor")
    assert bad.status_code == 400 and 'id="since-error"' in bad.text and "clerk-zhou" in bad.text
    assert live.call("GET", "/audit/access-log", as_="window").status_code == 403


def test_X_AUDIT_case_list_filters_and_nightly_result_for_supervisors(scenario, live):  # noqa: F811
    engine = scenario.engine
    case = jiangyin_case(scenario, "JY-LOG-2")
    day = case.history()[0].at.astimezone(SHANGHAI).date()
    listed = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&started_from={day}&started_until={day}",
                       as_="auditor")
    assert listed.status_code == 200 and "JY-LOG-2" in listed.text
    other = live.call("GET", "/audit/cases?variant=no-such-process", as_="auditor")
    assert "JY-LOG-2" not in other.text
    before = live.call("GET", f"/audit/cases?started_until={day - dt.timedelta(days=1)}", as_="auditor")
    assert before.status_code == 200 and "JY-LOG-2" not in before.text
    assert "尚未进行夜间核验" in live.call("GET", "/audit/verification", as_="supervisor").text
    # (the variant's own cases: a granted case's follow-up posting and review share its key)
    assert "JY-LOG-2" not in live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=passed",
                                       as_="auditor").text
    engine.nightly_audit("test")
    shown = live.call("GET", "/audit/verification", as_="supervisor")
    assert shown.status_code == 200 and "全部通过" in shown.text
    assert "JY-LOG-2" in live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=passed", as_="auditor").text
    failed = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=failed", as_="auditor")
    assert "JY-LOG-2" not in failed.text
    assert live.call("GET", "/audit/verification", as_="window").status_code == 403


def test_X_AUDIT_case_list_shows_each_cases_last_verification_and_filters_late_ones(scenario, live):  # noqa: F811
    engine = scenario.engine
    on_time = jiangyin_case(scenario, "JY-LOG-3")
    scenario.at(jy.FRIDAY)
    late = scenario.start(jy.PROCESS, jy.application(), business_key="JY-LOG-LATE")
    late.advance(working_days=1)  # the material check is past its 1-working-day deadline
    page = live.call("GET", "/audit/cases", as_="auditor")
    assert page.status_code == 200 and page.text.count('data-check="none"') >= 2
    only_late = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&late=yes", as_="auditor")
    assert only_late.status_code == 200 and "JY-LOG-LATE" in only_late.text and "JY-LOG-3" not in only_late.text
    engine.verify_case(on_time.id, "cli")
    shown = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=passed", as_="auditor")
    assert "JY-LOG-3" in shown.text and 'data-check="ok"' in shown.text and "JY-LOG-LATE" not in shown.text
    unchecked = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=unchecked", as_="auditor")
    assert "JY-LOG-LATE" in unchecked.text and "JY-LOG-3" not in unchecked.text
    # The replay page's explicit verification is kept as the case's last one too.
    verified = live.call("GET", f"/audit/cases/{late.id}?verify=1", as_="auditor")
    assert verified.status_code == 200 and 'data-verification="ok"' in verified.text
    passed = live.call("GET", f"/audit/cases?variant={jy.PROCESS}&verification=passed", as_="auditor")
    assert "JY-LOG-LATE" in passed.text
    assert live.call("GET", "/audit/cases?late=maybe", as_="auditor").status_code == 400
