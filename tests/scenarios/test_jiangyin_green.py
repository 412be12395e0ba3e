"""J-GREEN (DB32/T 4012-2021 6.3.5 「对老年人、残疾人等特殊群体开辟绿色通道，优先办理」): the
standard gives no number. Reading chosen (docs/MODELLING.md): 优先办理 puts the case first in every
work list (tests/engine/test_worklist.py::test_J_GREEN_green_channel_cases_come_first_and_filters_find_cases)
and the window checks its materials the same working day (`green_check_days = 0` beside
`check_days = 1`); the statutory maxima that follow (2 working days to transfer) stay as the policy
writes them: priority may shorten a wait, never lengthen one."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.test_jiangyin import FRIDAY, PROCESS, application
from tests.support.scenario import Scenario, local


def test_J_GREEN_a_green_channel_application_is_checked_the_same_working_day(scenario: Scenario) -> None:
    scenario.at(FRIDAY)
    green = scenario.start(PROCESS, application(priority_group="elderly"), business_key="JY-GREEN-1")
    ordinary = scenario.start(PROCESS, application(), business_key="JY-GREEN-2")
    unsaid = scenario.start(PROCESS, application(priority_group="none"), business_key="JY-GREEN-3")
    assert green.data["green_channel"] is True and ordinary.data["green_channel"] is False
    assert local(green.task("Task_CheckMaterials")["due_at"]) == dt.datetime(
        2026, 11, 6, 17, 30, tzinfo=local(green.task("Task_CheckMaterials")["due_at"]).tzinfo)
    assert local(ordinary.task("Task_CheckMaterials")["due_at"]).date() == dt.date(2026, 11, 9)
    assert local(unsaid.task("Task_CheckMaterials")["due_at"]).date() == dt.date(2026, 11, 9)
    green.advance(hours=9)  # Friday evening: the green case's check is overdue and supervised
    assert sorted(green.open_tasks()) == ["Task_CheckMaterials", "Task_SuperviseMaterials"]
    assert ordinary.open_tasks() == ["Task_CheckMaterials"]
    green.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    assert local(green.task("Task_Accept")["due_at"]).date() == dt.date(2026, 11, 10)  # transfer limit unchanged
