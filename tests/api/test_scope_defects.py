"""Issue 9, defects 1, 4, 5 and 9, over real HTTP on SQLite and PostgreSQL: forged
department decisions, tasks that ignored the case's region, history that leaked personal
data, and a hotline account that could do more than its intake. Each test failed on the
code before the scope rule (engine/auth/scope.py, engine/auth/senders.py)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD, JIANGYIN, YIXING
from engine.auth import create_user
from engine.auth.signatures import signed_headers
from engine.definitions.bundle import BundleFile
from engine.errors import DefinitionInvalid
from engine.store.models import AccessLog, AuditEvent, HumanTask, User
from tests.engine.helpers import FIXTURES, mini_bundle
from tests.workers.conftest import (  # noqa: F401 - fixtures
    DEPT_SECRET,
    HOTLINE_SECRET,
    department,
    handoff,
    hotline_secret,
    outside,
    run_over_http,
    worker_token,
)

ID_NUMBER, PHONE = "11010519491231002X", "13812345678"
PERSONAL = {"applicant_id_number": ID_NUMBER, "applicant_phone": PHONE, "applicant_name": "张三"}


def user(engine, username: str, roles: list[str], groups: list[str], region: str | None,
         dept: str | None = None) -> str:
    """A user of the test's own (users outlive a test; the first test makes them)."""
    with engine.db.session() as s:
        if s.scalar(sa.select(User.id).where(User.username == username)) is None:
            create_user(s, username, DEMO_PASSWORD, roles, groups, dept, region, username)
    return username


def _mini(engine) -> None:
    engine.deploy(mini_bundle(), "designer")


def _events(engine, instance_id: str) -> list[str]:
    with engine.db.session() as s:
        return list(s.scalars(sa.select(AuditEvent.command).where(AuditEvent.instance_id == instance_id)
                              .order_by(AuditEvent.seq)))


def _message(live, as_: str | None, business_key: str, headers: dict | None = None, body: bytes | None = None):
    body = body or json.dumps({"name": "department_result", "business_key": business_key,
                               "payload": {"approved": True, "decision": "批准", "amount": 99999}}).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    return live.call("POST", "/api/v1/messages", as_=as_, data=body, headers=headers)


# ---------------------------------------------------------------- defect 1
def test_issue9_defect1_only_the_department_the_case_was_dispatched_to_answers_for_it(
        live, handoff, department, hotline_secret):  # noqa: F811
    inst = handoff.start("worker_handoff", {"department": "hrss"}, "F1-1", "clerk", region=JIANGYIN)
    run_over_http(live.base, worker_token(handoff), handoff)  # dispatched to hrss's own system
    assert handoff.instance(inst.id).status == "running"
    forgers = ["window", "grid", "centre", "dept-civil-affairs", "hotline"]
    for who in forgers:
        r = _message(live, who, "F1-1")
        assert r.status_code == 403, (who, r.text)
    body = json.dumps({"name": "department_result", "business_key": "F1-1",
                       "payload": {"approved": True, "decision": "伪造", "amount": 99999}}).encode()
    r = _message(live, None, "F1-1", signed_headers("12345", HOTLINE_SECRET, body), body)
    assert r.status_code == 403, r.text  # the 12345 platform speaks for no department
    assert _events(handoff, inst.id).count("correlate_message") == 0
    assert "department_result" not in handoff.case_data(handoff.instance(inst.id))

    body = json.dumps({"name": "department_result", "business_key": "F1-1",
                       "payload": {"approved": False, "decision": "不予批准"}}).encode()
    r = _message(live, None, "F1-1", signed_headers("dept:hrss", DEPT_SECRET, body), body)
    assert r.status_code == 202, r.text
    assert handoff.case_data(handoff.instance(inst.id))["department_result"]["decision"] == "不予批准"


def test_issue9_defect1_a_message_catch_without_a_sender_rule_is_refused_at_deploy(engine):
    xml = (FIXTURES / "race.bpmn").read_text("utf-8")
    rule = '<spiffworkflow:property name="allowedSenders" value="role:clerk" />'
    assert rule in xml
    for bad, says in [(xml.replace(rule, ""), "no allowedSenders"),
                      (xml.replace("role:clerk", "role:clerk,anyone"), "'anyone' is not")]:
        with pytest.raises(DefinitionInvalid) as err:
            engine.deploy([BundleFile("race.bpmn", "bpmn", bad.encode())], "designer")
        [problem] = err.value.details["problems"]
        assert problem["element"] == "Catch_Docs" and says in problem["message"]


# ---------------------------------------------------------------- defect 4
def test_issue9_defect4_a_task_of_another_region_is_not_listed_read_claimed_or_completed(live, engine):
    _mini(engine)
    clerk = user(engine, "window-a-scope", ["clerk"], ["window"], JIANGYIN)
    centre = user(engine, "centre-a-scope", ["dispatcher"], ["county-centre"], JIANGYIN)
    other = user(engine, "centre-b-scope", ["dispatcher"], ["county-centre"], YIXING)
    r = live.call("POST", "/api/v1/instances", as_=clerk,
                  json={"definition": "mini_case", "business_key": "F4-1", "data": PERSONAL})
    assert r.status_code == 201 and r.json()["region"] == JIANGYIN
    case = r.json()["id"]
    [task] = live.call("GET", f"/api/v1/tasks?instance={case}", as_=centre).json()

    assert live.call("GET", "/api/v1/tasks", as_=other).json() == []
    assert live.call("GET", f"/api/v1/tasks?instance={case}&my_groups=true", as_=other).json() == []
    r = live.call("GET", f"/api/v1/tasks/{task['id']}", as_=other)
    assert r.status_code == 403 and ID_NUMBER not in r.text and PHONE not in r.text
    assert live.call("POST", f"/api/v1/tasks/{task['id']}/claim", as_=other).status_code == 403
    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_=other, json={"data": {"approved": "yes"}})
    assert r.status_code == 403
    assert live.call("GET", f"/api/v1/instances/{case}", as_=other).status_code == 403
    assert live.call("GET", "/api/v1/instances", as_=other).json() == []
    with engine.db.session() as s:
        row = s.get(HumanTask, task["id"])
        assert (row.state, row.assignee, row.region) == ("open", None, JIANGYIN)
    assert _events(engine, case) == ["start_instance"]

    r = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_=centre, json={"data": {"approved": "no"}})
    assert r.status_code == 200 and r.json()["state"] == "completed"


def test_issue9_defect4_a_township_clerk_sees_the_township_s_cases_only(live, engine):
    """A county clerk names the applicant's village; the village's township sees the case,
    another township does not, and a clerk cannot start a case outside their own region."""
    _mini(engine)
    township = user(engine, "clerk-320281001", ["clerk"], ["window"], "320281001")
    elsewhere = user(engine, "clerk-320281002", ["clerk"], ["window"], "320281002")
    r = live.call("POST", "/api/v1/instances", as_="window",
                  json={"definition": "mini_case", "business_key": "F4-2", "region": "320281001001", "data": {}})
    assert r.status_code == 201 and r.json()["region"] == "320281001001"
    case = r.json()["id"]
    assert live.call("GET", f"/api/v1/instances/{case}", as_=township).status_code == 200
    assert live.call("GET", f"/api/v1/instances/{case}", as_=elsewhere).status_code == 403
    r = live.call("POST", "/api/v1/instances", as_=township,
                  json={"definition": "mini_case", "region": "320281002001", "data": {}})
    assert r.status_code == 403 and r.json()["details"] == {"region": "320281002001"}
    r = live.call("POST", "/api/v1/instances", as_="window", json={"definition": "mini_case", "region": "32028x"})
    assert r.status_code == 422 and "region" in r.json()["details"]["fields"]


# ---------------------------------------------------------------- defect 5
def test_issue9_defect5_history_shows_personal_data_only_to_roles_that_need_it_and_logs_it(live, engine):
    _mini(engine)
    case = live.call("POST", "/api/v1/instances", as_="window",
                     json={"definition": "mini_case", "business_key": "F5-1", "data": PERSONAL}).json()["id"]
    [task] = live.call("GET", f"/api/v1/tasks?instance={case}", as_="centre").json()
    live.call("POST", f"/api/v1/tasks/{task['id']}/complete", as_="centre",
              json={"data": {"approved": "yes", "applicant_id_number": ID_NUMBER}})
    for role in ("supervisor", "auditor"):
        r = live.call("GET", f"/api/v1/instances/{case}/history", as_=role)
        assert r.status_code == 200 and len(r.json()) == 2  # started, completed
        assert ID_NUMBER not in r.text and PHONE not in r.text, role  # input and changes, at any depth
        start = r.json()[0]["input"]["data"]
        assert start["applicant_id_number"] == "110105********002X" and start["applicant_phone"] == "138****5678"
    r = live.call("GET", f"/api/v1/instances/{case}/history", as_="window")
    assert ID_NUMBER in r.text and r.json()[0]["input"]["data"]["applicant_phone"] == PHONE
    with engine.db.session() as s:
        logged = s.scalars(sa.select(AccessLog).where(AccessLog.instance_id == case,
                                                      AccessLog.resource == f"history:{case}")).all()
    assert [(a.actor, a.fields) for a in logged] == [("window", ["applicant_id_number", "applicant_phone"])]


def test_issue9_defect5_a_caseworker_sees_only_cases_dispatched_to_their_department(live, handoff):  # noqa: F811
    inst = handoff.start("worker_handoff", {"department": "civil-affairs", **PERSONAL}, "F5-2", "clerk",
                         region=JIANGYIN)
    run_over_http(live.base, worker_token(handoff), handoff)  # dispatched to civil affairs (worklist)
    for path in (f"/api/v1/instances/{inst.id}", f"/api/v1/instances/{inst.id}/history"):
        r = live.call("GET", path, as_="dept-hrss")
        assert r.status_code == 403 and ID_NUMBER not in r.text, path
        r = live.call("GET", path, as_="dept-civil-affairs")
        assert r.status_code == 200 and ID_NUMBER in r.text, path
    assert [i["id"] for i in live.call("GET", "/api/v1/instances", as_="dept-hrss").json()] == []
    assert [i["id"] for i in live.call("GET", "/api/v1/instances", as_="dept-civil-affairs").json()] == [inst.id]


# ---------------------------------------------------------------- defect 9
def test_issue9_defect9_the_hotline_account_gets_only_its_signed_intake(live, engine, hotline_secret,  # noqa: F811
                                                                         monkeypatch):
    _mini(engine)
    monkeypatch.setenv("RELIEF_HOTLINE_DEFINITION", "mini_case")
    monkeypatch.setattr(engine, "default_region", JIANGYIN, raising=False)
    r = live.call("POST", "/api/v1/instances", as_="hotline",
                  json={"definition": "mini_case", "data": {"channel": "window"}, "business_key": "F9-1"})
    assert r.status_code == 403
    assert live.call("GET", "/api/v1/definitions", as_="hotline").status_code == 403
    assert live.call("GET", "/api/v1/calendar/months/2026-11", as_="hotline").status_code == 403
    assert _message(live, "hotline", "F9-1").status_code == 403
    assert live.call("GET", "/api/v1/instances?business_key=F9-1", as_="admin").json() == []

    ticket = {"ticket_id": "F9-T1", "applicant_name": "王五", "applicant_id_number": "320281198001010025",
              "applicant_phone": "13912345678", "applicant_address": "江阴市澄江街道1号",
              "aid_types": ["temporary"], "reason": "来电申请临时救助"}
    body = json.dumps(ticket).encode()
    r = live.call("POST", "/api/v1/intake/hotline", data=body, headers=signed_headers("12345", HOTLINE_SECRET, body))
    assert r.status_code == 201, r.text
    assert engine.instance(r.json()["instance_id"]).region == JIANGYIN  # the configured default region
    body = json.dumps({**ticket, "ticket_id": "F9-T2", "region": "320281001001"}).encode()
    r = live.call("POST", "/api/v1/intake/hotline", data=body, headers=signed_headers("12345", HOTLINE_SECRET, body))
    assert r.status_code == 201 and engine.instance(r.json()["instance_id"]).region == "320281001001"
