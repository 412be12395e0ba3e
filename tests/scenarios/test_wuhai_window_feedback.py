"""Wuhai: the window feeds back, per department, and tells the applicant of delays (W-FLOW,
W-SUPERVISE, W-FIRST; Annex 4 art. 4 「接到办理结果２个工作日内反馈给申请对象」, 二(三)
「由社会救助受理窗口统一反馈给救助申请人」).

In the shared department sub-process, `feedback_via_window` (set in Wuhai's Script_StatutoryLimits)
routes each department's result to a window task whose clock (`feedback_days`) starts from that
department's own completion, not from the slowest department's; and a department that passes its
limit does not write to the applicant: the window tells the applicant while supervision starts."""

from __future__ import annotations

import sqlalchemy as sa

from engine.calendar import add_working_days
from engine.store.models import Instance
from tests.scenarios.test_wuhai import ACCEPT, AGREE, FEEDBACK, POSTING, TRANSFER, notices, reviewed
from tests.support.form_data import decision_record
from tests.support.scenario import Case, Scenario, local

INTAKE = {"materials_notice": "", "handling_days": 20, "local_verification": "none"}
DEPT_FEEDBACK = {"dept_feedback_method": "phone", "dept_feedback_summary": "已电话告知住房救助的批准结果"}


def multi(scenario: Scenario, key: str) -> Case:
    case = reviewed(scenario, key, aid_types=["housing", "education"], main_aid_type="housing",
                    review={**ACCEPT, "accepted_aid_types": ["housing", "education"]})
    case.complete("Task_LeaderApprove", AGREE)
    case.complete("Task_LeadCoordinate", {"has_co_departments": "yes", "co_departments": ["education"],
                                          "coordination_note": "子女教育救助请区教育局共同办理"})
    for dept in ("housing", "education"):
        case.complete("Task_DeptIntake", as_group=f"dept:{dept}", data=INTAKE)
    return case


def test_W_FLOW_J_T2F_each_department_result_fed_back_by_the_window_from_its_own_completion(
        scenario: Scenario) -> None:
    """Housing decides first; its result goes to the window at once, due 2 working days after housing's
    completion while education is still deciding, and is supervised when the window lets it pass."""
    case = multi(scenario, "WH-FB-1")
    decided_at = case.engine.clock.now()
    case.complete("Task_DeptDecision", as_group="dept:housing", data={
        "department_approved": "yes", "department_decision": "符合条件，批准住房救助", "department_amount": 600,
        **decision_record(True)})
    [feedback] = case.open_for("Task_WindowDeptFeedback")
    assert feedback["candidate_groups"] == ["window"]
    assert local(feedback["due_at"]) == local(add_working_days(decided_at, 2))
    assert "Task_DeptDecision" in case.open_tasks()  # education has not decided: the clock runs anyway
    assert notices(case, "department_result") == []  # the department does not write to the applicant
    case.advance(working_days=2)
    assert "Task_SuperviseDeptFeedback" in case.open_tasks()
    case.complete("Task_SuperviseDeptFeedback", {"delay_reason": "窗口人员外出", "supervision_opinion": "当日反馈"})
    case.complete("Task_WindowDeptFeedback", DEPT_FEEDBACK)
    case.complete("Task_DeptDecision", as_group="dept:education", data={
        "department_approved": "no", "department_decision": "家庭人均收入高于标准，不予批准",
        **decision_record(False)})
    case.complete("Task_WindowDeptFeedback", {**DEPT_FEEDBACK, "dept_feedback_summary": "已告知教育救助不予批准及理由"})
    case.complete("Task_WindowFeedback", FEEDBACK)  # the combined feedback once every department is done
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed"


def test_W_FLOW_W_SUPERVISE_W_EFFICIENCY_a_late_department_is_announced_by_the_window_and_supervised(
        scenario: Scenario) -> None:
    """The department's limit passes: supervision starts and the window (not the department's system
    notice) tells the applicant, both at once; the department still decides afterwards."""
    case = reviewed(scenario, "WH-DELAY-1", review=ACCEPT, transfer=TRANSFER)
    case.complete("Task_LeaderApprove", AGREE)
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={**INTAKE, "handling_days": 1})
    case.advance(working_days=1, hours=1)
    assert {"Task_WindowDelayNotice", "Task_SuperviseHandling", "Task_DeptDecision"} <= set(case.open_tasks())
    assert case.task("Task_WindowDelayNotice")["candidate_groups"] == ["window"]
    assert notices(case, "delay_notice") == []  # no direct notice from the department's branch
    case.complete("Task_WindowDelayNotice", {"delay_notice_method": "phone",
                                             "delay_notice_summary": "民政局入户核查未完成，预计下周办结"})
    assert case.reached("End_WindowDelayNotified")
    case.complete("Task_SuperviseHandling", {"delay_reason": "入户核查人手不足", "supervision_opinion": "三日内办结",
                                             "efficiency_report": "reported"})
    # W-EFFICIENCY (Annex 4 art. 7): the report to 效能监察 is followed by its outcome, recorded in a
    # case of its own (it may come after the department's decision, which ends this branch)
    assert case.reached("End_EfficiencyReported")
    report = efficiency_case(scenario, "WH-DELAY-1-EFF-civil-affairs")
    assert report.data["delay_reason"] == "入户核查人手不足" and report.data["department"] == "civil-affairs"
    assert report.task("Task_EfficiencyOutcome")["candidate_groups"] == ["supervisor"]
    recorded = {e.input["element"]: e.input["data"] for e in case.history() if e.command == "complete_task"}
    assert recorded["Task_SuperviseHandling"]["delay_reason"] == "入户核查人手不足"
    case.complete("Task_DeptDecision", as_group="dept:civil-affairs", data={
        "department_approved": "yes", "department_decision": "符合条件，批准", "department_amount": 500,
        **decision_record(True)})
    assert case.open_tasks() == ["Task_WindowFeedback"]  # one department: no separate per-department feedback


def efficiency_case(scenario: Scenario, key: str) -> Case:
    """The efficiency-supervision outcome case (workflows/supervision/) a report started."""
    with scenario.engine.db.reading() as s:
        instance_id = s.scalar(sa.select(Instance.id).where(Instance.process_key == "efficiency_outcome",
                                                            Instance.business_key == key))
    assert instance_id is not None, f"no efficiency_outcome case {key}"
    return Case(scenario, instance_id)


def test_W_EFFICIENCY_the_report_and_its_outcome_survive_a_department_that_decides_first(
        scenario: Scenario) -> None:
    """Issue 11: the supervisor reports the late department to 效能监察; the department then
    decides before the office's outcome comes. The department's branch ends (its open
    supervision withdrawn), yet the report stays and its outcome is recorded afterwards."""
    case = reviewed(scenario, "WH-EFF-1", review=ACCEPT, transfer=TRANSFER)
    case.complete("Task_LeaderApprove", AGREE)
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={**INTAKE, "handling_days": 1})
    case.advance(working_days=1, hours=1)
    case.complete("Task_SuperviseHandling", {"delay_reason": "系统故障两日", "supervision_opinion": "尽快办结",
                                             "efficiency_report": "reported"})
    case.complete("Task_DeptDecision", as_group="dept:civil-affairs", data={
        "department_approved": "yes", "department_decision": "符合条件，批准", "department_amount": 500,
        **decision_record(True)})
    assert "Task_EfficiencyOutcome" not in case.open_tasks()
    report = efficiency_case(scenario, "WH-EFF-1-EFF-civil-affairs")
    assert report.status == "running" and report.open_tasks() == ["Task_EfficiencyOutcome"]
    assert report.data["delay_reason"] == "系统故障两日" and report.data["subject_case"] == "WH-EFF-1"
    report.complete("Task_EfficiencyOutcome", {"efficiency_outcome": "admonition",
                                               "efficiency_outcome_date": "2026-11-20",
                                               "efficiency_outcome_note": "效能办对经办科室负责人诫勉谈话"})
    assert report.status == "completed" and report.reached("End_Recorded")
    assert report.data["efficiency_outcome"] == "admonition"
