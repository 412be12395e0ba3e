"""Scenarios of the public posting (`public_posting`, workflows/posting/): J-PUBLIC (Jiangyin
121号 三(二)3, 五2) and T-VILLAGE (Tengzhou 三(一)2: the village posts publicly and helps
with the 调查评议). The result is posted for posting_days (7 calendar days, the last one
moved to a working day); an objection in that period becomes an investigation task for the
township, supervised after objection_days working days.

Every sequence flow of `public_posting` is taken by a test here. The clock starts on Monday
2026-11-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.scenario import Case, Scenario, local

PROCESS = "public_posting"


def posting(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"subject_case": "JY-2026-0001", "applicant_name": "郑梅", "household_size": 3,
                            "item": "最低生活保障", "amount": "每月 620 元", "village_name": "澄江街道城中社区",
                            "public_assessment": "no"}
    data.update(changes)
    return data


POST = {"posting_place": "城中社区居委会公示栏", "posting_date": "2026-11-02"}
UNFOUNDED = {"objection_founded": "no", "objection_findings": "入户核实：申请人家庭收入与申报一致，异议不成立"}


def objection(case: Case, text: str = "该户有一辆小轿车，不应享受低保") -> None:
    case.send_message("posting_objection", {"text": text, "channel": "phone"}, as_group="window")


def test_T_VILLAGE_assessment_then_posting_an_unfounded_objection_and_the_period_ends(scenario: Scenario) -> None:
    """T-VILLAGE / J-PUBLIC: the village records its 调查评议 (date, participants, result) and
    posts the result; an objection in the period becomes the township's investigation task;
    found unfounded, the posting goes on until the period ends and its outcome is recorded."""
    case = scenario.start(PROCESS, posting(public_assessment="yes"), "GS-1")
    assert case.task("Task_PublicAssessment")["candidate_groups"] == ["village"]
    case.complete("Task_PublicAssessment", {
        "assessment_date": "2026-11-02", "assessment_participants": "村民代表 7 人、驻村干部 1 人",
        "assessment_result": "agree", "assessment_record": "7 人同意，无人反对"})
    assert case.task("Task_PostNotice")["candidate_groups"] == ["village"]
    case.complete("Task_PostNotice", POST)
    ends = local(case.data["posting_due_at"])
    # 2-8 November; the 8th is a Sunday, so the period ends on Monday the 9th at office close
    assert (ends.date(), ends.hour, ends.minute) == (dt.date(2026, 11, 9), 17, 30)
    objection(case)
    assert case.data["objection"]["text"].startswith("该户有一辆小轿车")
    assert case.task("Task_InvestigateObjection")["candidate_groups"] == ["township"]
    case.complete("Task_InvestigateObjection", UNFOUNDED)
    assert case.open_tasks() == [] and case.status == "running"
    case.advance(days=7)  # Monday the 9th, 09:00: the period's last day
    assert case.open_tasks() == [], "not before the period ends"
    case.advance(hours=9)
    case.complete("Task_PostingOutcome", {"posting_outcome": "objections_unfounded",
                                           "posting_note": "收到异议 1 件，经调查不成立"})
    assert case.status == "completed" and case.reached("End_Posted")


def test_J_PUBLIC_a_founded_objection_sends_the_result_back(scenario: Scenario) -> None:
    """J-PUBLIC: an objection found true ends the posting: the result goes back for a new review."""
    case = scenario.start(PROCESS, posting(), "GS-2")
    assert case.open_tasks() == ["Task_PostNotice"]
    case.complete("Task_PostNotice", POST)
    objection(case)
    case.complete("Task_InvestigateObjection", {"objection_founded": "yes",
                                                 "objection_findings": "核实该户有未申报的经营收入"})
    assert case.status == "completed" and case.reached("End_Revoked") and not case.reached("End_Posted")


def test_J_PUBLIC_an_objection_investigation_past_its_working_days_is_supervised(scenario: Scenario) -> None:
    """J-PUBLIC / X-TIMERS: the township investigates within objection_days (5 working days),
    else the supervisor follows it up; the period that ended meanwhile closes at once after."""
    case = scenario.start(PROCESS, posting(), "GS-3")
    case.complete("Task_PostNotice", POST)
    objection(case)
    case.advance(working_days=5)
    assert sorted(case.open_tasks()) == ["Task_InvestigateObjection", "Task_SuperviseObjection"]
    case.complete("Task_SuperviseObjection", {"delay_reason": "异议人联系不上", "supervision_opinion": "两日内查清"})
    case.complete("Task_InvestigateObjection", UNFOUNDED)
    case.advance(hours=0.1)
    assert case.open_tasks() == ["Task_PostingOutcome"]
