"""Scenarios of the emergency report (`emergency_report`, workflows/emergency/): J-EMERGENCY
(Jiangyin 121号 三(一)3: a third party — neighbour, 12345 caller, grid worker — reports someone
in an emergency, and that starts a case without a full application) and J-AGENT (三(一)2:
assistants and grid workers apply on someone's behalf; agent and person both recorded).

Every sequence flow of `emergency_report` is taken by a test here. The clock starts on Monday
2026-11-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationFailed
from tests.support.scenario import Scenario

PROCESS = "emergency_report"


def report(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"reporter_type": "neighbour", "reporter_name": "陈大姐", "reporter_phone": "13912345678",
                            "person_location": "澄江街道南街 12 号", "agent_application": "no",
                            "situation": "独居老人摔倒在家，无人照料，家中断炊两天"}
    data.update(changes)
    return data


VISIT = {"situation_confirmed": "yes", "person_name": "黄老伯", "visit_record": "属实：独居，无收入，已送医"}


def test_J_EMERGENCY_a_neighbours_report_starts_a_case_without_an_application(scenario: Scenario) -> None:
    """J-EMERGENCY: what a neighbour knows is enough (no ID number, no aid types): the township
    checks on site, the centre gives immediate aid, and no application follows when none is needed."""
    case = scenario.start(PROCESS, report(), "JN-1")
    assert "applicant_id_number" not in case.data and "aid_types" not in case.data
    task = case.task("Task_Visit")
    assert task["candidate_groups"] == ["township"] and task["due_at"] is not None
    case.complete("Task_Visit", VISIT)
    assert case.task("Task_ImmediateAid")["candidate_groups"] == ["county-centre"]
    case.complete("Task_ImmediateAid", {"immediate_aid": "临时救助金和一周口粮", "immediate_aid_amount": 800,
                                         "needs_application": "no"})
    assert case.status == "completed" and case.reached("End_Aided")


def test_J_AGENT_a_grid_worker_reports_and_applies_on_the_persons_behalf(scenario: Scenario) -> None:
    """J-AGENT / J-EMERGENCY: a grid worker reporting as agent (帮办代理): agent and person are
    both recorded, and the window registers the application the emergency leads to."""
    case = scenario.start(PROCESS, report(reporter_type="grid", reporter_name="网格员周强", agent_application="yes",
                                          agent_role="grid", person_name="黄老伯"), "JN-2")
    data = case.data
    assert (data["reporter_name"], data["agent_application"], data["agent_role"], data["person_name"]) == (
        "网格员周强", "yes", "grid", "黄老伯")
    case.complete("Task_Visit", VISIT)
    case.complete("Task_ImmediateAid", {"immediate_aid": "临时救助金", "needs_application": "yes"})
    case.complete("Task_HelpApply", {"application_key": "JY-2026-0077"})
    assert case.reached("End_Applied") and case.data["application_key"] == "JY-2026-0077"


def test_J_EMERGENCY_a_report_found_untrue_ends_and_a_late_visit_is_supervised(scenario: Scenario) -> None:
    """J-EMERGENCY / X-TIMERS: not checked within visit_days (1 working day): supervised; a
    report found untrue ends without aid."""
    case = scenario.start(PROCESS, report(reporter_type="hotline"), "JN-3")
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_SuperviseVisit", "Task_Visit"]
    case.complete("Task_SuperviseVisit", {"delay_reason": "地址不详", "supervision_opinion": "联系报告人确认地址"})
    case.complete("Task_Visit", dict(VISIT, situation_confirmed="no", visit_record="老人已由子女接走照料"))
    assert case.reached("End_NotConfirmed") and not case.reached("Task_ImmediateAid")


def test_J_EMERGENCY_a_report_names_where_and_what(scenario: Scenario) -> None:
    """J-EMERGENCY: a report without the place or the situation is refused, naming the fields."""
    with pytest.raises(ValidationFailed) as err:
        scenario.start(PROCESS, report(person_location="", situation=""), "JN-4")
    assert {"person_location", "situation"} <= set(err.value.details["fields"])
