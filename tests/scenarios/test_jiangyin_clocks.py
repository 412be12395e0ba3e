"""Statutory clocks of the Jiangyin one-door process that the first diagrams left unarmed
(../shared/POLICY_AUDIT.md §1.1 and §3): the window's material check and the centre's 初步研判
(J-TIMELY), and the 2-working-day transfer limit counted from acceptance over every step before
the departments get the case (J-T2): 初步研判, 分类派单 and the linkage plan (J-COOP).

All limits come from one script task, `Script_StatutoryLimits` (check_days, transfer_days,
feedback_days). Cases start on Friday 2026-11-06 09:00, so 2 working days end on Tuesday."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.test_jiangyin import FRIDAY, PROCESS, accepted, application, dispatch, notices
from tests.support.scenario import Scenario, local


def test_J_TIMELY_window_material_check_beyond_one_working_day_is_supervised(scenario: Scenario) -> None:
    """DB32/T 4012-2021 6.2.2: “工作人员应及时处理申请诉求”. The window has check_days (1) working
    day to review the materials; then supervision opens and the check stays open."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(), business_key="JY-CLOCK-CHECK")
    assert case.data["check_days"] == 1
    assert local(case.task("Task_CheckMaterials")["due_at"]).date() == dt.date(2026, 11, 9)  # Fri + 1 = Mon
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_CheckMaterials", "Task_SuperviseMaterials"]
    assert case.task("Task_SuperviseMaterials")["candidate_groups"] == ["supervisor"]
    case.complete("Task_SuperviseMaterials", {"delay_reason": "窗口人员请假，无人审查",
                                              "supervision_opinion": "请窗口当日审查完毕"})
    assert case.reached("End_MaterialsSupervised")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    assert case.open_tasks() == ["Task_Accept"]


def test_J_T2_J_TIMELY_transfer_clock_starts_at_acceptance_and_covers_preliminary_analysis(
        scenario: Scenario) -> None:
    """121号 三(二)2: “服务窗口在2个工作日内，办理申请转办手续” — counted from acceptance (材料齐全受理),
    not from the moment the dispatch task opens: a 初步研判 that takes the whole limit is supervised,
    and the applicant told with the limit's own number."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(), business_key="JY-CLOCK-ACCEPT")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    assert local(case.task("Task_Accept")["due_at"]).date() == dt.date(2026, 11, 10)
    case.advance(working_days=2)
    assert sorted(case.open_tasks()) == ["Task_Accept", "Task_SuperviseDispatch"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_DelayNoticeDispatch"
    assert delay["variables"]["message"] == "救助申请受理后超过2个工作日尚未转办，已启动督办"


def test_J_T2_dispatch_opened_late_keeps_the_deadline_counted_from_acceptance(scenario: Scenario) -> None:
    """The centre's analysis took one working day: the dispatch task is still due on Tuesday (the
    same 2 working days from acceptance), not on Wednesday."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(), business_key="JY-CLOCK-LATE")
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    case.advance(hours=72)  # Monday 09:00
    case.complete("Task_Accept", {"eligible": "yes", "urgent": "no"})
    assert local(case.task("Task_Dispatch")["due_at"]).date() == dt.date(2026, 11, 10)


def test_J_T2_J_COOP_linkage_plan_beyond_transfer_limit_is_supervised(scenario: Scenario) -> None:
    """5.4: with two or more departments the real hand-off waits for the joint-meeting office's linkage
    plan, so the plan runs against the same transfer limit; overdue → supervision and delay notice."""
    case = accepted(scenario, "JY-CLOCK-PLAN", aid_types=["dibao", "education"])
    dispatch(case)
    assert local(case.task("Task_LinkagePlan")["due_at"]).date() == dt.date(2026, 11, 10)
    case.advance(working_days=2)
    assert sorted(case.open_tasks()) == ["Task_LinkagePlan", "Task_SuperviseDispatch"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_DelayNoticeDispatch"
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": "民政局牵头"})
    assert len(case.open_for("Task_DeptIntake")) == 2


def test_J_T2_joint_meeting_decision_restarts_the_transfer_limit(scenario: Scenario) -> None:
    """An unclear case becomes clear only when the joint meeting names the departments; from then the
    centre has transfer_days again for the linkage plan and dispatch."""
    case = accepted(scenario, "JY-CLOCK-MEETING", aid_types=["other"])
    case.complete("Task_Dispatch", {"dispatch_route": "joint_meeting"})
    case.advance(working_days=3)  # the meeting takes its time (no limit in the seeds): Wed 17:31
    case.complete("Task_JointMeeting", {"meeting_decision": "assign",
                                        "departments": ["civil-affairs", "education"]})
    due = local(case.task("Task_LinkagePlan")["due_at"])
    assert due > local(case.engine.clock.now()) and due.date() == dt.date(2026, 11, 13)  # Wed after close + 2 = Fri
