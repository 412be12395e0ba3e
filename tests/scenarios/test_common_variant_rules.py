"""The shared department sub-process takes its variant's rule on contacting the applicant
(`department_contacts_applicant`, set in each variant's Script_StatutoryLimits) instead of imposing
Jiangyin's (POLICY_AUDIT §1.4): only in Jiangyin does the department tell the applicant which
materials to bring and where (J-COOP, DB32/T 4012-2021 5.4); in Tengzhou nothing is asked again
(T-ONCE 最多跑一次) and in Wuhai the window feeds back (W-FLOW 由受理窗口统一反馈)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationFailed
from tests.scenarios import test_tengzhou as tz
from tests.scenarios import test_wuhai as wh
from tests.scenarios.test_jiangyin import accepted, dispatch
from tests.support.scenario import Scenario


def _guides(case: Any) -> list[dict[str, Any]]:
    return [j for j in case.jobs("applicant.notify") if j["variables"].get("template") == "materials_guide"]


def test_J_COOP_the_jiangyin_department_must_tell_the_applicant_materials_and_place(scenario: Scenario) -> None:
    case = accepted(scenario, "JY-RULE-COOP")
    dispatch(case)
    with pytest.raises(ValidationFailed) as missing:
        case.complete("Task_DeptIntake", as_group="dept:civil-affairs",
                      data={"handling_days": 20, "local_verification": "none"})
    assert "materials_notice" in str(missing.value.details)
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs", data={
        "materials_notice": "请携带户口簿到市民政局", "handling_days": 20, "local_verification": "none"})
    [guide] = _guides(case)
    assert guide["element"] == "Service_NotifyMaterials"


def test_T_ONCE_tengzhou_departments_ask_the_applicant_for_nothing(scenario: Scenario) -> None:
    """三(二)2 “只要通过数据平台能够获取的信息，不再让当事人提供”: the department's intake has no
    materials notice and the applicant gets no request to bring anything."""
    tz.seed_three_person_household(scenario)
    case = scenario.start(tz.PROCESS, tz.application(tz.ZHANG, "张桂兰"), business_key="TZ-RULE-ONCE")
    case.complete("Task_SignCommitment", tz.SIGNED)
    tz.assess_eligible(case, ["dibao"], ["civil-affairs"])
    case.complete("Task_DeptIntake", {"handling_days": 20, "local_verification": "none"})
    assert _guides(case) == [] and not case.reached("Service_NotifyMaterials")
    assert case.open_tasks() == ["Task_DeptDecision"]


def test_W_FLOW_wuhai_departments_leave_contact_with_the_applicant_to_the_window(scenario: Scenario) -> None:
    """附件1 and 二(三)5: departments return their result to the window, which feeds back (由受理窗口统一反馈)."""
    case = wh.reviewed(scenario, "WH-RULE-WINDOW")
    case.complete("Task_LeaderApprove", wh.AGREE)
    case.complete("Task_DeptIntake", as_group="dept:civil-affairs",
                  data={"handling_days": 20, "local_verification": "none"})
    assert _guides(case) == [] and not case.reached("Service_NotifyMaterials")
    assert case.open_tasks() == ["Task_DeptDecision"]


def _department_results(case: Any) -> list[dict[str, Any]]:
    return [j for j in case.jobs("applicant.notify") if j["variables"].get("template") == "department_result"]


def test_J_T2F_each_jiangyin_department_feeds_back_at_its_own_completion(scenario: Scenario) -> None:
    """121号 三(二)3: the *department* feeds back 「在办结完成2日内」 — counted from its own completion, not
    from the slowest department's: the first department's result reaches the applicant while the other
    is still handling."""
    from tests.scenarios.test_jiangyin import handle

    case = accepted(scenario, "JY-RULE-T2F", aid_types=["dibao", "education"])
    dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "civil-affairs", "linkage_plan": "民政局牵头"})
    handle(case, "education", approved=True, amount=3000)
    [first] = _department_results(case)
    assert first["variables"]["message"] == "同意救助" and first["element"] == "Service_NotifyDeptResult"
    assert "Task_DeptIntake" in case.open_tasks()  # civil affairs still handling
    handle(case, "civil-affairs", approved=False, decision="家庭收入超过低保标准")
    assert [n["variables"]["message"] for n in _department_results(case)] == ["同意救助", "家庭收入超过低保标准"]


def test_W_FLOW_T_ONCE_departments_elsewhere_leave_the_result_to_the_window_or_centre(scenario: Scenario) -> None:
    case = wh.reviewed(scenario, "WH-RULE-RESULT")
    case.complete("Task_LeaderApprove", wh.AGREE)
    wh.departments_handle(case, {"civil-affairs": True})
    assert _department_results(case) == [] and case.open_tasks() == ["Task_WindowFeedback"]
