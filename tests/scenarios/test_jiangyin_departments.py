"""Every row of the Jiangyin item table (workflows/jiangyin/aid_department.dmn) is exercised through
the deployed process, and every department the seeds name can receive an aid type (J-DEPTS,
J-DISPATCH). Where the two seeds differ, the newer one wins: DB32/T 4012-2021 5.4 lists 医保局
among the county departments, so 医疗救助 goes to medical-security (121号 四4 said 人社)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.scenarios.test_jiangyin import accepted
from tests.support.scenario import Scenario

DMN = Path(__file__).resolve().parents[2] / "workflows" / "jiangyin" / "aid_department.dmn"
_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}


def _rows() -> list[tuple[str, str]]:
    """(aid type, department) of every row but the catch-all, read from the table itself."""
    root = etree.parse(str(DMN))
    out = []
    for rule in root.xpath("//dmn:rule", namespaces=_NS):
        given = rule.findtext("dmn:inputEntry/dmn:text", namespaces=_NS).strip()
        if given != "-":
            out.append((given.strip('"'), rule.findtext("dmn:outputEntry/dmn:text", namespaces=_NS).strip().strip('"')))
    return out


EXPECTED = {
    "dibao": "civil-affairs", "tekun": "civil-affairs", "disaster": "civil-affairs", "temporary": "civil-affairs",
    "medical": "medical-security", "employment": "hrss", "education": "education", "legal": "justice",
    "housing": "housing", "disability": "disabled-federation", "women_children": "womens-federation",
    "worker_hardship": "trade-union", "family_planning": "health", "youth": "youth-league",
    "red_cross": "red-cross", "charity": "charity-federation",
}


def test_J_DEPTS_the_table_is_the_seeds_division_of_labour() -> None:
    """121号 四 职责分工 (newest source where they differ): the table has exactly these rows, so a row
    changed or dropped fails here before any case runs."""
    assert dict(_rows()) == EXPECTED
    named_by_seeds = {"civil-affairs", "education", "hrss", "justice", "housing", "health", "medical-security",
                      "trade-union", "youth-league", "womens-federation", "red-cross", "disabled-federation",
                      "charity-federation"}
    assert named_by_seeds <= set(EXPECTED.values()), "every department the seeds name receives an aid type"


@pytest.mark.parametrize(("aid_type", "department"), sorted(EXPECTED.items()))
def test_J_DEPTS_J_DISPATCH_every_row_routes_its_aid_type_to_its_department(
        scenario: Scenario, aid_type: str, department: str) -> None:
    case = accepted(scenario, f"JY-DMN-{aid_type}", aid_types=[aid_type])
    assert case.data["aid_departments"] == [department]
    assert case.data["dispatch_route"] == "dispatch"
    case.complete("Task_Dispatch", {"dispatch_route": "dispatch", "departments": case.data["departments"]})
    assert case.task("Task_DeptIntake")["candidate_groups"] == [f"dept:{department}"]


def test_J_DISPATCH_the_catch_all_row_sends_an_unknown_aid_type_to_the_joint_meeting(scenario: Scenario) -> None:
    case = accepted(scenario, "JY-DMN-other", aid_types=["other"])
    assert case.data["aid_departments"] == [""] and case.data["dispatch_route"] == "joint_meeting"
