"""X-AUDIT, J-SEC: the auditor's pages in a real browser. A Jiangyin case is found by its
business key and replayed step by step: at each step the elements marked on the diagram
are the ones the re-executed history says were waiting; personal data is masked until
revealed with a reason (logged); verification and the audit file work from the page;
another region's auditor sees nothing of the case."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD
from engine.audit.log import _EVENTS
from engine.store.models import AccessLog
from tests.scenarios.test_jiangyin import APPLICANT_ID, accepted, dispatch
from tests.web.conftest import shoot
from tests.web.test_pages import check

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

READY = '[data-module="audit-replay"][data-ready="true"][data-shown="{n}"]'
MARKED = """() => [...document.querySelectorAll('.djs-element.replay-active')]
    .map((e) => e.dataset.elementId).sort()"""
IN_DIAGRAM = """() => [...document.querySelectorAll('.djs-element')].map((e) => e.dataset.elementId)"""


def test_X_AUDIT_auditor_replays_a_jiangyin_case_step_by_step_against_its_history(browser, site, scenario):
    case = accepted(scenario, "JY-REPLAY-1")
    dispatch(case)
    steps = scenario.engine.replay_case(case.id).steps
    assert len(steps) >= 5

    tab = browser.page()
    tab.sign_in("auditor")
    assert tab.page.locator("nav >> text=审计").count() >= 1
    tab.go("/audit/cases?business_key=REPLAY")
    link = tab.page.locator("a:has-text('JY-REPLAY-1')")
    assert link.count() == 1
    check(tab, "audit-cases")
    with tab.page.expect_navigation():
        link.click()
    tab.page.wait_for_selector(READY.format(n=1))
    in_diagram = set(tab.page.evaluate(IN_DIAGRAM))
    assert APPLICANT_ID not in tab.page.content()  # masked for the auditor (J-SEC)
    assert APPLICANT_ID[:6] in tab.page.locator("#step-1").inner_text()
    check(tab, "audit-replay")

    seen = []
    for n, step in enumerate(steps, start=1):
        if n > 1:
            tab.page.click('[data-replay="next"]')
            tab.page.wait_for_selector(READY.format(n=n))
        marked = tab.page.evaluate(MARKED)
        assert marked == sorted(set(step.active) & in_diagram), f"step {n}"
        assert tab.page.locator(f"#step-{n}").is_visible()
        assert n == 1 or tab.page.url.endswith(f"?step={n}")
        seen.append(marked)
    assert seen[0] == ["Service_Register"] and seen[1] != seen[0]  # a step forward marks another element

    tab.page.keyboard.press("ArrowLeft")  # the keyboard steps back
    tab.page.wait_for_selector(READY.format(n=len(steps) - 1))
    tab.go(f"/audit/cases/{case.id}?step=2")  # every step has its URL
    tab.page.wait_for_selector(READY.format(n=2))
    assert tab.page.evaluate(MARKED) == seen[1]

    tab.submit("[data-replay-verify]")
    assert tab.page.locator('[data-verification="ok"]').is_visible()
    assert "OK " + case.id in tab.page.locator('[data-verification="ok"]').inner_text()
    tab.page.wait_for_selector(READY.format(n=2))  # the verified page keeps the step
    shoot(tab, "audit-replay-verified")

    download = tab.page.request.get(f"{site.base}/audit/cases/{case.id}/export.zip")
    assert download.status == 200 and download.headers["content-type"] == "application/zip"
    assert "events.json" in zipfile.ZipFile(io.BytesIO(download.body())).namelist()

    tab.page.fill("#reason", "核对申请人身份")
    tab.submit("button:has-text('查看并记录')")
    tab.page.wait_for_selector(READY.format(n=2))
    assert APPLICANT_ID in tab.page.content()
    with scenario.engine.db.session() as s:
        resources = list(s.scalars(sa.select(AccessLog.resource).where(AccessLog.actor == "auditor")))
    assert f"audit:reveal:{case.id}:核对申请人身份" in resources
    assert f"audit:replay:{case.id}" in resources and f"audit:export:{case.id}" in resources
    assert "audit:cases:REPLAY" in resources
    assert tab.problems == []


def test_X_AUDIT_J_SEC_another_regions_auditor_gets_nothing_of_the_case(browser, site, scenario):
    case = accepted(scenario, "JY-REPLAY-2")
    scenario.engine.users.add("admin", "auditor-yixing", DEMO_PASSWORD, ["auditor"], [], None, "320282", "审计 宜兴")
    assert site.call("GET", f"/api/v1/audit/cases/{case.id}/verification", as_="auditor").json()["ok"] is True
    assert site.call("GET", f"/api/v1/audit/cases/{case.id}/verification", as_="auditor-yixing").status_code == 403
    assert site.call("GET", f"/api/v1/audit/cases/{case.id}/export", as_="auditor-yixing").status_code == 403
    assert site.call("GET", f"/api/v1/audit/cases/{case.id}/verification", as_="window").status_code == 403

    tab = browser.page()
    tab.sign_in("auditor-yixing")
    tab.go("/audit/cases")
    assert tab.page.locator("a:has-text('JY-REPLAY-2')").count() == 0
    assert tab.go(f"/audit/cases/{case.id}").status == 403
    assert tab.page.request.get(f"{site.base}/audit/cases/{case.id}/export.zip").status == 403


@pytest.mark.state_written  # the test cuts the case's history short on purpose
def test_J_SEC_auditor_filters_the_access_log_in_the_browser(browser, site, scenario):
    """The access-log page (who saw whose data, when, why) and the nightly verification page."""
    from engine.auth import Principal

    case = accepted(scenario, "JY-ACCESS-1")
    auditor = Principal(username="auditor", roles=("auditor",), region="320281")
    scenario.engine.audit_replay_for(auditor, case.id, reveal="核对申请人身份证号")
    scenario.engine.log_access("clerk-zhou", f"history:{case.id}", case.id, ["id_number", "phone"])
    scenario.engine.nightly_audit("test")

    tab = browser.page()
    tab.sign_in("auditor")
    tab.go("/audit/access-log")
    rows = tab.page.locator("table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2 and "核对申请人身份证号" in tab.page.content()
    check(tab, "audit-access-log")
    tab.page.fill("#user", "clerk-zhou")
    tab.page.fill("#business_key", "ACCESS-1")
    tab.submit("form[role=search] button")
    tab.page.wait_for_selector("text=id_number、phone")
    assert rows.count() == 1 and "user=clerk-zhou" in tab.page.url
    tab.go("/audit/verification")
    tab.page.wait_for_selector("text=全部通过")
    check(tab, "audit-verification")

    # The newest event cut off after the seal: the next night names the case.
    last = len(case.history())
    with scenario.engine.db.session() as s:
        s.execute(_EVENTS.delete().where(_EVENTS.c.instance_id == case.id, _EVENTS.c.seq == last))
    scenario.engine.nightly_audit("test")
    tab.go("/audit/verification")
    tab.page.wait_for_selector("text=有未通过项")
    assert f"FAILED {case.id}: events {last}-{last} were cut off after seal 1" in tab.page.content()
    check(tab, "audit-verification-failed")
    assert tab.problems == []
