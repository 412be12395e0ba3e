"""Wuhai data the first diagram collected but never used: the clocks (POLICY_AUDIT §1.5, §3): the review
days the window writes in the acceptance opinion (Annex 5 「请在 个工作日内审核」, `review_days`),
and the transfer and feedback limits read from the one place that sets them
(`Script_StatutoryLimits`: transfer_days, feedback_days); and the aid types the acceptance
opinion ticks (`accepted_aid_types`), which decide what is handled."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.test_wuhai import ACCEPT, MONDAY_CLOSE, TRANSFER, start
from tests.support.scenario import Scenario, local


def test_W_FORM_W_SUPERVISE_W_EFFICIENCY_review_not_done_within_the_review_days_is_supervised(
        scenario: Scenario) -> None:
    """Annex 5: the acceptance opinion says 「请在 N 个工作日内审核」; the review (审核转办) is due then,
    and supervised when it is not done; the review stays open. Annex 4 art. 7 / Annex 2 art. 4: the
    supervision records the ascertained reason, the report to 效能监察 and its outcome."""
    case = start(scenario, "WH-REVIEW-1")
    assert (case.data["transfer_days"], case.data["feedback_days"]) == (1, 2)
    case.complete("Task_WindowReview", {**ACCEPT, "review_days": 1})
    assert local(case.task("Task_ReviewRoute")["due_at"]) == MONDAY_CLOSE
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_ReviewRoute", "Task_SuperviseReview"]
    assert case.task("Task_SuperviseReview")["candidate_groups"] == ["supervisor"]
    case.complete("Task_SuperviseReview", {"delay_reason": "审核人员病假", "reported_to_efficiency_office": True,
                                           "efficiency_outcome": "效能办对审核人员通报批评"})
    assert case.reached("End_ReviewSupervised")
    assert (case.data["delay_reason"], case.data["reported_to_efficiency_office"],
            case.data["efficiency_outcome"]) == ("审核人员病假", True, "效能办对审核人员通报批评")
    case.complete("Task_ReviewRoute", TRANSFER)
    assert case.open_tasks() == ["Task_LeaderApprove"]


def test_W_FORM_review_days_set_the_due_date(scenario: Scenario) -> None:
    """Five review days from Friday are the next Friday, not a fixed limit."""
    case = start(scenario, "WH-REVIEW-5")
    case.complete("Task_WindowReview", ACCEPT)  # review_days 5
    assert local(case.task("Task_ReviewRoute")["due_at"]).date() == dt.date(2026, 11, 13)


def test_W_FORM_W_MULTI_the_accepted_aid_types_of_the_opinion_drive_the_routing(scenario: Scenario) -> None:
    """Annex 5: the acceptance opinion ticks the aid types the window accepts. The applicant asked for
    a minimum allowance and education aid (main: education); the window accepts the allowance only, so
    the case is one request of civil affairs, not a multi-request case led by education."""
    case = start(scenario, "WH-ACCEPTED-1", aid_types=["dibao", "education"], main_aid_type="education")
    case.complete("Task_WindowReview", {**ACCEPT, "accepted_aid_types": ["dibao"]})
    assert case.data["requested_aid_types"] == ["dibao", "education"]
    assert (case.data["aid_types"], case.data["main_aid_type"]) == (["dibao"], "dibao")
    assert case.data["lead_department"] == "civil-affairs"
    case.complete("Task_ReviewRoute", TRANSFER)
    case.complete("Task_LeaderApprove", {"leader_decision": "agree"})
    assert "Task_LeadCoordinate" not in case.open_tasks()
    assert [j["variables"]["department"] for j in case.jobs("department.dispatch")] == ["civil-affairs"]
