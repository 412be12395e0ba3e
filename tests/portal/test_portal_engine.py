"""The applicant side through the engine: online application (J-CH-ONLINE), progress look-up
(J-PORTAL), ratings and complaints (J-FEEDBACK, W-COMPLAIN), public notices (J-PUBLIC,
W-NOTICE) and the dashboard's figures (J-DATA, W-STATS), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.auth import Principal
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.store.models import HumanTask, Instance
from engine.store.portal_models import CaseRating
from workers.runner import run_pending

JIANGYIN, YIXING = "320281", "320282"
ID_NUMBER, PHONE = "320281198001010017", "13800001234"


def application(**extra: object) -> dict[str, object]:
    data = {"applicant_name": "郑梅", "applicant_id_number": ID_NUMBER, "applicant_phone": PHONE,
            "applicant_address": "江阴市澄江街道 1 号", "aid_types": ["dibao"], "reason": "收入低于低保标准",
            "channel": "window"}
    data.update(extra)
    return data


def leader(region: str | None) -> Principal:
    return Principal("leader-" + (region or "none"), ("leader",), ("leader",), None, region)


def test_online_application_starts_the_regions_variant_on_the_online_channel(scenario):
    """J-CH-ONLINE: the case starts in the variant of the chosen region, channel online,
    with an application number that holds no personal data."""
    case = scenario.engine.apply_online("dibao", JIANGYIN, application())
    assert case.process_key == "jiangyin_one_door" and case.region == JIANGYIN
    assert case.channel == "online" and case.started_by == "portal"
    assert case.business_key.startswith("WS20261102-") and len(case.business_key) == 19


def test_online_application_refuses_bad_fields_and_unknown_items(scenario):
    engine = scenario.engine
    with pytest.raises(ValidationFailed) as err:
        engine.apply_online("dibao", JIANGYIN, application(applicant_phone="123"))
    assert "applicant_phone" in err.value.details["fields"]
    with pytest.raises(NotFound):
        engine.apply_online("no-such-item", JIANGYIN, application())
    with pytest.raises(NotFound):
        engine.apply_online("dibao", YIXING, application())
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Instance)) == 0


def test_progress_answers_the_right_second_factor_only(scenario):
    """J-PORTAL: number + last four of the ID number or phone; a wrong number and a wrong
    second factor get the same None."""
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    run_pending(engine)  # registration recorded: the first step for people opens
    found = engine.progress(case.business_key, " 0017 ")
    assert found is not None and found.status == "running" and found.stages
    assert engine.progress(case.business_key, "1234") is not None
    assert engine.progress(case.business_key, "9999") is None
    assert engine.progress(case.business_key, "") is None
    assert engine.progress(case.business_key, "34") is None
    assert engine.progress("WS20261102-ABCDEFGH", "1234") is None


def test_rating_only_after_the_case_ends_and_only_once(scenario):
    """J-FEEDBACK: a case is rated once it has ended, once; a bad rating needs a reason and
    gets a follow-up deadline for the centre."""
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    with pytest.raises(Conflict):
        engine.rate_case(case.id, 5)
    engine.cancel(case.id, "申请人撤回", "system")
    with pytest.raises(ValidationFailed) as err:
        engine.rate_case(case.id, 1)
    assert "comment" in err.value.details["fields"]
    with pytest.raises(ValidationFailed):
        engine.rate_case(case.id, 6)
    row = engine.rate_case(case.id, 2, "等待时间较长没有人联系")
    assert row.follow_up_due is not None and row.follow_up_due > engine.clock.now()
    with pytest.raises(Conflict):
        engine.rate_case(case.id, 5)
    assert engine.progress(case.business_key, "1234").rated
    complaint = engine.file_complaint(case.id, "窗口未一次性告知材料")
    assert complaint.status == "open" and complaint.region == JIANGYIN
    centre = Principal("centre", ("dispatcher",), ("county-centre",), None, JIANGYIN)
    rows = engine.feedback_for(centre)
    assert [(r["kind"], r["score"], r["text"]) for r in rows] == [
        ("rating", 2, "等待时间较长没有人联系"), ("complaint", None, "窗口未一次性告知材料")]
    assert engine.feedback_for(Principal("centre-yixing", ("dispatcher",), ("county-centre",), None, YIXING)) == []


@pytest.mark.state_written  # the case is marked completed in the database, not driven there
def test_public_notice_shows_a_masked_name_in_its_period(scenario):
    """J-PUBLIC / W-NOTICE: only the masked name, household size, item and amount, for the period."""
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    with engine.db.session() as s:  # the case ended approved (the notice needs a completed case)
        s.get(Instance, case.id).status = "completed"
    notice = engine.post_notice(leader(JIANGYIN), case.id, "最低生活保障", "每月 620 元", 3)
    assert notice.masked_name == "郑*"
    assert [n.id for n in engine.public_notices()] == [notice.id]
    engine.clock.advance(dt.timedelta(days=8))
    assert engine.public_notices() == []


def test_dashboard_figures_equal_direct_counts_and_stay_in_the_region(scenario):
    """J-DATA / W-STATS: the figures are the database's counts; another county's leader
    sees none of these cases."""
    engine = scenario.engine
    for _n in range(3):
        engine.apply_online("dibao", JIANGYIN, application())
    engine.start("jiangyin_one_door", application(), "WIN-1", "system", region=JIANGYIN)
    run_pending(engine)
    engine.clock.advance(dt.timedelta(days=40))
    ended = engine.apply_online("temporary", JIANGYIN, application(aid_types=["temporary"]))
    engine.cancel(ended.id, "撤回", "system")
    engine.rate_case(ended.id, 4)
    since = dt.date(2026, 1, 1)
    figures = engine.dashboard(leader(JIANGYIN), since)
    with engine.db.reading() as s:
        cases = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(Instance.region == JIANGYIN))
        online = s.scalar(sa.select(sa.func.count()).select_from(Instance).where(Instance.channel == "online"))
        open_tasks = s.scalar(sa.select(sa.func.count()).select_from(HumanTask).where(HumanTask.state == "open"))
        ratings = s.scalar(sa.select(sa.func.count()).select_from(CaseRating))
    assert figures["cases"] == cases == 5
    assert sum(figures["channels"]["online"]) == online == 4
    assert figures["channels"]["window"] == [1, 0]
    assert figures["months"] == ["2026-11", "2026-12"]
    assert sum(b["open"] for b in figures["backlog"]) == open_tasks == 4
    assert figures["ratings"]["4"] == ratings == 1
    other = engine.dashboard(leader(YIXING), since)
    assert other["cases"] == 0 and other["backlog"] == [] and other["ratings"]["4"] == 0
    assert engine.dashboard(leader(None), since)["cases"] == 0
