"""Every statutory clock of REQUIREMENTS.md is armed in the deployed diagrams as a working-day
timer (X-TIMERS): the element that enforces it, the task it watches, its expression, and the
number the requirement states, read from the one script that sets the variant's limits
(`Script_StatutoryLimits`). docs/MODELLING.md "Statutory limits" is the same table in prose.

Read from the diagrams as deployed (the definitions' stored BPMN), on each database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from engine.service import Engine
from tests.support.requirements import requirement_text
from tests.support.scenario import Scenario

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


@dataclass(frozen=True)
class Clock:
    requirement: str
    process: str
    timer: str
    task: str
    expression: str
    limit: str | None = None  # the variable of Script_StatutoryLimits that holds the number
    days: int | None = None   # its value
    stated: str | None = None  # regex on the requirement's text that states the number


CLOCKS = [
    # Jiangyin: 121号 三(二)2 transfer, counted from acceptance over every step before the departments
    Clock("J-T2", "jiangyin_one_door", "Timer_AcceptDeadline", "Task_Accept", "transfer_due_at",
          "transfer_days", 2, r"within (\d+) working days"),
    Clock("J-T2", "jiangyin_one_door", "Timer_DispatchDeadline", "Task_Dispatch", "transfer_due_at",
          "transfer_days", 2, r"within (\d+) working days"),
    Clock("J-T2", "jiangyin_one_door", "Timer_LinkagePlanDeadline", "Task_LinkagePlan", "transfer_due_at",
          "transfer_days", 2, r"within (\d+) working days"),
    Clock("J-TIMELY", "jiangyin_one_door", "Timer_CheckMaterialsDeadline", "Task_CheckMaterials",
          "add_working_days(now(), green_check_days if green_channel else check_days)", "check_days", 1),
    Clock("J-GREEN", "jiangyin_one_door", "Timer_CheckMaterialsDeadline", "Task_CheckMaterials",
          "add_working_days(now(), green_check_days if green_channel else check_days)", "green_check_days", 0),
    Clock("J-T2F", "jiangyin_one_door", "Timer_FeedbackDeadline", "Task_Summary",
          "add_working_days(now(), feedback_days)", "feedback_days", 2, r"within (\d+) days of completion"),
    # the department's statutory limit (J-T2F, W-SUPERVISE), in the shared sub-process
    Clock("J-T2F", "common_department_handling", "Timer_HandlingDeadline", "Task_DeptDecision", "handling_due_at"),
    Clock("J-REPORT", "common_department_handling", "Timer_VillageDeadline", "Task_VillageReport", "handling_due_at"),
    Clock("J-REPORT", "common_department_handling", "Timer_TownshipDeadline", "Task_TownshipReport",
          "handling_due_at"),
    Clock("W-SUPERVISE", "common_department_handling", "Timer_WebhookDeadline", "Receive_DepartmentAnswer",
          "handling_due_at"),
    # Wuhai Annex 4 art. 4, per department (feedback_days of the calling variant's Script_StatutoryLimits)
    Clock("W-FLOW", "common_department_handling", "Timer_DeptFeedbackDeadline", "Task_WindowDeptFeedback",
          "add_working_days(now(), feedback_days)"),
    # Wuhai: Annex 1 / Annex 4
    Clock("W-FLOW", "wuhai_one_door", "Timer_TransferDeadline", "Task_LeaderApprove",
          "add_working_days(now(), transfer_days)", "transfer_days", 1, r"\*\*within (\d+) working day\*\*"),
    Clock("W-FLOW", "wuhai_one_door", "Timer_FeedbackDeadline", "Task_WindowFeedback",
          "add_working_days(now(), feedback_days)", "feedback_days", 2, r"\*\*within (\d+) working days\*\*"),
    Clock("W-FORM", "wuhai_one_door", "Timer_ReviewDeadline", "Task_ReviewRoute",
          "add_working_days(now(), int(review_days))"),
    # Tengzhou 限时办理 (no numbers in the seed: the designer's defaults)
    Clock("T-ONCE", "tengzhou_one_door", "Timer_SignCommitmentDeadline", "Task_SignCommitment",
          "add_working_days(now(), sign_days)", "sign_days", 1),
    Clock("T-ONCE", "tengzhou_one_door", "Timer_CollectHouseholdDeadline", "Task_CollectHousehold",
          "add_working_days(now(), collect_days)", "collect_days", 5),
    Clock("T-ONCE", "tengzhou_one_door", "Timer_ResolveDuplicatesDeadline", "Task_ResolveDuplicates",
          "add_working_days(now(), dedup_days)", "dedup_days", 1),
    Clock("T-ONCE", "tengzhou_one_door", "Timer_AssessDeadline", "Task_Assess",
          "add_working_days(now(), assess_days)", "assess_days", 2),
    Clock("T-ONCE", "tengzhou_one_door", "Timer_SummariseDeadline", "Task_Summarise",
          "add_working_days(now(), feedback_days)", "feedback_days", 2),
    # the processes beside the variants (no numbers in the seeds: the designer's defaults)
    Clock("W-COMPLAIN", "complaint_handling", "Timer_AcceptDeadline", "Task_AcceptComplaint",
          "add_working_days(now(), accept_days)", "accept_days", 1),
    Clock("W-COMPLAIN", "complaint_handling", "Timer_LeaderDeadline", "Task_ReportLeader", "answer_due_at"),
    Clock("W-COMPLAIN", "complaint_handling", "Timer_InvestigateDeadline", "Task_Investigate", "answer_due_at"),
    Clock("W-COMPLAIN", "complaint_handling", "Timer_AnswerDeadline", "Task_AnswerComplainant", "answer_due_at"),
    Clock("J-CONSULT", "consultation", "Timer_AnswerDeadline", "Task_AnswerConsultation",
          "add_working_days(now(), answer_days)", "answer_days", 1),
    Clock("J-CHECK", "household_review", "Timer_ReviewDecisionDeadline", "Task_ReviewDecision",
          "add_working_days(now(), decision_days)", "decision_days", 5),
    Clock("J-PUBLIC", "public_posting", "Timer_ObjectionDeadline", "Task_InvestigateObjection",
          "add_working_days(now(), objection_days)", "objection_days", 5),
    Clock("J-EMERGENCY", "emergency_report", "Timer_VisitDeadline", "Task_Visit",
          "add_working_days(now(), visit_days)", "visit_days", 1),
    Clock("T-MONITOR", "monitoring_alert", "Timer_ResearchDeadline", "Task_Research",
          "add_working_days(now(), research_days)", "research_days", 3),
]


def _deployed_processes(engine: Engine) -> dict[str, etree._Element]:
    """process id → its <bpmn:process> element, from the newest deployed definitions of the
    project's own diagrams (other tests deploy hostile or edited diagrams into the same
    database: those are not the policy)."""
    ours = set()
    for path in WORKFLOWS.rglob("*.bpmn"):
        ours.update(etree.parse(str(path)).getroot().xpath("//bpmn:process/@id", namespaces=NS))
    out: dict[str, etree._Element] = {}
    for definition in engine.definitions():
        if definition.key not in ours:
            continue
        root = etree.fromstring(engine.definition_diagram(definition))
        for process in root.xpath("//bpmn:process", namespaces=NS):
            if process.get("id") in ours:
                out[process.get("id")] = process
    assert out, "the scenario fixture deploys workflows/"
    return out


def _limits(process: etree._Element) -> dict[str, int]:
    [script] = process.xpath("bpmn:scriptTask[@id='Script_StatutoryLimits']/bpmn:script", namespaces=NS)
    return {k: int(v) for k, v in re.findall(r"^(\w+) = (\d+)\s*$", script.text, re.M)}


@pytest.mark.parametrize("clock", CLOCKS, ids=lambda c: f"{c.requirement}-{c.timer}")
def test_X_TIMERS_every_statutory_clock_is_armed_in_working_days(scenario: Scenario, clock: Clock) -> None:
    """X-TIMERS, J-T2, J-T2F, J-TIMELY, J-REPORT, W-FLOW, W-FORM, W-SUPERVISE, T-ONCE."""
    process = _deployed_processes(scenario.engine)[clock.process]
    [timer] = process.xpath(f"bpmn:boundaryEvent[@id='{clock.timer}']", namespaces=NS)
    assert timer.get("attachedToRef") == clock.task
    assert timer.get("cancelActivity") == "false", "a statutory clock supervises; the task stays open"
    [expr] = timer.xpath("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS)
    assert expr.text.strip() == clock.expression
    doc = timer.findtext("bpmn:documentation", namespaces=NS) or ""
    assert clock.requirement in doc, "the timer's documentation names its statutory basis"
    if clock.limit:
        assert _limits(process)[clock.limit] == clock.days
    if clock.stated:
        stated = re.search(clock.stated, requirement_text(clock.requirement))
        assert stated and int(stated.group(1)) == clock.days, "the number REQUIREMENTS.md states"


def test_X_TIMERS_the_transfer_clock_starts_at_acceptance_in_working_days(scenario: Scenario) -> None:
    """J-T2: transfer_due_at is set when the window finds the materials complete (受理), in working
    days, and again when the joint meeting makes an unclear case clear."""
    process = _deployed_processes(scenario.engine)["jiangyin_one_door"]
    for task in ("Task_CheckMaterials", "Task_JointMeeting"):
        [post] = process.xpath(f"bpmn:userTask[@id='{task}']//spiffworkflow:postScript", namespaces=NS)
        assert "transfer_due_at = add_working_days(now(), transfer_days)" in post.text


def test_X_TIMERS_no_timer_of_any_diagram_counts_calendar_days_or_durations(scenario: Scenario) -> None:
    """Every timer is a timeDate counted with add_working_days (directly or through a due-time variable
    computed with it): no timeDuration, no add_calendar_days, no fixed dates."""
    for pid, process in _deployed_processes(scenario.engine).items():
        for timer in process.xpath(".//bpmn:timerEventDefinition", namespaces=NS):
            owner = timer.getparent().get("id")
            assert not timer.xpath("bpmn:timeDuration|bpmn:timeCycle", namespaces=NS), f"{pid} {owner}"
            [expr] = timer.xpath("bpmn:timeDate", namespaces=NS)
            text = expr.text.strip()
            assert "add_calendar_days" not in text, f"{pid} {owner}"
            if not text.startswith("add_working_days("):
                assert re.fullmatch(r"\w+_due_at", text), f"{pid} {owner}: {text}"
                source = etree.tostring(process, encoding="unicode")
                assert re.search(rf"{text} = add_working_days\(", source), f"{pid}: {text} not in working days"
