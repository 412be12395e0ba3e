"""Jiangyin intake channels (DB32/T 4012-2021 5.1, 澄政发〔2018〕121号 三(一)2): whatever the channel,
the application is entered into the system (the registration ledger names the channel) and reaches
the window's material check, with the limits of the variant set before anything else."""

from __future__ import annotations

import pytest

from tests.scenarios.test_jiangyin import FRIDAY, PROCESS, application
from tests.support.scenario import Scenario


@pytest.mark.parametrize(("channel", "extra"), [
    ("window", {}),                                   # J-CH-WINDOW 5.1.1 三级窗口
    ("online", {}),                                   # J-CH-ONLINE 5.1.2 线上服务系统
    ("grid", {"grid_worker": "王网格"}),               # J-GRID 网格员主动发现、代为申请
    ("hotline", {"hotline_ticket": "12345-2026-1106"}),  # J-CH-12345 5.1.3
])
def test_J_CH_WINDOW_J_CH_ONLINE_J_GRID_every_channel_is_entered_into_the_system(
        scenario: Scenario, channel: str, extra: dict[str, str]) -> None:
    """5.1.1 “录入社会救助相关业务系统”; 5.1.2 “直接申请救助”; 121号 三(一)2 网格员“代为申请”: the case
    is registered with its channel and waits for the window's check (J-ONCE), whatever the channel."""
    scenario.at(FRIDAY)
    case = scenario.start(PROCESS, application(channel=channel, **extra), business_key=f"JY-CH-{channel}")
    [registration] = case.jobs("ledger.record")
    assert registration["variables"] == {"stage": "registration", "summary": channel}
    assert registration["element"] == "Service_Register"
    assert case.open_tasks() == ["Task_CheckMaterials"]
    assert case.task("Task_CheckMaterials")["candidate_groups"] == ["window"]
    if channel == "grid":
        assert case.data["grid_worker"] == "王网格"


@pytest.mark.parametrize(("phone", "stored", "channel"), [
    ("0510-86123456", "0510-86123456", "letter"),   # a landline: registered, told in writing
    ("(0510)8612345", "0510-8612345", "letter"),
    (None, None, "letter"),                          # no phone at all
    ("+86 13912345678", "13912345678", "sms"),
])
def test_J_CH_WINDOW_J_ACCEPT_an_applicant_without_a_mobile_is_registered_and_told_by_letter(
        scenario: Scenario, phone: str | None, stored: str | None, channel: str) -> None:
    """5.1.1 windows register everyone who applies, including elderly applicants with only a landline
    or no phone; 5.2 the refusal is told with its reason — by SMS to a mobile, otherwise in writing."""
    scenario.at(FRIDAY)
    data = application()
    if phone is None:
        data.pop("applicant_phone")
    else:
        data["applicant_phone"] = phone
    case = scenario.start(PROCESS, data, business_key=f"JY-PHONE-{channel}-{len(phone or '')}")
    assert case.data.get("applicant_phone") == stored
    case.complete("Task_CheckMaterials", {"materials_complete": "yes"})
    case.complete("Task_Accept", {"eligible": "no", "refusal_reason": "家庭收入高于当地低保标准"})
    [refusal] = [j for j in case.jobs("applicant.notify") if j["variables"]["template"] == "refusal"]
    assert refusal["result"]["channel"] == channel
