"""The variants hand a granted case on to the processes that must outlive it (issue 11): the
public posting (J-PUBLIC, T-VILLAGE: `public_posting`) and the periodic review of a household
that receives lasting aid (J-CHECK: `household_review`). The case throws a message named
after the process; the engine starts that process as its own case under the same business key
(engine/runtime/follow_ups.py), and the case itself still ends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from engine.store.models import Instance
from tests.scenarios.test_jiangyin import accepted, dispatch, handle
from tests.scenarios.test_tengzhou import (
    SIGNED,
    ZHANG,
    application,
    assess_eligible,
    departments_handle,
    seed_three_person_household,
)
from tests.scenarios.test_wuhai import AGREE, FEEDBACK, POSTING, reviewed
from tests.scenarios.test_wuhai import departments_handle as wuhai_departments_handle
from tests.support.scenario import Case, Scenario


@pytest.fixture(autouse=True)
def _coverage(scenario: Scenario) -> Any:
    yield
    scenario.record_coverage()


def follow_ups(scenario: Scenario, key: str) -> dict[str, Case]:
    """process key → the follow-up case started under business key `key`."""
    with scenario.engine.db.session() as s:
        rows = s.execute(sa.select(Instance.process_key, Instance.id).where(Instance.business_key == key)).all()
    return {process: Case(scenario, instance_id) for process, instance_id in rows}


def jiangyin_granted(scenario: Scenario, key: str, aid_types: list[str], approved: bool = True) -> Case:
    case = accepted(scenario, key, aid_types=aid_types, residence_village="人民路社区", household_size=2)
    dispatch(case)
    handle(case, "civil-affairs", approved=approved, amount=1160 if approved else None)
    case.complete("Task_Summary", {"summary": "经民政局审核的结果", "refer": "no"})
    return case


def test_J_CHECK_J_PUBLIC_granted_dibao_is_posted_and_the_household_reviewed_while_the_case_ends(
        scenario: Scenario) -> None:
    """121号 三(二)3「以适当方式进行公示，接受社会监督」; 三(一)1「为社会救助对象的审核认定和定期复核提供依据」."""
    case = jiangyin_granted(scenario, "JY-FOLLOW-1", ["dibao"])
    assert case.status == "completed" and case.reached("End_Completed")
    found = follow_ups(scenario, "JY-FOLLOW-1")
    assert sorted(found) == ["household_review", "jiangyin_one_door", "public_posting"]

    posting = found["public_posting"]
    assert posting.status == "running"
    assert posting.instance.region == case.instance.region
    assert {k: posting.data[k] for k in ("subject_case", "applicant_name", "household_size", "item", "amount",
                                         "village_name", "public_assessment")} == {
        "subject_case": "JY-FOLLOW-1", "applicant_name": "张秀英", "household_size": 2, "item": "dibao",
        "amount": "1160", "village_name": "人民路社区", "public_assessment": "no"}
    assert posting.open_tasks() == ["Task_PostNotice"]  # Jiangyin: no 民主评议 before the notice

    review = found["household_review"]
    assert review.status == "running"
    assert review.data["review_purpose"] == "periodic"
    assert review.data["review_cycle"] == "semiannual"  # dibao: every half year
    assert review.data["aid_types"] == ["dibao"]
    assert review.reached("Script_NextReview") and review.open_tasks() == []  # waits for the review day


def test_J_CHECK_one_off_aid_is_posted_but_not_reviewed(scenario: Scenario) -> None:
    """Temporary aid is given once: posted (J-PUBLIC), no periodic review (J-CHECK)."""
    case = jiangyin_granted(scenario, "JY-FOLLOW-2", ["temporary"])
    assert case.status == "completed"
    assert sorted(follow_ups(scenario, "JY-FOLLOW-2")) == ["jiangyin_one_door", "public_posting"]


def test_J_PUBLIC_a_refused_application_is_neither_posted_nor_reviewed(scenario: Scenario) -> None:
    case = jiangyin_granted(scenario, "JY-FOLLOW-3", ["dibao"], approved=False)
    assert case.status == "completed"
    assert sorted(follow_ups(scenario, "JY-FOLLOW-3")) == ["jiangyin_one_door"]


def test_J_CHECK_wuhai_household_granted_dibao_goes_into_periodic_review_after_the_posting(
        scenario: Scenario) -> None:
    """乌海 二(二)六「张榜公示」, then the periodic review (J-CHECK applies to Jiangyin and Wuhai)."""
    case = reviewed(scenario, "WH-FOLLOW-1", applicant_id_number="150302196805120026")
    case.complete("Task_LeaderApprove", AGREE)
    wuhai_departments_handle(case, {"civil-affairs": True})
    case.complete("Task_WindowFeedback", FEEDBACK)
    assert "household_review" not in follow_ups(scenario, "WH-FOLLOW-1")  # not before the posting
    case.complete("Task_PublicPosting", POSTING)
    assert case.status == "completed"
    review = follow_ups(scenario, "WH-FOLLOW-1")["household_review"]
    assert review.status == "running" and review.data["aid_types"] == ["dibao"]
    assert review.data["applicant_id_number"] == "150302196805120026"


def test_T_VILLAGE_tengzhou_granted_result_is_assessed_by_the_village_and_posted(scenario: Scenario) -> None:
    """滕州 三(一)2「村级……公开公示……协助做好调查评议」."""
    seed_three_person_household(scenario)
    case = scenario.start("tengzhou_one_door", application(ZHANG, "张桂兰", residence_village="杏坛社区"),
                          business_key="TZ-FOLLOW-1")
    case.complete("Task_SignCommitment", SIGNED)
    assess_eligible(case, ["dibao"], ["civil-affairs"])
    departments_handle(case, {"civil-affairs": {"approved": True, "decision": "纳入低保", "amount": 1350}})
    case.complete("Task_Summarise", {"summary_opinion": "低保每月1350元", "service_need": "no"})
    assert case.status == "completed"
    posting = follow_ups(scenario, "TZ-FOLLOW-1")["public_posting"]
    assert posting.data["public_assessment"] == "yes" and posting.data["village_name"] == "杏坛社区"
    assert posting.open_tasks() == ["Task_PublicAssessment"]  # 调查评议 first, then the notice


def test_J_CHECK_a_thrown_message_naming_no_process_fails_the_step_and_stores_nothing(scenario: Scenario) -> None:
    """A follow-up that cannot start fails the step that threw it (422 naming the message): nothing
    of it is stored and no follow-up half-starts."""
    engine = scenario.engine
    rename = "UPDATE definitions SET key = :to WHERE key = :key"
    with engine.db.session() as s:  # as if household_review had never been deployed
        s.execute(sa.text(rename), {"to": "household_review_gone", "key": "household_review"})
        s.commit()
    try:
        case = accepted(scenario, "JY-FOLLOW-4", aid_types=["dibao"])
        dispatch(case)
        handle(case, "civil-affairs")
        # The result notice's completion throws the messages: it is refused (the worker reports
        # the 422 naming the message), so the case stays before the posting and the review.
        case.complete("Task_Summary", {"summary": "批准", "refer": "no"})
        assert case.status == "running"
        assert not case.reached("Throw_PublicPosting") and not case.reached("Service_Archive")
        assert sorted(follow_ups(scenario, "JY-FOLLOW-4")) == ["jiangyin_one_door"]
    finally:  # the deployment is shared by the tests that follow
        with engine.db.session() as s:
            s.execute(sa.text(rename), {"to": "household_review", "key": "household_review_gone"})
            s.commit()
