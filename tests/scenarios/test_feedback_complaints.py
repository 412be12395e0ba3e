"""Scenarios of the complaint process (`complaint_handling`, workflows/feedback/): a complaint
or a bad rating (好差评 1-2 stars, GB/T 39735-2020) is accepted, investigated, answered and the
complainant's satisfaction asked, each within its working-day limit (Script_StatutoryLimits:
accept_days = 1, answer_days = 5), with hot issues reported to the responsible leader.

Every sequence flow of `complaint_handling` is taken by a test here. The clock starts on
Monday 2026-11-02 09:00 (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from engine import queries
from engine.auth import Principal
from engine.errors import ValidationFailed
from engine.store.models import Instance
from tests.support.scenario import Case, Scenario, local

PROCESS = "complaint_handling"
JIANGYIN, YIXING = "320281", "320282"

SUBJECT = {"applicant_name": "郑梅", "applicant_id_number": "320281198001010017", "applicant_phone": "13800001234",
           "applicant_address": "江阴市澄江街道 1 号", "aid_types": ["dibao"], "reason": "收入低于低保标准",
           "channel": "window"}
ACCEPT = {"complaint_accepted": "yes", "complaint_category": "materials", "hot_issue": "no"}
INVESTIGATE = {"complaint_substantiated": "yes",
               "investigation_facts": "窗口受理时未一次性告知所需材料，申请人往返两次",
               "handling_measures": "对窗口人员批评教育，重新培训一次性告知制度"}
ANSWER = {"answer_method": "phone", "answer_text": "经调查投诉属实，已整改，向您致歉"}


def centre(region: str = JIANGYIN) -> Principal:
    return Principal(f"centre-{region}", ("dispatcher",), ("county-centre",), None, region)


def started_complaints(scenario: Scenario) -> list[Case]:
    """The complaint cases started so far, oldest first."""
    with scenario.engine.db.reading() as s:
        ids = list(s.scalars(sa.select(Instance.id).where(Instance.process_key == PROCESS)
                             .order_by(Instance.started_at, Instance.id)))
    return [Case(scenario, i) for i in ids]


def ended_subject(scenario: Scenario) -> Case:
    """A Jiangyin case that has ended (withdrawn), so that it may be rated."""
    case = scenario.start("jiangyin_one_door", dict(SUBJECT), "JY-SUBJECT-1")
    scenario.engine.cancel(case.id, "申请人撤回", "system")
    return case


def phone_complaint(scenario: Scenario, **extra: Any) -> Case:
    """A complaint a clerk registers from the supervision phone (W-COMPLAIN 二(一) 监督投诉电话)."""
    data = {"complaint_source": "phone", "complaint_text": "低保申请提交一个月没有任何答复",
            "complainant_name": "王先生", "complainant_phone": "0510-86123456", "subject_case": "JY-SUBJECT-1"}
    data.update(extra)
    return scenario.start(PROCESS, data, "TS-PHONE-1")


# ------------------------------------------------------------------ the portal starts it
def test_W_COMPLAIN_a_portal_complaint_starts_the_process_in_the_cases_region(scenario: Scenario) -> None:
    """W-COMPLAIN / J-FEEDBACK: a complaint filed on the portal becomes a complaint case of the
    subject case's region, whose acceptance is a task in the county centre's work list (and
    not in another county's), due in one working day."""
    engine = scenario.engine
    subject = scenario.start("jiangyin_one_door", dict(SUBJECT), "JY-SUBJECT-1")
    row = engine.file_complaint(subject.id, "窗口未一次性告知材料")
    [case] = started_complaints(scenario)
    assert case.instance.business_key == f"TS-{row.id}" and case.instance.region == JIANGYIN
    assert case.data["complaint_source"] == "portal" and case.data["subject_case"] == "JY-SUBJECT-1"
    assert case.data["complaint_text"] == "窗口未一次性告知材料"
    task = case.task("Task_AcceptComplaint")
    assert task["candidate_groups"] == ["county-centre"]
    assert local(task["due_at"]) == dt.datetime(2026, 11, 3, 17, 30, tzinfo=local(task["due_at"]).tzinfo)
    listed = engine.tasks_for(centre(), queries.TaskFilter(process_key=PROCESS))
    assert [t.bpmn_id for t in listed] == ["Task_AcceptComplaint"]
    assert engine.tasks_for(centre(YIXING), queries.TaskFilter(process_key=PROCESS)) == []


def test_J_FEEDBACK_a_bad_rating_starts_the_process_a_good_one_does_not(scenario: Scenario) -> None:
    """J-FEEDBACK (GB/T 39735-2020): a rating of 1-2 with its reason becomes a complaint case
    for the centre to follow up; 3-5 starts nothing. Not social relief: told where to go."""
    engine = scenario.engine
    subject = ended_subject(scenario)
    engine.rate_case(subject.id, 2, "等待时间较长没有人联系")
    [case] = started_complaints(scenario)
    assert case.data["complaint_source"] == "rating" and case.data["rating_score"] == 2
    assert case.data["complaint_text"] == "等待时间较长没有人联系"
    case.complete("Task_AcceptComplaint", {"complaint_accepted": "no", "hot_issue": "no",
                                           "referred_to": "属医保报销问题，已告知向市医保局咨询（电话告知）"})
    assert case.status == "completed" and case.reached("End_Referred")
    other = scenario.start("jiangyin_one_door", dict(SUBJECT), "JY-SUBJECT-2")
    engine.cancel(other.id, "撤回", "system")
    engine.rate_case(other.id, 4)
    assert len(started_complaints(scenario)) == 1


# ------------------------------------------------------------------ handling
def test_W_COMPLAIN_accepted_investigated_answered_and_satisfaction_recorded(scenario: Scenario) -> None:
    """W-COMPLAIN: a complaint found true is handled and recorded (facts, measures), answered,
    and the complainant's satisfaction is asked; nobody is supervised when all is in time."""
    case = phone_complaint(scenario)
    case.complete("Task_AcceptComplaint", ACCEPT)
    assert case.open_tasks() == ["Task_Investigate"]
    case.complete("Task_Investigate", INVESTIGATE)
    case.complete("Task_AnswerComplainant", ANSWER)
    case.complete("Task_Satisfaction", {"complainant_satisfaction": "satisfied", "satisfaction_note": "表示满意"})
    assert case.status == "completed" and case.reached("End_Closed")
    data = case.data
    assert data["complaint_substantiated"] == "yes" and data["handling_measures"].startswith("对窗口人员")
    assert data["complainant_satisfaction"] == "satisfied"
    assert not case.reached("Task_SuperviseComplaint") and not case.reached("Task_LeaderReview")


def test_W_ESCALATE_a_hot_issue_is_reported_to_the_responsible_leader_first(scenario: Scenario) -> None:
    """W-ESCALATE: a hot or difficult issue of wide concern goes to the responsible leader
    (group `leader`), whose instruction is recorded before the investigation."""
    case = phone_complaint(scenario)
    case.complete("Task_AcceptComplaint", dict(ACCEPT, hot_issue="yes"))
    task = case.task("Task_ReportLeader")
    assert task["candidate_groups"] == ["leader"]
    case.complete("Task_ReportLeader", {"leader_instruction": "请民政局牵头，三日内查清并答复"})
    assert case.open_tasks() == ["Task_Investigate"]
    assert case.data["leader_instruction"].startswith("请民政局牵头")


def test_W_COMPLAIN_unsatisfied_goes_to_the_leader_who_may_order_a_new_investigation(scenario: Scenario) -> None:
    """W-COMPLAIN / J-FEEDBACK: an unsatisfied complainant's case is reviewed by the leader:
    a new investigation, then closed by the leader's decision when still unsatisfied."""
    case = phone_complaint(scenario)
    case.complete("Task_AcceptComplaint", ACCEPT)
    case.complete("Task_Investigate", dict(INVESTIGATE, complaint_substantiated="no", handling_measures=""))
    case.complete("Task_AnswerComplainant", ANSWER)
    case.complete("Task_Satisfaction", {"complainant_satisfaction": "unsatisfied"})
    assert case.task("Task_LeaderReview")["candidate_groups"] == ["leader"]
    case.complete("Task_LeaderReview", {"leader_review_decision": "reinvestigate",
                                         "leader_review_opinion": "调查不够深入，请入户核实"})
    assert case.open_tasks() == ["Task_Investigate"]
    case.complete("Task_Investigate", INVESTIGATE)
    case.complete("Task_AnswerComplainant", ANSWER)
    case.complete("Task_Satisfaction", {"complainant_satisfaction": "unsatisfied"})
    case.complete("Task_LeaderReview", {"leader_review_decision": "close",
                                         "leader_review_opinion": "已按规定处理，维持结论"})
    assert case.status == "completed" and case.reached("End_Closed")


def test_W_COMPLAIN_every_step_past_its_working_day_limit_is_supervised(scenario: Scenario) -> None:
    """W-COMPLAIN / X-TIMERS: acceptance after accept_days (1 working day) and each later step
    after answer_days (5 working days from acceptance) go to supervision; the task stays open."""
    case = phone_complaint(scenario)
    case.advance(working_days=1)
    assert sorted(case.open_tasks()) == ["Task_AcceptComplaint", "Task_SuperviseComplaint"]
    case.complete("Task_SuperviseComplaint", {"delay_reason": "经办人休假", "supervision_opinion": "当日受理"})
    case.complete("Task_AcceptComplaint", dict(ACCEPT, hot_issue="yes"))
    due = local(case.data["answer_due_at"])
    assert (due.date(), due.hour, due.minute) == (dt.date(2026, 11, 10), 17, 30)  # Tue 3 Nov + 5 working days
    case.advance(working_days=5)
    assert sorted(case.open_tasks()) == ["Task_ReportLeader", "Task_SuperviseComplaint"]
    case.complete("Task_SuperviseComplaint", {"delay_reason": "领导出差", "supervision_opinion": "请尽快批示"})
    case.complete("Task_ReportLeader", {"leader_instruction": "请尽快调查"})
    case.advance(hours=0.1)  # the limit has passed: the next step is supervised as it opens
    assert sorted(case.open_tasks()) == ["Task_Investigate", "Task_SuperviseComplaint"]
    case.complete("Task_SuperviseComplaint", {"delay_reason": "调查延误", "supervision_opinion": "限期办结"})
    case.complete("Task_Investigate", INVESTIGATE)
    case.advance(hours=0.1)
    assert sorted(case.open_tasks()) == ["Task_AnswerComplainant", "Task_SuperviseComplaint"]


def test_W_COMPLAIN_start_form_refuses_a_complaint_without_text(scenario: Scenario) -> None:
    """W-COMPLAIN: a complaint names what it is about (the start form's required text)."""
    with pytest.raises(ValidationFailed) as err:
        scenario.start(PROCESS, {"complaint_source": "phone", "complaint_text": ""}, "TS-EMPTY")
    assert "complaint_text" in err.value.details["fields"]
    assert started_complaints(scenario) == []


def test_J_FEEDBACK_the_portals_follow_up_promise_is_the_diagrams_answer_limit() -> None:
    """J-FEEDBACK: the follow-up deadline the portal stores for a bad rating and the complaint
    process's answer limit are one number in two places (docs/MODELLING.md): they must agree."""
    import re
    from pathlib import Path

    from engine.portal.service import FOLLOW_UP_WORKING_DAYS

    diagram = Path(__file__).resolve().parents[2] / "workflows" / "feedback" / "complaint_handling.bpmn"
    [days] = re.findall(r"\banswer_days = (\d+)\b", diagram.read_text("utf-8"))
    assert int(days) == FOLLOW_UP_WORKING_DAYS


# ------------------------------------------------------------------ the row closes with the process
def test_W_COMPLAIN_a_portal_complaint_is_closed_with_its_outcome_when_its_process_ends(scenario: Scenario) -> None:
    """Issue 11: the portal's complaint row stays `open` while its process runs (the centre's
    list and the dashboard count it) and becomes `handled`, with the outcome, when it ends."""
    from engine.store.portal_models import Complaint  # noqa: PLC0415 - beside the row it reads

    engine = scenario.engine
    subject = scenario.start("jiangyin_one_door", dict(SUBJECT), "JY-SUBJECT-1")
    row = engine.file_complaint(subject.id, "窗口未一次性告知材料")
    [case] = started_complaints(scenario)
    case.complete("Task_AcceptComplaint", ACCEPT)
    case.complete("Task_Investigate", INVESTIGATE)
    case.complete("Task_AnswerComplainant", ANSWER)
    with engine.db.reading() as s:
        assert s.get(Complaint, row.id).status == "open"
    assert [r["kind"] for r in engine.feedback_for(centre())] == ["complaint"]
    case.complete("Task_Satisfaction", {"complainant_satisfaction": "basic", "satisfaction_note": "基本满意"})
    assert case.status == "completed"
    with engine.db.reading() as s:
        closed = s.get(Complaint, row.id)
        assert (closed.status, closed.outcome) == ("handled", "basic") and closed.closed_at is not None
    assert engine.feedback_for(centre()) == []


def test_J_FEEDBACK_a_bad_rating_is_followed_up_when_its_process_ends_referred_or_closed(
        scenario: Scenario) -> None:
    """A bad rating's follow-up ends with its process: told where to go (`referred`), or closed
    by the leader although the complainant stays unsatisfied (`closed_after_review`)."""
    from engine.store.portal_models import CaseRating  # noqa: PLC0415 - beside the row it reads

    engine = scenario.engine
    subject = ended_subject(scenario)
    rating = engine.rate_case(subject.id, 1, "医保报销没有人管")
    [case] = started_complaints(scenario)
    assert [r["kind"] for r in engine.feedback_for(centre())] == ["rating"]
    case.complete("Task_AcceptComplaint", {"complaint_accepted": "no", "hot_issue": "no",
                                           "referred_to": "属医保报销问题，已告知向市医保局咨询（电话告知）"})
    with engine.db.reading() as s:
        row = s.get(CaseRating, rating.id)
        assert (row.follow_up_outcome, row.followed_up_at is not None) == ("referred", True)
    assert engine.feedback_for(centre()) == []

    other = scenario.start("jiangyin_one_door", dict(SUBJECT), "JY-SUBJECT-2")
    engine.cancel(other.id, "撤回", "system")
    second = engine.rate_case(other.id, 2, "窗口态度差")
    case = started_complaints(scenario)[-1]
    case.complete("Task_AcceptComplaint", ACCEPT)
    case.complete("Task_Investigate", INVESTIGATE)
    case.complete("Task_AnswerComplainant", ANSWER)
    case.complete("Task_Satisfaction", {"complainant_satisfaction": "unsatisfied", "satisfaction_note": "不满意"})
    assert case.open_tasks() == ["Task_LeaderReview"]
    with engine.db.reading() as s:
        assert s.get(CaseRating, second.id).followed_up_at is None  # still followed up
    case.complete("Task_LeaderReview", {"leader_review_decision": "close",
                                         "leader_review_opinion": "已如实答复，维持结案"})
    with engine.db.reading() as s:
        assert s.get(CaseRating, second.id).follow_up_outcome == "closed_after_review"


def test_W_COMPLAIN_a_cancelled_complaint_or_rating_case_closes_its_row_as_cancelled(scenario: Scenario) -> None:
    """A complaint case cancelled before its answer closes the portal's complaint row
    (`closed`, outcome `cancelled`, not an outcome of the process), and a bad rating's
    follow-up ends the same way: neither stays in the centre's list or the dashboard's count."""
    from engine.store.portal_models import CaseRating, Complaint  # noqa: PLC0415 - beside the rows it reads

    engine = scenario.engine
    subject = ended_subject(scenario)
    complaint = engine.file_complaint(subject.id, "窗口未一次性告知材料")
    rating = engine.rate_case(subject.id, 1, "等了很久")
    leader = Principal("leader-jy", ("leader",), ("leader",), None, JIANGYIN)
    assert engine.dashboard(leader, dt.date(2026, 1, 1))["complaints_open"] == 1
    first, second = started_complaints(scenario)
    first.complete("Task_AcceptComplaint", ACCEPT)  # its outcome so far: `accepted`
    engine.cancel(first.id, "投诉人撤回投诉", "system")
    engine.cancel(second.id, "重复登记", "system")
    with engine.db.reading() as s:
        closed = s.get(Complaint, complaint.id)
        assert (closed.status, closed.outcome) == ("closed", "cancelled") and closed.closed_at is not None
        followed = s.get(CaseRating, rating.id)
        assert (followed.follow_up_outcome, followed.followed_up_at is not None) == ("cancelled", True)
    assert engine.feedback_for(centre()) == []
    assert engine.dashboard(leader, dt.date(2026, 1, 1))["complaints_open"] == 0
