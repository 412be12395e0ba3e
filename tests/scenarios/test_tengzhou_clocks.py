"""Tengzhou 限时办理 (T-ONCE): 滕政发〔2021〕3号 三(二)1 “建立首问负责、一次性告知、限时办理等制度”
gives no numbers, so every step a person must take before and after the departments has a limit
set once in `Script_StatutoryLimits` (sign_days, collect_days, dedup_days, assess_days,
feedback_days); an overdue step is supervised, the applicant told, and the step
stays open (POLICY_AUDIT §3: no limit on signing, collection, duplicates or 反馈)."""

from __future__ import annotations

from typing import Any

from tests.scenarios.test_tengzhou import (
    PROCESS,
    SIGNED,
    ZHANG,
    application,
    assess_eligible,
    departments_handle,
    notice,
    seed_three_person_household,
)


def _supervised(case: Any, step_task: str) -> None:
    assert sorted(case.open_tasks()) == sorted([step_task, "Task_Supervise"])
    assert notice(case, "Service_NotifyDelay")["message"] == (
        "您的申请办理已超过规定时限，市社会救助综合服务中心正在督办")
    case.complete("Task_Supervise", {"supervision_action": "reported", "delay_reason": "人手不足",
                                     "supervision_opinion": "限期办结", "efficiency_outcome": "通报批评"})
    assert case.reached("End_Supervised") and case.open_tasks() == [step_task]


def test_T_ONCE_signing_the_commitment_beyond_one_working_day_is_supervised(scenario: Any) -> None:
    seed_three_person_household(scenario)
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰"), business_key="TZ-CLOCK-SIGN")
    assert case.data["sign_days"] == 1
    case.advance(working_days=1)
    _supervised(case, "Task_SignCommitment")


def test_T_ONCE_household_collection_beyond_five_working_days_is_supervised(scenario: Any) -> None:
    """The platform has nothing on the household: the village collects it by hand (入户调查), limited too."""
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰"), business_key="TZ-CLOCK-COLLECT")
    assert case.open_tasks() == ["Task_CollectHousehold"]
    case.advance(working_days=4)
    assert case.open_tasks() == ["Task_CollectHousehold"]
    case.advance(working_days=1)
    _supervised(case, "Task_CollectHousehold")


def test_T_ONCE_T_DEDUP_resolving_duplicates_beyond_one_working_day_is_supervised(scenario: Any) -> None:
    seed_three_person_household(scenario, granted_aid=[{"aid_type": "dibao", "since": "2025-07-01"}])
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰", aid_types=["dibao", "medical"]),
                          business_key="TZ-CLOCK-DEDUP")
    case.complete("Task_SignCommitment", SIGNED)
    assert case.open_tasks() == ["Task_ResolveDuplicates"]
    case.advance(working_days=1)
    _supervised(case, "Task_ResolveDuplicates")


def test_T_ONCE_T_LINK_feedback_summary_beyond_two_working_days_is_supervised(scenario: Any) -> None:
    """三(二)4 “规范办理时限，加强结果跟踪”: the city centre's 汇总反馈 after the departments is limited."""
    seed_three_person_household(scenario)
    case = scenario.start(PROCESS, application(ZHANG, "张桂兰"), business_key="TZ-CLOCK-FEEDBACK")
    case.complete("Task_SignCommitment", SIGNED)
    assess_eligible(case, ["dibao"], ["civil-affairs"])
    departments_handle(case, {"civil-affairs": {"approved": True, "decision": "同意低保", "amount": 900}})
    assert case.open_tasks() == ["Task_Summarise"]
    case.advance(working_days=2)
    _supervised(case, "Task_Summarise")
    case.complete("Task_Summarise", {"summary_opinion": "低保每月900元", "service_need": "no"})
    assert case.status == "completed"
