"""J-CH-WINDOW, X-FORMS, J-TRACK, J-SEC over real HTTP on SQLite and PostgreSQL: the start
form a process is started with (`GET /api/v1/definitions/<key>/start-form`), starting a
case from the case pages (in the clerk's region, a bad ID number refused on its field
with nothing stored), the case list and page within the reader's scope, the diagram
marks computed by the engine, and the applicant shown in full only on demand, logged."""

from __future__ import annotations

import sqlalchemy as sa

from api.demo import JIANGYIN, VILLAGE, YIXING
from engine.store.models import AccessLog, Instance
from tests.scenarios.test_jiangyin import APPLICANT_ID, PROCESS, accepted, application

BAD_ID = APPLICANT_ID[:-1] + ("0" if APPLICANT_ID[-1] != "0" else "1")  # wrong check digit


def _count(engine, model, *where) -> int:
    with engine.db.reading() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_X_FORMS_start_form_of_a_process_is_served_to_those_who_start_cases(live, scenario):
    r = live.call("GET", f"/api/v1/definitions/{PROCESS}/start-form", as_="window")
    assert r.status_code == 200, r.text
    body = r.json()
    versions = [d for d in live.call("GET", "/api/v1/definitions", as_="designer").json() if d["key"] == PROCESS]
    assert body["definition"]["id"] == max(versions, key=lambda d: d["version"])["id"]
    assert body["form_key"] == "jiangyin/application.json"
    assert "applicant_id_number" in {c.get("key") for c in body["schema"]["components"]}

    assert live.call("GET", f"/api/v1/definitions/{PROCESS}/start-form", as_="dept-civil-affairs").status_code == 403
    missing = live.call("GET", "/api/v1/definitions/no_such_process/start-form", as_="window")
    assert missing.status_code == 404 and missing.json()["details"]["definition"] == "no_such_process"
    # A called sub-process has no start form: nobody starts it from a page.
    assert live.call("GET", "/api/v1/definitions/common_department_handling/start-form",
                     as_="window").status_code == 404
    doc = live.call("GET", "/api/v1/openapi.json").json()
    assert "/api/v1/definitions/{key}/start-form" in doc["paths"]


def test_J_CH_WINDOW_a_case_started_from_the_page_takes_the_clerks_region_and_bad_input_stores_nothing(
        live, scenario, engine):
    before = _count(engine, Instance)
    refused = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                        json={"data": application(applicant_id_number=BAD_ID), "business_key": "JY-PAGE-1"})
    assert refused.status_code == 422
    assert list(refused.json()["details"]["fields"]) == ["applicant_id_number"]
    assert _count(engine, Instance) == before

    started = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                        json={"data": application(), "business_key": "JY-PAGE-1"})
    assert started.status_code == 201, started.text
    case_id = started.json()["id"]
    assert started.json()["url"] == f"/cases/{case_id}"
    assert engine.instance(case_id).region == JIANGYIN
    again = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                      json={"data": application(), "business_key": "JY-PAGE-1"})
    assert again.status_code == 200 and again.json()["id"] == case_id  # a retried submit: the same case
    assert live.call("POST", f"/cases/new/{PROCESS}", as_="window", json={"data": "x"}).status_code == 400
    assert live.call("POST", f"/cases/new/{PROCESS}", as_="leader",
                     json={"data": application()}).status_code == 403
    assert _count(engine, Instance) == before + 1


def test_J_CH_WINDOW_the_clerk_names_the_cases_village_within_their_region_and_a_bad_one_stores_nothing(
        live, scenario, engine):
    """A case accepted at the county window belongs to the applicant's village when the clerk
    names it (so the village's workers see its village steps); a region outside the clerk's,
    or not a region code, is refused on the `region` field and no case is started."""
    before = _count(engine, Instance)
    for region, status in [(YIXING, 403), ("32028", 422), ("320281x01", 422), (320281001, 422)]:
        refused = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                            json={"data": application(), "business_key": "JY-REGION-1", "region": region})
        assert refused.status_code == status, (region, refused.text)
        assert list(refused.json()["details"]["fields"]) == ["region"], region
    assert _count(engine, Instance) == before
    started = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                        json={"data": application(), "business_key": "JY-REGION-1", "region": f" {VILLAGE} "})
    assert started.status_code == 201, started.text
    assert engine.instance(started.json()["id"]).region == VILLAGE
    blank = live.call("POST", f"/cases/new/{PROCESS}", as_="window",
                      json={"data": application(), "business_key": "JY-REGION-2", "region": ""})
    assert blank.status_code == 201 and engine.instance(blank.json()["id"]).region == JIANGYIN


def test_J_SEC_case_list_and_page_within_the_readers_scope(live, scenario):
    case = scenario.start(PROCESS, application(), "JY-SCOPE-1")
    yixing = scenario.start(PROCESS, application(), "YX-SCOPE-1", region=YIXING)

    mine = live.call("GET", "/cases?q=JY-SCOPE", as_="window")
    assert mine.status_code == 200 and "JY-SCOPE-1" in mine.text and "YX-SCOPE-1" not in mine.text
    # Masked in the list: first 6 and last 4 of the ID number, never the whole of it.
    assert APPLICANT_ID not in mine.text and APPLICANT_ID[:6] in mine.text
    other = live.call("GET", "/cases?q=", as_="window-yixing")
    assert "YX-SCOPE-1" in other.text and "JY-SCOPE-1" not in other.text

    assert live.call("GET", f"/cases/{case.id}", as_="window").status_code == 200
    assert live.call("GET", f"/cases/{case.id}", as_="window-yixing").status_code == 403
    assert live.call("GET", f"/cases/{yixing.id}", as_="window").status_code == 403
    assert live.call("GET", "/cases/no-such-case", as_="window").status_code == 404
    # Department staff: only cases dispatched to their department (none here).
    assert live.call("GET", f"/cases/{case.id}", as_="dept-civil-affairs").status_code == 403
    assert "JY-SCOPE-1" not in live.call("GET", "/cases?q=JY-SCOPE", as_="dept-civil-affairs").text


def test_J_SEC_the_applicant_in_full_only_on_demand_for_roles_that_need_it_and_logged(live, scenario, engine):
    case = scenario.start(PROCESS, application(), "JY-REVEAL-1")
    logged = _count(engine, AccessLog, AccessLog.instance_id == case.id)

    page = live.call("GET", f"/cases/{case.id}", as_="window")
    assert APPLICANT_ID not in page.text and "13912345678" not in page.text and "139****5678" in page.text
    assert "显示完整信息" in page.text
    assert _count(engine, AccessLog, AccessLog.instance_id == case.id) == logged  # a masked view logs nothing

    full = live.call("POST", f"/cases/{case.id}/reveal", as_="window")
    assert full.status_code == 200 and APPLICANT_ID in full.text and "13912345678" in full.text
    with engine.db.reading() as s:
        row = s.scalars(sa.select(AccessLog).where(AccessLog.instance_id == case.id)
                        .order_by(AccessLog.id.desc())).first()
    assert row is not None and row.actor == "window" and "applicant_id_number" in row.fields

    assert live.call("POST", f"/cases/{case.id}/reveal", as_="supervisor").status_code == 403
    seen = live.call("GET", f"/cases/{case.id}", as_="supervisor")
    assert seen.status_code == 200 and APPLICANT_ID not in seen.text and "显示完整信息" not in seen.text


def test_J_TRACK_the_engine_marks_completed_and_current_elements_and_the_flows_taken(scenario, engine):
    from engine.auth import Principal

    case = accepted(scenario, "JY-TRACK-1")  # materials complete, eligible: waits for the centre's dispatch
    who = Principal(username="window", roles=("clerk",), groups=("window",), region=JIANGYIN)
    track = engine.case_track(who, case.id)
    assert {"StartEvent_Application", "Task_CheckMaterials", "Task_Accept"} <= set(track.completed)
    assert "Task_Dispatch" in track.current and "Task_Dispatch" not in track.completed
    assert {"Flow_JoinMaterials_Check", "Flow_Materials_Complete", "Flow_Accept_Eligible"} <= set(track.flows)
    assert "Flow_Materials_Incomplete" not in track.flows  # the branch not taken
    dispatch = [d for d in track.deadlines if d.element == "Task_Dispatch"]
    assert [d.state for d in dispatch] == ["pending"] and dispatch[0].name.startswith("分类派单 · ")
    assert [t.bpmn_id for t in track.open_tasks] == ["Task_Dispatch"]


def test_J_TRACK_comments_on_a_case_within_scope_appear_in_its_timeline(live, scenario, engine):
    from engine.store.records import CaseComment

    case = scenario.start(PROCESS, application(), "JY-COMMENT-1")
    added = live.call("POST", f"/cases/{case.id}/comments", as_="window", data={"text": "申请人电话已核实，下周一入户"},
                      allow_redirects=False)
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/cases/{case.id}#timeline-title")
    page = live.call("GET", f"/cases/{case.id}", as_="centre").text
    assert "添加意见" in page and "申请人电话已核实，下周一入户" in page
    assert _count(engine, CaseComment, CaseComment.instance_id == case.id) == 1

    empty = live.call("POST", f"/cases/{case.id}/comments", as_="window", data={"text": "  "})
    assert empty.status_code == 422 and "请填写意见" in empty.text
    assert live.call("POST", f"/cases/{case.id}/comments", as_="window-yixing",
                     data={"text": "越权"}).status_code == 403
    assert live.call("POST", f"/cases/{case.id}/comments", as_="auditor", data={"text": "只读"}).status_code == 403
    assert _count(engine, CaseComment, CaseComment.instance_id == case.id) == 1


def test_J_TRACK_deadlines_are_met_missed_or_pending(scenario, engine):
    """J-T2: the centre dispatches within 2 working days. One case dispatched in time (met),
    one left past its deadline (the timer fired: missed)."""
    from engine.auth import Principal
    from tests.scenarios.test_jiangyin import dispatch

    who = Principal(username="centre", roles=("dispatcher",), groups=("county-centre",), region=JIANGYIN)
    in_time = accepted(scenario, "JY-DEADLINE-MET")
    dispatch(in_time)
    [met] = [d for d in engine.case_track(who, in_time.id).deadlines if d.element == "Task_Dispatch"]
    assert met.state == "met" and met.ended_at is None

    late = accepted(scenario, "JY-DEADLINE-MISSED")
    late.advance(working_days=3)
    [missed] = [d for d in engine.case_track(who, late.id).deadlines if d.element == "Task_Dispatch"]
    assert missed.state == "missed" and missed.ended_at is not None and missed.ended_at >= missed.due_at


def test_J_TRACK_steps_and_deadlines_of_the_called_department_process_are_named_not_ids(scenario, engine):
    """The department's steps run in the called process common_department_handling: the
    timeline and the deadlines name them as its diagram does (a clerk reads 部门审核决定, never
    Task_DeptDecision); the viewer still marks only the case's own diagram."""
    from engine.auth import Principal
    from tests.scenarios.test_jiangyin import dispatch

    who = Principal(username="centre", roles=("dispatcher",), groups=("county-centre",), region=JIANGYIN)
    case = accepted(scenario, "JY-CALLED-NAMES")
    dispatch(case)
    track = engine.case_track(who, case.id)
    assert track.names["Task_DeptIntake"] == "受理并告知所需材料"
    assert track.names["Task_Dispatch"] == "分类派单"
    assert "部门审核决定 · 法定办理期限届满" not in {d.name for d in track.deadlines}  # not reached yet
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={
        "materials_notice": "请携带户口簿", "handling_days": 20, "local_verification": "none"})
    track = engine.case_track(who, case.id)
    assert "部门审核决定 · 法定办理期限届满" in {d.name for d in track.deadlines}
    assert "Task_DeptIntake" not in track.completed + track.current  # not an element of the case's diagram


def test_J_TRACK_no_other_engine_part_shadows_the_case_pages_reads():
    """Engine mixes in many parts; a same-named method earlier in its bases would silently
    replace one of these (a portal's `start_form` once did)."""
    from engine.service import Engine
    from engine.tracking import CaseTracking

    for name in [n for n in vars(CaseTracking) if not n.startswith("__")]:
        assert getattr(Engine, name) is getattr(CaseTracking, name), name
