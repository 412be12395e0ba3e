"""Wuhai clocks the first diagram collected but never armed (POLICY_AUDIT §1.5, §3): the review
days the window writes in the acceptance opinion (Annex 5 「请在 个工作日内审核」, `review_days`),
and the transfer and feedback limits read from the one place that sets them
(`Script_StatutoryLimits`: transfer_days, feedback_days)."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.test_wuhai import ACCEPT, MONDAY_CLOSE, TRANSFER, start
from tests.support.scenario import Scenario, local


def test_W_FORM_W_SUPERVISE_review_not_done_within_the_review_days_of_the_acceptance_opinion(
        scenario: Scenario) -> None:
    """Annex 5: the acceptance opinion says 「请在 N 个工作日内审核」; the review (审核转办) is due then,
    and supervised (reason, efficiency office) when it is not done; the review stays open."""
    case = start(scenario, "WH-REVIEW-1")
    assert (case.data["transfer_days"], case.data["feedback_days"]) == (1, 2)
    case.complete("Task_WindowReview", {**ACCEPT, "review_days": 1})
    assert local(case.task("Task_ReviewRoute")["due_at"]) == MONDAY_CLOSE
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_ReviewRoute", "Task_SuperviseReview"]
    assert case.task("Task_SuperviseReview")["candidate_groups"] == ["supervisor"]
    case.complete("Task_SuperviseReview", {"delay_reason": "审核人员病假", "reported_to_efficiency_office": True})
    assert case.reached("End_ReviewSupervised")
    case.complete("Task_ReviewRoute", TRANSFER)
    assert case.open_tasks() == ["Task_LeaderApprove"]


def test_W_FORM_review_days_set_the_due_date(scenario: Scenario) -> None:
    """Five review days from Friday are the next Friday, not a fixed limit."""
    case = start(scenario, "WH-REVIEW-5")
    case.complete("Task_WindowReview", ACCEPT)  # review_days 5
    assert local(case.task("Task_ReviewRoute")["due_at"]).date() == dt.date(2026, 11, 13)
