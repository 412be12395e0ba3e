"""Scenarios of the Wuhai one-door process (`wuhai_one_door`): 乌海市社会救助“一门受理、协同办理”
工作机制 with its annexes 1-5 (seeds/wuhai_one_door_mechanism.txt).

Every sequence flow of `wuhai_one_door` is taken by at least one test here. The department
work goes through the shared sub-process `common_department_handling` (its user tasks
Task_DeptIntake and Task_DeptDecision). The calendar starts on Friday 2026-11-06 09:00
(Asia/Shanghai), so that working-day deadlines visibly skip the weekend: 1 working day is
Monday 2026-11-09 17:30, 2 working days Tuesday 2026-11-10 17:30.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.errors import ValidationFailed
from tests.support.form_data import decision_record
from tests.support.scenario import SHANGHAI, Case, Scenario, local, staff

PROCESS = "wuhai_one_door"

FRIDAY = "2026-11-06T09:00:00+08:00"
MONDAY_CLOSE = dt.datetime(2026, 11, 9, 17, 30, tzinfo=SHANGHAI)
TUESDAY_CLOSE = dt.datetime(2026, 11, 10, 17, 30, tzinfo=SHANGHAI)


# ------------------------------------------------------------------ helpers
def registration(**changes: Any) -> dict[str, Any]:
    """A valid W-FORM registration (forms/wuhai/registration.json, Annex 5)."""
    data: dict[str, Any] = {
        "applicant_name": "王桂兰",
        "applicant_phone": "13947312345",
        "applicant_address": "乌海市海勃湾区新华街道滨河社区3号楼2单元",
        "applicant_committee": "滨河社区居委会",
        "reason": "丈夫因病去世，本人无固定收入，生活困难",
        "aid_types": ["dibao"],
        "main_aid_type": "dibao",
        "channel": "window",
    }
    data.update(changes)
    return data


ACCEPT = {"review_outcome": "complete", "accepted_aid_types": ["dibao"], "review_days": 5}
TRANSFER = {"review_decision": "transfer", "temporary_aid_advised": "no",
            "review_opinion": "经审核，该申请人救助事由属实，拟转区民政局办理。", "reviewer_name": "赵审核"}
AGREE = {"leader_decision": "agree"}
FEEDBACK = {"feedback_method": "phone", "feedback_summary": "已电话告知申请人办理结果"}
POSTING = {"posting_place": "滨河社区居委会公示栏", "posting_date": "2026-11-12", "posting_days": 7}





def notices(case: Case, template: str) -> list[dict[str, Any]]:
    return [j["variables"] for j in case.jobs("applicant.notify")
            if j["variables"].get("template") == template]


def ledger(case: Case) -> list[dict[str, Any]]:
    return [j["result"] for j in case.jobs("ledger.record")]


def dispatched(case: Case) -> list[str]:
    return [j["variables"]["department"] for j in case.jobs("department.dispatch")]


def departments_handle(case: Case, decisions: dict[str, bool]) -> None:
    """Each department in `decisions` takes the case (shared sub-process) and decides."""
    for dept in decisions:
        case.complete("Task_DeptIntake", as_group=f"dept:{dept}", data={
            "materials_notice": "请携带户口簿、身份证、收入证明到区政务服务中心窗口",
            "handling_days": 20, "local_verification": "none"})
    for dept, approved in decisions.items():
        decision = {"department_approved": "yes" if approved else "no", **decision_record(approved),
                    "department_decision": f"{dept}：" + ("符合条件，批准救助" if approved else
                                                          "家庭人均收入高于标准，依据《社会救助暂行办法》第九条不予批准")}
        if approved:
            decision["department_amount"] = 600
        case.complete("Task_DeptDecision", as_group=f"dept:{dept}", data=decision)


def start(scenario: Scenario, key: str, **changes: Any) -> Case:
    scenario.at(FRIDAY)
    return scenario.start(PROCESS, registration(**changes), business_key=key)


def reviewed(scenario: Scenario, key: str, review: dict[str, Any] | None = None,
             transfer: dict[str, Any] | None = None, **changes: Any) -> Case:
    """Accepted, reviewed and waiting for the responsible leader."""
    case = start(scenario, key, **changes)
    case.complete("Task_WindowReview", review or ACCEPT)
    case.complete("Task_ReviewRoute", transfer or TRANSFER)
    assert case.open_tasks() == ["Task_LeaderApprove"]
    return case


# ------------------------------------------------------------------ W-FORM
def test_W_FORM_registration_form_requires_name_phone_address_reason(scenario: Scenario) -> None:
    """Annex 5 登记表: 申请人姓名、联系电话、家庭住址、救助事由 — the start form refuses an application
    without them and a phone that is not a mobile number."""
    scenario.at(FRIDAY)
    incomplete = registration()
    del incomplete["reason"]
    with pytest.raises(ValidationFailed):
        scenario.start(PROCESS, incomplete, business_key="WH-FORM-1")
    with pytest.raises(ValidationFailed):
        scenario.start(PROCESS, registration(applicant_phone="12345"), business_key="WH-FORM-2")
    case = scenario.start(PROCESS, registration(), business_key="WH-FORM-3")
    task = case.task("Task_WindowReview")
    assert task["candidate_groups"] == ["window"]
    assert task["form_key"] == "wuhai/window_review.json"


# ------------------------------------------------------------------ W-FLOW: intake outcomes
def test_W_FLOW_not_a_relief_matter_applicant_told_where_to_apply(scenario: Scenario) -> None:
    """Annex 1 / Annex 2 art. 3: 对不属于社会救助的事项，告知申请对象向有关部门申请办理。"""
    case = start(scenario, "WH-0001", reason="拖欠工资")
    case.complete("Task_WindowReview", {"review_outcome": "not_relief",
                                        "redirect_to": "区人社局劳动保障监察大队"})
    assert case.status == "completed"
    assert case.reached("End_NotReliefMatter")
    assert notices(case, "not_relief_matter") == [{"template": "not_relief_matter",
                                                   "message": "区人社局劳动保障监察大队"}]
    assert ledger(case) == [] and dispatched(case) == []


def test_W_FLOW_incomplete_materials_one_time_notice_then_reapplication_is_reviewed_again(
        scenario: Scenario) -> None:
    """Annex 1: 材料不全 → 当场一次性告知申请对象，重新申请;
    Annex 3 art. 2: 对救助办理要求一次性告知当事人。"""
    case = start(scenario, "WH-0002")
    case.complete("Task_WindowReview", {"review_outcome": "incomplete",
                                        "missing_materials": "户口簿、收入证明",
                                        "supplement_days": 10})
    assert case.open_tasks() == []
    assert [n["message"] for n in notices(case, "missing_materials")] == ["户口簿、收入证明"]
    assert ledger(case) == []  # not accepted yet
    case.send_message("supplementary_documents", {"materials": ["户口簿", "收入证明"]})
    assert case.open_tasks() == ["Task_WindowReview"]
    assert case.data["resubmission"] == {"materials": ["户口簿", "收入证明"]}
    case.complete("Task_WindowReview", ACCEPT)
    assert case.open_tasks() == ["Task_ReviewRoute"]
    assert [e["stage"] for e in ledger(case)] == ["acceptance"]


def test_W_FLOW_incomplete_materials_not_resubmitted_by_the_deadline_ends_the_application(
        scenario: Scenario) -> None:
    """Annex 1: 材料不全的重新申请 — if the applicant does not come back within the notified period
    (补证期限, working days), this application ends; nothing was accepted or recorded."""
    case = start(scenario, "WH-0003")
    case.complete("Task_WindowReview", {"review_outcome": "incomplete", "missing_materials": "户口簿",
                                        "supplement_days": 3})
    case.advance(working_days=2)
    assert case.status == "running"
    case.advance(working_days=1)
    assert case.status == "completed"
    assert case.reached("End_NotResubmitted")
    assert ledger(case) == []


# ------------------------------------------------------------------ main path
def test_W_FLOW_W_LEDGER_W_LEADER_W_NOTICE_clear_department_handles_window_feeds_back_posts_and_archives(
        scenario: Scenario) -> None:
    """Annex 1: 材料齐全 → 1个工作日内提交相关救助部门 → 部门办结并反馈受理窗口 → 窗口2个工作日内反馈申请对象
    → 办结，归档. 四“平台管理”: 受理、审核当日录入电子台账. Annex 4 art. 1: 报经分管领导同意后转交.
    六“公开救助”: 批准的在居（村）委会张榜公示."""
    case = start(scenario, "WH-0004")
    case.complete("Task_WindowReview", ACCEPT)
    # the main request (dibao) sets the lead department, pre-filled for the reviewer
    assert case.data["lead_department"] == "civil-affairs"
    case.complete("Task_ReviewRoute", TRANSFER)
    entries = ledger(case)
    assert [e["stage"] for e in entries] == ["acceptance", "review"]
    assert {e["recorded_on"] for e in entries} == {"2026-11-06"}  # the same day (W-LEDGER)
    assert [(e["due_by"], e["late"]) for e in entries] == [("2026-11-06T09:30:00+00:00", False)] * 2
    leader = case.task("Task_LeaderApprove")
    assert leader["candidate_groups"] == ["leader"]
    assert local(leader["due_at"]) == MONDAY_CLOSE  # 1 working day, over the weekend
    assert dispatched(case) == []  # nothing is transferred before the leader agrees
    case.complete("Task_LeaderApprove", AGREE)
    assert dispatched(case) == ["civil-affairs"]
    assert case.open_for("Task_DeptIntake")[0]["candidate_groups"] == ["dept:civil-affairs"]
    departments_handle(case, {"civil-affairs": True})
    feedback = case.task("Task_WindowFeedback")
    assert local(feedback["due_at"]) == TUESDAY_CLOSE  # 2 working days from the result
    assert case.data["department_results"] == [{
        "department": "civil-affairs", "approved": True, "decision": "civil-affairs：符合条件，批准救助",
        "amount": 600}]
    case.complete("Task_WindowFeedback", FEEDBACK)
    assert [n["message"] for n in notices(case, "approved")] == ["已电话告知申请人办理结果"]
    assert notices(case, "refusal") == []
    assert case.task("Task_PublicPosting")["candidate_groups"] == ["village"]
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed"
    assert case.reached("End_Closed")
    assert [e["stage"] for e in ledger(case)] == ["acceptance", "review", "handling", "archive"]


def test_W_LEDGER_an_acceptance_entered_after_office_close_of_its_day_is_marked_late(scenario: Scenario) -> None:
    """四“平台管理”: 受理当日录入电子台账. The ledger worker was down on Friday: the entry made on
    Monday is dated Monday and marked late against Friday 17:30, and the ledger lists it as such."""
    case = start(scenario, "WH-LATE-1")
    window = staff("window")
    task = case.open_for("Task_WindowReview")[0]["id"]
    scenario.engine.claim(task, window)
    scenario.engine.complete(task, ACCEPT, window)  # no worker runs on Friday
    scenario.engine.advance_clock(dt.timedelta(days=3))
    case.run_workers()
    [entry] = ledger(case)
    assert (entry["stage"], entry["recorded_on"], entry["late"]) == ("acceptance", "2026-11-09", True)
    assert entry["due_by"] == "2026-11-06T09:30:00+00:00"  # Friday 17:30 Beijing time
    assert [e.business_key for e in scenario.engine.ledger_for(window, late=True)] == ["WH-LATE-1"]


# ------------------------------------------------------------------ W-URGENT
def test_W_URGENT_urgent_case_is_reviewed_and_transferred_while_documents_are_supplemented(
        scenario: Scenario) -> None:
    """Annex 2 art. 2: 情况紧急的可先行受理，同时出具补证通知书 — accepted and recorded the same day and
    reviewed at once (先行受理 speeds the case up); the documents are awaited on a branch of their own."""
    case = start(scenario, "WH-0005", aid_types=["temporary"], main_aid_type="temporary",
                 reason="家中失火，基本生活暂时出现严重困难")
    case.complete("Task_WindowReview", {"review_outcome": "urgent", "accepted_aid_types": ["temporary"],
                                        "review_days": 2, "missing_materials": "火灾事故认定书",
                                        "supplement_days": 5})
    assert [(e["stage"], e["recorded_on"]) for e in ledger(case)] == [("acceptance", "2026-11-06")]
    assert [n["message"] for n in notices(case, "supplement_required")] == [
        "火灾事故认定书（请于5个工作日内补交）"]
    assert case.open_tasks() == ["Task_ReviewRoute"]  # not held back by the missing document
    assert case.data["lead_department"] == "civil-affairs"
    case.complete("Task_ReviewRoute", TRANSFER)
    case.complete("Task_LeaderApprove", AGREE)
    assert dispatched(case) == ["civil-affairs"]
    case.send_message("supplementary_documents", {"materials": ["火灾事故认定书"]})
    assert case.reached("End_SupplementReceived")
    assert case.open_tasks() == ["Task_DeptIntake"]
    assert not case.reached("End_NoSupplement")


def test_W_URGENT_late_documents_bring_a_reminder_never_a_refusal(
        scenario: Scenario) -> None:
    """The seed has no rule that refuses an urgent case whose documents come late: when the
    补证通知书's days pass the applicant is reminded and the ledger notes it; the case goes on, and
    documents brought after the reminder are still taken."""
    case = start(scenario, "WH-0006")
    case.complete("Task_WindowReview", {"review_outcome": "urgent", "accepted_aid_types": ["dibao"],
                                        "review_days": 5, "missing_materials": "收入证明",
                                        "supplement_days": 5})
    case.complete("Task_ReviewRoute", TRANSFER)
    case.complete("Task_LeaderApprove", AGREE)
    case.advance(working_days=5)
    assert case.status == "running"
    assert case.reached("End_NoSupplement")
    assert notices(case, "refusal") == []
    [reminder] = notices(case, "supplement_reminder")
    assert reminder["message"] == "收入证明"
    assert [e["stage"] for e in ledger(case)] == ["acceptance", "review", "supplement_overdue"]
    assert dispatched(case) == ["civil-affairs"]
    case.send_message("supplementary_documents", {"materials": ["收入证明"]})  # late, still taken
    assert case.reached("End_SupplementReceived")
    departments_handle(case, {"civil-affairs": True})
    case.complete("Task_WindowFeedback", FEEDBACK)
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed" and case.reached("End_Closed")


def test_W_URGENT_W_FLOW_closing_the_case_ends_the_wait_for_documents_that_never_came(scenario: Scenario) -> None:
    """End_Closed terminates: a case handled to its end is closed even if the supplement never came."""
    case = start(scenario, "WH-0006B")
    case.complete("Task_WindowReview", {"review_outcome": "urgent", "accepted_aid_types": ["dibao"],
                                        "review_days": 5, "missing_materials": "收入证明",
                                        "supplement_days": 5})
    case.complete("Task_ReviewRoute", TRANSFER)
    case.complete("Task_LeaderApprove", AGREE)
    departments_handle(case, {"civil-affairs": True})
    case.complete("Task_WindowFeedback", FEEDBACK)
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed" and case.reached("End_Closed")
    assert not case.reached("End_SupplementReceived")


# ------------------------------------------------------------------ W-REFUSE at review
def test_W_REFUSE_review_finds_case_not_acceptable_non_acceptance_notice_with_policy_basis(
        scenario: Scenario) -> None:
    """Annex 3 art. 2: 对不予受理的救助事项，应耐心地进行解释，告知其有关的政策规定，
    发出《不予受理通知书》。"""
    case = start(scenario, "WH-0007")
    case.complete("Task_WindowReview", ACCEPT)
    basis = "申请人家庭人均收入高于本市最低生活保障标准，依据《社会救助暂行办法》第九条不予受理"
    case.complete("Task_ReviewRoute", {"review_decision": "refuse", "review_opinion": "经审核收入超标",
                                       "refusal_basis": basis, "reviewer_name": "赵审核"})
    assert case.status == "completed"
    assert case.reached("End_NotAccepted")
    assert notices(case, "refusal") == [{"template": "refusal", "message": basis}]
    assert [e["stage"] for e in ledger(case)] == ["acceptance", "review", "archive"]
    assert dispatched(case) == []


# ------------------------------------------------------------------ W-LEADER, W-SUPERVISE (transfer)
def test_W_LEADER_leader_disagrees_and_the_case_returns_to_the_window_for_re_review(
        scenario: Scenario) -> None:
    """Annex 4 art. 1: 社会救助受理窗口报经分管领导同意后将社会救助事项转交 — without the leader's agreement
    nothing is transferred; the window reviews again."""
    case = reviewed(scenario, "WH-0008")
    case.complete("Task_LeaderApprove", {"leader_decision": "return", "leader_opinion": "请核实家庭财产情况"})
    assert case.open_tasks() == ["Task_ReviewRoute"]
    assert dispatched(case) == []
    assert case.data["leader_opinion"] == "请核实家庭财产情况"
    case.complete("Task_ReviewRoute", {**TRANSFER, "review_opinion": "已核实财产情况，事由属实"})
    assert [e["stage"] for e in ledger(case)] == ["acceptance", "review", "review"]
    case.complete("Task_LeaderApprove", AGREE)
    assert dispatched(case) == ["civil-affairs"]
    assert [t["candidate_groups"] for t in case.open_for("Task_DeptIntake")] == [["dept:civil-affairs"]]


def test_W_FLOW_W_SUPERVISE_transfer_not_made_within_one_working_day_is_supervised_and_applicant_told(
        scenario: Scenario) -> None:
    """Annex 4 art. 2: 受理审核后1个工作日内装封转出，不得积压;
    Annex 2 art. 4: 对不能按期办理的，查明原因并及时反馈给效能监察部门和申请对象.
    The leader's task stays open."""
    case = reviewed(scenario, "WH-0009")
    case.advance(hours=4)
    assert case.open_tasks() == ["Task_LeaderApprove"]
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_LeaderApprove", "Task_SuperviseTransfer"]
    assert case.task("Task_SuperviseTransfer")["candidate_groups"] == ["supervisor"]
    case.complete("Task_SuperviseTransfer", {"delay_reason": "分管领导外出学习，已督促其返岗后即时审批",
                                             "reported_to_efficiency_office": True})
    assert case.reached("End_TransferSupervised")
    assert [n["message"] for n in notices(case, "delay_notice")] == [
        "分管领导外出学习，已督促其返岗后即时审批"]
    assert case.open_tasks() == ["Task_LeaderApprove"]
    case.complete("Task_LeaderApprove", AGREE)
    assert dispatched(case) == ["civil-affairs"]


# ------------------------------------------------------------------ W-ROUTE
@pytest.mark.parametrize(("main", "lead"), [
    ("dibao", "civil-affairs"), ("tekun", "civil-affairs"), ("disaster", "civil-affairs"),
    ("temporary", "civil-affairs"), ("education", "education"), ("housing", "housing"),
    ("employment", "hrss"), ("medical", "unclear"), ("other", "unclear"),
])
def test_W_TYPES_W_MULTI_main_request_sets_the_lead_department(
        scenario: Scenario, main: str, lead: str) -> None:
    """二（三）2 部门职责 and 五“综合救助”: 以主要请求确定牵头救助部门; medical aid has three responsible
    departments (卫生计生、人社、民政) and other matters none, so both go to the civil affairs bureau."""
    case = start(scenario, f"WH-TYPE-{main}", aid_types=[main], main_aid_type=main)
    case.complete("Task_WindowReview", {**ACCEPT, "accepted_aid_types": [main]})
    assert case.data["lead_department"] == lead


def test_W_ROUTE_W_REFUSE_unclear_department_civil_affairs_convenes_and_non_approval_is_notified(
        scenario: Scenario) -> None:
    """三“规范流程”: 救助部门不明确的，转给民政局办理;
    二（三）4: 区民政局收到救助部门不明确的转办件，应及时召集相关部门研究办理.
    Annex 3 art. 2: 不予批准的发出通知书并告知政策规定; nothing is publicly posted."""
    case = reviewed(scenario, "WH-0010", aid_types=["medical"], main_aid_type="medical",
                    review={**ACCEPT, "accepted_aid_types": ["medical"]})
    assert case.data["lead_department"] == "unclear"
    case.complete("Task_LeaderApprove", AGREE)
    assert dispatched(case) == ["civil-affairs"]
    assert case.task("Task_CivilAffairsConvene")["candidate_groups"] == ["dept:civil-affairs"]
    case.complete("Task_CivilAffairsConvene", {"convened_departments": ["health", "hrss", "civil-affairs"],
                                               "convene_outcome": "decided", "lead_department": "health",
                                               "convene_minutes": "经研究，由区卫生计生局牵头办理医疗救助"})
    assert dispatched(case) == ["civil-affairs", "health"]
    departments_handle(case, {"health": False})
    case.complete("Task_WindowFeedback", {"feedback_method": "in_person", "feedback_summary": "已当面解释"})
    [refusal] = notices(case, "refusal")
    assert refusal["message"].startswith("已当面解释；不予批准事项及政策依据：")
    assert "《社会救助暂行办法》第九条" in refusal["message"]
    assert notices(case, "approved") == []
    assert case.status == "completed" and case.reached("End_Closed")
    assert not case.reached("Task_PublicPosting")
    assert ledger(case)[-1]["stage"] == "archive"


def test_W_ROUTE_special_case_reported_to_the_district_leading_group(scenario: Scenario) -> None:
    """二（三）4: 特殊情况报请区“一门受理、协同办理”工作领导小组研究办理."""
    case = reviewed(scenario, "WH-0011", aid_types=["other"], main_aid_type="other",
                    review={**ACCEPT, "accepted_aid_types": ["other"]})
    case.complete("Task_LeaderApprove", AGREE)
    case.complete("Task_CivilAffairsConvene", {"convene_outcome": "special",
                                               "convene_minutes": "涉及多部门职责交叉，报请区领导小组"})
    assert case.task("Task_LeadingGroup")["candidate_groups"] == ["joint-meeting"]
    case.complete("Task_LeadingGroup", {"lead_department": "housing", "group_decision": "由区住建局牵头办理"})
    assert dispatched(case) == ["civil-affairs", "housing"]
    assert [t["candidate_groups"] for t in case.open_for("Task_DeptIntake")] == [["dept:housing"]]


# ------------------------------------------------------------------ W-MULTI
def test_W_MULTI_W_NOTICE_lead_department_notifies_co_handling_department_results_posted_and_refused(
        scenario: Scenario) -> None:
    """五“综合救助”: 提出多种救助请求的，以主要请求确定牵头救助部门转办;
    二（三）3: 作为牵头承办部门的，要及时通知相关部门共同办理.
    The approved request is posted, the refused one gets a non-approval notice."""
    case = reviewed(scenario, "WH-0012", aid_types=["housing", "education"], main_aid_type="housing",
                    review={**ACCEPT, "accepted_aid_types": ["housing", "education"]})
    case.complete("Task_LeaderApprove", AGREE)
    assert case.task("Task_LeadCoordinate")["candidate_groups"] == ["dept:housing"]
    assert dispatched(case) == []
    case.complete("Task_LeadCoordinate", {"has_co_departments": "yes", "co_departments": ["education"],
                                          "coordination_note": "子女教育救助请区教育局共同办理"})
    assert case.data["handling_departments"] == ["housing", "education"]
    assert sorted(dispatched(case)) == ["education", "housing"]
    departments_handle(case, {"housing": True, "education": False})
    # W-FLOW (Annex 4 art. 4): each department's result is fed back by the window as it arrives
    assert case.open_tasks() == ["Task_WindowDeptFeedback", "Task_WindowDeptFeedback"]
    for _ in range(2):
        case.complete("Task_WindowDeptFeedback", {"dept_feedback_method": "phone",
                                                  "dept_feedback_summary": "已电话告知本部门办理结果"})
    assert sorted((r["department"], r["approved"]) for r in case.data["department_results"]) == [
        ("education", False), ("housing", True)]
    case.complete("Task_WindowFeedback", FEEDBACK)
    assert len(notices(case, "approved")) == 1
    [refusal] = notices(case, "refusal")
    assert "education：家庭人均收入高于标准" in refusal["message"]
    assert case.open_tasks() == ["Task_PublicPosting"]
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed" and case.reached("End_Closed")


def test_W_MULTI_request_meeting_temporary_aid_conditions_applicant_told_and_helped_to_apply(
        scenario: Scenario) -> None:
    """五“综合救助”: 对受理审查的非临时救助申请，符合临时救助条件的，要告知并帮助申请临时救助 — the temporary
    aid request is added and handled by civil affairs beside the lead department."""
    case = reviewed(scenario, "WH-0013", aid_types=["education"], main_aid_type="education",
                    review={**ACCEPT, "accepted_aid_types": ["education"]},
                    transfer={**TRANSFER, "temporary_aid_advised": "yes"})
    assert len(notices(case, "temporary_aid_advice")) == 1
    case.complete("Task_LeaderApprove", AGREE)
    assert case.data["aid_types"] == ["education", "temporary"]
    assert case.data["handling_departments"] == ["education", "civil-affairs"]
    assert sorted(dispatched(case)) == ["civil-affairs", "education"]


def test_W_MULTI_lead_department_handles_several_requests_alone(scenario: Scenario) -> None:
    """二（三）3: 作为唯一承办部门的，要按规定及时办理 — both requests belong to civil affairs."""
    case = reviewed(scenario, "WH-0014", aid_types=["dibao", "temporary"], main_aid_type="dibao",
                    review={**ACCEPT, "accepted_aid_types": ["dibao", "temporary"]})
    case.complete("Task_LeaderApprove", AGREE)
    case.complete("Task_LeadCoordinate", {"has_co_departments": "no"})
    assert case.data["handling_departments"] == ["civil-affairs"]
    assert dispatched(case) == ["civil-affairs"]


# ------------------------------------------------------------------ W-SUPERVISE (feedback)
def test_W_FLOW_W_SUPERVISE_feedback_not_given_within_two_working_days_is_supervised(
        scenario: Scenario) -> None:
    """Annex 4 art. 4: 社会救助窗口应在接到办理结果2个工作日内反馈给申请对象; art. 5/7 督办;
    Annex 2 art. 4: 查明原因并及时反馈给效能监察部门和申请对象. The feedback task stays open."""
    case = reviewed(scenario, "WH-0015")
    case.complete("Task_LeaderApprove", AGREE)
    departments_handle(case, {"civil-affairs": True})
    assert local(case.task("Task_WindowFeedback")["due_at"]) == TUESDAY_CLOSE
    case.advance(working_days=2)
    assert sorted(case.open_tasks()) == ["Task_SuperviseFeedback", "Task_WindowFeedback"]
    case.complete("Task_SuperviseFeedback", {"delay_reason": "申请人电话无法接通，已上门送达",
                                             "supervision_measures": "限当日反馈"})
    assert case.reached("End_FeedbackSupervised")
    assert [n["message"] for n in notices(case, "delay_notice")] == ["申请人电话无法接通，已上门送达"]
    case.complete("Task_WindowFeedback", FEEDBACK)
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed" and case.reached("End_Closed")
