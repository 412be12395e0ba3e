"""Wuhai clocks the first diagram collected but never armed (POLICY_AUDIT §1.5, §3): the review
days the window writes in the acceptance opinion (Annex 5 「请在 个工作日内审核」, `review_days`),
and the transfer and feedback limits read from the one place that sets them
(`Script_StatutoryLimits`: transfer_days, feedback_days)."""

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
