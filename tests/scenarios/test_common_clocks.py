"""The department's statutory limit runs while the village and township checks of 纵向贯通 are open
(POLICY_AUDIT §1.1, §2.4): `common_department_handling` arms the same due time (handling_due_at)
on `Task_VillageReport` and `Task_TownshipReport`, so a check that never comes back is supervised.
Driven through the Jiangyin process (Friday 2026-11-06 09:00; 3 working days end on Wednesday)."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.test_jiangyin import accepted, decide, dispatch, notices
from tests.support.form_data import TOWNSHIP_CHECK, VILLAGE_VISIT
from tests.support.scenario import Case, Scenario, local


def _intake(case: Case, verification: str) -> None:
    case.complete("Task_DeptIntake", as_group="dept:housing", data={
        "materials_notice": "请携带房屋权属证明到市住建局", "handling_days": 3,
        "local_verification": verification})


def test_J_REPORT_W_SUPERVISE_village_survey_past_the_department_limit_is_supervised(scenario: Scenario) -> None:
    """5.5 纵向贯通 and 121号 三(二)3 “在规定时限内办结”: the village survey is part of the department's
    handling, so its limit (3 working days here) is armed on the survey too."""
    case = accepted(scenario, "JY-CLOCK-VILLAGE", aid_types=["housing"])
    dispatch(case)
    _intake(case, "village")
    assert local(case.task("Task_VillageReport")["due_at"]).date() == dt.date(2026, 11, 11)
    case.advance(working_days=3)
    assert sorted(case.open_tasks()) == ["Task_SuperviseVerification", "Task_VillageReport"]
    assert case.task("Task_SuperviseVerification")["candidate_groups"] == ["supervisor"]
    case.complete("Task_SuperviseVerification", {"delay_reason": "村委会换届，调查人员未到位",
                                                 "supervision_opinion": "请村委会两日内完成入户调查",
                                                 "reported_to_efficiency_office": True,
                                                 "efficiency_outcome": "效能办约谈村委会主任"})
    assert case.reached("End_VerificationSupervised")
    assert case.open_tasks() == ["Task_VillageReport"]
    case.complete("Task_VillageReport", {**VILLAGE_VISIT, "village_report": "入户查看：房屋为危房"})
    case.advance(hours=1)  # the township check opens already overdue: supervised at once
    assert sorted(case.open_tasks()) == ["Task_SuperviseVerification", "Task_TownshipReport"]


def test_J_REPORT_township_check_past_the_limit_is_supervised_and_decision_withdraws_it(
        scenario: Scenario) -> None:
    """A township check that never comes back is supervised; once the department decides, the open
    supervision is withdrawn with the rest of the department's branch (terminate end)."""
    case = accepted(scenario, "JY-CLOCK-TOWNSHIP", aid_types=["housing"])
    dispatch(case)
    _intake(case, "township")
    case.advance(working_days=3)
    assert sorted(case.open_tasks()) == ["Task_SuperviseVerification", "Task_TownshipReport"]
    assert notices(case, "delay_notice") == []  # the applicant is told when the decision step is overdue
    case.complete("Task_TownshipReport", {**TOWNSHIP_CHECK, "township_report": "核查属实"})
    case.advance(hours=1)
    assert sorted(case.open_tasks()) == ["Task_DeptDecision", "Task_SuperviseHandling", "Task_SuperviseVerification"]
    [delay] = notices(case, "delay_notice")
    assert delay["element"] == "Service_HandlingDelayNotice"
    decide(case, "housing", approved=True, amount=20000)
    assert case.open_tasks() == ["Task_Summary"]
