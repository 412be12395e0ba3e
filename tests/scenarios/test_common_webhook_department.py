"""Webhook departments in the shared sub-process `common_department_handling` (J-DISPATCH,
W-ROUTE, X-WORKERS), on real Jiangyin one-door cases.

One department is configured `mode: webhook` in a temporary copy of
workers/departments.json (RELIEF_DEPARTMENTS_FILE; the configuration is cached per
file path and modification time, so the copy is read afresh). A real HTTP server on
127.0.0.1 plays the department's own business system: it receives the signed case, and
its answer comes back signed (X-Relief-Sender: dept:<code>) through the live API's
POST /api/v1/messages. Worklist departments of the same case keep working in the task list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.auth.signatures import SIGNATURE, TIMESTAMP, signed_headers, verify
from engine.store.models import Timer
from engine.store.records import Dispatch
from tests.api.conftest import Client, live  # noqa: F401 - the live API server fixture
from tests.scenarios.test_jiangyin import accepted, dispatch, handle, notices
from tests.support.scenario import Case, Scenario, local
from tests.workers.outside import OutsideSystem
from workers.departments import DEFAULT_FILE, departments

SECRET = "jiangyin-webhook-department-secret-for-tests"
SECRET_ENV = "RELIEF_TEST_WEBHOOK_DEPT_SECRET"


@pytest.fixture
def webhook_department(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., OutsideSystem]]:
    """Switch one department to `mode: webhook`, with a real local system at its url and, when
    given, its own statutory `handling_days`; every other department stays as shipped."""
    made: list[OutsideSystem] = []

    def switch(code: str, handling_days: int | None = None) -> OutsideSystem:
        system = OutsideSystem(code)
        made.append(system)
        path = tmp_path / "departments.json"
        config = json.loads((path if path.exists() else DEFAULT_FILE).read_text("utf-8"))
        assert config[code]["mode"] == "worklist"  # as shipped
        config[code] = {"name": config[code]["name"], "mode": "webhook", "url": system.url,
                        "secret_env": SECRET_ENV}
        if handling_days is not None:
            config[code]["handling_days"] = handling_days
        path.write_text(json.dumps(config, ensure_ascii=False), "utf-8")
        monkeypatch.setenv("RELIEF_DEPARTMENTS_FILE", str(path))
        monkeypatch.setenv(SECRET_ENV, SECRET)
        assert departments()[code]["mode"] == "webhook"  # the copy is what the workers read now
        return system

    yield switch
    for system in made:
        system.release_all()
        system.close()


def answer(api: Client, case: Case, department: str, payload: dict[str, Any],
           secret: str = SECRET) -> Any:
    """The department's system posts its signed result for the case (what its reply block says)."""
    body = json.dumps({"name": "department_result", "business_key": case.business_key,
                       "payload": payload}, ensure_ascii=False).encode()
    r = api.call("POST", "/api/v1/messages", data=body, headers=signed_headers(f"dept:{department}", secret, body))
    case.run_workers()
    return r


def answer_deadlines(case: Case) -> list[tuple[str, dt.date]]:
    """The statutory timers on the waits for department systems' answers: state and local due date."""
    with case.engine.db.session() as s:
        rows = s.scalars(sa.select(Timer).where(Timer.instance_id == case.id,
                                                Timer.bpmn_id == "Timer_WebhookDeadline")
                         .order_by(Timer.due_at)).all()
    return [(t.state, local(t.due_at).date()) for t in rows]


def delay_notices(case: Case) -> list[str]:
    """Delay notices in the applicant's SMS outbox (W-SUPERVISE)."""
    return [n.message for n in case.notifications() if n.template == "delay_notice"]


def handling_ledger(case: Case) -> list[str]:
    return [j["variables"]["summary"] for j in case.jobs("ledger.record") if j["variables"]["stage"] == "handling"]


def test_J_DISPATCH_W_ROUTE_webhook_department_gets_signed_case_and_its_signed_answer_completes_the_case(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """Issue 4: a webhook department gets a signed JSON case at its own system instead of tasks in
    our list; its signed answer (POST /api/v1/messages) is correlated to the waiting case and
    becomes the department's result, recorded in the ledger like a worklist decision."""
    department = webhook_department("hrss")
    case = accepted(scenario, "JY-WEBHOOK-1", aid_types=["employment"])
    assert case.data["departments"] == ["hrss"]
    dispatch(case)

    [job] = case.jobs("department.dispatch")
    assert job["result"]["mode"] == "webhook" and job["result"]["department"] == "hrss"
    [got] = department.received
    verify(SECRET, got.body, got.headers[TIMESTAMP], got.headers[SIGNATURE])  # the department can check us
    assert got.json["case"]["applicant_name"] == "张秀英"
    assert got.json["reply"] == {"path": "/api/v1/messages", "name": "department_result",
                                 "business_key": "JY-WEBHOOK-1", "sender": "dept:hrss"}
    assert case.open_tasks() == []  # no worklist tasks: the case waits for the department's system
    assert not case.reached("Task_DeptIntake")
    assert case.status == "running"

    forged = answer(live, case, "hrss", {"approved": True, "decision": "批准"}, secret="not-the-secret")
    assert forged.status_code == 401
    assert case.open_tasks() == [] and "department_results" not in case.data

    r = answer(live, case, "hrss", {"approved": True, "decision": "同意公益性岗位安置", "amount": 1500})
    assert r.status_code == 202, r.text
    assert case.reached("Receive_DepartmentAnswer") and case.reached("Script_MapDepartmentAnswer")
    assert case.data["department_results"] == [
        {"department": "hrss", "approved": True, "decision": "同意公益性岗位安置", "amount": 1500}]
    assert handling_ledger(case) == ["同意公益性岗位安置"]
    assert case.open_tasks() == ["Task_Summary"]

    late = answer(live, case, "hrss", {"approved": False, "decision": "重复回复"})
    assert late.status_code == 409  # nothing waits any more; the result stands
    assert case.data["department_results"][0]["decision"] == "同意公益性岗位安置"

    case.complete("Task_Summary", {"summary": "经人社局审核，安排公益性岗位", "refer": "no"})
    [result] = notices(case, "result")
    assert result["variables"]["message"] == "经人社局审核，安排公益性岗位"
    assert case.reached("End_Completed") and case.status == "completed"


def test_W_ROUTE_J_COOP_webhook_and_worklist_departments_of_one_case_each_report_their_result(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """J-COOP with mixed routing: education answers from its own system while civil affairs and
    justice work in the task list; the summary waits for all three. The answer's fields are
    normalised defensively (a "yes" string, an amount as text)."""
    department = webhook_department("education")
    case = accepted(scenario, "JY-WEBHOOK-2", aid_types=["dibao", "education", "legal"])
    assert case.data["departments"] == ["civil-affairs", "education", "justice"]
    dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs",
                                       "linkage_plan": "民政局牵头；教育局由其业务系统办理"})

    intake = case.open_for("Task_DeptIntake")
    assert sorted(g for t in intake for g in t["candidate_groups"]) == ["dept:civil-affairs", "dept:justice"]
    [got] = department.received
    assert got.json["department"] == "education" and got.json["params"] == {"department": "education"}

    handle(case, "civil-affairs", approved=True, amount=1160)
    handle(case, "justice", approved=False, amount=None, decision="不属于法律援助事项范围")
    assert case.open_tasks() == []  # the summary waits for education's system

    r = answer(live, case, "education", {"approved": "yes", "decision": " 同意发放助学金 ", "amount": "3000"})
    assert r.status_code == 202, r.text
    results = {r["department"]: r for r in case.data["department_results"]}
    assert results["education"] == {"department": "education", "approved": True, "decision": "同意发放助学金",
                                    "amount": 3000.0}
    assert results["civil-affairs"]["amount"] == 1160 and results["justice"]["approved"] is False
    assert sorted(handling_ledger(case)) == sorted(["同意救助", "不属于法律援助事项范围", "同意发放助学金"])
    case.complete("Task_LeadLinkage", {"linkage_summary": "民政局汇总各部门结果"})  # J-COOP: results go to the lead
    assert case.open_tasks() == ["Task_Summary"]


def test_J_DISPATCH_X_WORKERS_malformed_answer_is_not_an_approval_and_an_outage_is_retried_once_dispatched(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """X-WORKERS: the department's system is down at first (503): the dispatch job is retried after
    its backoff with the same idempotency key, and the case is dispatched once. Its answer then has
    no usable fields: it counts as not approved, with no amount and a stated decision."""
    department = webhook_department("hrss")
    department.answers = [(503, {"error": "maintenance"})]
    case = accepted(scenario, "JY-WEBHOOK-3", aid_types=["employment"])
    dispatch(case)
    assert len(department.received) == 1 and case.jobs("department.dispatch") == []
    case.advance(hours=1)  # past the retry backoff
    assert len(department.received) == 2
    assert len({r.headers["Idempotency-Key"] for r in department.received}) == 1
    [job] = case.jobs("department.dispatch")
    assert job["result"]["mode"] == "webhook"
    with case.engine.db.session() as s:
        assert s.scalar(sa.select(sa.func.count(Dispatch.id)).where(Dispatch.instance_id == case.id)) == 1

    r = answer(live, case, "hrss", {"approved": "maybe", "decision": None, "amount": -5})
    assert r.status_code == 202, r.text
    assert case.data["department_results"] == [
        {"department": "hrss", "approved": False, "decision": "不予批准", "amount": None}]
    assert case.open_tasks() == ["Task_Summary"]


def test_J_COOP_two_webhook_departments_of_one_case_each_get_their_own_answer(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """J-COOP: education and justice both answer from their own systems in one case; each signed
    answer reaches only the branch of the department that sent it, whatever the order."""
    education, justice = webhook_department("education"), webhook_department("justice")
    case = accepted(scenario, "JY-WEBHOOK-4", aid_types=["dibao", "education", "legal"])
    dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": "民政局牵头"})
    assert len(education.received) == 1 and len(justice.received) == 1

    r = answer(live, case, "justice", {"approved": False, "decision": "不属于法律援助事项范围"})
    assert r.status_code == 202, r.text
    r = answer(live, case, "justice", {"approved": True, "decision": "again"})
    assert r.status_code == 403  # justice has answered; education's branch is not its to answer
    r = answer(live, case, "education", {"approved": True, "decision": "同意发放助学金", "amount": 3000})
    assert r.status_code == 202, r.text
    handle(case, "civil-affairs", approved=True, amount=1160)

    results = {r["department"]: r for r in case.data["department_results"]}
    assert results["justice"] == {"department": "justice", "approved": False, "decision": "不属于法律援助事项范围",
                                  "amount": None}
    assert results["education"]["decision"] == "同意发放助学金" and results["education"]["amount"] == 3000
    case.complete("Task_LeadLinkage", {"linkage_summary": "民政局汇总各部门结果"})  # J-COOP: results go to the lead
    assert case.open_tasks() == ["Task_Summary"]


def test_J_DISPATCH_W_ROUTE_department_system_refusing_the_case_is_reported_as_its_result(
        scenario: Scenario, webhook_department: Callable[..., OutsideSystem]) -> None:
    """A department system that refuses a dispatched case (HTTP 409: not its matter) does not
    leave the case stuck in an incident: the refusal, with the system's reason, becomes that
    department's (not approved) result, is entered in the ledger, and reaches the summary."""
    department = webhook_department("hrss")
    department.answers.append((409, {"reason": "不属于本部门受理范围"}))
    case = accepted(scenario, "JY-WEBHOOK-5", aid_types=["employment"])
    assert case.data["departments"] == ["hrss"]
    dispatch(case)
    assert len(department.received) == 1
    [result] = case.data["department_results"]
    assert result["department"] == "hrss" and result["approved"] is False and result["amount"] is None
    assert result["decision"].startswith("部门业务系统拒收") and "不属于本部门受理范围" in result["decision"]
    assert handling_ledger(case) == [result["decision"]]
    assert case.reached("Boundary_DeptRefused") and case.open_tasks() == ["Task_Summary"]


def test_W_SUPERVISE_J_T2F_webhook_department_answering_within_its_limit_is_not_supervised(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """121号: “在规定时限内办结”. A webhook department fills no intake form, so its wait carries the
    default limit of 20 working days from the dispatch reaching its system (the worklist form's
    default). Answering before it ends the wait and withdraws the timer: nobody is supervised."""
    webhook_department("hrss")  # no handling_days configured
    case = accepted(scenario, "JY-WEBHOOK-LIMIT-1", aid_types=["employment"])
    dispatch(case)
    [job] = case.jobs("department.dispatch")
    assert job["result"]["handling_days"] is None and case.data["handling_days"] == 20  # the diagram's default
    assert answer_deadlines(case) == [("pending", dt.date(2026, 12, 4))]  # Fri 11-06 + 20 working days

    case.advance(working_days=19)
    assert case.open_tasks() == [] and delay_notices(case) == []
    r = answer(live, case, "hrss", {"approved": True, "decision": "同意公益性岗位安置"})
    assert r.status_code == 202, r.text
    assert answer_deadlines(case) == [("cancelled", dt.date(2026, 12, 4))]
    assert not case.reached("Timer_WebhookDeadline")
    assert case.open_tasks() == ["Task_Summary"] and delay_notices(case) == []
    case.complete("Task_Summary", {"summary": "人社局已安排公益性岗位", "refer": "no"})
    case.advance(working_days=5)  # past the old deadline: nothing is left to fire
    assert case.status == "completed" and delay_notices(case) == []


def test_W_SUPERVISE_webhook_department_silent_beyond_its_configured_limit_is_supervised_and_its_late_answer_counts(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """乌海 附件4 第五条: “社会救助窗口应按相关救助政策规定的时限要求，督办相关申请事项”. The
    department's system does not answer within its configured limit (handling_days: 5 in
    departments.json): a supervision task goes to the supervisor and the applicant gets a delay
    notice; the case keeps waiting, and the late answer still becomes the department's result."""
    webhook_department("hrss", handling_days=5)
    case = accepted(scenario, "JY-WEBHOOK-LIMIT-2", aid_types=["employment"])
    dispatch(case)
    [job] = case.jobs("department.dispatch")
    assert job["result"]["handling_days"] == 5
    assert answer_deadlines(case) == [("pending", dt.date(2026, 11, 13))]  # Fri + 5 working days = next Fri

    case.advance(working_days=4)
    assert case.open_tasks() == []  # not yet due
    case.advance(working_days=1)
    assert answer_deadlines(case) == [("fired", dt.date(2026, 11, 13))]
    assert case.open_tasks() == ["Task_SuperviseHandling"]
    assert case.task("Task_SuperviseHandling")["candidate_groups"] == ["supervisor"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_HandlingDelayNotice"
    [sms] = delay_notices(case)  # in the applicant's SMS outbox
    assert "JY-WEBHOOK-LIMIT-2" in sms and "部门办理已超过法定时限，已启动督办" in sms
    case.complete("Task_SuperviseHandling", {"delay_reason": "部门业务系统升级停机",
                                             "supervision_opinion": "请人社局业务系统三日内回复办理结果",
                                             "efficiency_report": "no"})
    assert case.reached("End_HandlingSupervised")
    assert case.open_tasks() == [] and case.status == "running"  # still waiting for the department

    r = answer(live, case, "hrss", {"approved": True, "decision": "同意公益性岗位安置", "amount": 1500})
    assert r.status_code == 202, r.text
    assert case.data["department_results"] == [
        {"department": "hrss", "approved": True, "decision": "同意公益性岗位安置", "amount": 1500}]
    assert handling_ledger(case) == ["同意公益性岗位安置"]
    assert case.open_tasks() == ["Task_Summary"] and len(delay_notices(case)) == 1


def test_W_SUPERVISE_J_COOP_each_webhook_department_is_supervised_on_its_own_and_an_answer_withdraws_open_supervision(
        scenario: Scenario, live: Client,  # noqa: F811 - the fixture imported above
        webhook_department: Callable[..., OutsideSystem]) -> None:
    """J-COOP with two department systems: education (limit 3 working days) and justice (the
    default 20). Only education's wait runs out, so one supervision and one delay notice; education's
    answer, arriving while its supervision is still open, completes its branch and withdraws that
    supervision (the overdue, supervision and notice stay in the history)."""
    webhook_department("education", handling_days=3)
    webhook_department("justice")
    case = accepted(scenario, "JY-WEBHOOK-LIMIT-3", aid_types=["dibao", "education", "legal"])
    dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": "民政局牵头"})
    handle(case, "civil-affairs", approved=True, amount=1160)
    assert sorted(answer_deadlines(case)) == [("pending", dt.date(2026, 11, 11)),  # Fri + 3 working days
                                              ("pending", dt.date(2026, 12, 4))]

    case.advance(working_days=3)
    assert sorted(answer_deadlines(case)) == [("fired", dt.date(2026, 11, 11)), ("pending", dt.date(2026, 12, 4))]
    assert case.open_tasks() == ["Task_SuperviseHandling"] and len(delay_notices(case)) == 1

    r = answer(live, case, "justice", {"approved": False, "decision": "不属于法律援助事项范围"})
    assert r.status_code == 202, r.text
    assert case.open_tasks() == ["Task_SuperviseHandling"]  # justice's answer is not education's
    r = answer(live, case, "education", {"approved": True, "decision": "同意发放助学金", "amount": 3000})
    assert r.status_code == 202, r.text
    case.complete("Task_LeadLinkage", {"linkage_summary": "民政局汇总各部门结果"})  # J-COOP: results go to the lead
    assert case.open_tasks() == ["Task_Summary"]  # education's supervision withdrawn with its branch
    assert case.reached("Timer_WebhookDeadline") and not case.reached("End_HandlingSupervised")
    assert sorted(state for state, _ in answer_deadlines(case)) == ["cancelled", "fired"]
    results = {r["department"]: r for r in case.data["department_results"]}
    assert results["education"]["amount"] == 3000 and results["justice"]["approved"] is False
    assert len(delay_notices(case)) == 1
