"""The process designer's routes (issue 13, X-DESIGN, X-TIMERS, J-SEC) against the live
server on SQLite and PostgreSQL: drafts saved and deployed, live lint in Chinese naming
the element, versions and their diff, a simulation over a holiday; designers only.
(Bearer tokens here; the session matrix proves the CSRF check on the same routes.)"""

from __future__ import annotations

from engine.store.models import Instance
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.engine.helpers import mini_bundle, mini_xml, unique_key


def test_X_DESIGN_draft_lint_deploy_versions_and_diff_through_the_designer_routes(engine, live):  # noqa: F811
    key = unique_key("web")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    page = live.call("GET", f"/designer/{key}", as_="designer")
    assert page.status_code == 200 and 'id="designer-data"' in page.text
    assert live.call("GET", f"/designer/{key}", as_="window").status_code == 403  # a clerk
    assert live.call("GET", "/designer", as_="auditor").status_code == 403

    broken = mini_xml(key).replace("approved == 'yes'", "__import__('os').system('id')")
    lint = live.call("POST", f"/designer/{key}/lint", as_="designer", json={"xml": broken})
    assert lint.status_code == 200
    [problem] = [p for p in lint.json()["problems"] if p["element"] == "Flow_Yes"]
    assert problem["message"].startswith("连线条件不允许") and "__import__" in problem["message"]
    clean = live.call("POST", f"/designer/{key}/lint", as_="designer", json={"xml": mini_xml(key)})
    assert clean.json() == {"problems": []}

    missing = live.call("POST", f"/designer/{key}/draft", as_="designer", json={})
    assert missing.status_code == 422 and "xml" in missing.json()["details"]["fields"]
    revised = mini_xml(key).replace('name="审核"', 'name="复核"')
    saved = live.call("POST", f"/designer/{key}/draft", as_="designer", json={"xml": revised})
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    stale = live.call("POST", f"/designer/{key}/draft", as_="designer", json={"xml": revised, "revision": 0})
    assert stale.status_code == 409

    deployed = live.call("POST", f"/designer/{key}/deploy", as_="designer", allow_redirects=False)
    assert deployed.status_code == 302 and deployed.headers["Location"].endswith(f"/designer/{key}/versions")
    versions = live.call("GET", f"/designer/{key}/versions", as_="designer")
    assert "第 2 版" in versions.text and "第 1 版" in versions.text
    diff = live.call("GET", f"/designer/{key}/diff?old=1&new=2", as_="designer")
    assert diff.status_code == 200 and "Task_Review" in diff.text and "复核" in diff.text
    assert live.call("GET", f"/designer/{key}/diff?old=1", as_="designer").status_code == 422
    assert live.call("GET", f"/designer/{key}/diff?old=1&new=9", as_="designer").status_code == 404


def test_X_TIMERS_designer_simulation_gives_the_deadline_across_national_day(engine, live):  # noqa: F811
    key = unique_key("websim")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    xml = mini_xml(key).replace("add_working_days(now(), 2)", "add_working_days(now(), 4)")
    run = live.call("POST", f"/designer/{key}/simulate", as_="designer",
                    json={"xml": xml, "data": {"approved": "no"}, "start": "2026-09-29T10:00"})
    assert run.status_code == 200, run.text
    body = run.json()
    assert [s["element"] for s in body["steps"]][-2:] == ["Gateway_Ok", "End_Refused"]
    [deadline] = body["deadlines"]
    assert deadline["due_at"] == "2026-10-10T17:30:00+08:00"  # the make-up Saturday after the holiday
    assert deadline["outcome_text"] == "按时完成" and body["finished"] is True
    bad = live.call("POST", f"/designer/{key}/simulate", as_="designer",
                    json={"xml": xml, "data": [], "start": "2026-09-29T10:00"})
    assert bad.status_code == 422 and "data" in bad.json()["details"]["fields"]
    bad_start = live.call("POST", f"/designer/{key}/simulate", as_="designer", json={"xml": xml, "start": "soon"})
    assert bad_start.status_code == 422 and "start" in bad_start.json()["details"]["fields"]


def test_X_DESIGN_a_new_process_starts_as_a_draft_with_one_start_event(engine, live):  # noqa: F811
    key = unique_key("new")
    made = live.call("POST", "/designer/new", as_="designer", data={"key": key, "name": "临时救助"},
                     allow_redirects=False)
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/designer/{key}")
    draft = engine.process_draft(key)
    assert draft is not None and b'name="\xe4\xb8\xb4\xe6\x97\xb6\xe6\x95\x91\xe5\x8a\xa9"' in draft.xml
    assert live.call("GET", f"/designer/{key}", as_="designer").status_code == 200
    again = live.call("POST", "/designer/new", as_="designer", data={"key": key, "name": "x"})
    assert again.status_code == 422 and "已有此标识的流程或草稿" in again.text
    bad = live.call("POST", "/designer/new", as_="designer", data={"key": "1 bad", "name": "x"})
    assert bad.status_code == 422 and "只能以字母或 _ 开头" in bad.text
    lint = live.call("POST", f"/designer/{key}/lint", as_="designer", json={"xml": draft.xml.decode()})
    assert lint.json() == {"problems": []}  # a start event alone passes the deploy checks
    discarded = live.call("POST", f"/designer/{key}/discard", as_="designer", allow_redirects=False)
    assert discarded.status_code == 302 and engine.process_draft(key) is None
    assert live.call("GET", f"/designer/{key}", as_="designer").status_code == 404


def test_J_SEC_a_version_deployed_in_the_designer_over_running_cases_waits_for_another_persons_approval(
        engine, live):  # noqa: F811
    key = unique_key("appr")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    running = engine.start(key, {}, "APPR-1", "clerk")
    revised = mini_xml(key).replace('name="审核"', 'name="复核"')
    assert live.call("POST", f"/designer/{key}/draft", as_="designer", json={"xml": revised}).status_code == 200
    assert live.call("POST", f"/designer/{key}/deploy", as_="designer", allow_redirects=False).status_code == 302
    [v2, v1] = engine.process_versions(key)
    assert (v2.version, v2.approval_required, v2.approved_at) == (2, True, None)
    assert engine.start(key, {}, "APPR-2", "clerk").definition_id == v1.id  # new cases: still version 1
    own = live.call("POST", f"/designer/{key}/versions/2/approve", as_="designer")
    assert own.status_code == 200 and "部署此版本的人不能批准它" in own.text
    assert engine.process_version(key, 2).approved_at is None
    approved = live.call("POST", f"/designer/{key}/versions/2/approve", as_="admin")
    assert "已批准第 2 版" in approved.text and engine.process_version(key, 2).approved_by == "admin"
    assert engine.start(key, {}, "APPR-3", "clerk").definition_id == v2.id
    with engine.db.reading() as s:
        assert s.get(Instance, running.id).definition_id == v1.id  # a running case stays on its version


def test_X_DESIGN_a_waiting_case_is_migrated_from_the_versions_page_and_the_other_stays(engine, live):  # noqa: F811
    key = unique_key("webmig")
    engine.deploy(mini_bundle(mini_xml(key)), "designer")
    moving = engine.start(key, {}, "WMIG-1", "clerk")
    staying = engine.start(key, {}, "WMIG-2", "clerk")
    revised = mini_xml(key).replace('name="审核"', 'name="复核"')
    live.call("POST", f"/designer/{key}/draft", as_="designer", json={"xml": revised})
    live.call("POST", f"/designer/{key}/deploy", as_="designer")
    live.call("POST", f"/designer/{key}/versions/2/approve", as_="admin")
    page = live.call("GET", f"/designer/{key}/versions", as_="designer").text
    assert "迁移运行中的案件到第 2 版" in page and "WMIG-1" in page and "WMIG-2" in page
    done = live.call("POST", f"/designer/{key}/migrate", as_="designer", data={"version": "2", "case": [moving.id]})
    assert "已迁移 1 个案件到第 2 版" in done.text
    v1, v2 = engine.process_version(key, 1), engine.process_version(key, 2)
    with engine.db.reading() as s:
        assert (s.get(Instance, moving.id).definition_id, s.get(Instance, staying.id).definition_id) == (v2.id, v1.id)
    other = unique_key("webmig")
    engine.deploy(mini_bundle(mini_xml(other)), "designer")
    foreign = engine.start(other, {}, "WMIG-3", "clerk")
    refused = live.call("POST", f"/designer/{key}/migrate", as_="designer", data={"version": "2", "case": [foreign.id]})
    assert "1 个案件未迁移" in refused.text  # a case of another process is not moved from this page
    assert live.call("POST", f"/designer/{key}/migrate", as_="designer", data={"case": [moving.id]}).status_code == 422
