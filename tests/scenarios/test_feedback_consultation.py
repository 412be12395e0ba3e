"""Scenarios of the consultation process (`consultation`, workflows/feedback/): J-CONSULT
(Jiangyin 5.1.1-5.1.3: every channel takes consultations, recorded, answered and turned into
an application when asked) and W-CONSULT (Wuhai Annex 3 art. 3: whoever takes a phone enquiry
is its first-question person; a matter that is not social relief is told where to go).

Every sequence flow of `consultation` is taken by a test here. The clock starts on Monday
2026-11-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from engine.store.models import HumanTask
from tests.support.scenario import Case, Scenario

PROCESS = "consultation"


def consultation(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"consult_channel": "phone", "consulter_name": "刘女士", "consulter_phone": "0510-86123456",
                            "question": "母亲瘫痪在床，家里能申请什么救助？需要什么材料？"}
    data.update(changes)
    return data


def answer(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"consult_matter": "relief", "wants_to_apply": "no", "hot_issue": "no",
                            "answer_text": "可申请低保和残疾人两项补贴；请带户口簿、身份证、残疾证到街道窗口。"}
    data.update(changes)
    return data


def completed_by(case: Case, bpmn_id: str) -> str | None:
    with case.engine.db.reading() as s:
        return s.scalar(sa.select(HumanTask.assignee).where(
            HumanTask.instance_id == case.id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "completed"))


@pytest.mark.parametrize("channel", ["window", "phone", "online", "hotline"])
def test_J_CONSULT_every_channel_records_and_answers_a_consultation(scenario: Scenario, channel: str) -> None:
    """J-CONSULT / W-CONSULT: a consultation from each channel is recorded with its channel and
    the first-question person (the signed-in clerk who took it), and answered by the window
    within one working day."""
    case = scenario.start(PROCESS, consultation(consult_channel=channel), f"ZX-{channel}", actor="clerk-liu")
    assert case.instance.started_by == "clerk-liu" and case.data["consult_channel"] == channel
    task = case.task("Task_AnswerConsultation")
    assert task["candidate_groups"] == ["window"] and task["due_at"] is not None
    case.complete("Task_AnswerConsultation", answer())
    assert case.status == "completed" and case.reached("End_Answered")
    assert completed_by(case, "Task_AnswerConsultation") == "user-window"


def test_W_CONSULT_a_matter_that_is_not_social_relief_is_told_where_to_go(scenario: Scenario) -> None:
    """W-CONSULT: not a social-relief matter: the answer names the department to ask."""
    case = scenario.start(PROCESS, consultation(question="小区物业乱收费怎么办？"), "ZX-NR")
    case.complete("Task_AnswerConsultation", answer(consult_matter="not_relief", referred_to="区住建局物业科",
                                                    answer_text="该事项不属于社会救助，请向区住建局物业科反映"))
    assert case.reached("End_Referred") and case.data["referred_to"] == "区住建局物业科"


def test_J_CONSULT_a_consultation_becomes_an_application_when_the_person_asks(scenario: Scenario) -> None:
    """J-CONSULT: the person asks to apply: the window registers the application and the
    consultation records its number."""
    case = scenario.start(PROCESS, consultation(consult_channel="window"), "ZX-APPLY")
    case.complete("Task_AnswerConsultation", answer(wants_to_apply="yes"))
    assert case.task("Task_RegisterApplication")["candidate_groups"] == ["window"]
    case.complete("Task_RegisterApplication", {"application_key": "JY-2026-0042"})
    assert case.reached("End_Applied") and case.data["application_key"] == "JY-2026-0042"


def test_W_ESCALATE_a_hot_issue_raised_in_a_consultation_is_reported_to_the_leader(scenario: Scenario) -> None:
    """W-ESCALATE: a hot issue of wide concern is reported to the responsible leader."""
    case = scenario.start(PROCESS, consultation(question="多户反映本村低保名单不公开"), "ZX-HOT")
    case.complete("Task_AnswerConsultation", answer(hot_issue="yes"))
    assert case.task("Task_ReportLeader")["candidate_groups"] == ["leader"]
    case.complete("Task_ReportLeader", {"leader_instruction": "请街道民政办一周内在各村张榜公示"})
    assert case.reached("End_Reported")


def test_J_CONSULT_an_unanswered_consultation_is_supervised_after_a_working_day(scenario: Scenario) -> None:
    """J-CONSULT / X-TIMERS: not answered within answer_days (1 working day): supervised, and
    the answer task stays open."""
    case = scenario.start(PROCESS, consultation(), "ZX-LATE")
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_AnswerConsultation", "Task_SuperviseConsultation"]
    case.complete("Task_SuperviseConsultation",
                  {"delay_reason": "需向区民政局核实政策", "supervision_opinion": "当日答复"})
    assert case.open_tasks() == ["Task_AnswerConsultation"]
