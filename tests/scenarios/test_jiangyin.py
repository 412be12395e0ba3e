"""Scenarios of the Jiangyin one-door process (J-FLOW: DB32/T 4012-2021 图1 and 澄政发〔2018〕121号)
and of the shared department-handling sub-process `common_department_handling`.

Every sequence flow of `jiangyin_one_door` and of `common_department_handling` is taken by
at least one test here. The calendar starts on Friday 2026-11-06 09:00 (Asia/Shanghai), so
that "2 working days" visibly skips the weekend: the deadline is Tuesday 2026-11-10 17:30.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.errors import ValidationFailed
from engine.forms.validators import cn_id_check_digit
from tests.support.form_data import TOWNSHIP_CHECK, VILLAGE_VISIT, decision_record
from tests.support.scenario import Case, Scenario, local

PROCESS = "jiangyin_one_door"

FRIDAY = "2026-11-06T09:00:00+08:00"
_ID17 = "32028119850315123"
APPLICANT_ID = _ID17 + cn_id_check_digit(_ID17)


def application(**changes: Any) -> dict[str, Any]:
    """A valid start form (forms/jiangyin/application.json)."""
    data: dict[str, Any] = {
        "channel": "window",
        "applicant_name": "张秀英",
        "applicant_id_number": APPLICANT_ID,
        "applicant_phone": "13912345678",
        "applicant_address": "江阴市澄江街道人民路8号",
        "aid_types": ["dibao"],
        "reason": "丈夫去世，本人患病无收入",
    }
    data.update(changes)
    return data





def notices(case: Case, template: str) -> list[dict[str, Any]]:
    return [j for j in case.jobs("applicant.notify") if j["variables"].get("template") == template]


def accepted(scenario: Scenario, key: str, urgent: str = "no", **changes: Any) -> Case:
    """A case whose materials are complete and which the county centre found eligible."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(**changes), business_key=key)
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    case.complete("Task_Accept", {"eligible": "yes", "urgent": urgent})
    return case


def dispatch(case: Case) -> None:
    """The centre confirms the departments the item list (DMN) suggested; the form is pre-filled."""
    case.complete("Task_Dispatch", {"dispatch_route": "dispatch", "departments": case.data["departments"]})


def handle(case: Case, department: str, approved: bool = True, amount: float | None = 800,
           verification: str = "none", handling_days: int = 20, decision: str | None = None) -> None:
    """The department's whole handling in common_department_handling, as its own staff."""
    group = f"dept:{department}"
    case.complete("Task_DeptIntake", as_group=group, data={
        "materials_notice": "请携带户口簿、身份证、收入证明到澄江街道便民服务中心3号窗口",
        "handling_days": handling_days, "local_verification": verification})
    if verification == "village":
        case.complete("Task_VillageReport", {**VILLAGE_VISIT, "village_report": "入户调查：家中无劳动力，情况属实"})
    if verification in ("village", "township"):
        case.complete("Task_TownshipReport", {**TOWNSHIP_CHECK, "township_report": "核查属实，同意上报"})
    decide(case, department, approved, amount, decision)


def decide(case: Case, department: str, approved: bool = True, amount: float | None = 800,
           decision: str | None = None) -> None:
    default = "同意救助" if approved else "不符合救助条件：家庭收入超过标准"
    data: dict[str, Any] = {"department_approved": "yes" if approved else "no",
                            "department_decision": decision or default, **decision_record(approved)}
    if approved and amount is not None:
        data["department_amount"] = amount
    case.complete("Task_DeptDecision", as_group=f"dept:{department}", data=data)


# ---------------------------------------------------------------------------- intake


def test_J_CH_start_form_checks_id_number_and_phone(scenario: Scenario) -> None:
    """5.1 申请人诉求信息录入社会救助相关业务系统 — the intake form refuses a wrong ID number or a phone
    that is neither a mobile nor a fixed line with its area code, before any case exists (X-FORMS, J-SEC)."""
    wrong_check = "0" if cn_id_check_digit(_ID17) != "0" else "1"
    with pytest.raises(ValidationFailed) as bad_id:
        scenario.start(PROCESS, application(applicant_id_number=_ID17 + wrong_check), "JY-BAD-1")
    assert "applicant_id_number" in str(bad_id.value.details)
    with pytest.raises(ValidationFailed) as bad_phone:
        scenario.start(PROCESS, application(applicant_phone="8612345"), "JY-BAD-2")  # no area code
    assert "applicant_phone" in str(bad_phone.value.details)


def test_J_ONCE_incomplete_materials_get_one_time_notice_and_are_never_refused(scenario: Scenario) -> None:
    """澄政发〔2018〕121号 三(二)1: “对于申请材料不齐全的，要一次性告知……服务窗口应按规定予以受理，不得推诿。”
    The window lists every missing document in one notice; the case waits for the supplement and is
    reviewed again — it is never refused for missing materials."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(channel="online"), business_key="JY-ONCE-1")
    assert case.jobs("ledger.record")[0]["variables"] == {"stage": "registration", "summary": "online"}
    assert case.task("Task_CheckMaterials")["candidate_groups"] == ["window"]

    missing = "1. 户口簿复印件；2. 近6个月收入证明；3. 医院诊断证明"
    case.complete("Task_CheckMaterials", {"materials_complete": "no", "missing_materials": missing})
    [notice] = notices(case, "missing_materials")
    assert notice["variables"]["message"] == missing
    assert case.open_tasks() == []
    assert case.status == "running"
    assert not notices(case, "refusal") and not case.reached("End_Refused")

    case.send_message("supplementary_documents", {"documents": ["户口簿复印件", "收入证明", "诊断证明"]})
    assert case.data["supplement"]["documents"][0] == "户口簿复印件"
    assert case.open_tasks() == ["Task_CheckMaterials"]
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    assert case.open_tasks() == ["Task_Accept"]
    assert case.task("Task_Accept")["candidate_groups"] == ["county-centre"]
    assert len(notices(case, "missing_materials")) == 1


def test_J_ACCEPT_ineligible_application_refused_with_reason_told_to_applicant(scenario: Scenario) -> None:
    """DB32/T 4012-2021 5.2: “经初步分析研判，不符合救助条件的应及时告知申请人并说明理由”; the 2018
    opinion: “对不符合救助条件的申请，书面通知申请人并说明理由”. A 12345 hotline application."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(channel="hotline", hotline_ticket="12345-2026-110601"),
                          business_key="JY-REFUSE-1")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    reason = "家庭人均月收入1500元，高于本市最低生活保障标准1160元"
    case.complete("Task_Accept", {"eligible": "no", "refusal_reason": reason})

    [notice] = notices(case, "refusal")
    assert notice["variables"]["message"] == reason
    assert notice["result"]["channel"] == "sms"
    assert [j["variables"]["stage"] for j in case.jobs("ledger.record")] == ["registration", "refused"]
    assert case.reached("End_Refused")
    assert case.status == "completed"
    assert case.jobs("department.dispatch") == []


# ---------------------------------------------------------------------------- dispatch


def test_J_DISPATCH_J_DEPTS_clear_single_department_dispatched_handled_and_fed_back(
        scenario: Scenario) -> None:
    """5.3: “对实施主体明确的救助申请，县（市、区）社会救助中心将救助申请派单至相应的县（市、区）主管部门”;
    121号 四1: 民政部门负责最低生活保障、临时救助; 5.4: 主管部门“应告知申请人携带相关材料前往相应地点办理”;
    5.6 办结汇总 (J-SUMMARY); 三(二)3: 办结完成2日内将处理结果反馈救助申请人; 6.1.2.2 全程跟踪、电子归档
    (J-TRACK: registration, handling and archive in the ledger)."""
    case = accepted(scenario, "JY-SINGLE-1", channel="grid", grid_worker="王网格",
                    aid_types=["dibao", "temporary"])
    assert case.data["aid_departments"] == ["civil-affairs", "civil-affairs"]
    assert case.data["departments"] == ["civil-affairs"]
    assert case.data["dispatch_route"] == "dispatch"
    task = case.task("Task_Dispatch")
    assert task["candidate_groups"] == ["county-centre"]
    assert local(task["due_at"]).date() == dt.date(2026, 11, 10)  # J-T2: Fri + 2 working days = Tue

    dispatch(case)
    [job] = case.jobs("department.dispatch")
    assert job["variables"]["department"] == "civil-affairs"
    assert job["result"]["department"] == "civil-affairs"
    assert case.task("Task_DeptIntake")["candidate_groups"] == ["dept:civil-affairs"]

    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={
        "materials_notice": "请携带户口簿、身份证到市民政局社会救助科", "handling_days": 20,
        "local_verification": "none"})
    [guide] = notices(case, "materials_guide")
    assert guide["variables"]["message"] == "请携带户口簿、身份证到市民政局社会救助科"
    assert case.open_tasks() == ["Task_DeptDecision"]
    decide(case, "civil-affairs", approved=True, amount=1160)
    handling = [j for j in case.jobs("ledger.record") if j["variables"]["stage"] == "handling"]
    assert handling and handling[0]["variables"]["summary"] == "同意救助"
    assert case.data["department_results"] == [
        {"department": "civil-affairs", "approved": True, "decision": "同意救助", "amount": 1160}]
    assert case.open_tasks() == ["Task_Summary"]

    case.complete("Task_Summary", {"summary": "经民政局审核，自12月起享受最低生活保障每月1160元",
                                   "refer": "no"})
    [result] = notices(case, "result")
    assert result["variables"]["message"].startswith("经民政局审核")
    assert [j["variables"]["stage"] for j in case.jobs("ledger.record")][-1] == "archive"
    assert not case.reached("Service_Referral")
    assert case.reached("End_Completed")
    assert case.status == "completed"


def test_J_T2_W_SUPERVISE_dispatch_not_made_within_two_working_days_is_supervised(scenario: Scenario) -> None:
    """121号 三(二)2: “对实施主体明确的救助申请，服务窗口在2个工作日内，办理申请转办手续”. When the
    deadline passes, supervision is opened and the applicant is told; the dispatch task stays open."""
    case = accepted(scenario, "JY-T2-1")
    case.advance(working_days=1)
    assert case.open_tasks() == ["Task_Dispatch"]
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_Dispatch", "Task_SuperviseDispatch"]
    assert case.task("Task_SuperviseDispatch")["candidate_groups"] == ["supervisor"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_DelayNoticeDispatch"

    case.complete("Task_SuperviseDispatch", {"delay_reason": "派单人员外出培训",
                                             "supervision_opinion": "请中心当日完成派单"})
    assert case.reached("End_DispatchSupervised")
    dispatch(case)
    assert [j["variables"]["department"] for j in case.jobs("department.dispatch")] == ["civil-affairs"]
    assert case.open_tasks() == ["Task_DeptIntake"]


def test_J_DISPATCH_unclear_body_goes_to_joint_meeting_which_declines_with_reason_and_refers(
        scenario: Scenario) -> None:
    """5.3: “对实施主体尚不明确、无相关救助政策、无法转办的，应及时提交同级社会救助联席会议或联络员会议
    进行研究处理”;
    121号 三(二)2: “对申请对象需要公益慈善社会组织提供服务或帮助的，服务窗口要及时提供转介服务”."""
    case = accepted(scenario, "JY-MEETING-1", aid_types=["other"])
    assert case.data["departments"] == []
    assert case.data["unmapped_aid_types"] == ["other"]
    assert case.data["dispatch_route"] == "joint_meeting"
    case.complete("Task_Dispatch", {"dispatch_route": "joint_meeting"})
    assert case.open_tasks() == ["Task_JointMeeting"]
    assert case.task("Task_JointMeeting")["candidate_groups"] == ["joint-meeting"]

    reason = "所述困难不属于现行社会救助政策范围"
    case.complete("Task_JointMeeting", {"meeting_decision": "decline", "decline_reason": reason,
                                        "refer": "yes", "referral_organisation": "江阴市慈善总会",
                                        "referral_reason": "子女教育支出大，建议慈善项目帮扶"})
    [refusal] = notices(case, "refusal")
    assert refusal["element"] == "Service_NotifyDecline"
    assert refusal["variables"]["message"] == reason
    [referral] = case.jobs("referral.dispatch")
    assert referral["variables"] == {"organisation": "江阴市慈善总会",
                                     "reason": "子女教育支出大，建议慈善项目帮扶"}
    assert case.jobs("department.dispatch") == []
    assert case.reached("End_Completed") and case.status == "completed"


def test_J_COOP_several_departments_get_linkage_plan_and_parallel_handling(scenario: Scenario) -> None:
    """5.4: “如涉及两个（含）以上主管部门共同办理的救助事项……由社会救助联席会议办公室牵头，
    明确救助事项的实施主体以及联动救助方案，委托县（市、区）社会救助中心派单至相应部门联动办理”;
    121号 五1: 政府救助后仍有后续困难的家庭，协调转介……实施补充性救助 (J-REFER). The centre summarises
    every department's result (J-SUMMARY)."""
    case = accepted(scenario, "JY-COOP-1", aid_types=["dibao", "education", "legal"])
    assert case.data["departments"] == ["civil-affairs", "education", "justice"]
    dispatch(case)
    assert case.open_tasks() == ["Task_LinkagePlan"]
    assert case.task("Task_LinkagePlan")["candidate_groups"] == ["joint-meeting"]
    assert case.jobs("department.dispatch") == []
    plan = "民政局牵头低保审核；教育局办理助学金；司法局提供法律援助"
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": plan})

    intake = case.open_for("Task_DeptIntake")
    assert sorted(g for t in intake for g in t["candidate_groups"]) == [
        "dept:civil-affairs", "dept:education", "dept:justice"]
    assert sorted(j["variables"]["department"] for j in case.jobs("department.dispatch")) == [
        "civil-affairs", "education", "justice"]

    handle(case, "education", approved=True, amount=3000, verification="township")
    handle(case, "justice", approved=False, amount=None, decision="不属于法律援助事项范围")
    assert case.open_tasks() == ["Task_DeptIntake"]  # the summary waits for every department
    handle(case, "civil-affairs", approved=True, amount=1160)

    results = {r["department"]: r for r in case.data["department_results"]}
    assert results == {
        "education": {"department": "education", "approved": True, "decision": "同意救助",
                      "amount": 3000},
        "justice": {"department": "justice", "approved": False, "decision": "不属于法律援助事项范围",
                    "amount": None},
        "civil-affairs": {"department": "civil-affairs", "approved": True, "decision": "同意救助",
                          "amount": 1160},
    }
    # 横向联动: the departments' results go to the lead department the plan named, then to the centre
    assert case.open_tasks() == ["Task_LeadLinkage"]
    assert case.task("Task_LeadLinkage")["candidate_groups"] == ["dept:civil-affairs"]
    case.complete("Task_LeadLinkage", {"linkage_summary": "低保、助学金已批准，法律援助不属受理范围，已告知"})
    assert case.open_tasks() == ["Task_Summary"]
    case.complete("Task_Summary", {"summary": "低保、助学金已批准；法律援助不予批准（不属于事项范围）",
                                   "refer": "yes", "referral_organisation": "江阴市红十字会",
                                   "referral_reason": "低保后仍有大额医疗支出"})
    [referral] = case.jobs("referral.dispatch")
    assert referral["variables"]["organisation"] == "江阴市红十字会"
    assert case.reached("End_Completed") and case.status == "completed"


def test_J_URGENT_emergency_case_goes_straight_to_joint_meeting_which_assigns_one_department(
        scenario: Scenario) -> None:
    """121号 三(三)1: “通过各相关部门、单位共同参与的急难个案会商机制，及时通报交流工作情况，
    会办解决急难问题”."""
    case = accepted(scenario, "JY-URGENT-1", urgent="yes", aid_types=["temporary"])
    assert case.open_tasks() == ["Task_JointMeeting"]
    assert not case.reached("Rule_AidDepartment") and not case.reached("Task_Dispatch")
    case.complete("Task_JointMeeting", {"meeting_decision": "assign", "departments": ["civil-affairs"],
                                        "meeting_minutes": "急难个案会商：由民政局先行临时救助"})
    assert [j["variables"]["department"] for j in case.jobs("department.dispatch")] == ["civil-affairs"]
    handle(case, "civil-affairs", approved=True, amount=None, decision="先行给予临时救助物资")
    assert case.data["department_results"][0]["amount"] is None
    case.complete("Task_Summary", {"summary": "已先行给予临时救助物资", "refer": "no"})
    assert case.status == "completed"


def test_J_URGENT_J_COOP_joint_meeting_assigns_several_departments_after_unclear_dispatch(
        scenario: Scenario) -> None:
    """5.3 and 5.4: the joint meeting studies an application whose implementing body is unclear and names
    several departments; its office then sets the linkage plan and every department handles in parallel."""
    case = accepted(scenario, "JY-MEETING-2", aid_types=["dibao", "other"])
    assert case.data["departments"] == ["civil-affairs"]
    assert case.data["dispatch_route"] == "joint_meeting"  # "other" has no implementing body
    case.complete("Task_Dispatch", {"dispatch_route": "joint_meeting"})
    case.complete("Task_JointMeeting", {"meeting_decision": "assign",
                                        "departments": ["civil-affairs", "red-cross"]})
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs",
                                       "linkage_plan": "民政局牵头，红十字会人道救助"})
    handle(case, "red-cross", approved=True, amount=5000)
    handle(case, "civil-affairs", approved=True, amount=1160)
    assert sorted(r["department"] for r in case.data["department_results"]) == ["civil-affairs", "red-cross"]
    case.complete("Task_LeadLinkage", {"linkage_summary": "民政局汇总：低保及人道救助均已批准"})
    case.complete("Task_Summary", {"summary": "低保及红十字人道救助已批准", "refer": "no"})
    assert case.status == "completed"


# ---------------------------------------------------------------------------- department handling


def test_J_REPORT_village_survey_and_township_check_report_up_to_the_department(scenario: Scenario) -> None:
    """5.5: “各村（社区）、乡镇（街道）、县（市、区）部门相关人员办结事项后，
    应将办理结果反馈至县（市、区）主管部门”
    (纵向贯通). A refusal by the department is fed back with its reason (三(二)3)."""
    case = accepted(scenario, "JY-REPORT-1", aid_types=["housing"])
    dispatch(case)
    case.complete("Task_DeptIntake", as_group="dept:housing", data={
        "materials_notice": "请携带房屋权属证明到市住建局", "handling_days": 20,
        "local_verification": "village"})
    assert case.open_tasks() == ["Task_VillageReport"]
    assert case.task("Task_VillageReport")["candidate_groups"] == ["village"]
    case.complete("Task_VillageReport", {**VILLAGE_VISIT, "village_report": "入户查看：房屋为危房"})
    assert case.open_tasks() == ["Task_TownshipReport"]
    assert case.task("Task_TownshipReport")["candidate_groups"] == ["township"]
    case.complete("Task_TownshipReport", {**TOWNSHIP_CHECK, "township_report": "核查属实，已拍照留档"})
    assert case.open_tasks() == ["Task_DeptDecision"]
    decide(case, "housing", approved=False, decision="已享受过住房救助，五年内不得重复申请")
    refusal = "已享受过住房救助，五年内不得重复申请"
    assert case.data["department_results"] == [
        {"department": "housing", "approved": False, "decision": refusal, "amount": None}]
    assert case.data["village_report"] == "入户查看：房屋为危房"
    case.complete("Task_Summary", {"summary": "住建局不予批准：" + refusal, "refer": "no"})
    [result] = notices(case, "result")
    assert "不予批准" in result["variables"]["message"]
    assert case.status == "completed"


def test_J_T2F_W_SUPERVISE_department_beyond_statutory_limit_is_supervised(scenario: Scenario) -> None:
    """121号 三(二)3: “对符合条件的申请，在规定时限内办结”. The limit (handling_days working days from the
    department's acceptance) runs out: supervision is opened and the applicant told; the decision
    stays open."""
    case = accepted(scenario, "JY-LIMIT-1", aid_types=["employment"])
    dispatch(case)
    case.complete("Task_DeptIntake", as_group="dept:hrss", data={
        "materials_notice": "请携带就业失业登记证到市人社局", "handling_days": 5,
        "local_verification": "none"})
    due = case.task("Task_DeptDecision")["due_at"]
    assert local(due).date() == dt.date(2026, 11, 13)  # Fri + 5 working days = next Fri
    case.advance(working_days=5)
    assert sorted(case.open_tasks()) == ["Task_DeptDecision", "Task_SuperviseHandling"]
    assert case.task("Task_SuperviseHandling")["candidate_groups"] == ["supervisor"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_HandlingDelayNotice"
    case.complete("Task_SuperviseHandling", {"delay_reason": "部门经办人病假",
                                             "supervision_opinion": "请人社局三日内办结", "efficiency_report": "no"})
    assert case.reached("End_HandlingSupervised")
    assert case.open_tasks() == ["Task_DeptDecision"]
    decide(case, "hrss", approved=True, amount=None, decision="同意公益性岗位安置")
    assert case.open_tasks() == ["Task_Summary"]


def test_J_T2F_department_decision_withdraws_supervision_still_open(scenario: Scenario) -> None:
    """Once the department decides, its result goes back to the centre at once; a supervision that is still
    open is withdrawn (the overdue, the supervision and the delay notice stay in the history)."""
    case = accepted(scenario, "JY-LIMIT-2", aid_types=["medical"])
    dispatch(case)
    case.complete("Task_DeptIntake", as_group="dept:medical-security", data={
        "materials_notice": "请携带住院发票到市医保局", "handling_days": 3, "local_verification": "none"})
    case.advance(working_days=3)
    assert sorted(case.open_tasks()) == ["Task_DeptDecision", "Task_SuperviseHandling"]
    decide(case, "medical-security", approved=True, amount=4200)
    assert case.open_tasks() == ["Task_Summary"]
    assert case.data["department_results"][0]["amount"] == 4200
    assert len(notices(case, "delay_notice")) == 1


def test_J_T2F_feedback_not_given_within_two_working_days_of_completion_is_supervised(
        scenario: Scenario) -> None:
    """121号 三(二)3: “在办结完成2日内将处理结果反馈救助申请人和服务窗口”."""
    case = accepted(scenario, "JY-FEEDBACK-1", aid_types=["disability"])
    dispatch(case)
    handle(case, "disabled-federation", approved=True, amount=600)
    summary = case.task("Task_Summary")
    assert summary["candidate_groups"] == ["county-centre"]
    assert local(summary["due_at"]).date() == dt.date(2026, 11, 10)
    case.advance(working_days=2)
    assert sorted(case.open_tasks()) == ["Task_Summary", "Task_SuperviseFeedback"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_DelayNoticeFeedback"
    case.complete("Task_SuperviseFeedback", {"delay_reason": "汇总人员外出",
                                             "supervision_opinion": "请中心立即反馈申请人"})
    assert case.reached("End_FeedbackSupervised")
    case.complete("Task_Summary", {"summary": "残联已批准残疾人帮扶每月600元", "refer": "no"})
    assert notices(case, "result")
    assert case.status == "completed"
