"""Data the policies collect drives the flow (POLICY_AUDIT §1.5): the Jiangyin linkage plan's lead
department leads the horizontal linkage (图1 横向联动, 5.4), and Tengzhou's proposed measures become
the dispatched items (三(二)4 「一体联动」, T-LINK)."""

from __future__ import annotations

from tests.scenarios import test_jiangyin as jy
from tests.scenarios import test_tengzhou as tz
from tests.support.scenario import Scenario


def test_J_COOP_the_lead_department_of_the_plan_is_dispatched_first_and_gathers_the_results(
        scenario: Scenario) -> None:
    """5.4 实施主体 and 联动救助方案: the joint meeting names education as the lead (not the first
    department of the item list); it heads the dispatch list, and once every department has decided
    the results go to education, which reports the linkage opinion to the centre."""
    case = jy.accepted(scenario, "JY-LEAD-1", aid_types=["dibao", "education"])
    jy.dispatch(case)
    case.complete("Task_LinkagePlan", {"lead_department": "education", "linkage_plan": "教育局牵头，民政局配合"})
    assert case.data["departments"] == ["education", "civil-affairs"]
    assert sorted(j["variables"]["department"] for j in case.jobs("department.dispatch")) == [
        "civil-affairs", "education"]
    jy.handle(case, "civil-affairs", approved=True, amount=1160)
    jy.handle(case, "education", approved=True, amount=3000)
    assert case.open_tasks() == ["Task_LeadLinkage"]
    assert case.task("Task_LeadLinkage")["candidate_groups"] == ["dept:education"]
    case.complete("Task_LeadLinkage", {"linkage_summary": "助学金与低保衔接发放"})
    assert case.data["linkage_summary"] == "助学金与低保衔接发放"
    assert case.open_tasks() == ["Task_Summary"]


def test_T_LINK_the_proposed_measures_are_the_dispatched_items(scenario: Scenario) -> None:
    """三(二)1 综合评估 → 三(二)4 派单: each measure the window proposes goes to its department, even one
    the window did not tick among the departments; extra departments (charity) are dispatched too, and
    each department's items are recorded."""
    tz.seed_three_person_household(scenario)
    case = scenario.start(tz.PROCESS, tz.application(tz.ZHANG, "张桂兰", aid_types=["dibao", "medical"]),
                          business_key="TZ-LINK-1")
    case.complete("Task_SignCommitment", tz.SIGNED)
    tz.assess_eligible(case, ["dibao", "medical", "education"], ["civil-affairs", "charity-federation"])
    assert case.data["linkage_departments"] == ["civil-affairs", "medical-security", "education",
                                                "charity-federation"]
    assert case.data["department_items"] == {"civil-affairs": ["dibao"], "medical-security": ["medical"],
                                             "education": ["education"], "charity-federation": []}
    assert sorted(j["variables"]["department"] for j in case.jobs("department.dispatch")) == [
        "charity-federation", "civil-affairs", "education", "medical-security"]
