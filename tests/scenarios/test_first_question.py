"""First-question responsibility is the system's, not a typed name (W-FIRST, J-FIRST, T-ONCE).

Wuhai Annex 3: 「接待的第一位工作人员为首问责任人」; Jiangyin 121号 五3 「落实首问负责、一次性告知」;
Tengzhou 三(二)1 「建立首问负责、一次性告知、限时办理等制度」. The clerk who accepts is recorded from
the signed-in user (`recordActor`), the case's later window tasks open held by that clerk
(`preferredAssignee`), and fall back to the window group when the clerk is away: the reservation
lapses after `first_question_days` working days (set once in Script_StatutoryLimits), or at once
when the clerk's account is disabled. Every take-over is in the case history."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from api.demo import JIANGYIN
from engine.auth import Principal
from engine.auth.users import create_user, to_principal
from engine.errors import Conflict, ValidationFailed
from engine.service import Engine
from engine.store.models import HumanTask, User
from tests.scenarios import test_jiangyin as jy
from tests.scenarios import test_tengzhou as tz
from tests.scenarios import test_wuhai as wh
from tests.support.scenario import Case, Scenario

PASSWORD = "Relief-Test-2026!"
TENGZHOU = "370481"  # the Tengzhou office of workflows/items.json: its variant is started there


def colleague(engine: Engine, username: str, group: str = "window", region: str = JIANGYIN) -> Principal:
    """A signed-in staff member of `group` in `region`, the demo county unless told (users
    outlive a test's cases; a region's variant is started by that region's staff)."""
    with engine.db.session() as s:
        user = s.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = create_user(s, username, PASSWORD, ["clerk"], [group], region=region)
        user.active, user.groups, user.region = True, [group], region
        return to_principal(user)


def row(engine: Engine, case: Case, bpmn_id: str) -> HumanTask:
    with engine.db.session() as s:
        found = s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == case.id, HumanTask.bpmn_id == bpmn_id,
                                                     HumanTask.state == "open")).all()
        assert len(found) == 1, f"{bpmn_id}: {len(found)} open; open: {case.open_tasks()}"
        s.expunge(found[0])
        return found[0]


def act(case: Case, bpmn_id: str, who: Principal, data: dict[str, Any]) -> None:
    task = row(case.engine, case, bpmn_id)
    case.engine.claim(task.id, who)
    case.engine.complete(task.id, data, who)
    case.run_workers()


def taken_over(case: Case) -> list[dict[str, Any]]:
    return [e.input for e in case.history() if e.command == "claim_task" and (e.input or {}).get("fallback")]


def test_J_FIRST_accepting_clerk_recorded_and_the_resubmission_check_goes_back_to_them(scenario: Scenario) -> None:
    """J-FIRST: the clerk who first checks the materials (受理登记) is the case's first-question person,
    from the session, and the check after the documents are supplemented goes to them first; another
    clerk may take it only when the reservation (first_question_days = 1 working day) has lapsed."""
    engine = scenario.engine
    li, wang = colleague(engine, "jy-clerk-li"), colleague(engine, "jy-clerk-wang")
    scenario.at(jy.FRIDAY)
    case = scenario.start(jy.PROCESS, jy.application(), business_key="JY-FQ-1")
    assert row(engine, case, "Task_CheckMaterials").assignee is None  # nobody is responsible yet
    act(case, "Task_CheckMaterials", li, {"materials_complete": "no", "missing_materials": "户口簿复印件"})
    assert case.data["first_question_user"] == "jy-clerk-li"
    case.send_message("supplementary_documents", {"documents": ["户口簿复印件"]})
    again = row(engine, case, "Task_CheckMaterials")
    assert again.assignee == "jy-clerk-li" and again.reserved_until is not None
    with pytest.raises(Conflict):
        engine.claim(again.id, wang)
    assert engine.reservation_lapsed(again) is False  # the task page offers no claim to a colleague yet
    case.advance(working_days=1)
    assert engine.reservation_lapsed(again) is True  # now it does (web/templates/tasks/show.html)
    engine.claim(again.id, wang)  # the clerk was away for a working day: the window group takes over
    assert taken_over(case) == [{"task": again.id, "element": "Task_CheckMaterials", "from": "jy-clerk-li",
                                 "fallback": "reservation_expired"}]
    engine.complete(again.id, {"materials_complete": "yes"}, wang)
    assert case.data["first_question_user"] == "jy-clerk-li"  # standing in does not move the responsibility


def test_W_FIRST_acceptance_from_the_session_later_window_tasks_to_that_clerk_until_disabled(
        scenario: Scenario) -> None:
    """W-FIRST: the ledger names the accepting clerk from the session (no typed name: the form has no
    such field and refuses one); the window's feedback after the department goes to that clerk, and
    to the window group at once when the clerk's account is disabled."""
    engine = scenario.engine
    li, wang = colleague(engine, "wh-clerk-li"), colleague(engine, "wh-clerk-wang")
    case = wh.start(scenario, "WH-FQ-1")
    review = row(engine, case, "Task_WindowReview")
    engine.claim(review.id, li)
    with pytest.raises(ValidationFailed):
        engine.complete(review.id, {**wh.ACCEPT, "first_question_user": "冒名"}, li)
    engine.complete(review.id, wh.ACCEPT, li)
    case.run_workers()
    assert case.data["first_question_user"] == "wh-clerk-li"
    [acceptance] = [j for j in case.jobs("ledger.record") if j["variables"]["stage"] == "acceptance"]
    assert "首问责任人）：wh-clerk-li" in acceptance["variables"]["summary"]
    case.complete("Task_ReviewRoute", wh.TRANSFER)
    case.complete("Task_LeaderApprove", wh.AGREE)
    wh.departments_handle(case, {"civil-affairs": True})
    feedback = row(engine, case, "Task_WindowFeedback")
    assert feedback.assignee == "wh-clerk-li"
    with pytest.raises(Conflict):
        engine.claim(feedback.id, wang)
    engine.users.set_active("admin", "wh-clerk-li", False)
    engine.claim(feedback.id, wang)
    assert taken_over(case)[-1]["fallback"] == "holder_disabled"


def test_T_ONCE_registering_clerk_gets_the_window_steps_a_grid_worker_does_not(scenario: Scenario) -> None:
    """T-ONCE 「首问负责」: the clerk who registers the ID-card application at the town window is the
    first-question person and the window's later steps (signing, assessment) go to them; when a grid
    worker registered it, the window steps go to the window group (a grid worker cannot take them)."""
    engine = scenario.engine
    li = colleague(engine, "tz-clerk-li", region=TENGZHOU)
    tz.seed_three_person_household(scenario)
    case = Case(scenario, engine.start(tz.PROCESS, tz.application(tz.ZHANG, "张桂兰"), "TZ-FQ-1", li).id)
    case.run_workers()
    assert case.data["first_question_user"] == "tz-clerk-li"
    assert row(engine, case, "Task_SignCommitment").assignee == "tz-clerk-li"
    act(case, "Task_SignCommitment", li, tz.SIGNED)
    assert row(engine, case, "Task_Assess").assignee == "tz-clerk-li"

    grid = colleague(engine, "tz-grid-liu", group="grid", region=TENGZHOU)
    other = Case(scenario, engine.start(tz.PROCESS, tz.application(tz.ZHANG, "张桂兰", channel="grid"),
                                        "TZ-FQ-2", grid).id)
    other.run_workers()
    assert other.data["first_question_user"] == "tz-grid-liu"
    assert row(engine, other, "Task_SignCommitment").assignee == "tz-grid-liu"  # signed at the home visit
    act(other, "Task_SignCommitment", grid, tz.SIGNED)
    assessment = row(engine, other, "Task_Assess")
    assert assessment.assignee is None and assessment.reserved_until is None  # the window group's
